import type { DISTANCES, MASKS, SETTINGS, VOICES } from "../../db/schema/tracker.ts";

/*
 * The exposure model: plain functions over plain data, no database, no I/O.
 * Every number below is explained, with its source, in docs/EXPOSURE.md.
 * Multipliers, the cap and the budgets are the microCOVID Project's
 * (microcovid.org, CC BY 4.0).
 */

export type Setting = (typeof SETTINGS)[number];
export type Distance = (typeof DISTANCES)[number];
export type Mask = (typeof MASKS)[number];
export type Voice = (typeof VOICES)[number];

export const SETTING_MULTIPLIER: Readonly<Record<Setting, number>> = {
  indoors: 1,
  ventilated: 0.25,
  outdoors: 0.05,
};

export const DISTANCE_MULTIPLIER: Readonly<Record<Distance, number>> = {
  close: 2,
  one_metre: 1,
  two_metres: 0.5,
  three_metres: 0.25,
};

export const VOICE_MULTIPLIER: Readonly<Record<Voice, number>> = {
  quiet: 0.2,
  normal: 1,
  loud: 5,
};

/** The mask the other people wear: it filters what they breathe out. */
export const THEIR_MASK_MULTIPLIER: Readonly<Record<Mask, number>> = {
  none: 1,
  cloth: 1 / 3,
  surgical: 1 / 4,
  ffp2: 1 / 6,
};

/** The member's own mask: it filters less on the way in than on the way out. */
export const MY_MASK_MULTIPLIER: Readonly<Record<Mask, number>> = {
  none: 1,
  cloth: 2 / 3,
  surgical: 1 / 2,
  ffp2: 1 / 3,
};

/** microCOVID's chance of transmission per hour of indoor, unmasked, normal talk at 1 m. */
export const BASE_RATE_PER_HOUR = 0.14;
/** microCOVID's per-person cap (a partner's or housemate's risk). */
export const PER_PERSON_CAP = 0.6;
/** The cap in reference contact-hours: 0.6 / 0.14 ≈ 4.29 hours per person. */
export const RCH_CAP_PER_PERSON = 4.29;

/*
 * Defaults for fields the member left empty. They are the conservative
 * baseline (indoors, no masks, about 1 m, normal voice): an encounter logged
 * with nothing private still counts as one hour of contact with each
 * participant, so an empty form never hides exposure.
 */
export const DEFAULTS = {
  setting: "indoors",
  distance: "one_metre",
  voice: "normal",
  theirMask: "none",
  myMask: "none",
  durationMinutes: 60,
} as const satisfies {
  setting: Setting;
  distance: Distance;
  voice: Voice;
  theirMask: Mask;
  myMask: Mask;
  durationMinutes: number;
};

/** The private fields of one encounter, as stored (every one optional). */
export interface ExposureFields {
  othersPresent?: number | null;
  setting?: Setting | null;
  durationMinutes?: number | null;
  distance?: Distance | null;
  theirMask?: Mask | null;
  myMask?: Mask | null;
  voice?: Voice | null;
}

/**
 * How many other people were there: the member's number when given, else the
 * number of participants named, and at least one (an encounter is with someone).
 */
export function othersCount(fields: ExposureFields, participantCount: number): number {
  if (fields.othersPresent != null && fields.othersPresent > 0) return fields.othersPresent;
  return Math.max(1, participantCount);
}

/** Exposure per person, in hours, before the cap. */
export function hoursFactor(fields: ExposureFields): number {
  const hours = (fields.durationMinutes ?? DEFAULTS.durationMinutes) / 60;
  return (
    hours *
    SETTING_MULTIPLIER[fields.setting ?? DEFAULTS.setting] *
    DISTANCE_MULTIPLIER[fields.distance ?? DEFAULTS.distance] *
    VOICE_MULTIPLIER[fields.voice ?? DEFAULTS.voice] *
    THEIR_MASK_MULTIPLIER[fields.theirMask ?? DEFAULTS.theirMask] *
    MY_MASK_MULTIPLIER[fields.myMask ?? DEFAULTS.myMask]
  );
}

/**
 * One encounter's exposure in reference contact-hours (RCH):
 * `others × min(hours × setting × distance × voice × theirMask × myMask, 4.29)`.
 */
export function encounterRch(fields: ExposureFields, participantCount = 0): number {
  return othersCount(fields, participantCount) * Math.min(hoursFactor(fields), RCH_CAP_PER_PERSON);
}

/* ---------- Pandemic mode ---------- */

export const BUDGETS_MICROCOVIDS = { standard: 200, high_caution: 20 } as const;
export type Budget = keyof typeof BUDGETS_MICROCOVIDS;

/** Day 0 of the under-reporting formula (covid19-projections.com, used by microCOVID). */
const UNDERREPORTING_DAY_0 = Date.UTC(2020, 1, 12);
const MS_PER_DAY = 86_400_000;

/**
 * How many true infections per reported case, from the test positivity
 * (0–1; unknown: 1, the worst case, as microCOVID does), by Youyang Gu's
 * formula as used in microCOVID's calculator:
 * `1000 / (days since 2020-02-12 + 10) × √positivity + 2`.
 */
export function underreportingFactor(testPositivity: number | null, at: Date): number {
  const positivity = testPositivity == null ? 1 : Math.min(1, Math.max(0, testPositivity));
  const day = Math.max(0, (at.getTime() - UNDERREPORTING_DAY_0) / MS_PER_DAY);
  return (1000 / (day + 10)) * Math.sqrt(positivity) + 2;
}

/**
 * The chance that a random person around is contagious: reported weekly cases
 * per person × the under-reporting factor (microCOVID's "person risk"; its
 * delay factor for rising cases is left out: we ask for no trend).
 */
export function personRisk(
  weeklyIncidencePer100k: number,
  testPositivity: number | null,
  at: Date,
): number {
  return (weeklyIncidencePer100k / 100_000) * underreportingFactor(testPositivity, at);
}

/** microCOVIDs (one-in-a-million chances of infection) of an exposure in RCH. */
export function microcovids(rch: number, risk: number): number {
  return rch * BASE_RATE_PER_HOUR * risk * 1e6;
}

/* ---------- Group sizes ---------- */

export const GROUP_SIZES = ["tete_a_tete", "petit_comite", "groupe", "grand_groupe"] as const;
export type GroupSize = (typeof GROUP_SIZES)[number];

export const GROUP_SIZE_LABELS: Readonly<Record<GroupSize, { fr: string; en: string }>> = {
  tete_a_tete: { fr: "tête-à-tête", en: "one-to-one" },
  petit_comite: { fr: "petit comité", en: "small group" },
  groupe: { fr: "groupe", en: "group" },
  grand_groupe: { fr: "grand groupe", en: "large group" },
};

/** Group size by the number of other people present: 1, 2–5, 6–14, 15+. */
export function groupSizeOf(others: number): GroupSize {
  if (others <= 1) return "tete_a_tete";
  if (others <= 5) return "petit_comite";
  if (others <= 14) return "groupe";
  return "grand_groupe";
}
