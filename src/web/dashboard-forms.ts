import { z } from "zod";
import { MAX_ANSWER_COUNT } from "../exposure/model/answer-parser.ts";
import type { Checkin } from "../exposure/weekly-question-types.ts";
import { escapeHtml } from "../shared/html.ts";
import { weekDate } from "./dashboard-chart.ts";
import {
  checked,
  type FieldErrors,
  fieldError,
  fill,
  formError,
  invalidAttrs,
  notice,
} from "./form-kit.ts";
import type { Language } from "./i18n.ts";
import type { PageContext } from "./web-kit.ts";

/*
 * The forms of « Ma semaine »: the weekly question (this week's answer chosen again when
 * there is one, the error next to the field), the button that asks it again, and where the
 * linked account stands (shared with /settings/linked).
 */

const W = {
  fr: {
    question: "Durant les 7 derniers jours, as-tu fait des rencontres satisfaisantes ?",
    yes: "Oui",
    no: "Non",
    howMany: "Combien (facultatif)",
    answer: "Répondre",
    change: "Changer ma réponse",
    answered: "Réponse enregistrée pour la semaine du {week}.",
    current: "Ta réponse pour la semaine du {week} : {answer}. Tu peux la changer ici.",
    badAnswer: "Choisis oui ou non.",
    badCount: "Un nombre entier de 1 à {max}, ou rien.",
    askAgain: "Me reposer la question",
    askAgainHelp:
      "Dans l'application et sur ton compte relié, s'il est confirmé ; au plus une fois par heure.",
    askedAgain: "La question t'a été reposée.",
    linkedTitle: "Compte relié",
    linkedNone:
      "Aucun compte relié. Relie ton compte Mastodon (ou d'un autre logiciel du fédiverse) pour y recevoir aussi la question de la semaine, en message privé.",
    linkedConfirmed:
      "{account} : relié. La question de la semaine y arrive aussi, en message privé ; tes réponses privées y sont notées.",
    linkedPending:
      "{account} : en attente. Réponds « oui », en mention privée, au message reçu sur ce compte (sur Mastodon, cherche-le dans les notifications filtrées si tu ne suis pas encore {sender}).",
    linkedFollow:
      "Pour que nos messages arrivent dans tes notifications Mastodon (et non dans les notifications filtrées), abonne-toi à {sender} depuis ce compte.",
    linkedManage: "Relier ou délier un compte",
  },
  en: {
    question: "In the last 7 days, did you have satisfying encounters?",
    yes: "Yes",
    no: "No",
    howMany: "How many (optional)",
    answer: "Answer",
    change: "Change my answer",
    answered: "Answer saved for the week of {week}.",
    current: "Your answer for the week of {week}: {answer}. You may change it here.",
    badAnswer: "Choose yes or no.",
    badCount: "A whole number from 1 to {max}, or nothing.",
    askAgain: "Ask me the question again",
    askAgainHelp:
      "In the app and on your linked account, if it is confirmed; at most once an hour.",
    askedAgain: "The question was sent again.",
    linkedTitle: "Linked account",
    linkedNone:
      "No linked account. Link your Mastodon account (or another fediverse account) to receive the weekly question there too, as a private message.",
    linkedConfirmed:
      "{account}: linked. The weekly question arrives there too, as a private message; your private answers there are recorded.",
    linkedPending:
      "{account}: waiting. Reply “yes”, as a private mention, to the message that account received (on Mastodon, look for it in the filtered notifications if you do not follow {sender} yet).",
    linkedFollow:
      "For our messages to reach your Mastodon notifications (not the filtered ones), follow {sender} from that account.",
    linkedManage: "Link or unlink an account",
  },
} as const;

/** What the question form shows: the values chosen, the errors, the confirmation. */
export interface CheckinFormState {
  /** The week the form answers (YYYY-MM-DD, a Monday). */
  weekStart: string;
  answer?: string;
  count?: string;
  /** The answer stored for that week, if any. */
  stored?: Pick<Checkin, "answer" | "count">;
  errors?: FieldErrors;
  /** The answer was just saved. */
  saved?: boolean;
}

const formValues = z.object({
  answer: z.string().max(10).optional(),
  count: z.string().max(20).optional(),
});

/**
 * The posted answer as the service takes it, or the errors to show next to the fields (with
 * what was typed, to show it again).
 */
export function parseCheckinForm(
  body: unknown,
  lang: Language,
):
  | { ok: true; value: { answer: "yes" | "no"; count?: number } }
  | { ok: false; answer?: string; count?: string; errors: FieldErrors } {
  const w = W[lang];
  const raw = formValues.safeParse(body ?? {});
  const answer = raw.success ? raw.data.answer : undefined;
  const count = raw.success ? (raw.data.count ?? "").trim() : "";
  const errors: FieldErrors = {};
  if (answer !== "yes" && answer !== "no") errors.answer = w.badAnswer;
  const n = Number(count);
  if (count !== "" && !(/^\d+$/.test(count) && n >= 1 && n <= MAX_ANSWER_COUNT)) {
    errors.count = w.badCount.replace("{max}", String(MAX_ANSWER_COUNT));
  }
  if (Object.keys(errors).length > 0 || (answer !== "yes" && answer !== "no")) {
    return { ok: false, answer, count, errors };
  }
  // "non" with a number: the number means nothing, as in a direct answer.
  return { ok: true, value: answer === "yes" && count !== "" ? { answer, count: n } : { answer } };
}

function answerWords(stored: Pick<Checkin, "answer" | "count">, lang: Language): string {
  const w = W[lang];
  if (stored.answer === "no") return w.no.toLowerCase();
  return stored.count ? `${w.yes.toLowerCase()}, ${stored.count}` : w.yes.toLowerCase();
}

export function questionForm(context: PageContext, state: CheckinFormState): string {
  const { lang } = context;
  const w = W[lang];
  const errors = state.errors ?? {};
  const week = weekDate(lang, state.weekStart, "long");
  // What was just typed wins over what is stored.
  const answer = state.answer ?? state.stored?.answer;
  const count = state.count ?? (state.stored?.count ? String(state.stored.count) : "");
  const status = state.saved
    ? notice({ html: fill(w.answered, { week }) })
    : state.stored && !state.errors
      ? `<p>${fill(w.current, { week, answer: answerWords(state.stored, lang) })}</p>`
      : "";
  return `<form method="post" action="/tracker/checkin" class="checkin" id="question" novalidate>
${context.csrfField()}
${status}${formError(errors)}
<fieldset${invalidAttrs(errors, "answer")}><legend>${escapeHtml(w.question)}</legend>
<label><input type="radio" name="answer" value="yes" required${checked(answer === "yes")}> ${escapeHtml(w.yes)}</label>
<label><input type="radio" name="answer" value="no"${checked(answer === "no")}> ${escapeHtml(w.no)}</label>
${fieldError(errors, "answer")}
<p><label for="checkin-count">${escapeHtml(w.howMany)}</label>
<input id="checkin-count" type="number" name="count" min="1" max="${MAX_ANSWER_COUNT}" inputmode="numeric" value="${escapeHtml(count)}"${invalidAttrs(errors, "count")}></p>
${fieldError(errors, "count")}
<button type="submit">${escapeHtml(state.stored ? w.change : w.answer)}</button>
</fieldset></form>`;
}

/** The button that asks for the question again; `asked`: it was just sent; `error`: refused. */
export function askAgainForm(context: PageContext, asked: boolean, error?: string): string {
  const w = W[context.lang];
  return `${asked ? notice(w.askedAgain) : ""}${formError({ form: error })}<form method="post" action="/tracker/question" class="ask-again">
${context.csrfField()}
<button type="submit">${escapeHtml(w.askAgain)}</button> <small>${escapeHtml(w.askAgainHelp)}</small>
</form>`;
}

/** Where the link request and its answer stand: the linked account, and what to do. */
export function linkedAccountState(
  linked: { iri: string | null; confirmed: boolean },
  sender: string,
  lang: Language,
): string {
  const w = W[lang];
  const account = linked.iri
    ? { html: `<a href="${escapeHtml(linked.iri)}">${escapeHtml(linked.iri)}</a>` }
    : "";
  const state = !linked.iri ? w.linkedNone : linked.confirmed ? w.linkedConfirmed : w.linkedPending;
  return `<p class="linked-state">${fill(state, { account, sender })}</p>
${linked.iri ? `<p>${fill(w.linkedFollow, { sender })}</p>` : ""}`;
}

/** The dashboard's section on the linked account, with the way to the settings page. */
export function linkedAccountSection(
  linked: { iri: string | null; confirmed: boolean },
  sender: string,
  lang: Language,
): string {
  const w = W[lang];
  return `<section id="linked-account"><h2>${escapeHtml(w.linkedTitle)}</h2>
${linkedAccountState(linked, sender, lang)}
<p><a href="/settings/linked">${escapeHtml(w.linkedManage)}</a></p></section>`;
}
