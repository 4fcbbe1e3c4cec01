import { Temporal } from "@js-temporal/polyfill";
import { dateTimeFormat } from "../../shared/intl.ts";

/*
 * Weeks follow the member's time zone and start on Monday (ISO weeks). A week
 * is named by its Monday, "YYYY-MM-DD", the same string as
 * weekly_questions.week_start. Temporal does the calendar arithmetic, so a
 * week that holds a DST change is 167 or 169 hours long, as it should be.
 */

/** Whether `name` is a time zone this runtime knows (an IANA name such as "Europe/Paris"). */
export function isValidTimeZone(name: string): boolean {
  // Offsets such as "+02:00" are valid for Intl but follow no DST: not a member's zone.
  if (typeof name !== "string" || !/^[A-Za-z]/.test(name)) return false;
  try {
    // Intl reads zone names without regard to ASCII case: one kept format per zone.
    dateTimeFormat("en", { timeZone: name.replace(/[A-Z]/g, (c) => c.toLowerCase()) });
    return true;
  } catch {
    return false;
  }
}

function assertTimeZone(timeZone: string): void {
  if (!isValidTimeZone(timeZone)) {
    throw new RangeError(`unknown time zone "${timeZone}": use an IANA name such as Europe/Paris`);
  }
}

/** The local calendar date of an instant in a time zone. */
export function localDateOf(instant: Date, timeZone: string): Temporal.PlainDate {
  assertTimeZone(timeZone);
  return Temporal.Instant.fromEpochMilliseconds(instant.getTime())
    .toZonedDateTimeISO(timeZone)
    .toPlainDate();
}

/** The Monday ("YYYY-MM-DD") of the local week that holds `instant`. */
export function weekStartOf(instant: Date, timeZone: string): string {
  const day = localDateOf(instant, timeZone);
  return day.subtract({ days: day.dayOfWeek - 1 }).toString();
}

function parseMonday(weekStart: string): Temporal.PlainDate {
  let day: Temporal.PlainDate;
  try {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(weekStart)) throw new RangeError("format");
    day = Temporal.PlainDate.from(weekStart, { overflow: "reject" });
  } catch {
    throw new RangeError(`week start "${weekStart}" is not a date: use YYYY-MM-DD`);
  }
  if (day.dayOfWeek !== 1) throw new RangeError(`week start "${weekStart}" is not a Monday`);
  return day;
}

/** The first instant of a local day (midnight, or later where DST skips midnight). */
function startOfDay(day: Temporal.PlainDate, timeZone: string): Date {
  return new Date(day.toZonedDateTime({ timeZone }).epochMilliseconds);
}

/**
 * The instants a local week covers: `start` inclusive (Monday 00:00 local),
 * `end` exclusive (the next Monday 00:00 local).
 */
export function weekBounds(weekStart: string, timeZone: string): { start: Date; end: Date } {
  assertTimeZone(timeZone);
  const monday = parseMonday(weekStart);
  return {
    start: startOfDay(monday, timeZone),
    end: startOfDay(monday.add({ weeks: 1 }), timeZone),
  };
}

/** The Monday `weeks` weeks after (or before, when negative) `weekStart`. */
export function addWeeks(weekStart: string, weeks: number): string {
  return parseMonday(weekStart).add({ weeks }).toString();
}

/** The `count` week starts ending with the week of `now`, oldest first. */
export function lastWeekStarts(now: Date, timeZone: string, count: number): string[] {
  const current = weekStartOf(now, timeZone);
  return Array.from({ length: count }, (_, i) => addWeeks(current, i - count + 1));
}
