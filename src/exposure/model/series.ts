import { type PersonRef, personKey } from "./last-seen.ts";
import {
  type ExposureFields,
  encounterRch,
  GROUP_SIZES,
  type GroupSize,
  groupSizeOf,
  microcovids,
  othersCount,
  personRisk,
} from "./model.ts";
import {
  type Band,
  bandOf,
  pandemicActive,
  type Reason,
  type Status,
  weekStatus,
} from "./status.ts";
import { addWeeks, lastWeekStarts, weekBounds, weekStartOf } from "./weeks.ts";

/*
 * The weekly series: N local weeks, newest last, each with its figures and
 * status. The caller reads the encounters of the N weeks plus the week
 * before (the 14-day people count of the oldest week needs it).
 */

export interface TrackedEncounter extends ExposureFields {
  occurredAt: Date;
  /** Unknown (null) counts as not satisfying: only a "yes" fills the floor. */
  satisfying?: boolean | null;
  participants: readonly PersonRef[];
}

/** A weekly check-in: "oui 2" says two satisfying encounters, "oui" at least one. */
export interface Checkin {
  weekStart: string;
  answer: "yes" | "no";
  count?: number | null;
}

export interface WeekSummary {
  weekStart: string;
  encounterCount: number;
  /** The larger of the satisfying encounters logged and the check-in's count. */
  satisfyingCount: number;
  distinctPeople: number;
  distinctPeople14d: number;
  rch: number;
  /** Present only when pandemic mode is on with an incidence figure. */
  microcovids?: number;
  status: Status;
  reasons: Reason[];
  reachedTarget: boolean;
  groupSizes: Record<GroupSize, number>;
}

export interface SeriesInput {
  encounters: readonly TrackedEncounter[];
  checkins?: readonly Checkin[];
  /** The member's settings; absent fields take the defaults. */
  band?: Partial<Band> | null;
  timeZone: string;
  weeks: number;
  now: Date;
}

interface Bucket {
  encounters: TrackedEncounter[];
  people: Set<string>;
}

/*
 * People without a name or an IRI (others present beyond those named) cannot
 * be matched across encounters, so each counts as someone new: a party of 30
 * strangers is 30 people towards the limit.
 */
function peopleOf(encounter: TrackedEncounter, index: number): string[] {
  const keys = new Set<string>();
  for (const p of encounter.participants) {
    const key = personKey(p);
    if (key) keys.add(key);
  }
  const named = keys.size;
  const others = othersCount(encounter, encounter.participants.length);
  for (let i = named; i < others; i++) keys.add(`anonymous:${index}:${i}`);
  return [...keys];
}

function checkinCount(checkin: Checkin | undefined): number {
  if (!checkin || checkin.answer === "no") return 0;
  return Math.max(1, checkin.count ?? 1);
}

/** Round for display and stable JSON: exposure figures are ~3× uncertain anyway. */
const round2 = (n: number): number => Math.round(n * 100) / 100;

export function buildWeeklySeries(input: SeriesInput): WeekSummary[] {
  const band = bandOf(input.band);
  const weeks = lastWeekStarts(input.now, input.timeZone, input.weeks);
  const before = addWeeks(weeks[0] as string, -1);
  const buckets = new Map<string, Bucket>();
  for (const week of [before, ...weeks]) buckets.set(week, { encounters: [], people: new Set() });
  input.encounters.forEach((encounter, index) => {
    if (encounter.occurredAt.getTime() > input.now.getTime()) return;
    const bucket = buckets.get(weekStartOf(encounter.occurredAt, input.timeZone));
    if (!bucket) return;
    bucket.encounters.push(encounter);
    for (const key of peopleOf(encounter, index)) bucket.people.add(key);
  });
  const checkins = new Map((input.checkins ?? []).map((c) => [c.weekStart, c]));

  return weeks.map((weekStart) => {
    const bucket = buckets.get(weekStart) as Bucket;
    const previous = buckets.get(addWeeks(weekStart, -1)) as Bucket;
    const groupSizes = Object.fromEntries(GROUP_SIZES.map((g) => [g, 0])) as Record<
      GroupSize,
      number
    >;
    let rch = 0;
    let satisfying = 0;
    for (const e of bucket.encounters) {
      rch += encounterRch(e, e.participants.length);
      if (e.satisfying === true) satisfying++;
      groupSizes[groupSizeOf(othersCount(e, e.participants.length))]++;
    }
    const satisfyingCount = Math.max(satisfying, checkinCount(checkins.get(weekStart)));
    const people14d = new Set([...bucket.people, ...previous.people]);
    let micro: number | undefined;
    if (pandemicActive(band)) {
      const risk = personRisk(
        band.weeklyIncidence as number,
        band.testPositivity,
        weekBounds(weekStart, input.timeZone).start,
      );
      micro = round2(microcovids(rch, risk));
    }
    const figures = {
      satisfyingCount,
      distinctPeople: bucket.people.size,
      distinctPeople14d: people14d.size,
      rch: round2(rch),
    };
    const summary: WeekSummary = {
      weekStart,
      encounterCount: bucket.encounters.length,
      ...figures,
      ...weekStatus({ ...figures, microcovids: micro }, band),
      groupSizes,
    };
    if (micro !== undefined) summary.microcovids = micro;
    return summary;
  });
}
