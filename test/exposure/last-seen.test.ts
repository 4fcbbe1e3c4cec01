import { describe, expect, it } from "vitest";
import { lastSeenList, personKey, reminders } from "../../src/exposure/model/last-seen.ts";

const now = new Date("2026-03-31T12:00:00Z");
const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);
const alice = "https://example.social/users/alice";

describe("personKey", () => {
  it("prefers the actor IRI and normalises plain names", () => {
    expect(personKey({ actorIri: alice, plainName: "Alice" })).toBe(`actor:${alice}`);
    expect(personKey({ plainName: "  Léa   Martin " })).toBe("name:léa martin");
    expect(personKey({ plainName: "léa martin" })).toBe("name:léa martin");
    expect(personKey({ plainName: "  " })).toBeNull();
  });
});

describe("lastSeenList", () => {
  it("keeps each person's most recent encounter and latest circle", () => {
    const list = lastSeenList(
      [
        { occurredAt: daysAgo(20), participants: [{ actorIri: alice, circle: "close" }] },
        { occurredAt: daysAgo(3), participants: [{ actorIri: alice }, { plainName: "Léa" }] },
        { occurredAt: daysAgo(10), participants: [{ plainName: " léa ", circle: "friends" }] },
        { occurredAt: daysAgo(-1), participants: [{ plainName: "Future" }] }, // ignored
      ],
      now,
    );
    expect(list.map((p) => [p.key, p.daysSince, p.circle])).toEqual([
      [`actor:${alice}`, 3, "close"],
      ["name:léa", 3, "friends"],
    ]);
  });

  it("points out intimate people unseen for 7 days and close ones for 30 days", () => {
    const encounters = [
      // Intimate, seen 6 days 23 h ago: not yet.
      {
        occurredAt: new Date(daysAgo(7).getTime() + 3_600_000),
        participants: [{ plainName: "Sam", circle: "intimate" as const }],
      },
      // Intimate, exactly 7 days ago: pointed out.
      { occurredAt: daysAgo(7), participants: [{ plainName: "Kim", circle: "intimate" as const }] },
      // Close, 29 days: not yet; close, 30 days: pointed out.
      { occurredAt: daysAgo(29), participants: [{ plainName: "Noor", circle: "close" as const }] },
      { occurredAt: daysAgo(30), participants: [{ plainName: "Ana", circle: "close" as const }] },
      // Friends and weak ties are never pointed out, however long ago.
      { occurredAt: daysAgo(200), participants: [{ plainName: "Bo", circle: "friends" as const }] },
      {
        occurredAt: daysAgo(200),
        participants: [{ plainName: "Cy", circle: "weak_tie" as const }],
      },
      { occurredAt: daysAgo(200), participants: [{ plainName: "Dee" }] },
    ];
    expect(reminders(encounters, now).map((p) => [p.plainName, p.daysSince])).toEqual([
      ["Ana", 30],
      ["Kim", 7],
    ]);
  });
});
