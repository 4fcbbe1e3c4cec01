import { Temporal } from "@js-temporal/polyfill";
import type { InstanceIncidenceStore } from "./instance-incidence.ts";
import { type Circle, lastSeenList } from "./model/last-seen.ts";
import { BUDGETS_MICROCOVIDS } from "./model/model.ts";
import { buildWeeklySeries, type TrackedEncounter as ModelEncounter } from "./model/series.ts";
import { type Band, bandOf, pandemicActive, type Status } from "./model/status.ts";
import { addWeeks, lastWeekStarts, localDateOf } from "./model/weeks.ts";
import type { TrackedEncounter, TrackerRepository } from "./tracker-repository.ts";

/*
 * Reads one member's tracker and hands it to the pure model (series.ts, status.ts,
 * last-seen.ts): no formula lives here, only the translation from rows to the model's
 * input and from its output to what the API and the dashboard show.
 */

export const MAX_WEEKS = 104;
/** How far back "last seen" looks: older encounters no longer drive a reminder. */
const LAST_SEEN_DAYS = 730;

export interface WeekPoint {
  weekStart: string;
  satisfyingEncounters: number;
  encounters: number;
  distinctPeople: number;
  rch: number;
  /** Only in pandemic mode (with an incidence figure). */
  microcovids?: number;
  status: Status;
}

export interface SeriesView {
  weeks: WeekPoint[];
  band: Band;
  /** What the chart's exposure line shows, and its ceiling in that unit. */
  unit: "rch" | "microcovids";
  ceiling: number;
}

export interface LastSeenPerson {
  name: string;
  actorIri: string | null;
  circle: Circle | null;
  /** The local day last met, YYYY-MM-DD. */
  lastSeen: string;
  daysSince: number;
  reminder: boolean;
}

export interface SeriesService {
  series(memberId: string, weeks: number): Promise<SeriesView>;
  lastSeen(memberId: string): Promise<LastSeenPerson[]>;
}

/** The instant an encounter counts at: the start of its day in the member's zone, or when posted. */
function occurredAt(encounter: TrackedEncounter, timeZone: string): Date {
  if (!encounter.occurredOn) return encounter.publishedAt;
  const day = Temporal.PlainDate.from(encounter.occurredOn);
  return new Date(day.toZonedDateTime({ timeZone }).epochMilliseconds);
}

function toModel(encounter: TrackedEncounter, timeZone: string): ModelEncounter {
  const p = encounter.private;
  return {
    occurredAt: occurredAt(encounter, timeZone),
    othersPresent: p?.othersPresent ?? null,
    setting: p?.setting ?? null,
    durationMinutes: p?.durationMinutes ?? null,
    distance: p?.distance ?? null,
    theirMask: p?.theirMask ?? null,
    myMask: p?.myMask ?? null,
    voice: p?.voice ?? null,
    satisfying: p?.satisfying ?? null,
    participants: encounter.participants.map((x) => ({
      actorIri: x.actorIri,
      plainName: x.plainName,
      circle: x.circle,
    })),
  };
}

export function createSeriesService(deps: {
  repository: TrackerRepository;
  /** The instance's epidemic figures, used when the member set none. */
  instanceIncidence?: InstanceIncidenceStore;
  now?: () => Date;
}): SeriesService {
  const now = deps.now ?? (() => new Date());
  const { repository } = deps;

  return {
    async series(memberId, count) {
      const settings = await repository.settings(memberId);
      const at = now();
      const timeZone = settings.timeZone;
      const starts = lastWeekStarts(at, timeZone, count);
      // The week before the first one too: its people count in the first week's 14 days.
      // One day wider on each side, as the repository selects by UTC day.
      const from = Temporal.PlainDate.from(addWeeks(starts[0] as string, -1))
        .subtract({ days: 1 })
        .toString();
      const to = localDateOf(at, timeZone).add({ days: 1 }).toString();
      const [rows, checkins] = await Promise.all([
        repository.encountersBetween(memberId, from, to),
        repository.checkins(memberId, from, to),
      ]);
      const instance = (await deps.instanceIncidence?.get()) ?? {
        weeklyIncidence: null,
        testPositivity: null,
      };
      const band = bandOf({
        floor: settings.floor,
        target: settings.target,
        ceilingRch: settings.ceilingRch,
        distinctPeopleLimit: settings.distinctPeopleLimit,
        pandemicMode: settings.pandemicMode,
        weeklyIncidence: settings.weeklyIncidence ?? instance.weeklyIncidence,
        testPositivity: settings.testPositivity ?? instance.testPositivity,
        budget: settings.budget,
      });
      const summaries = buildWeeklySeries({
        encounters: rows.map((row) => toModel(row, timeZone)),
        checkins,
        band,
        timeZone,
        weeks: count,
        now: at,
      });
      const pandemic = pandemicActive(band);
      return {
        band,
        unit: pandemic ? "microcovids" : "rch",
        ceiling: pandemic ? BUDGETS_MICROCOVIDS[band.budget] : band.ceilingRch,
        weeks: summaries.map((s) => ({
          weekStart: s.weekStart,
          satisfyingEncounters: s.satisfyingCount,
          encounters: s.encounterCount,
          distinctPeople: s.distinctPeople,
          rch: s.rch,
          ...(s.microcovids !== undefined ? { microcovids: s.microcovids } : {}),
          status: s.status,
        })),
      };
    },

    async lastSeen(memberId) {
      const settings = await repository.settings(memberId);
      const at = now();
      const timeZone = settings.timeZone;
      const today = localDateOf(at, timeZone);
      const rows = await repository.encountersBetween(
        memberId,
        today.subtract({ days: LAST_SEEN_DAYS }).toString(),
        today.add({ days: 1 }).toString(),
      );
      // The name shown: the one on the most recent encounter with that person.
      const names = new Map<string, string>();
      for (const row of rows) {
        for (const p of row.participants) {
          names.set(p.actorIri ? `actor:${p.actorIri}` : (p.plainName ?? ""), p.name);
        }
      }
      return lastSeenList(
        rows.map((row) => toModel(row, timeZone)),
        at,
      ).map((person) => ({
        name:
          (person.actorIri ? names.get(`actor:${person.actorIri}`) : undefined) ??
          person.plainName ??
          person.actorIri ??
          "",
        actorIri: person.actorIri,
        circle: person.circle,
        lastSeen: localDateOf(person.lastSeen, timeZone).toString(),
        daysSince: person.daysSince,
        reminder: person.reminder,
      }));
    },
  };
}
