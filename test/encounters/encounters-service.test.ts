import { sql } from "drizzle-orm";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countGraphemes } from "../../src/encounters/encounter-input.ts";
import { localDateOf } from "../../src/exposure/model/weeks.ts";
import { isDomainError } from "../../src/shared/errors.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";

describe(`encounters: authoring (${databaseLabel})`, () => {
  let t: TestApp;
  const counts = async () => {
    const [row] = await t.app.database.rows<{ e: number; p: number }>(
      sql`select (select count(*)::int from encounters) as e, (select count(*)::int from encounter_participants) as p`,
    );
    return row;
  };

  beforeAll(async () => {
    t = await buildTestApp();
    await Promise.all([
      t.app.members.create({ username: "bea", password: "bea-password-123" }),
      t.app.members.create({ username: "antoine", password: "antoine-password-1" }),
    ]);
  });
  afterAll(() => t.close());

  it("creates an encounter with plain names and a local member, and notifies the member", async () => {
    const view = await t.app.encounters.create("bea", {
      text: "Ravie d'avoir croisé Antoine et Marie au café 👩‍👩‍👧",
      participants: ["@antoine", "Marie Curie"],
      keywords: ["BrightMirror", "#café", "brightmirror", "東京"],
      details: { emotion: "joie", howTheyAre: "Il va bien." },
    });
    expect(view.text).toBe("Ravie d'avoir croisé Antoine et Marie au café 👩‍👩‍👧");
    expect(view.keywords).toEqual(["BrightMirror", "café", "東京"]);
    expect(view.participants.map((p) => p.actor?.username ?? p.plainName)).toEqual([
      "antoine",
      "Marie Curie",
    ]);
    expect(view.visibility).toBe("public");
    expect(view.occurredOn).toBe(localDateOf(new Date(), "Europe/Paris").toString());
    expect(view.iri).toBe(t.app.urls.encounter("bea", view.id).href);
    expect(view.url).toBe(t.app.urls.encounterPage("bea", view.id).href);
    const [notification] = await t.app.database.rows<{ kind: string; encounter_id: string }>(
      sql`select n.kind, n.encounter_id from notifications n join members m on m.id = n.member_id where m.username = 'antoine'`,
    );
    expect(notification).toEqual({ kind: "named_in_encounter", encounter_id: view.id });
  });

  it("dates an undated encounter on the member's own calendar, not UTC's", async () => {
    // At every hour, one of these zones is on another calendar day than UTC.
    const zone = new Date().getUTCHours() >= 10 ? "Pacific/Kiritimati" : "Pacific/Pago_Pago";
    const member = await t.app.members.requireByUsername("bea");
    await t.app.trackerSettings.update(member.member.id, { timeZone: zone });
    try {
      const before = new Date();
      const view = await t.app.encounters.create("bea", { text: "Tard", participants: ["Léa"] });
      const after = new Date();
      expect(view.occurredOn).not.toBe(before.toISOString().slice(0, 10));
      expect([localDateOf(before, zone).toString(), localDateOf(after, zone).toString()]).toContain(
        view.occurredOn,
      );
    } finally {
      await t.app.trackerSettings.update(member.member.id, { timeZone: "Europe/Paris" });
    }
  });

  it("counts characters as people do: 280 emoji with modifiers fit, 281 do not", async () => {
    const family = "👩‍👩‍👧";
    expect(countGraphemes(family.repeat(280))).toBe(280);
    await t.app.encounters.create("bea", { text: family.repeat(280), participants: ["Marie"] });
    await expect(
      t.app.encounters.create("bea", { text: family.repeat(281), participants: ["Marie"] }),
    ).rejects.toThrow(/text must be at most 280 characters/);
  });

  const bad: Array<[string, Record<string, unknown>, RegExp]> = [
    ["no text", { participants: ["Marie"] }, /text is required/],
    ["blank text", { text: "   ", participants: ["Marie"] }, /text is required/],
    ["no participant", { text: "Hi", participants: [] }, /name at least one person/],
    ["participants missing", { text: "Hi" }, /name at least one person/],
    [
      "too many participants",
      { text: "Hi", participants: Array.from({ length: 21 }, (_, i) => `P${i}`) },
      /at most 20/,
    ],
    [
      "11 keywords",
      { text: "Hi", participants: ["M"], keywords: Array.from({ length: 11 }, (_, i) => `k${i}`) },
      /keywords must be at most 10/,
    ],
    [
      "keyword with a space",
      { text: "Hi", participants: ["M"], keywords: ["two words"] },
      /keywords.0 must be 1 to 50 letters/,
    ],
    [
      "keyword with punctuation",
      { text: "Hi", participants: ["M"], keywords: ["a-b"] },
      /letters, digits or underscores/,
    ],
    [
      "unknown visibility",
      { text: "Hi", participants: ["M"], visibility: "secret" },
      /visibility must be one of/,
    ],
    [
      "long detail",
      { text: "Hi", participants: ["M"], details: { emotion: "x".repeat(201) } },
      /details.emotion must be at most 200/,
    ],
    ["unknown detail", { text: "Hi", participants: ["M"], details: { mood: "ok" } }, /details/],
    [
      "not a date",
      { text: "Hi", participants: ["M"], occurredOn: "yesterday" },
      /occurredOn must be a date/,
    ],
    ["future date", { text: "Hi", participants: ["M"], occurredOn: "2999-01-01" }, /in the future/],
    [
      "too old",
      { text: "Hi", participants: ["M"], occurredOn: "2001-01-01" },
      /more than a year ago/,
    ],
    [
      "unknown local member",
      { text: "Hi", participants: ["@nobody"] },
      /participant @nobody is not a member/,
    ],
    ["oneself", { text: "Hi", participants: ["@bea"] }, /must not include yourself/],
  ];
  it.each(bad)("refuses %s with a clear message and stores nothing", async (_, input, message) => {
    const before = await counts();
    const attempt = t.app.encounters.create("bea", input as never);
    await expect(attempt).rejects.toSatisfy(isDomainError);
    await expect(attempt).rejects.toThrow(message);
    expect(await counts()).toEqual(before);
  });

  it("stores a photo stripped of its metadata, and refuses a file that is not an image", async () => {
    const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: "#c33" } })
      .jpeg()
      .toBuffer();
    const view = await t.app.encounters.create(
      "bea",
      { text: "Photo souvenir", participants: ["Marie"], photoAlt: "Deux tasses sur une table" },
      jpeg,
    );
    expect(view.photo).toMatchObject({ alt: "Deux tasses sur une table", width: 64, height: 48 });
    const served = await t.app.http.inject({
      method: "GET",
      url: new URL(view.photo?.url ?? "").pathname,
    });
    expect(served.statusCode).toBe(200);

    const before = await counts();
    await expect(
      t.app.encounters.create(
        "bea",
        { text: "Oops", participants: ["Marie"] },
        Buffer.from("not an image"),
      ),
    ).rejects.toThrow(/not a photo in a format we accept/);
    expect(await counts()).toEqual(before);
  });

  it("edits only the author's encounters, and deletes them as tombstones", async () => {
    const view = await t.app.encounters.create("bea", { text: "Avant", participants: ["Marie"] });
    await expect(t.app.encounters.update("antoine", view.id, { text: "Pirate" })).rejects.toThrow(
      /No encounter/,
    );
    const edited = await t.app.encounters.update("bea", view.id, {
      text: "Après",
      keywords: ["Lyon"],
    });
    expect(edited).toMatchObject({ text: "Après", keywords: ["Lyon"] });
    expect(edited.updatedAt).toBeInstanceOf(Date);
    await expect(t.app.encounters.update("bea", view.id, { text: "" })).rejects.toThrow(
      /text is required/,
    );
    expect((await t.app.encounterRepository.findById(view.id))?.text).toBe("Après");

    await expect(
      t.app.encounters.update("bea", view.id, { visibility: "followers" }),
    ).rejects.toThrow(/visibility can only be widened/);
    const narrow = await t.app.encounters.create("bea", {
      text: "Entre nous",
      participants: ["Marie"],
      visibility: "participants",
    });
    expect(
      (await t.app.encounters.update("bea", narrow.id, { visibility: "unlisted" })).visibility,
    ).toBe("unlisted");

    await t.app.encounters.delete("bea", view.id);
    const tombstone = await t.app.encounterRepository.findById(view.id);
    expect(tombstone?.deletedAt).toBeInstanceOf(Date);
    expect(tombstone?.text).toBe("");
    await expect(t.app.encounters.delete("bea", view.id)).rejects.toThrow(/No encounter/);
  });
});
