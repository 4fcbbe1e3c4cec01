import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EncounterView } from "../../src/encounters/encounters-repository.ts";
import { remoteEncounterRecordSchema } from "../../src/encounters/remote-encounter-record.ts";
import { encounterAudience } from "../../src/federation/mappers/note.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";

describe(`private-only encounters in the domain (${databaseLabel})`, () => {
  let t: TestApp;
  let encounter: EncounterView;

  beforeAll(async () => {
    t = await buildTestApp();
    await t.app.members.create({ username: "bea", password: "bea-password-123" });
    await t.app.members.create({ username: "antoine", password: "antoine-password-1" });
    encounter = await t.app.encounters.create("bea", {
      text: "Seulement pour moi",
      participants: ["@antoine", "Lucie"],
      visibility: "private",
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("is stored as private, nobody is notified, nothing is queued, nobody co-signs it", async () => {
    expect(encounter.visibility).toBe("private");
    const [row] = await t.app.database.rows<{ n: number; q: number; c: number }>(
      sql`select (select count(*)::int from notifications) as n,
                 (select count(*)::int from queue_jobs) as q,
                 (select count(*)::int from encounter_participants
                   where cosign_state = 'cosigned') as c`,
    );
    expect(row).toEqual({ n: 0, q: 0, c: 0 });
  });

  it("its visibility cannot change, and no published encounter can become private", async () => {
    await expect(
      t.app.encounters.update("bea", encounter.id, { visibility: "public" }),
    ).rejects.toThrow(/private encounter cannot change: post it again/);
    const published = await t.app.encounters.create("bea", {
      text: "Publique",
      participants: ["Lucie"],
      visibility: "participants",
    });
    await expect(
      t.app.encounters.update("bea", published.id, { visibility: "private" }),
    ).rejects.toThrow(/can only be widened/);
    // Other edits are fine, and it stays private.
    const edited = await t.app.encounters.update("bea", encounter.id, { text: "Modifiée" });
    expect(edited.visibility).toBe("private");
  });

  it("a participant cannot co-sign or even find it", async () => {
    await expect(t.app.cosign.cosign("antoine", encounter.id)).rejects.toMatchObject({
      code: "not_found",
    });
    await expect(t.app.cosign.decline("antoine", encounter.id)).rejects.toMatchObject({
      code: "not_found",
    });
    await expect(t.app.likes.likeEncounter("antoine", encounter.id)).rejects.toMatchObject({
      code: "not_found",
    });
  });

  it("a remote Announce of its IRI is not recorded", async () => {
    const recorded = await t.app.cosign.recordReaction({
      kind: "like",
      actorIri: "https://remote.example/users/x",
      objectIri: encounter.iri,
      activityIri: "https://remote.example/likes/1",
    });
    expect(recorded).toBe(false);
  });

  it("is addressed to nobody if it ever reached the Note mapper", () => {
    expect(encounterAudience(encounter, t.app.urls)).toEqual({ to: [], cc: [] });
  });

  it("no remote post can be recorded as private", () => {
    const parsed = remoteEncounterRecordSchema.shape.visibility.safeParse("private");
    expect(parsed.success).toBe(false);
  });

  it("its private fields work as for any encounter, for its author only", async () => {
    const service = t.app.privateFields;
    const view = await service.setPrivateFields("bea", encounter.id, {
      othersPresent: 1,
      circles: [{ position: 0, circle: "intimate" }],
    });
    expect(view.othersPresent).toBe(1);
    expect(view.participants[0]?.circle).toBe("intimate");
    await expect(service.getPrivateFields("antoine", encounter.id)).rejects.toMatchObject({
      code: "not_found",
    });
    await expect(service.getPrivateFields("nobody", encounter.id)).rejects.toMatchObject({
      code: "not_found",
    });
  });
});
