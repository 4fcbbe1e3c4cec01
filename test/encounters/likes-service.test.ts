import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";

describe(`encounters: likes by members (${databaseLabel})`, () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await buildTestApp();
    await Promise.all(
      ["bea", "antoine", "carol"].map((username) =>
        t.app.members.create({ username, password: `${username}-password-123` }),
      ),
    );
  });
  afterAll(() => t.close());

  const likesCount = async (id: string) =>
    (await t.app.encounterRepository.findById(id))?.likesCount;
  const rows = async () => {
    const [row] = await t.app.database.rows<{ likes: number; reactions: number }>(
      sql`select (select count(*)::int from member_likes) as likes,
                 (select count(*)::int from encounter_reactions where kind = 'like') as reactions`,
    );
    return row;
  };

  it("liking twice is one like, counted once; unliking by object or by Like IRI takes it back", async () => {
    const view = await t.app.encounters.create("bea", { text: "Café", participants: ["@antoine"] });
    const before = await rows();

    const first = await t.app.likes.like("carol", view.iri);
    expect(first).toMatchObject({ objectIri: view.iri, changed: true });
    expect(first.activityIri).toMatch(/\/activities\/like\/[0-9a-f-]{36}$/);
    expect(first.encounter.likesCount).toBe(1);
    const again = await t.app.likes.like("CAROL", view.iri);
    expect(again).toMatchObject({ changed: false, activityIri: first.activityIri });
    expect(await likesCount(view.id)).toBe(1);
    expect(await rows()).toEqual({
      likes: (before?.likes ?? 0) + 1,
      reactions: (before?.reactions ?? 0) + 1,
    });

    // Another member's like counts too; the author may like their own.
    await t.app.likes.likeEncounter("bea", view.id);
    expect(await likesCount(view.id)).toBe(2);

    const undone = await t.app.likes.unlike("carol", view.iri);
    expect(undone).toMatchObject({ changed: true, activityIri: first.activityIri });
    expect(undone.encounter?.likesCount).toBe(1);
    // Nothing left to undo: no error, nothing changes.
    expect(await t.app.likes.unlike("carol", view.iri)).toMatchObject({
      changed: false,
      activityIri: null,
    });
    expect(await likesCount(view.id)).toBe(1);

    const relike = await t.app.likes.like("carol", view.iri);
    expect(relike.activityIri).not.toBe(first.activityIri);
    expect(await likesCount(view.id)).toBe(2);
    await t.app.likes.unlike("carol", relike.activityIri);
    await t.app.likes.unlikeEncounter("bea", view.id);
    expect(await likesCount(view.id)).toBe(0);
    expect(await rows()).toEqual(before);
  });

  it("refuses, as not found, what the member may not see or what is no encounter", async () => {
    const onlyAntoine = await t.app.encounters.create("bea", {
      text: "Entre nous",
      participants: ["@antoine"],
      visibility: "participants",
    });
    const followers = await t.app.encounters.create("bea", {
      text: "Pour mes abonnés",
      participants: ["Marie"],
      visibility: "followers",
    });
    const before = await rows();
    for (const iri of [onlyAntoine.iri, followers.iri, "https://elsewhere.example/notes/1"]) {
      await expect(t.app.likes.like("carol", iri)).rejects.toMatchObject({ code: "not_found" });
      await expect(t.app.likes.unlike("carol", iri)).rejects.toMatchObject({ code: "not_found" });
    }
    await expect(t.app.likes.likeEncounter("carol", onlyAntoine.id)).rejects.toMatchObject({
      code: "not_found",
    });
    await expect(t.app.likes.like("nobody", onlyAntoine.iri)).rejects.toMatchObject({
      code: "not_found",
    });
    expect(await rows()).toEqual(before);
    expect(await likesCount(onlyAntoine.id)).toBe(0);

    // Named, antoine may see it, so he may like it.
    await t.app.likes.like("antoine", onlyAntoine.iri);
    expect(await likesCount(onlyAntoine.id)).toBe(1);
  });

  it("a deleted encounter cannot be liked, but a like given before can be taken back", async () => {
    const view = await t.app.encounters.create("bea", {
      text: "Bientôt effacé",
      participants: ["Marie"],
    });
    const liked = await t.app.likes.like("carol", view.iri);
    await t.app.encounters.delete("bea", view.id);
    await expect(t.app.likes.like("antoine", view.iri)).rejects.toMatchObject({
      code: "not_found",
    });
    const undone = await t.app.likes.unlike("carol", liked.activityIri);
    expect(undone).toMatchObject({ changed: true, objectIri: view.iri, encounter: undefined });
  });

  it("finds a member's own Like, co-signing Announce and Follow by IRI, and nobody else's", async () => {
    const own = t.app.ownActivities;
    const view = await t.app.encounters.create("bea", { text: "Thé", participants: ["@antoine"] });
    const { activityIri: likeIri } = await t.app.likes.like("carol", view.iri);
    const cosigned = await t.app.cosign.cosign("antoine", view.id);
    const announceIri = cosigned.participants[0]?.cosignActivityIri as string;
    const bea = await t.app.actors.findByIri(t.app.urls.actor("bea").href);
    if (!bea) throw new Error("setup failed");
    const { activityIri: followIri } = await t.app.follows.follow("carol", bea);

    expect(await own.find("carol", likeIri)).toEqual({
      kind: "like",
      activityIri: likeIri,
      objectIri: view.iri,
    });
    expect(await own.find("antoine", announceIri)).toEqual({
      kind: "announce",
      activityIri: announceIri,
      encounterId: view.id,
      objectIri: view.iri,
    });
    expect(await own.find("carol", followIri)).toEqual({
      kind: "follow",
      activityIri: followIri,
      targetIri: bea.iri,
    });
    for (const [username, iri] of [
      ["bea", likeIri],
      ["carol", announceIri],
      ["antoine", followIri],
      ["nobody", likeIri],
      ["carol", view.iri],
    ] as const) {
      expect(await own.find(username, iri)).toBeUndefined();
    }
  });
});
