import { readFile } from "node:fs/promises";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.ts";
import { API, client, postEncounter } from "../api/helpers.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { WebClient } from "../support/web.ts";

/*
 * Deleting an account on one instance: everything the member published is taken back the
 * way they would take it back, every private row is erased, others' data stays, and the
 * name stays reserved.
 */

const PRIVATE = { othersPresent: 3, setting: "indoors", durationMinutes: 45, satisfying: true };

/** Rows of every table that holds a member's own data, by member id. */
const MEMBER_TABLES = [
  "encounter_private",
  "participant_circles",
  "tracker_settings",
  "weekly_questions",
  "weekly_checkins",
  "tracker_link_requests",
  "direct_messages",
  "notifications",
  "web_sessions",
  "access_tokens",
  "account_tokens",
  "oauth_authorization_codes",
  "media_uploads",
  "member_likes",
] as const;

async function rowsOf(app: App, memberId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of MEMBER_TABLES) {
    const [row] = await app.database.rows<{ n: number }>(
      sql`select count(*)::int as n from ${sql.identifier(table)} where member_id = ${memberId}`,
    );
    counts[table] = row?.n ?? -1;
  }
  return counts;
}

describe(`deleting an account (${databaseLabel})`, () => {
  let instance: TestApp;
  let app: App;
  let beaId: string;
  let carlId: string;
  let carlEncounter: { id: string; iri: string };

  beforeAll(async () => {
    instance = await buildTestApp();
    app = instance.app;
    beaId = (
      await app.members.create({
        username: "bea",
        password: "bea-password-123",
        email: "bea@example.org",
      })
    ).member.id;
    carlId = (await app.members.create({ username: "carl", password: "carl-password-12" })).member
      .id;
    const bea = client(app, await app.members.createToken("bea", "test"));
    const carl = client(app, await app.members.createToken("carl", "test"));
    // Both sides of Béa's tracker, for a public encounter naming Carl and a private-only one.
    for (const visibility of ["public", "private"]) {
      const { id } = await postEncounter(bea, {
        text: `Béa ${visibility}`,
        participants: ["@carl", "Marie"],
        visibility,
      });
      const response = await bea({
        method: "PUT",
        url: `${API}/encounters/${id}/private`,
        payload: { ...PRIVATE, circles: [{ position: 0, circle: "close" }] },
      });
      expect(response.statusCode, response.body).toBe(200);
    }
    await app.trackerSettings.update(beaId, { target: 4 });
    await app.weeklyQuestions.checkIn(beaId, { answer: "yes", count: 2 }, "web");
    await app.mediaUploads.upload(beaId, await readFile("docs/souvenir.jpg"), "Deux cafés");
    // Carl's encounter names Béa, who co-signs it, likes it and replies under it.
    carlEncounter = await postEncounter(carl, {
      text: "Carl et Béa",
      participants: ["@bea"],
      visibility: "public",
    });
    await app.weeklyQuestions.checkIn(carlId, { answer: "no" }, "web");
    await app.cosign.cosign("bea", carlEncounter.id);
    await app.likes.likeEncounter("bea", carlEncounter.id);
    await app.replies.reply("bea", carlEncounter.id, { text: "Quel beau moment" });
    await app.follows.followIri("bea", app.urls.actor("carl").href);
    await app.follows.followIri("carl", app.urls.actor("bea").href);
    await new WebClient(app.http).login("bea", "bea-password-123");
  });
  afterAll(() => instance?.close());

  it("erases every private row of the member, takes back what they published, keeps others' data", async () => {
    const before = await rowsOf(app, beaId);
    for (const table of [
      "encounter_private",
      "participant_circles",
      "tracker_settings",
      "weekly_checkins",
      "notifications",
      "web_sessions",
      "access_tokens",
      "media_uploads",
      "member_likes",
    ]) {
      expect(before[table], table).toBeGreaterThan(0);
    }
    const carlBefore = await rowsOf(app, carlId);

    const summary = await app.accountDeletion.deleteAccount("bea");
    expect(summary).toMatchObject({
      username: "bea",
      encounters: 1,
      replies: 1,
      cosignaturesWithdrawn: 1,
      likesUndone: 1,
      followsUndone: 1,
      followersRemoved: 1,
    });

    expect(Object.values(await rowsOf(app, beaId)).every((n) => n === 0)).toBe(true);
    // Carl keeps his own: his tracker, his tokens; he lost only what Béa gave (her like).
    const carlAfter = await rowsOf(app, carlId);
    expect(carlAfter.weekly_checkins).toBe(carlBefore.weekly_checkins);
    expect(carlAfter.access_tokens).toBe(carlBefore.access_tokens);
    const [carlRow] = await app.database.rows<{ text: string; deleted: boolean }>(
      sql`select text, deleted_at is not null as deleted from encounters where id = ${carlEncounter.id}`,
    );
    expect(carlRow).toEqual({ text: "Carl et Béa", deleted: false });

    // Béa's encounters: tombstones (words gone), the private-only one gone altogether.
    const own = await app.database.rows<{ text: string; deleted: boolean; visibility: string }>(
      sql`select e.text, e.deleted_at is not null as deleted, e.visibility from encounters e
          join actors a on a.id = e.author_id where a.member_id = ${beaId}`,
    );
    expect(own).toEqual([{ text: "", deleted: true, visibility: "public" }]);
    const replies = await app.database.rows<{ text: string; deleted: boolean }>(
      sql`select r.text, r.deleted_at is not null as deleted from encounter_replies r
          join actors a on a.id = r.author_id where a.member_id = ${beaId}`,
    );
    expect(replies).toEqual([{ text: "", deleted: true }]);
    const [cosign] = await app.database.rows<{ state: string }>(
      sql`select p.cosign_state as state from encounter_participants p
          join actors a on a.id = p.actor_id
          where a.member_id = ${beaId} and p.encounter_id = ${carlEncounter.id}`,
    );
    expect(cosign?.state).toBe("declined");
    const [follows] = await app.database.rows<{ n: number }>(
      sql`select count(*)::int as n from follows f join actors a
          on a.id = f.follower_id or a.id = f.following_id where a.member_id = ${beaId}`,
    );
    expect(follows?.n).toBe(0);

    // What stays: the name, blank, and the keys (for the Delete(Person)).
    const member = await app.members.findByUsername("bea");
    expect(member).toMatchObject({ displayName: "", bio: "", email: null, fields: [] });
    expect(member?.deletedAt).toBeInstanceOf(Date);
    const [keys] = await app.database.rows<{ n: number }>(
      sql`select count(*)::int as n from actor_keys where owner = ${beaId}`,
    );
    expect(keys?.n).toBeGreaterThan(0);
    expect((await app.members.list(100)).map((m) => m.username)).toEqual(["carl"]);
  });

  it("the member can no longer log in; actor, WebFinger and profile say the account is gone", async () => {
    const login = await new WebClient(app.http).post("/login", {
      username: "bea",
      password: "bea-password-123",
    });
    expect(login.statusCode).toBe(401);
    const actor = await app.http.inject({
      url: "/users/bea",
      headers: { accept: "application/activity+json" },
    });
    expect(actor.statusCode).toBe(410);
    expect(actor.json()).toMatchObject({ type: "Tombstone", formerType: "as:Person" });
    const finger = await app.http.inject({
      url: `/.well-known/webfinger?resource=acct:bea@${app.urls.origin.host}`,
    });
    expect(finger.statusCode).toBe(410);
    const followers = await app.http.inject({
      url: "/users/bea/followers",
      headers: { accept: "application/activity+json" },
    });
    expect(followers.statusCode).toBe(404);
    const page = await new WebClient(app.http).get("/@bea");
    expect(page.statusCode).toBe(410);
    expect(page.body).toContain("Compte supprimé");
  });

  it("the name stays reserved: the CLI's create and the sign-up form refuse it, saying why", async () => {
    await expect(
      app.members.create({ username: "Bea", password: "x-password-1234" }),
    ).rejects.toThrow(/deleted: it stays reserved/);
    await app.instanceProfile.update({
      ...(await app.instanceProfile.get()),
      registrationMode: "open",
    });
    const joined = await new WebClient(app.http).post("/join", {
      username: "bea",
      password: "long-password-1",
      passwordConfirm: "long-password-1",
      charter: "yes",
    });
    expect(joined.statusCode).toBe(422);
    expect(joined.body).toContain("compte supprimé");
  });

  it("running it again finishes nothing twice; an unknown name is a clear not-found", async () => {
    const again = await app.accountDeletion.deleteAccount("bea");
    expect(again).toMatchObject({ encounters: 0, replies: 0, followersRemoved: 0 });
    await expect(app.accountDeletion.deleteAccount("nobody")).rejects.toThrow(/No member/);
  });

  it("the last admin cannot leave before naming another admin", async () => {
    await app.members.create({ username: "ada", password: "ada-password-12", role: "admin" });
    await expect(app.accountDeletion.deleteAccount("ada")).rejects.toThrow(/last admin/);
    expect((await app.members.findByUsername("ada"))?.deletedAt).toBeNull();
  });
});
