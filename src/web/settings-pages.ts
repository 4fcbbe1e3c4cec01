import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { MEMBER_LANGUAGES, type Member, type MembersService } from "../accounts/members-service.ts";
import type { TrackerSettingsService } from "../exposure/tracker-settings-service.ts";
import {
  LinkRateLimitedError,
  type WeeklyQuestionService,
} from "../exposure/weekly-question-service.ts";
import { DomainError } from "../shared/errors.ts";
import { escapeHtml } from "../shared/html.ts";
import { linkedAccountState } from "./dashboard-forms.ts";
import {
  type FieldErrors,
  fieldError,
  formError,
  invalidAttrs,
  notice,
  selectField,
} from "./form-kit.ts";
import { languageCookie } from "./session.ts";
import type { WebKit } from "./web-kit.ts";

/*
 * /settings (the index of every settings page), /settings/preferences (the member's
 * language) and /settings/linked (the linked fediverse account: link, its state, unlink).
 * The tracker's settings and the profile have their own modules.
 */

export interface SettingsPagesDeps {
  web: WebKit;
  members: Pick<MembersService, "setLanguage">;
  trackerSettings: Pick<TrackerSettingsService, "get">;
  weeklyQuestions: Pick<WeeklyQuestionService, "requestLink" | "unlink">;
  /** "@instance@example.org": who sends the link request. */
  senderHandle: string;
}

const W = {
  fr: {
    title: "Réglages",
    pages: [
      ["/settings/profile", "Profil", "Ton nom, ta bio, tes champs, ton avatar et ta bannière."],
      [
        "/settings/preferences",
        "Préférences",
        "La langue des pages et de la question de la semaine.",
      ],
      [
        "/settings/tracker",
        "Suivi",
        "Le jour de la question, ta bande, le mode pandémie, la co-signature.",
      ],
      ["/settings/linked", "Compte relié", "Ton compte du fédiverse qui reçoit aussi la question."],
      ["/settings/password", "Mot de passe", "Changer ton mot de passe."],
      ["/settings/sessions", "Sessions", "Les appareils connectés à ton compte."],
      ["/settings/email", "Adresse e-mail", "Pour retrouver ton compte."],
      ["/settings/apps", "Applications autorisées", "Les applications qui agissent pour toi."],
      [
        "/settings/blocks",
        "Blocages et masquages",
        "Les comptes et serveurs que tu bloques ou masques.",
      ],
      ["/settings/export", "Exporter mes données", "Une archive de tout ton compte."],
      ["/settings/import", "Importer mes abonnements", "Ta liste d'abonnements de Mastodon."],
      ["/settings/move", "Déménager", "Venir d'un autre compte, ou partir vers un autre."],
      ["/settings/delete", "Supprimer mon compte", "Quitter l'instance, pour de bon."],
    ],
    data: "Tes données",
    dataText: "Ton suivi privé, à télécharger :",
    later: "L'archive de tout ton compte (rencontres, profil, photos, abonnements) :",
    preferences: "Préférences",
    language: "Langue",
    languageHint:
      "Celle des pages (quand ce navigateur n'en a pas choisi d'autre) et des messages de la question de la semaine.",
    languages: { fr: "Français", en: "English" },
    save: "Enregistrer",
    saved: "Préférences enregistrées.",
    badLanguage: "Choisis une des langues proposées.",
    linked: "Compte relié",
    linkedIntro:
      "Relie ton compte principal du fédiverse (Mastodon ou autre) : la question de la semaine y arrivera aussi, en message privé, et tu pourras y répondre. Nous lui envoyons un seul message ; le lien ne vaut qu'après sa réponse « oui ».",
    account: "Ton compte : @nom@serveur, ou l'adresse de son profil",
    link: "Relier ce compte",
    relink: "Relier un autre compte",
    unlink: "Délier",
    requested: "Message envoyé. Réponds « oui », en mention privée, depuis ce compte.",
    unlinked: "Compte délié.",
    badAccount: "Écris @nom@serveur, ou l'adresse (https://…) du profil.",
  },
  en: {
    title: "Settings",
    pages: [
      ["/settings/profile", "Profile", "Your name, bio, fields, avatar and header image."],
      [
        "/settings/preferences",
        "Preferences",
        "The language of the pages and of the weekly question.",
      ],
      ["/settings/tracker", "Tracker", "The question's day, your band, pandemic mode, co-signing."],
      ["/settings/linked", "Linked account", "Your fediverse account that gets the question too."],
      ["/settings/password", "Password", "Change your password."],
      ["/settings/sessions", "Sessions", "The devices logged in to your account."],
      ["/settings/email", "E-mail address", "To recover your account."],
      ["/settings/apps", "Authorized apps", "The apps that act for you."],
      ["/settings/blocks", "Blocks and mutes", "The accounts and servers you block or mute."],
      ["/settings/export", "Export my data", "An archive of your whole account."],
      ["/settings/import", "Import my follows", "Your following list from Mastodon."],
      ["/settings/move", "Move", "Come from another account, or leave for another one."],
      ["/settings/delete", "Delete my account", "Leave the instance, for good."],
    ],
    data: "Your data",
    dataText: "Your private tracker, to download:",
    later: "The archive of your whole account (encounters, profile, photos, follows):",
    preferences: "Preferences",
    language: "Language",
    languageHint:
      "The pages' (when this browser chose no other) and that of the weekly question's messages.",
    languages: { fr: "Français", en: "English" },
    save: "Save",
    saved: "Preferences saved.",
    badLanguage: "Choose one of the languages offered.",
    linked: "Linked account",
    linkedIntro:
      "Link your main fediverse account (Mastodon or another): the weekly question will arrive there too, as a private message, and you can answer it there. We send it one message; the link holds only once it answers “yes”.",
    account: "Your account: @name@server, or its profile's address",
    link: "Link this account",
    relink: "Link another account",
    unlink: "Unlink",
    requested: "Message sent. Reply “yes”, as a private mention, from that account.",
    unlinked: "Account unlinked.",
    badAccount: "Write @name@server, or the profile's address (https://…).",
  },
} as const;

const accountForm = z.object({ account: z.string().trim().min(3).max(500) });
const languageForm = z.object({ language: z.enum(MEMBER_LANGUAGES) });

export function registerSettingsPages(scope: FastifyInstance, deps: SettingsPagesDeps): void {
  const { web } = deps;
  const flag = (request: FastifyRequest, name: string) =>
    (request.query as Record<string, unknown>)[name] === "1";

  scope.get("/settings", async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const context = await web.context(request, reply);
    const w = W[context.lang];
    const items = w.pages
      .map(
        ([href, name, what]) =>
          `<li><a href="${href}">${escapeHtml(name)}</a> — ${escapeHtml(what)}</li>`,
      )
      .join("\n");
    const body = `<h1>${escapeHtml(w.title)}</h1>
<ul class="settings-index">
${items}
</ul>
<h2>${escapeHtml(w.data)}</h2>
<p>${escapeHtml(w.dataText)} <a href="/tracker/export.json" download>JSON</a> · <a href="/tracker/export.csv" download>CSV</a></p>
<p>${escapeHtml(w.later)} <a href="/settings/export">${escapeHtml(w.pages.find(([href]) => href === "/settings/export")?.[1] ?? "")}</a></p>`;
    return web.send(reply, context, { title: w.title, body });
  });

  async function preferences(
    request: FastifyRequest,
    reply: FastifyReply,
    member: Member,
    state: { errors?: FieldErrors; status?: number; chosen?: string } = {},
  ) {
    const context = await web.context(request, reply);
    const w = W[context.lang];
    const errors = state.errors ?? {};
    const chosen = state.chosen ?? member.language;
    const body = `<h1>${escapeHtml(w.preferences)}</h1>
${flag(request, "saved") ? notice(w.saved) : ""}${formError(errors)}
<form method="post" action="/settings/preferences" class="settings">
${context.csrfField()}
${selectField(
  { language: chosen },
  errors,
  "language",
  w.language,
  MEMBER_LANGUAGES.map((l) => [l, w.languages[l], l] as const),
  w.languageHint,
)}
<p><button type="submit">${escapeHtml(w.save)}</button></p>
</form>`;
    return web.send(reply, context, { title: w.preferences, body, status: state.status });
  }

  scope.get("/settings/preferences", async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    return preferences(request, reply, member);
  });

  scope.post("/settings/preferences", { preHandler: web.checkCsrf }, async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const parsed = languageForm.safeParse(request.body ?? {});
    if (!parsed.success) {
      const { lang } = await web.context(request, reply);
      return preferences(request, reply, member, {
        errors: { language: W[lang].badLanguage },
        status: 422,
      });
    }
    await deps.members.setLanguage(member.id, parsed.data.language);
    // This browser follows the choice at once, whatever the switch said before.
    return reply
      .header("set-cookie", languageCookie(parsed.data.language, web.origin))
      .redirect("/settings/preferences?saved=1", 303);
  });

  async function linked(
    request: FastifyRequest,
    reply: FastifyReply,
    member: Member,
    state: { errors?: FieldErrors; status?: number; account?: string } = {},
  ) {
    const context = await web.context(request, reply);
    const { lang } = context;
    const w = W[lang];
    const errors = state.errors ?? {};
    const settings = await deps.trackerSettings.get(member.id);
    const link = { iri: settings.linkedAccountIri, confirmed: settings.linkedAccountConfirmed };
    const done = flag(request, "requested")
      ? notice(w.requested)
      : flag(request, "unlinked")
        ? notice(w.unlinked)
        : "";
    const unlink = link.iri
      ? `<form method="post" action="/settings/linked/unlink" class="unlink">
${context.csrfField()}
<button type="submit" class="secondary">${escapeHtml(w.unlink)}</button>
</form>`
      : "";
    const body = `<h1>${escapeHtml(w.linked)}</h1>
<p>${escapeHtml(w.linkedIntro)}</p>
${done}
<section id="linked-account">${linkedAccountState(link, deps.senderHandle, lang)}
${unlink}</section>
${formError(errors)}
<form method="post" action="/settings/linked" class="settings">
${context.csrfField()}
<p><label for="account">${escapeHtml(w.account)}</label>
<input id="account" name="account" type="text" required maxlength="500" autocomplete="off" spellcheck="false" value="${escapeHtml(state.account ?? "")}"${invalidAttrs(errors, "account")}></p>
${fieldError(errors, "account")}
<p><button type="submit">${escapeHtml(link.iri ? w.relink : w.link)}</button></p>
</form>`;
    return web.send(reply, context, { title: w.linked, body, status: state.status });
  }

  scope.get("/settings/linked", async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    return linked(request, reply, member);
  });

  scope.post("/settings/linked", { preHandler: web.checkCsrf }, async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const { lang } = await web.context(request, reply);
    const typed = (request.body as { account?: unknown } | undefined)?.account;
    const account = typeof typed === "string" ? typed.slice(0, 500) : "";
    const parsed = accountForm.safeParse({ account });
    if (!parsed.success) {
      const errors = { account: W[lang].badAccount };
      return linked(request, reply, member, { errors, status: 422, account });
    }
    try {
      await deps.weeklyQuestions.requestLink(member, parsed.data.account);
    } catch (error) {
      if (error instanceof LinkRateLimitedError) {
        reply.header("Retry-After", "86400");
        return linked(request, reply, member, {
          errors: { account: error.message },
          status: 429,
          account,
        });
      }
      if (!(error instanceof DomainError)) throw error;
      return linked(request, reply, member, {
        errors: { account: error.message },
        status: 422,
        account,
      });
    }
    return reply.redirect("/settings/linked?requested=1", 303);
  });

  scope.post("/settings/linked/unlink", { preHandler: web.checkCsrf }, async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    await deps.weeklyQuestions.unlink(member.id);
    return reply.redirect("/settings/linked?unlinked=1", 303);
  });
}
