import { describe, expect, it } from "vitest";
import { MASKS, SETTINGS } from "../../src/db/schema/tracker.ts";
import {
  type ExposureFields,
  encounterRch,
  GROUP_SIZE_LABELS,
  groupSizeOf,
  hoursFactor,
  microcovids,
  othersCount,
  personRisk,
  RCH_CAP_PER_PERSON,
  underreportingFactor,
} from "../../src/exposure/model/model.ts";

// One hour, one other person, every field at its baseline: 1 RCH.
const base = {
  othersPresent: 1,
  durationMinutes: 60,
  setting: "indoors",
  distance: "one_metre",
  voice: "normal",
  theirMask: "none",
  myMask: "none",
} as const;

describe("encounterRch multipliers (microCOVID Project)", () => {
  it("is 1 RCH for one hour with one person at the baseline", () => {
    expect(encounterRch(base)).toBe(1);
  });

  it.each([
    ["indoors", 1],
    ["ventilated", 0.25],
    ["outdoors", 0.05],
  ] as const)("setting %s multiplies by %d", (setting, factor) => {
    expect(encounterRch({ ...base, setting })).toBeCloseTo(factor, 12);
  });

  it.each([
    ["close", 2],
    ["one_metre", 1],
    ["two_metres", 0.5],
    ["three_metres", 0.25],
  ] as const)("distance %s multiplies by %d", (distance, factor) => {
    expect(encounterRch({ ...base, distance })).toBeCloseTo(factor, 12);
  });

  it.each([
    ["quiet", 0.2],
    ["normal", 1],
    ["loud", 5],
  ] as const)("voice %s multiplies by %d (capped at 4.29)", (voice, factor) => {
    expect(encounterRch({ ...base, voice })).toBeCloseTo(Math.min(factor, 4.29), 12);
  });

  it.each([
    ["none", 1],
    ["cloth", 1 / 3],
    ["surgical", 1 / 4],
    ["ffp2", 1 / 6],
  ] as const)("their mask %s multiplies by %d", (theirMask, factor) => {
    expect(encounterRch({ ...base, theirMask })).toBeCloseTo(factor, 12);
  });

  it.each([
    ["none", 1],
    ["cloth", 2 / 3],
    ["surgical", 1 / 2],
    ["ffp2", 1 / 3],
  ] as const)("my mask %s multiplies by %d", (myMask, factor) => {
    expect(encounterRch({ ...base, myMask })).toBeCloseTo(factor, 12);
  });

  it("multiplies every factor together, then by the number of others", () => {
    // 3 others × (1.5 h × 0.25 ventilated × 2 close × 5 loud × 1/4 surgical × 1/3 ffp2)
    // = 3 × (1.5 × 0.25 × 2 × 5 / 12) = 3 × 0.3125 = 0.9375
    const rch = encounterRch({
      othersPresent: 3,
      durationMinutes: 90,
      setting: "ventilated",
      distance: "close",
      voice: "loud",
      theirMask: "surgical",
      myMask: "ffp2",
    });
    expect(rch).toBeCloseTo(0.9375, 12);
  });

  it("caps each person's exposure at 4.29 RCH (0.6 / 0.14)", () => {
    expect(RCH_CAP_PER_PERSON).toBeCloseTo(0.6 / 0.14, 2);
    // 10 h at the baseline would be 10 RCH per person; capped at 4.29, × 2 people = 8.58.
    expect(encounterRch({ ...base, othersPresent: 2, durationMinutes: 600 })).toBeCloseTo(8.58, 12);
    // 2 h loud and close: 2 × 2 × 5 = 20 → 4.29.
    expect(encounterRch({ ...base, durationMinutes: 120, distance: "close", voice: "loud" })).toBe(
      4.29,
    );
    // Just under the cap stays as it is: 4 h × 1 = 4.
    expect(encounterRch({ ...base, durationMinutes: 240 })).toBe(4);
  });

  it("caps per person, not per encounter: 20 people for 1 h outdoors is 20 × 0.05 = 1", () => {
    expect(encounterRch({ ...base, othersPresent: 20, setting: "outdoors" })).toBeCloseTo(1, 12);
  });
});

describe("defaults for unknown fields", () => {
  const rchWith = (fields: ExposureFields) => encounterRch({ ...base, ...fields });
  const riskiest = <F extends "setting" | "theirMask" | "myMask">(
    field: F,
    values: ReadonlyArray<NonNullable<ExposureFields[F]>>,
  ) => Math.max(...values.map((value) => rchWith({ [field]: value })));

  it.each([undefined, null])(
    "an empty setting or mask (%s) counts as the riskiest one: indoors, unmasked",
    (empty) => {
      expect(rchWith({ setting: empty })).toBe(riskiest("setting", SETTINGS));
      expect(rchWith({ theirMask: empty })).toBe(riskiest("theirMask", MASKS));
      expect(rchWith({ myMask: empty })).toBe(riskiest("myMask", MASKS));
    },
  );

  it.each([undefined, null])(
    "an empty distance, voice or duration (%s) counts as 1 m, a normal voice, one hour",
    (empty) => {
      expect(rchWith({ distance: empty })).toBe(rchWith({ distance: "one_metre" }));
      expect(rchWith({ voice: empty })).toBe(rchWith({ voice: "normal" }));
      expect(rchWith({ durationMinutes: empty })).toBe(rchWith({ durationMinutes: 60 }));
    },
  );

  it("counts a form left empty as one hour of baseline contact: 1 RCH a person", () => {
    expect(hoursFactor({})).toBe(1);
    expect(encounterRch({ othersPresent: 1 })).toBe(encounterRch(base));
  });

  it("still counts an encounter with no private data as one hour with each participant", () => {
    expect(encounterRch({}, 2)).toBe(2); // 2 participants × 1 h
    expect(encounterRch({ othersPresent: null }, 0)).toBe(1); // at least one person
  });

  it("takes the member's number of others over the number of participants named", () => {
    expect(othersCount({ othersPresent: 6 }, 2)).toBe(6);
    expect(othersCount({ othersPresent: null }, 3)).toBe(3);
    expect(othersCount({ othersPresent: 0 }, 0)).toBe(1);
    // 6 others, 30 min, rest default: 6 × 0.5 = 3 RCH.
    expect(encounterRch({ othersPresent: 6, durationMinutes: 30 }, 2)).toBe(3);
  });
});

describe("pandemic mode (microCOVIDs)", () => {
  it("computes the under-reporting factor: 1000 / (day + 10) × √positivity + 2", () => {
    // 2020-02-22 is day 10: 1000 / 20 × √0.04 + 2 = 50 × 0.2 + 2 = 12.
    expect(underreportingFactor(0.04, new Date("2020-02-22T00:00:00Z"))).toBeCloseTo(12, 10);
    // 2026-02-10 is day 2190 (6 × 365 + 2 leap days − 2): 1000 / 2200 × √0.01 + 2 = 2.0454545…
    expect(underreportingFactor(0.01, new Date("2026-02-10T00:00:00Z"))).toBeCloseTo(2.0454545, 6);
    // Unknown positivity is the worst case, 100 %: 1000 / 2200 + 2 = 2.4545454…
    expect(underreportingFactor(null, new Date("2026-02-10T00:00:00Z"))).toBeCloseTo(2.4545454, 6);
  });

  it("turns incidence into person risk and RCH into microCOVIDs (worked example)", () => {
    const at = new Date("2026-02-10T00:00:00Z");
    // 50 weekly cases per 100,000 = 0.0005; × 2.0454545 = 0.00102273.
    const risk = personRisk(50, 0.01, at);
    expect(risk).toBeCloseTo(0.00102273, 8);
    // A dinner with 3 people for 2 hours: 6 RCH × 0.14 × 0.00102273 × 1e6 = 859.09 µCOVIDs.
    expect(microcovids(6, risk)).toBeCloseTo(859.09, 1);
    // One RCH: 0.14 × 1022.73 = 143.18, under the 200/week standard budget.
    expect(microcovids(1, risk)).toBeCloseTo(143.18, 1);
  });
});

describe("group sizes", () => {
  it.each([
    [1, "tete_a_tete"],
    [2, "petit_comite"],
    [5, "petit_comite"],
    [6, "groupe"],
    [14, "groupe"],
    [15, "grand_groupe"],
    [200, "grand_groupe"],
  ] as const)("%d others is %s", (others, label) => {
    expect(groupSizeOf(others)).toBe(label);
  });

  it("has French and English labels", () => {
    expect(GROUP_SIZE_LABELS.tete_a_tete.fr).toBe("tête-à-tête");
    expect(GROUP_SIZE_LABELS.petit_comite.fr).toBe("petit comité");
    expect(GROUP_SIZE_LABELS.groupe.fr).toBe("groupe");
    expect(GROUP_SIZE_LABELS.grand_groupe.fr).toBe("grand groupe");
    expect(GROUP_SIZE_LABELS.grand_groupe.en).toBe("large group");
  });
});
