import { Temporal } from "@js-temporal/polyfill";
import { weekStartOf } from "./model/weeks.ts";

/**
 * When this week's question is due: the Monday of the local week and the local
 * `day` (0 = Sunday … 6 = Saturday) at `hour` in it. An hour skipped by DST
 * moves forward (02:00 → 03:00), as Temporal's "compatible" disambiguation does.
 */
export function questionTimeOf(
  now: Date,
  timeZone: string,
  day: number,
  hour: number,
): { weekStart: string; askAt: Date } {
  const weekStart = weekStartOf(now, timeZone);
  const askDay = Temporal.PlainDate.from(weekStart).add({ days: (day + 6) % 7 });
  const askAt = askDay.toZonedDateTime({ timeZone, plainTime: new Temporal.PlainTime(hour) });
  return { weekStart, askAt: new Date(askAt.epochMilliseconds) };
}

/** The next time the question is due after `now`: this week's, or next week's once it passed. */
export function nextQuestionTime(now: Date, timeZone: string, day: number, hour: number): Date {
  const { askAt } = questionTimeOf(now, timeZone, day, hour);
  if (askAt > now) return askAt;
  return questionTimeOf(new Date(now.getTime() + 7 * 86_400_000), timeZone, day, hour).askAt;
}
