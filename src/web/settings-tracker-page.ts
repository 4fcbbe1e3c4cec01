import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Member } from "../accounts/members-service.ts";
import type { NotificationsService } from "../encounters/notifications-service.ts";
import type { InstanceIncidenceStore } from "../exposure/instance-incidence.ts";
import { TRACKER_LIMITS, trackerSettingsPatchSchema } from "../exposure/tracker-settings-input.ts";
import type {
  TrackerSettingsService,
  TrackerSettingsView,
} from "../exposure/tracker-settings-service.ts";
import { nextQuestionTime } from "../exposure/weekly-question-time.ts";
import { DomainError } from "../shared/errors.ts";
import { escapeHtml } from "../shared/html.ts";
import { dateTimeFormat, numberFormat } from "../shared/intl.ts";
import {
  checkbox,
  type FieldErrors,
  type FormValues,
  fieldError,
  fill,
  formError,
  invalidAttrs,
  notice,
  selectField,
} from "./form-kit.ts";
import { type Language, LOCALES } from "./i18n.ts";
import type { WebKit } from "./web-kit.ts";

/*
 * /settings/tracker: the weekly question's day, hour and time zone, the band, pandemic mode
 * and its figures, the acknowledgement and auto co-signing. The same schema and service as
 * PATCH /api/socialdapres/v1/tracker/settings; the page only says the limits in words.
 */

export interface TrackerSettingsPageDeps {
  web: WebKit;
  settings: Pick<TrackerSettingsService, "get" | "update">;
  notifications: Pick<NotificationsService, "settings" | "updateSettings">;
  instanceIncidence: Pick<InstanceIncidenceStore, "get">;
  now?: () => Date;
}

const W = {
  fr: {
    title: "Réglages du suivi",
    intro: "Visible de toi seul·e : ces réglages ne sont ni publiés ni envoyés ailleurs.",
    saved: "Réglages enregistrés.",
    question: "La question de la semaine",
    questionEnabled: "Me poser la question chaque semaine",
    questionDay: "Jour",
    questionHour: "Heure",
    timeZone: "Fuseau horaire",
    timeZoneHint: "Un nom IANA, par exemple Europe/Paris, America/Montreal, Indian/Reunion.",
    next: "Prochaine question : {when}.",
    acknowledge:
      "Quand tu réponds en message privé, me dire en retour l'état de ta semaine (dans ce message privé)",
    band: "Ta bande",
    bandHint:
      "Le plancher et la cible en rencontres satisfaisantes par semaine ; le plafond d'exposition en heures-contact de référence (RCH) par semaine ; la limite de personnes différentes sur 14 jours.",
    floor: "Plancher",
    target: "Cible",
    ceilingRch: "Plafond (RCH par semaine)",
    distinctPeopleLimit: "Personnes différentes sur 14 jours, au plus",
    pandemic: "Mode pandémie",
    pandemicMode: "Compter en microCOVIDs avec l'incidence locale",
    instanceFigures:
      "Chiffres de l'instance : {incidence} cas pour 100 000 par semaine, positivité des tests {positivity}. Tes chiffres, s'il y en a, passent avant.",
    noInstanceFigures:
      "L'instance n'indique pas d'incidence : sans chiffre (le tien ou le sien), le mode pandémie ne compte pas et le plafond en RCH s'applique.",
    unknown: "inconnue",
    weeklyIncidence: "Ton incidence locale (cas pour 100 000 par semaine, facultatif)",
    testPositivity: "Positivité des tests (%, facultatif)",
    budget: "Budget",
    budgets: {
      standard: "200 microCOVIDs par semaine (standard)",
      high_caution: "20 microCOVIDs par semaine (grande prudence)",
    },
    cosign: "Co-signature",
    autoCosign:
      "Co-signer d'office les rencontres où me nomment les personnes que je suis (sinon je confirme chacune)",
    save: "Enregistrer",
    whole: "Un nombre entier de {min} à {max}.",
    number: "Un nombre de {min} à {max}.",
    badTimeZone: "Un fuseau horaire IANA, par exemple Europe/Paris.",
    badBudget: "Choisis un des budgets proposés.",
    targetBelowFloor: "La cible doit être au moins égale au plancher.",
    invalid: "Vérifie les champs signalés.",
  },
  en: {
    title: "Tracker settings",
    intro: "Visible to you alone: these settings are neither published nor sent anywhere.",
    saved: "Settings saved.",
    question: "The weekly question",
    questionEnabled: "Ask me the question every week",
    questionDay: "Day",
    questionHour: "Hour",
    timeZone: "Time zone",
    timeZoneHint: "An IANA name, such as Europe/Paris, America/Montreal, Indian/Reunion.",
    next: "Next question: {when}.",
    acknowledge:
      "When you answer by private message, tell you this week's status in return (in that private message)",
    band: "Your band",
    bandHint:
      "The floor and target in satisfying encounters a week; the exposure ceiling in reference contact-hours (RCH) a week; the limit of different people over 14 days.",
    floor: "Floor",
    target: "Target",
    ceilingRch: "Ceiling (RCH a week)",
    distinctPeopleLimit: "Different people over 14 days, at most",
    pandemic: "Pandemic mode",
    pandemicMode: "Count in microCOVIDs with the local incidence",
    instanceFigures:
      "The instance's figures: {incidence} cases per 100,000 a week, test positivity {positivity}. Yours, if any, come first.",
    noInstanceFigures:
      "The instance gives no incidence: without a figure (yours or its), pandemic mode does not count and the RCH ceiling applies.",
    unknown: "unknown",
    weeklyIncidence: "Your local incidence (cases per 100,000 a week, optional)",
    testPositivity: "Test positivity (%, optional)",
    budget: "Budget",
    budgets: {
      standard: "200 microCOVIDs a week (standard)",
      high_caution: "20 microCOVIDs a week (high caution)",
    },
    cosign: "Co-signing",
    autoCosign:
      "Co-sign at once the encounters where people I follow name me (otherwise I confirm each)",
    save: "Save",
    whole: "A whole number from {min} to {max}.",
    number: "A number from {min} to {max}.",
    badTimeZone: "An IANA time zone, such as Europe/Paris.",
    badBudget: "Choose one of the budgets offered.",
    targetBelowFloor: "The target must be at least the floor.",
    invalid: "Check the fields marked.",
  },
} as const;

/** A few zones of French-speaking places, offered while typing; any IANA zone is accepted. */
const ZONES = [
  "Europe/Paris",
  "Europe/Brussels",
  "Europe/Zurich",
  "Europe/Luxembourg",
  "Europe/Monaco",
  "America/Montreal",
  "America/Toronto",
  "America/Martinique",
  "America/Guadeloupe",
  "America/Cayenne",
  "Indian/Reunion",
  "Indian/Mayotte",
  "Pacific/Noumea",
  "Pacific/Tahiti",
  "Africa/Dakar",
  "Africa/Abidjan",
  "Africa/Casablanca",
  "Africa/Tunis",
  "Africa/Kinshasa",
  "Europe/London",
  "UTC",
];
/** Monday first, as the weeks are counted; 0 = Sunday as stored. */
const DAYS = [1, 2, 3, 4, 5, 6, 0];
const NUMBERS = [
  "floor",
  "target",
  "ceilingRch",
  "distinctPeopleLimit",
  "weeklyIncidence",
  "testPositivity",
] as const;
const OPTIONAL = new Set(["weeklyIncidence", "testPositivity"]);
const BOXES = ["questionEnabled", "acknowledgeWithStatus", "pandemicMode", "autoCosign"] as const;

const dayName = (lang: Language, day: number) =>
  // 2024-01-07 was a Sunday.
  dateTimeFormat(LOCALES[lang], { weekday: "long", timeZone: "UTC" }).format(
    new Date(Date.UTC(2024, 0, 7 + day)),
  );
const hourName = (lang: Language, hour: number) =>
  lang === "fr" ? `${hour} h` : `${String(hour).padStart(2, "0")}:00`;

function valuesOf(settings: TrackerSettingsView, autoCosign: boolean): FormValues {
  const text = (n: number | null) => (n === null ? "" : String(n));
  return {
    questionEnabled: settings.questionEnabled ? "on" : "",
    acknowledgeWithStatus: settings.acknowledgeWithStatus ? "on" : "",
    pandemicMode: settings.pandemicMode ? "on" : "",
    autoCosign: autoCosign ? "on" : "",
    questionDay: String(settings.questionDay),
    questionHour: String(settings.questionHour),
    timeZone: settings.timeZone,
    floor: text(settings.floor),
    target: text(settings.target),
    ceilingRch: text(settings.ceilingRch),
    distinctPeopleLimit: text(settings.distinctPeopleLimit),
    weeklyIncidence: text(settings.weeklyIncidence),
    // A share in the API, a percentage on the page.
    testPositivity:
      settings.testPositivity === null
        ? ""
        : String(Math.round(settings.testPositivity * 1e4) / 100),
    budget: settings.budget,
  };
}

/** The posted form as the API's patch, the words of its errors, and what was typed. */
function readForm(body: unknown, lang: Language) {
  const w = W[lang];
  const raw = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value === "string") values[key] = value.slice(0, 200);
  }
  const errors: FieldErrors = {};
  const limitWords = (field: keyof typeof TRACKER_LIMITS) => {
    const { min, max, integer } = TRACKER_LIMITS[field];
    const scale = field === "testPositivity" ? 100 : 1;
    const n = (x: number) => numberFormat(LOCALES[lang], {}).format(x * scale);
    return fill(integer ? w.whole : w.number, { min: n(min), max: n(max) });
  };
  const patch: Record<string, unknown> = {
    timeZone: (values.timeZone ?? "").trim(),
    budget: values.budget,
    questionDay: Number(values.questionDay),
    questionHour: Number(values.questionHour),
  };
  for (const box of BOXES) patch[box] = values[box] === "on";
  for (const field of NUMBERS) {
    const typed = (values[field] ?? "").trim().replace(",", ".");
    if (typed === "" && OPTIONAL.has(field)) patch[field] = null;
    else if (typed === "") errors[field] = limitWords(field);
    else patch[field] = Number(typed) / (field === "testPositivity" ? 100 : 1);
  }
  const { autoCosign, ...rest } = patch;
  const parsed = trackerSettingsPatchSchema.safeParse(rest);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0] ?? "form");
      errors[field] ??=
        field in TRACKER_LIMITS
          ? limitWords(field as keyof typeof TRACKER_LIMITS)
          : field === "timeZone"
            ? w.badTimeZone
            : field === "budget"
              ? w.badBudget
              : w.invalid;
    }
  }
  return { patch: parsed.data, autoCosign: autoCosign === true, values, errors };
}

export function registerTrackerSettingsPage(
  scope: FastifyInstance,
  deps: TrackerSettingsPageDeps,
): void {
  const { web } = deps;
  const now = deps.now ?? (() => new Date());

  async function page(
    request: FastifyRequest,
    reply: FastifyReply,
    member: Member,
    state: { values?: FormValues; errors?: FieldErrors; saved?: boolean; status?: number },
  ) {
    const context = await web.context(request, reply);
    const { lang } = context;
    const w = W[lang];
    const [settings, named, instance] = await Promise.all([
      deps.settings.get(member.id),
      deps.notifications.settings(member.username),
      deps.instanceIncidence.get(),
    ]);
    const values = state.values ?? valuesOf(settings, named.autoCosignFromFollowed);
    const errors = state.errors ?? {};
    const when = dateTimeFormat(LOCALES[lang], {
      weekday: "long",
      day: "numeric",
      month: "long",
      hour: "2-digit",
      minute: "2-digit",
      timeZone: settings.timeZone,
    }).format(
      nextQuestionTime(now(), settings.timeZone, settings.questionDay, settings.questionHour),
    );
    const figures =
      instance.weeklyIncidence === null
        ? escapeHtml(w.noInstanceFigures)
        : fill(w.instanceFigures, {
            incidence: numberFormat(LOCALES[lang], {}).format(instance.weeklyIncidence),
            positivity:
              instance.testPositivity === null
                ? w.unknown
                : numberFormat(LOCALES[lang], {
                    style: "percent",
                    maximumFractionDigits: 1,
                  }).format(instance.testPositivity),
          });
    const body = `<h1>${escapeHtml(w.title)}</h1>
<p>${escapeHtml(w.intro)}</p>
${state.saved ? notice(w.saved) : ""}${formError(errors)}
<form method="post" action="/settings/tracker" class="settings" novalidate>
${context.csrfField()}
<fieldset><legend>${escapeHtml(w.question)}</legend>
${checkbox(values, "questionEnabled", w.questionEnabled)}
${selectField(
  values,
  errors,
  "questionDay",
  w.questionDay,
  DAYS.map((d) => [String(d), dayName(lang, d)]),
)}
${selectField(
  values,
  errors,
  "questionHour",
  w.questionHour,
  Array.from({ length: 24 }, (_, h) => [String(h), hourName(lang, h)]),
)}
<p><label for="timeZone">${escapeHtml(w.timeZone)}</label>
<input id="timeZone" name="timeZone" type="text" list="time-zones" required maxlength="64" autocomplete="off" value="${escapeHtml(values.timeZone ?? "")}"${invalidAttrs(errors, "timeZone")}>
<datalist id="time-zones">${ZONES.map((z) => `<option value="${z}"></option>`).join("")}</datalist>
<small class="hint">${escapeHtml(w.timeZoneHint)}</small></p>
${fieldError(errors, "timeZone")}
${settings.questionEnabled ? `<p class="hint next-question">${fill(w.next, { when })}</p>` : ""}
${checkbox(values, "acknowledgeWithStatus", w.acknowledge)}
</fieldset>
<fieldset><legend>${escapeHtml(w.band)}</legend>
<p class="hint">${escapeHtml(w.bandHint)}</p>
${numberInput(values, errors, "floor", w.floor, "1")}
${numberInput(values, errors, "target", w.target, "1")}
${numberInput(values, errors, "ceilingRch", w.ceilingRch, "0.1")}
${numberInput(values, errors, "distinctPeopleLimit", w.distinctPeopleLimit, "1")}
</fieldset>
<fieldset><legend>${escapeHtml(w.pandemic)}</legend>
${checkbox(values, "pandemicMode", w.pandemicMode)}
<p class="hint">${figures}</p>
${numberInput(values, errors, "weeklyIncidence", w.weeklyIncidence, "any")}
${numberInput(values, errors, "testPositivity", w.testPositivity, "any")}
${selectField(values, errors, "budget", w.budget, Object.entries(w.budgets))}
</fieldset>
<fieldset><legend>${escapeHtml(w.cosign)}</legend>
${checkbox(values, "autoCosign", w.autoCosign)}
</fieldset>
<p><button type="submit">${escapeHtml(w.save)}</button></p>
</form>`;
    return web.send(reply, context, { title: w.title, body, status: state.status });
  }

  scope.get("/settings/tracker", async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const saved = (request.query as { saved?: unknown }).saved === "1";
    return page(request, reply, member, { saved });
  });

  scope.post("/settings/tracker", { preHandler: web.checkCsrf }, async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const { lang } = await web.context(request, reply);
    const { patch, autoCosign, values, errors } = readForm(request.body, lang);
    if (!patch || Object.keys(errors).length > 0) {
      return page(request, reply, member, { values, errors, status: 422 });
    }
    try {
      await deps.settings.update(member.id, patch);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const field = error.field ?? "form";
      const words = field === "target" ? W[lang].targetBelowFloor : error.message;
      return page(request, reply, member, { values, errors: { [field]: words }, status: 422 });
    }
    await deps.notifications.updateSettings(member.username, {
      autoCosignFromFollowed: autoCosign,
    });
    return reply.redirect("/settings/tracker?saved=1", 303);
  });
}

function numberInput(
  values: FormValues,
  errors: FieldErrors,
  name: (typeof NUMBERS)[number],
  label: string,
  step: string,
): string {
  const { min, max } = TRACKER_LIMITS[name];
  const scale = name === "testPositivity" ? 100 : 1;
  return `<p><label for="${name}">${escapeHtml(label)}</label>
<input id="${name}" name="${name}" type="number" inputmode="decimal" min="${min * scale}" max="${max * scale}" step="${step}"${OPTIONAL.has(name) ? "" : " required"} value="${escapeHtml(values[name] ?? "")}"${invalidAttrs(errors, name)}></p>
${fieldError(errors, name)}`;
}
