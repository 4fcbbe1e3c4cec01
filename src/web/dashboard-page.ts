import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Member } from "../accounts/members-service.ts";
import { STATUS_LABELS } from "../exposure/model/status.ts";
import type { LastSeenPerson, SeriesService } from "../exposure/series-service.ts";
import { type TrackerDataService, trackerExportToCsv } from "../exposure/tracker-data-service.ts";
import {
  AskAgainTooSoonError,
  type WeeklyQuestionService,
} from "../exposure/weekly-question-service.ts";
import { DomainError } from "../shared/errors.ts";
import { bdiHtml, escapeHtml } from "../shared/html.ts";
import { formatCalendarDay, numberFormat } from "../shared/intl.ts";
import { renderLegend, renderWeeklyChart, renderWeeklyTable } from "./dashboard-chart.ts";
import {
  askAgainForm,
  type CheckinFormState,
  linkedAccountSection,
  parseCheckinForm,
  questionForm,
} from "./dashboard-forms.ts";
import { fill } from "./form-kit.ts";
import { type Language, LOCALES } from "./i18n.ts";
import { noStore } from "./session.ts";
import type { WebKit } from "./web-kit.ts";

/*
 * The member's own dashboard: the 12-week chart, this week's status, who they have not
 * seen for a while, and their data to download. Behind the web session only; every
 * answer is `private, no-store`, so no browser history or proxy keeps a copy.
 */

export interface DashboardDeps {
  web: WebKit;
  series: SeriesService;
  trackerData: Pick<TrackerDataService, "exportData">;
  /** Records this week's answer to the weekly question, from the form on the page. */
  checkIn: WeeklyQuestionService["checkIn"];
  /** The week the form answers and the answer already given for it. */
  openCheckin: WeeklyQuestionService["openCheckin"];
  /** The member's linked fediverse account, shown where the direct messages' links lead. */
  linkedAccount(memberId: string): Promise<{ iri: string | null; confirmed: boolean }>;
  /** "@instance@example.org": the sender of the direct messages. */
  senderHandle: string;
  /** Sends the weekly question again (at most once an hour), from the button on the page. */
  askAgain: WeeklyQuestionService["askAgain"];
}

const W = {
  fr: {
    title: "Ma semaine",
    intro: "Visible de toi seul·e : rien de cette page n'est publié ni envoyé ailleurs.",
    thisWeek: "Cette semaine : {status}.",
    figures:
      "{s} rencontre(s) satisfaisante(s) sur {e}, {p} personne(s) différente(s), exposition {x} {unit}.",
    legend: "Légende",
    lastSeen: "Tes dernières rencontres",
    noneSeen: "Aucune rencontre notée depuis deux ans.",
    remind: "Tu n'as pas vu {name} depuis {days} jours.",
    seenOn: "{name} : vu·e le {date} ({days} j)",
    circle: { intimate: "intime", close: "proche", friends: "ami·e", weak_tie: "lien faible" },
    caveatsTitle: "À savoir",
    caveats:
      "Ces chiffres viennent d'un modèle propre au COVID, fondé sur des études d'observation : ils sont incertains d'un facteur 3 environ, dans un sens comme dans l'autre. Ce sont des repères, pas un avis médical.",
    how: "Comment ces chiffres sont calculés",
    exportTitle: "Tes données",
    exportJson: "Télécharger (JSON)",
    exportCsv: "Télécharger (CSV)",
    settings: "Réglages du suivi (jour de la question, bande, mode pandémie)",
    apps: "Applications autorisées",
    rch: "RCH",
    microcovids: "microCOVIDs",
  },
  en: {
    title: "My week",
    intro: "Visible to you alone: nothing on this page is published or sent anywhere.",
    thisWeek: "This week: {status}.",
    figures: "{s} satisfying encounter(s) out of {e}, {p} different people, exposure {x} {unit}.",
    legend: "Legend",
    lastSeen: "Last seen",
    noneSeen: "No encounter logged in the last two years.",
    remind: "You have not seen {name} for {days} days.",
    seenOn: "{name}: seen on {date} ({days} d)",
    circle: { intimate: "intimate", close: "close", friends: "friend", weak_tie: "weak tie" },
    caveatsTitle: "Good to know",
    caveats:
      "These numbers come from a COVID-specific model built on observational studies: they are uncertain by a factor of about 3 either way. They are landmarks, not medical advice.",
    how: "How these numbers are computed",
    exportTitle: "My data",
    exportJson: "Download (JSON)",
    exportCsv: "Download (CSV)",
    settings: "Tracker settings (question day, band, pandemic mode)",
    apps: "Authorized apps",
    rch: "RCH",
    microcovids: "microCOVIDs",
  },
} as const;

function lastSeenSection(people: LastSeenPerson[], lang: Language): string {
  const w = W[lang];
  if (people.length === 0) return `<p>${escapeHtml(w.noneSeen)}</p>`;
  const reminders = people
    .filter((p) => p.reminder)
    .map(
      (p) => `<li>${fill(w.remind, { name: { html: bdiHtml(p.name) }, days: p.daysSince })}</li>`,
    )
    .join("");
  const all = people
    .map(
      (p) =>
        `<li>${fill(w.seenOn, { name: { html: bdiHtml(p.name) }, date: formatCalendarDay(LOCALES[lang], p.lastSeen, { day: "numeric", month: "long", year: "numeric" }), days: p.daysSince })}${p.circle ? ` — ${escapeHtml(w.circle[p.circle])}` : ""}</li>`,
    )
    .join("");
  return `${reminders ? `<ul class="reminders" role="status">${reminders}</ul>` : ""}<ul class="last-seen">${all}</ul>`;
}

/** What a form posted to the page changes in it: the question form's state, the button's. */
interface DashboardState {
  checkin?: Omit<CheckinFormState, "weekStart" | "stored">;
  asked?: boolean;
  askError?: string;
  status?: number;
}

/** Registered in the pages' scope (src/web/register.ts), which parses forms. */
export function registerDashboard(http: FastifyInstance, deps: DashboardDeps): void {
  const { web } = deps;

  async function dashboard(
    request: FastifyRequest,
    reply: FastifyReply,
    member: Member,
    state: DashboardState,
  ) {
    const context = await web.context(request, reply);
    const { lang } = context;
    const w = W[lang];
    const [view, people, linked, open] = await Promise.all([
      deps.series.series(member.id, 12),
      deps.series.lastSeen(member.id),
      deps.linkedAccount(member.id),
      deps.openCheckin(member.id),
    ]);
    const exposureOf = (week: (typeof view.weeks)[number]) =>
      view.unit === "microcovids" ? (week.microcovids ?? 0) : week.rch;
    const chartWeeks = view.weeks.map((week) => ({
      weekStart: week.weekStart,
      satisfyingEncounters: week.satisfyingEncounters,
      exposure: exposureOf(week),
      status: week.status,
    }));
    const band = {
      floor: view.band.floor,
      target: view.band.target,
      ceiling: view.ceiling,
      unit: view.unit,
    };
    const current = view.weeks.at(-1);
    const status = current
      ? `<p class="status"><strong>${fill(w.thisWeek, { status: STATUS_LABELS[current.status][lang] })}</strong> ${fill(
          w.figures,
          {
            s: current.satisfyingEncounters,
            e: current.encounters,
            p: current.distinctPeople,
            x: numberFormat(LOCALES[lang], { maximumFractionDigits: 1 }).format(
              exposureOf(current),
            ),
            unit: w[view.unit],
          },
        )}</p>`
      : "";
    const form: CheckinFormState = {
      weekStart: open.weekStart,
      stored: open.checkin,
      ...state.checkin,
    };
    const body = `<h1>${escapeHtml(w.title)}</h1>
<p>${escapeHtml(w.intro)}</p>
${status}
<figure class="chart">
${renderWeeklyChart(chartWeeks, band, lang)}
<figcaption>${escapeHtml(w.legend)} ${renderLegend(lang)}</figcaption>
</figure>
${renderWeeklyTable(chartWeeks, band, lang)}
${questionForm(context, form)}
${linkedAccountSection(linked, deps.senderHandle, lang)}
${askAgainForm(context, state.asked ?? false, state.askError)}
<h2>${escapeHtml(w.lastSeen)}</h2>
${lastSeenSection(people, lang)}
<h2>${escapeHtml(w.caveatsTitle)}</h2>
<p class="caveats">${escapeHtml(w.caveats)}</p>
<p><a href="/exposure">${escapeHtml(w.how)}</a></p>
<h2>${escapeHtml(w.exportTitle)}</h2>
<p><a href="/tracker/export.json" download>${escapeHtml(w.exportJson)}</a> · <a href="/tracker/export.csv" download>${escapeHtml(w.exportCsv)}</a></p>
<p><a href="/settings/tracker">${escapeHtml(w.settings)}</a> · <a href="/settings/apps">${escapeHtml(w.apps)}</a></p>`;
    return web.send(reply, context, { title: w.title, body, status: state.status });
  }

  http.post("/tracker/checkin", { preHandler: web.checkCsrf }, async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const { lang } = await web.context(request, reply);
    const parsed = parseCheckinForm(request.body, lang);
    if (!parsed.ok) {
      const { answer, count, errors } = parsed;
      return dashboard(request, reply, member, { checkin: { answer, count, errors }, status: 422 });
    }
    try {
      await deps.checkIn(member.id, parsed.value, "web");
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const { answer, count } = parsed.value;
      return dashboard(request, reply, member, {
        checkin: { answer, count: count?.toString(), errors: { form: error.message } },
        status: 422,
      });
    }
    return reply.redirect("/tracker?answered=1#question", 303);
  });

  http.post("/tracker/question", { preHandler: web.checkCsrf }, async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    try {
      await deps.askAgain(member.id);
    } catch (error) {
      if (!(error instanceof AskAgainTooSoonError)) throw error;
      reply.header("Retry-After", String(error.retryAfterSeconds));
      return dashboard(request, reply, member, { askError: error.message, status: 429 });
    }
    return reply.redirect("/tracker?asked=1", 303);
  });

  http.get("/tracker", async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const query = request.query as { asked?: unknown; answered?: unknown };
    return dashboard(request, reply, member, {
      asked: query.asked === "1",
      checkin: { saved: query.answered === "1" },
    });
  });

  // Downloads through the page session: GET only, nothing changes, so a cross-site link at
  // most makes the member download their own file.
  http.get("/tracker/export.:format", async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const format = (request.params as { format: string }).format;
    if (format !== "json" && format !== "csv") return reply.callNotFound();
    const data = await deps.trackerData.exportData(member.username);
    const day = data.exportedAt.slice(0, 10);
    noStore(reply).header("content-disposition", `attachment; filename="tracker-${day}.${format}"`);
    return format === "csv"
      ? reply.type("text/csv; charset=utf-8").send(trackerExportToCsv(data))
      : reply.type("application/json; charset=utf-8").send(data);
  });

  http.get("/exposure", async (request, reply) => {
    const context = await web.context(request, reply);
    return web.send(reply, context, {
      title: W[context.lang].how,
      body: EXPOSURE_TEXT[context.lang],
    });
  });
}

// A summary of docs/EXPOSURE.md (which is not shipped in the image): the numbers and their sources.
const EXPOSURE_TEXT: Record<Language, string> = {
  fr: `<h1>Comment ces chiffres sont calculés</h1>
<p><strong>Exposition</strong>, en heures-contact de référence (RCH), pour chaque rencontre : personnes présentes × min(heures × lieu × distance × voix × masque des autres × mon masque, 4,29). Multiplicateurs du microCOVID Project (CC BY 4.0) : intérieur 1, aéré 0,25, dehors 0,05 ; moins de 30 cm 2, 1 m 1, 2 m 0,5, 3 m 0,25 ; voix basse 0,2, normale 1, forte 5 ; masques des autres tissu 1/3, chirurgical 1/4, FFP2 1/6 ; le mien 2/3, 1/2, 1/3. Un champ laissé vide prend la valeur de référence (intérieur, sans masque, 1 m, voix normale, 1 h).</p>
<p><strong>Mode pandémie</strong> : avec l'incidence hebdomadaire locale, des microCOVIDs (RCH × 0,14 × risque par personne) face aux budgets de 200 ou 20 par semaine du microCOVID Project.</p>
<p><strong>La bande</strong> (réglable) : plancher 1 rencontre satisfaisante par semaine, cible 3 (Teo et al. 2015) ; plafond 10 RCH par semaine et 15 personnes en 14 jours (des conventions, pas des résultats).</p>
<p><strong>Dernières rencontres</strong> : un rappel pour le cercle intime après 7 jours, le cercle proche après 30 (couches de Dunbar).</p>
<p>Ces chiffres sont propres au COVID, issus d'études d'observation, et incertains d'un facteur 3 environ. Le détail et les sources : docs/EXPOSURE.md dans le code de Socialdapres.</p>`,
  en: `<h1>How these numbers are computed</h1>
<p><strong>Exposure</strong>, in reference contact-hours (RCH), for each encounter: people present × min(hours × setting × distance × voice × their masks × my mask, 4.29). Multipliers from the microCOVID Project (CC BY 4.0): indoors 1, ventilated 0.25, outdoors 0.05; under 30 cm 2, 1 m 1, 2 m 0.5, 3 m 0.25; quiet 0.2, normal 1, loud 5; their masks cloth 1/3, surgical 1/4, FFP2 1/6; mine 2/3, 1/2, 1/3. An empty field takes the reference value (indoors, no masks, 1 m, normal voice, 1 h).</p>
<p><strong>Pandemic mode</strong>: with the local weekly incidence, microCOVIDs (RCH × 0.14 × person risk) against the microCOVID Project's budgets of 200 or 20 a week.</p>
<p><strong>The band</strong> (adjustable): floor 1 satisfying encounter a week, target 3 (Teo et al. 2015); ceiling 10 RCH a week and 15 people in 14 days (conventions, not findings).</p>
<p><strong>Last seen</strong>: a reminder for the intimate circle after 7 days, the close circle after 30 (Dunbar's layers).</p>
<p>These numbers are COVID-specific, observational, and uncertain by a factor of about 3. The details and sources: docs/EXPOSURE.md in Socialdapres's source code.</p>`,
};
