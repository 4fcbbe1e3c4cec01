import { describe, expect, it } from "vitest";
import { dateTimeFormat, MAX_CACHED_FORMATS } from "../src/shared/intl.ts";
import { LOCALES } from "../src/web/i18n.ts";

const DAY = { dateStyle: "long", timeZone: "UTC" } as const;
const INSTANT = { dateStyle: "long", timeStyle: "short", timeZone: "UTC" } as const;

describe("dateTimeFormat", () => {
  it("gives the same object for the same locale and options, built once", () => {
    const first = dateTimeFormat(LOCALES.fr, DAY);
    expect(dateTimeFormat(LOCALES.fr, DAY)).toBe(first);
    // Equal options written anew are the same key.
    expect(dateTimeFormat("fr-FR", { dateStyle: "long", timeZone: "UTC" })).toBe(first);
  });

  it("gives distinct objects for another language, style or time zone", () => {
    const formats = [
      dateTimeFormat(LOCALES.fr, DAY),
      dateTimeFormat(LOCALES.en, DAY),
      dateTimeFormat(LOCALES.fr, INSTANT),
      dateTimeFormat(LOCALES.en, INSTANT),
      dateTimeFormat(LOCALES.fr, { ...DAY, timeZone: "Europe/Paris" }),
    ];
    expect(new Set(formats).size).toBe(formats.length);
  });

  it("formats exactly as a new Intl.DateTimeFormat does", () => {
    const dates = [new Date("2026-03-29T01:30:00Z"), new Date("2021-11-05T23:59:00Z")];
    for (const locale of Object.values(LOCALES)) {
      for (const options of [DAY, INSTANT, { ...INSTANT, timeZone: "Pacific/Chatham" }]) {
        for (const date of dates) {
          expect(dateTimeFormat(locale, options).format(date)).toBe(
            new Intl.DateTimeFormat(locale, options).format(date),
          );
        }
      }
    }
  });

  it("keeps nothing for options Intl refuses", () => {
    expect(() => dateTimeFormat("en", { timeZone: "Mars/Olympus" })).toThrow(RangeError);
    expect(() => dateTimeFormat("en", { timeZone: "Mars/Olympus" })).toThrow(RangeError);
  });

  it("is bounded: past the bound the oldest format is dropped and built again when asked", () => {
    const oldest = dateTimeFormat("en", { timeZone: "Asia/Tokyo", weekday: "short" });
    // Options Intl ignores still make distinct keys: enough to fill the cache.
    for (let i = 0; i < MAX_CACHED_FORMATS; i++) {
      dateTimeFormat("en", { timeZone: "UTC", filler: i } as Intl.DateTimeFormatOptions);
    }
    const again = dateTimeFormat("en", { timeZone: "Asia/Tokyo", weekday: "short" });
    expect(again).not.toBe(oldest);
    expect(dateTimeFormat("en", { timeZone: "Asia/Tokyo", weekday: "short" })).toBe(again);
  });
});
