import { BUDGETS_MICROCOVIDS, type Budget } from "./model.ts";

/*
 * The weekly band and the status of a week. Floor and target come from
 * Teo et al. 2015; the ceiling and the distinct-people limit are conventions
 * (docs/EXPOSURE.md says which is which).
 */

export interface Band {
  /** Satisfying in-person encounters a week below which the week is "isolé·e". */
  floor: number;
  /** What to aim for; reaching it changes no status, the chart shows it. */
  target: number;
  /** RCH a week above which the week is "sur-exposé·e" (without pandemic data). */
  ceilingRch: number;
  /** Distinct people over 14 days above which the week is "sur-exposé·e". */
  distinctPeopleLimit: number;
  pandemicMode: boolean;
  /** Weekly cases per 100,000; pandemic mode needs it. */
  weeklyIncidence: number | null;
  /** Share of tests positive, 0–1; unknown is taken as the worst case. */
  testPositivity: number | null;
  budget: Budget;
}

export const DEFAULT_BAND: Readonly<Band> = {
  floor: 1,
  target: 3,
  ceilingRch: 10,
  distinctPeopleLimit: 15,
  pandemicMode: false,
  weeklyIncidence: null,
  testPositivity: null,
  budget: "standard",
};

const NULLABLE = new Set(["weeklyIncidence", "testPositivity"]);

/** The defaults with a member's settings on top (null or absent fields keep the default). */
export function bandOf(overrides: Partial<Band> | null | undefined): Band {
  const band: Record<string, unknown> = { ...DEFAULT_BAND };
  for (const [key, value] of Object.entries(overrides ?? {})) {
    // Null means "no figure" for the pandemic data, "not set" for the rest.
    if (!(key in DEFAULT_BAND) || value === undefined) continue;
    if (value === null && !NULLABLE.has(key)) continue;
    band[key] = value;
  }
  return band as unknown as Band;
}

/** Pandemic mode counts only with an incidence figure; otherwise the RCH ceiling applies. */
export function pandemicActive(band: Band): boolean {
  return band.pandemicMode && band.weeklyIncidence != null;
}

export const STATUSES = ["isole", "equilibre", "surexpose", "expose_mais_isole"] as const;
export type Status = (typeof STATUSES)[number];

export const STATUS_LABELS: Readonly<Record<Status, { fr: string; en: string }>> = {
  isole: { fr: "isolé·e", en: "isolated" },
  equilibre: { fr: "équilibré·e", en: "balanced" },
  surexpose: { fr: "sur-exposé·e", en: "over-exposed" },
  expose_mais_isole: { fr: "exposé·e mais isolé·e", en: "exposed but isolated" },
};

export type Reason =
  | "under_floor"
  | "over_ceiling"
  | "over_budget"
  | "over_people_limit"
  | "much_contact_little_satisfying";

/** What decides a week's status. */
export interface WeekFigures {
  satisfyingCount: number;
  /** Distinct people met this week (for "much contact"). */
  distinctPeople: number;
  /** Distinct people met over the 14 days ending with this week. */
  distinctPeople14d: number;
  rch: number;
  /** Set when pandemic mode is active. */
  microcovids?: number | null;
}

/** "Much contact": half the ceiling (or budget) reached, or this many people met. */
export const MUCH_CONTACT_PEOPLE = 5;

/**
 * The status of a week, most urgent first:
 * 1. `surexpose`: RCH over the ceiling (or microCOVIDs over the budget in
 *    pandemic mode), or more distinct people over 14 days than the limit;
 * 2. `expose_mais_isole`: under the floor while exposure reached half the
 *    ceiling (or half the budget) or at least 5 distinct people were met;
 * 3. `isole`: under the floor;
 * 4. `equilibre` otherwise.
 * `reasons` lists every condition met, so a page can say all of it.
 */
export function weekStatus(
  figures: WeekFigures,
  band: Band,
): { status: Status; reasons: Reason[]; reachedTarget: boolean } {
  const reasons: Reason[] = [];
  const pandemic = pandemicActive(band) && figures.microcovids != null;
  const budget = BUDGETS_MICROCOVIDS[band.budget];
  const exposure = pandemic ? (figures.microcovids as number) : figures.rch;
  const limit = pandemic ? budget : band.ceilingRch;
  if (exposure > limit) reasons.push(pandemic ? "over_budget" : "over_ceiling");
  if (figures.distinctPeople14d > band.distinctPeopleLimit) reasons.push("over_people_limit");
  const underFloor = figures.satisfyingCount < band.floor;
  if (underFloor) reasons.push("under_floor");
  const muchContact = exposure >= limit / 2 || figures.distinctPeople >= MUCH_CONTACT_PEOPLE;
  if (underFloor && muchContact) reasons.push("much_contact_little_satisfying");

  let status: Status = "equilibre";
  if (reasons.includes("over_ceiling") || reasons.includes("over_budget")) status = "surexpose";
  else if (reasons.includes("over_people_limit")) status = "surexpose";
  else if (reasons.includes("much_contact_little_satisfying")) status = "expose_mais_isole";
  else if (underFloor) status = "isole";
  return { status, reasons, reachedTarget: figures.satisfyingCount >= band.target };
}
