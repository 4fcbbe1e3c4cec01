import { describe, expect, it } from "vitest";
import {
  addWeeks,
  isValidTimeZone,
  lastWeekStarts,
  weekBounds,
  weekStartOf,
} from "../../src/exposure/model/weeks.ts";

const HOUR = 3_600_000;
const hours = (b: { start: Date; end: Date }) => (b.end.getTime() - b.start.getTime()) / HOUR;

describe("weekStartOf", () => {
  it("puts Sunday 23:30 and Monday 00:30 local time in different weeks (Paris, summer time)", () => {
    // Sunday 2026-03-29 23:30 CEST (UTC+2) = 21:30Z; Monday 00:30 CEST = 22:30Z.
    expect(weekStartOf(new Date("2026-03-29T21:30:00Z"), "Europe/Paris")).toBe("2026-03-23");
    expect(weekStartOf(new Date("2026-03-29T22:30:00Z"), "Europe/Paris")).toBe("2026-03-30");
  });

  it("uses local time, not UTC: Monday 00:30 in Paris is still Sunday in UTC", () => {
    // Monday 2026-01-05 00:30 CET (UTC+1) = Sunday 2026-01-04 23:30Z.
    const instant = new Date("2026-01-04T23:30:00Z");
    expect(weekStartOf(instant, "Europe/Paris")).toBe("2026-01-05");
    expect(weekStartOf(instant, "UTC")).toBe("2025-12-29");
    // The same instant is Sunday 18:30 in New York (UTC−5).
    expect(weekStartOf(instant, "America/New_York")).toBe("2025-12-29");
  });

  it("handles Pacific/Chatham's quarter-hour offset (UTC+13:45 in summer)", () => {
    // Sunday 2026-01-04 10:14Z = Sunday 23:59 local; 10:15Z = Monday 00:00 local.
    expect(weekStartOf(new Date("2026-01-04T10:14:00Z"), "Pacific/Chatham")).toBe("2025-12-29");
    expect(weekStartOf(new Date("2026-01-04T10:15:00Z"), "Pacific/Chatham")).toBe("2026-01-05");
  });

  it("rejects an unknown time zone", () => {
    expect(() => weekStartOf(new Date(), "Mars/Olympus")).toThrow(RangeError);
  });
});

describe("weekBounds across DST changes", () => {
  it("Paris spring forward (2026-03-29): a 167-hour week", () => {
    const b = weekBounds("2026-03-23", "Europe/Paris");
    // Monday 00:00 CET = 23:00Z the day before; next Monday 00:00 CEST = 22:00Z.
    expect(b.start.toISOString()).toBe("2026-03-22T23:00:00.000Z");
    expect(b.end.toISOString()).toBe("2026-03-29T22:00:00.000Z");
    expect(hours(b)).toBe(167);
  });

  it("Paris fall back (2026-10-25): a 169-hour week", () => {
    const b = weekBounds("2026-10-19", "Europe/Paris");
    expect(b.start.toISOString()).toBe("2026-10-18T22:00:00.000Z");
    expect(b.end.toISOString()).toBe("2026-10-25T23:00:00.000Z");
    expect(hours(b)).toBe(169);
  });

  it("New York spring forward (2026-03-08) and fall back (2026-11-01)", () => {
    const spring = weekBounds("2026-03-02", "America/New_York");
    expect(spring.start.toISOString()).toBe("2026-03-02T05:00:00.000Z"); // EST, UTC−5
    expect(spring.end.toISOString()).toBe("2026-03-09T04:00:00.000Z"); // EDT, UTC−4
    expect(hours(spring)).toBe(167);
    const fall = weekBounds("2026-10-26", "America/New_York");
    expect(fall.start.toISOString()).toBe("2026-10-26T04:00:00.000Z");
    expect(fall.end.toISOString()).toBe("2026-11-02T05:00:00.000Z");
    expect(hours(fall)).toBe(169);
  });

  it("Pacific/Chatham spring forward (2026-09-27, +12:45 → +13:45)", () => {
    const b = weekBounds("2026-09-21", "Pacific/Chatham");
    expect(b.start.toISOString()).toBe("2026-09-20T11:15:00.000Z");
    expect(b.end.toISOString()).toBe("2026-09-27T10:15:00.000Z");
    expect(hours(b)).toBe(167);
  });

  it("agrees with weekStartOf at both edges", () => {
    const b = weekBounds("2026-10-19", "Europe/Paris");
    expect(weekStartOf(b.start, "Europe/Paris")).toBe("2026-10-19");
    expect(weekStartOf(new Date(b.end.getTime() - 1), "Europe/Paris")).toBe("2026-10-19");
    expect(weekStartOf(b.end, "Europe/Paris")).toBe("2026-10-26");
  });

  it("rejects a week start that is not a Monday or not a date", () => {
    expect(() => weekBounds("2026-03-24", "Europe/Paris")).toThrow(/not a Monday/);
    expect(() => weekBounds("2026-02-30", "Europe/Paris")).toThrow(/not a date/);
    expect(() => weekBounds("next week", "Europe/Paris")).toThrow(/not a date/);
    expect(() => weekBounds("2026-03-23", "Paris")).toThrow(/time zone/);
  });
});

describe("isValidTimeZone", () => {
  it("accepts IANA names and rejects the rest", () => {
    expect(isValidTimeZone("Europe/Paris")).toBe(true);
    expect(isValidTimeZone("America/New_York")).toBe(true);
    expect(isValidTimeZone("Pacific/Chatham")).toBe(true);
    expect(isValidTimeZone("UTC")).toBe(true);
    expect(isValidTimeZone("Mars/Olympus")).toBe(false);
    expect(isValidTimeZone("")).toBe(false);
    expect(isValidTimeZone("+02:00")).toBe(false);
  });

  it("answers the same whatever the ASCII case of the name, and only that", () => {
    expect(isValidTimeZone("europe/paris")).toBe(true);
    expect(isValidTimeZone("EUROPE/PARIS")).toBe(true);
    // The Kelvin sign lowercases to "k", yet Intl refuses it: the check folds ASCII only.
    expect(isValidTimeZone("Europe/\u212Aiev")).toBe(false);
  });
});

describe("week arithmetic", () => {
  it("adds weeks across a year end", () => {
    expect(addWeeks("2025-12-29", 1)).toBe("2026-01-05");
    expect(addWeeks("2026-01-05", -2)).toBe("2025-12-22");
  });

  it("lists the last N weeks, oldest first, ending with the current one", () => {
    // Wednesday 2026-03-25 in Paris.
    expect(lastWeekStarts(new Date("2026-03-25T12:00:00Z"), "Europe/Paris", 3)).toEqual([
      "2026-03-09",
      "2026-03-16",
      "2026-03-23",
    ]);
  });
});
