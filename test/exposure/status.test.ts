import { describe, expect, it } from "vitest";
import {
  bandOf,
  DEFAULT_BAND,
  pandemicActive,
  STATUS_LABELS,
  weekStatus,
} from "../../src/exposure/model/status.ts";

const band = DEFAULT_BAND; // floor 1, target 3, ceiling 10 RCH, 15 people / 14 days

const week = (over: Partial<Parameters<typeof weekStatus>[0]>) => ({
  satisfyingCount: 1,
  distinctPeople: 2,
  distinctPeople14d: 3,
  rch: 3,
  ...over,
});

describe("weekStatus (default band)", () => {
  it("isolé·e: no satisfying encounter and little contact (2 RCH < 5, 1 person)", () => {
    const r = weekStatus(week({ satisfyingCount: 0, rch: 2, distinctPeople: 1 }), band);
    expect(r.status).toBe("isole");
    expect(r.reasons).toEqual(["under_floor"]);
  });

  it("isolé·e: an empty week", () => {
    const r = weekStatus(
      week({ satisfyingCount: 0, rch: 0, distinctPeople: 0, distinctPeople14d: 0 }),
      band,
    );
    expect(r.status).toBe("isole");
  });

  it("équilibré·e: one satisfying dinner with 3 friends for 2 h (6 RCH ≤ 10)", () => {
    const r = weekStatus(week({ satisfyingCount: 1, rch: 6, distinctPeople: 3 }), band);
    expect(r.status).toBe("equilibre");
    expect(r.reasons).toEqual([]);
    expect(r.reachedTarget).toBe(false); // 1 < target 3
  });

  it("équilibré·e at the target, and exactly at the ceiling (10 is not over 10)", () => {
    const r = weekStatus(week({ satisfyingCount: 3, rch: 10 }), band);
    expect(r.status).toBe("equilibre");
    expect(r.reachedTarget).toBe(true);
  });

  it("sur-exposé·e: over the ceiling (two 3-hour dinners with 2 people: 2 × 6 = 12 RCH)", () => {
    const r = weekStatus(week({ satisfyingCount: 2, rch: 12 }), band);
    expect(r.status).toBe("surexpose");
    expect(r.reasons).toEqual(["over_ceiling"]);
  });

  it("sur-exposé·e: 16 distinct people in 14 days even with little RCH", () => {
    const r = weekStatus(week({ rch: 2, distinctPeople14d: 16 }), band);
    expect(r.status).toBe("surexpose");
    expect(r.reasons).toEqual(["over_people_limit"]);
    // 15 is the limit itself: not over it.
    expect(weekStatus(week({ rch: 2, distinctPeople14d: 15 }), band).status).toBe("equilibre");
  });

  it("exposé·e mais isolé·e: 5 RCH (half the ceiling) and nothing satisfying", () => {
    const r = weekStatus(week({ satisfyingCount: 0, rch: 5, distinctPeople: 1 }), band);
    expect(r.status).toBe("expose_mais_isole");
    expect(r.reasons).toEqual(["under_floor", "much_contact_little_satisfying"]);
    // Just under half the ceiling with few people: merely isolé·e.
    expect(
      weekStatus(week({ satisfyingCount: 0, rch: 4.99, distinctPeople: 4 }), band).status,
    ).toBe("isole");
  });

  it("exposé·e mais isolé·e: 5 people met, 1 RCH, nothing satisfying", () => {
    const r = weekStatus(week({ satisfyingCount: 0, rch: 1, distinctPeople: 5 }), band);
    expect(r.status).toBe("expose_mais_isole");
  });

  it("sur-exposé·e wins over exposé·e mais isolé·e, and the reasons say both", () => {
    const r = weekStatus(week({ satisfyingCount: 0, rch: 12 }), band);
    expect(r.status).toBe("surexpose");
    expect(r.reasons).toEqual(["over_ceiling", "under_floor", "much_contact_little_satisfying"]);
  });

  it("follows a member's own band", () => {
    const mine = bandOf({ floor: 2, ceilingRch: 4, distinctPeopleLimit: 5 });
    expect(weekStatus(week({ satisfyingCount: 1, rch: 1 }), mine).status).toBe("isole");
    expect(weekStatus(week({ satisfyingCount: 2, rch: 4.5 }), mine).status).toBe("surexpose");
    expect(weekStatus(week({ satisfyingCount: 2, distinctPeople14d: 6 }), mine).status).toBe(
      "surexpose",
    );
  });
});

describe("weekStatus in pandemic mode", () => {
  const pandemic = bandOf({ pandemicMode: true, weeklyIncidence: 50, testPositivity: 0.01 });

  it("judges exposure by the microCOVID budget (200/week) instead of the RCH ceiling", () => {
    // 12 RCH would be over the 10 RCH ceiling, but 150 µCOVIDs is within 200.
    const within = weekStatus(week({ rch: 12, microcovids: 150 }), pandemic);
    expect(within.status).toBe("equilibre");
    const over = weekStatus(week({ rch: 1, microcovids: 250 }), pandemic);
    expect(over.status).toBe("surexpose");
    expect(over.reasons).toEqual(["over_budget"]);
  });

  it("uses 20/week for high caution, and half of it for exposé·e mais isolé·e", () => {
    const cautious = bandOf({ ...pandemic, budget: "high_caution" });
    expect(weekStatus(week({ microcovids: 21 }), cautious).status).toBe("surexpose");
    expect(
      weekStatus(week({ satisfyingCount: 0, distinctPeople: 1, microcovids: 10 }), cautious).status,
    ).toBe("expose_mais_isole");
  });

  it("falls back to the RCH ceiling without an incidence figure", () => {
    const noData = bandOf({ pandemicMode: true, weeklyIncidence: null });
    expect(pandemicActive(noData)).toBe(false);
    expect(weekStatus(week({ rch: 12 }), noData).reasons).toEqual(["over_ceiling"]);
  });
});

describe("bandOf and labels", () => {
  it("keeps the defaults for absent or null settings", () => {
    expect(bandOf(null)).toEqual(DEFAULT_BAND);
    expect(bandOf({ floor: undefined, target: null as unknown as number })).toEqual(DEFAULT_BAND);
    expect(bandOf({ target: 5 }).target).toBe(5);
  });

  it("has French and English labels for every status", () => {
    expect(STATUS_LABELS).toEqual({
      isole: { fr: "isolé·e", en: "isolated" },
      equilibre: { fr: "équilibré·e", en: "balanced" },
      surexpose: { fr: "sur-exposé·e", en: "over-exposed" },
      expose_mais_isole: { fr: "exposé·e mais isolé·e", en: "exposed but isolated" },
    });
  });
});
