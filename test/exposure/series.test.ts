import { describe, expect, it } from "vitest";
import { buildWeeklySeries, type TrackedEncounter } from "../../src/exposure/model/series.ts";

const alice = { actorIri: "https://example.social/users/alice" };
const tz = "Europe/Paris";
// Wednesday 2026-03-25, 13:00 in Paris: the series ends with the week of Monday 2026-03-23.
const now = new Date("2026-03-25T12:00:00Z");

const encounters: TrackedEncounter[] = [
  // Week of 03-02 (only for the 14-day count of 03-09): ten people named.
  {
    occurredAt: new Date("2026-03-04T18:00:00Z"),
    participants: Array.from({ length: 10 }, (_, i) => ({ plainName: `P${i}` })),
    setting: "outdoors",
  },
  // Week of 03-16: a satisfying dinner, 3 others, 2 h indoors → 3 × 2 = 6 RCH.
  {
    occurredAt: new Date("2026-03-17T19:00:00Z"),
    participants: [alice, { plainName: "Léa" }, { plainName: "Tom" }],
    othersPresent: 3,
    durationMinutes: 120,
    setting: "indoors",
    satisfying: true,
  },
  // A loud evening, 8 others (1 named), 1 h ventilated → 8 × (0.25 × 5) = 10 RCH.
  {
    occurredAt: new Date("2026-03-19T20:00:00Z"),
    participants: [alice],
    othersPresent: 8,
    durationMinutes: 60,
    setting: "ventilated",
    voice: "loud",
    satisfying: false,
  },
  // Sunday 2026-03-22 23:30 in Paris (22:30Z): still the week of 03-16; no private data → 1 RCH.
  { occurredAt: new Date("2026-03-22T22:30:00Z"), participants: [{ plainName: "Zoé" }] },
  // Monday 2026-03-23 00:30 in Paris (23:30Z the day before): the week of 03-23; 1 RCH.
  { occurredAt: new Date("2026-03-22T23:30:00Z"), participants: [{ plainName: "tom" }] },
  // After `now`: ignored.
  { occurredAt: new Date("2026-03-27T12:00:00Z"), participants: [{ plainName: "Later" }] },
];

const checkins = [{ weekStart: "2026-03-09", answer: "yes" as const, count: 2 }];

describe("buildWeeklySeries", () => {
  const series = buildWeeklySeries({ encounters, checkins, timeZone: tz, weeks: 3, now });

  it("returns N local weeks, newest last", () => {
    expect(series.map((w) => w.weekStart)).toEqual(["2026-03-09", "2026-03-16", "2026-03-23"]);
  });

  it("counts a check-in's 'oui 2' as two satisfying encounters, and looks 14 days back", () => {
    expect(series[0]).toMatchObject({
      weekStart: "2026-03-09",
      encounterCount: 0,
      satisfyingCount: 2,
      distinctPeople: 0,
      distinctPeople14d: 10, // the ten of the week before
      rch: 0,
      status: "equilibre",
    });
    expect(series[0]).not.toHaveProperty("microcovids");
  });

  it("adds the week's RCH and people, anonymous others counting as new people", () => {
    // 6 + 10 + 1 = 17 RCH > 10: sur-exposé·e.
    // People: alice, léa, tom, zoé + 7 unnamed at the loud evening = 11.
    expect(series[1]).toMatchObject({
      weekStart: "2026-03-16",
      encounterCount: 3,
      satisfyingCount: 1,
      distinctPeople: 11,
      distinctPeople14d: 11,
      rch: 17,
      status: "surexpose",
      reasons: ["over_ceiling"],
      groupSizes: { tete_a_tete: 1, petit_comite: 1, groupe: 1, grand_groupe: 0 },
    });
  });

  it("puts Monday 00:30 local in the new week; unknown 'satisfying' does not count", () => {
    // Only "tom" (same person as "Tom"): 14 days = the 11 of last week.
    expect(series[2]).toMatchObject({
      weekStart: "2026-03-23",
      encounterCount: 1,
      satisfyingCount: 0,
      distinctPeople: 1,
      distinctPeople14d: 11,
      rch: 1,
      status: "isole",
    });
  });

  it("gives microCOVIDs and judges by the budget in pandemic mode", () => {
    const pandemic = buildWeeklySeries({
      encounters,
      timeZone: tz,
      weeks: 3,
      now,
      band: { pandemicMode: true, weeklyIncidence: 50, testPositivity: 0.01 },
    });
    // Week of 03-16 starts 2026-03-15T23:00Z, day 2222.958 of the formula:
    // factor = 1000 / 2232.958 × √0.01 + 2 = 2.044783; risk = 0.0005 × 2.044783 = 0.00102239;
    // 17 RCH × 0.14 × 0.00102239 × 1e6 = 2433.3 µCOVIDs > 200.
    expect(pandemic[1]?.microcovids).toBeCloseTo(2433.3, 0);
    expect(pandemic[1]?.status).toBe("surexpose");
    expect(pandemic[1]?.reasons).toEqual(["over_budget"]);
    // 1 RCH → 143.1 µCOVIDs: within 200 but over half of it (100) with nothing satisfying,
    // so exposé·e mais isolé·e (without pandemic mode, 1 RCH < 5 was merely isolé·e).
    expect(pandemic[2]?.microcovids).toBeCloseTo(143.1, 0);
    expect(pandemic[2]?.status).toBe("expose_mais_isole");
  });

  it("sees 16 distinct people over 14 days as sur-exposé·e", () => {
    const crowd: TrackedEncounter[] = [
      {
        occurredAt: new Date("2026-03-17T12:00:00Z"),
        participants: Array.from({ length: 8 }, (_, i) => ({ plainName: `A${i}` })),
        setting: "outdoors",
        durationMinutes: 30,
        satisfying: true,
      },
      {
        occurredAt: new Date("2026-03-24T12:00:00Z"),
        participants: Array.from({ length: 8 }, (_, i) => ({ plainName: `B${i}` })),
        setting: "outdoors",
        durationMinutes: 30,
        satisfying: true,
      },
    ];
    const [, last] = buildWeeklySeries({ encounters: crowd, timeZone: tz, weeks: 2, now });
    // 8 × (0.5 h × 0.05) = 0.2 RCH, but 8 + 8 = 16 people in 14 days > 15.
    expect(last).toMatchObject({ rch: 0.2, distinctPeople14d: 16, status: "surexpose" });
    expect(last?.reasons).toEqual(["over_people_limit"]);
  });
});
