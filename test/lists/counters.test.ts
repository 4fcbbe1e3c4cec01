/**
 * actor_counters (kept by triggers in the transaction of each change) equals a count of the
 * rows after a mixed sequence: follows accepted, pending, approved, rejected, undone, a
 * remote actor forgotten (a cascade), encounters created, made private, deleted, and a
 * member's account deleted.
 */
import { readdir, readFile } from "node:fs/promises";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app-contract.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { remoteActorRecord } from "../support/remote-actor.ts";
import { WebClient } from "../support/web.ts";

const remoteActor = (i: number) =>
  remoteActorRecord(i, { prefix: "count", hosts: 2, username: "c" });

describe(`actor counters (${databaseLabel})`, () => {
  let testApp: TestApp;
  let app: App;

  beforeAll(async () => {
    testApp = await buildTestApp();
    app = testApp.app;
    await app.members.create({ username: "bea", password: "bea-counters-password" });
    await app.members.create({ username: "antoine", password: "antoine-counters-password" });
    await app.members.create({ username: "chloe", password: "chloe-counters-password" });
  });
  afterAll(() => testApp?.close());

  /** Every actor's counters against a count of the rows, in one query. */
  async function mismatches() {
    return app.database.rows(sql`
      select a.id, a.username, c.followers_count, c.following_count,
        c.public_encounters_count, c.unlisted_encounters_count, real.*
      from actors a
      left join actor_counters c on c.actor_id = a.id
      cross join lateral (select
        (select count(*)::int from follows f where f.following_id = a.id and f.state = 'accepted') as followers,
        (select count(*)::int from follows f where f.follower_id = a.id and f.state = 'accepted') as following,
        (select count(*)::int from encounters e where e.author_id = a.id and e.deleted_at is null
           and e.visibility = 'public') as public,
        (select count(*)::int from encounters e where e.author_id = a.id and e.deleted_at is null
           and e.visibility = 'unlisted') as unlisted) real
      where coalesce(c.followers_count, 0) <> real.followers
        or coalesce(c.following_count, 0) <> real.following
        or coalesce(c.public_encounters_count, 0) <> real.public
        or coalesce(c.unlisted_encounters_count, 0) <> real.unlisted`);
  }

  it("stays equal to a count through follows, encounters and deletions", async () => {
    // Followers: accepted at once, then some undone; a remote actor forgotten (cascade).
    for (let i = 0; i < 6; i++) {
      await app.follows.receiveFollow({
        follower: remoteActor(i),
        username: "bea",
        activityIri: `${remoteActor(i).iri}#f`,
      });
    }
    await app.follows.receiveUndoFollow({ followerIri: remoteActor(0).iri, username: "bea" });
    await app.follows.forgetActor(remoteActor(1).iri);
    expect(await mismatches()).toEqual([]);
    expect((await app.follows.counts("bea")).followers).toBe(4);

    // A member who approves by hand: pending does not count, approved does, rejected never.
    await app.database.rows(
      sql`update actors set manually_approves_followers = true
          where member_id = (select id from members where username = 'chloe')`,
    );
    for (let i = 10; i < 13; i++) {
      await app.follows.receiveFollow({
        follower: remoteActor(i),
        username: "chloe",
        activityIri: `${remoteActor(i).iri}#f`,
      });
    }
    expect((await app.follows.counts("chloe")).followers).toBe(0);
    await app.follows.approveFollower("chloe", remoteActor(10).iri);
    await app.follows.rejectFollower("chloe", remoteActor(11).iri);
    expect(await mismatches()).toEqual([]);
    expect((await app.follows.counts("chloe")).followers).toBe(1);

    // Following: pending until the remote side accepts, then undone.
    const target = remoteActor(20);
    const { activityIri } = await app.follows.follow("antoine", target);
    expect((await app.follows.counts("antoine")).following).toBe(0);
    await app.follows.receiveAnswer({
      targetIri: target.iri,
      followActivityIri: activityIri,
      accepted: true,
    });
    expect((await app.follows.counts("antoine")).following).toBe(1);
    expect(await mismatches()).toEqual([]);
    await app.follows.unfollow("antoine", target.iri);
    expect((await app.follows.counts("antoine")).following).toBe(0);

    // Encounters: public, unlisted, private; the unlisted one made public, one deleted.
    const made: string[] = [];
    for (const visibility of ["public", "public", "unlisted", "private"] as const) {
      const view = await app.encounters.create("bea", {
        text: `Counted ${visibility}`,
        participants: ["Zoé"],
        visibility,
      });
      made.push(view.id);
    }
    await app.encounters.update("bea", made[2] as string, { visibility: "public" });
    await app.encounters.delete("bea", made[0] as string);
    expect(await mismatches()).toEqual([]);
    const found = await app.members.findWithActor("bea");
    expect(await app.encounterRepository.countsByAuthor(found?.actor.id ?? "")).toEqual({
      public: 2,
      unlisted: 0,
    });

    // antoine follows bea (local to local), then bea's account is deleted.
    await app.follows.followIri("antoine", found?.actor.iri ?? "");
    expect(await mismatches()).toEqual([]);
    await app.accountDeletion.deleteAccount("bea");
    expect(await mismatches()).toEqual([]);
    expect((await app.follows.counts("antoine")).following).toBe(0);
  });

  it("the unread badge counts up to 100 and then says 99+", async () => {
    const chloe = await app.members.findWithActor("chloe");
    const memberId = chloe?.member.id ?? "";
    const insert = (n: number) =>
      app.database.rows(sql`
        insert into notifications (id, member_id, kind)
        select gen_random_uuid(), ${memberId}::uuid, 'weekly_question' from generate_series(1, ${n}::int)`);
    await insert(99);
    expect(await app.notifications.unreadCount(memberId)).toBe(99);
    await insert(21);
    expect(await app.notifications.unreadCount(memberId)).toBe(100);
    const page = await (
      await new WebClient(app.http).login("chloe", "chloe-counters-password")
    ).get("/home");
    expect(page.body).toContain('<span class="badge">99+<');
  });

  it("the migration's first count fills them from the rows already there", async () => {
    const folder = new URL("../../migrations/", import.meta.url);
    const file = (await readdir(folder)).find((name) => name.endsWith("_actor_counters.sql"));
    const statements = (await readFile(new URL(file ?? "", folder), "utf8")).split(
      "--> statement-breakpoint",
    );
    const backfill = statements.at(-1) ?? "";
    expect(backfill).toMatch(/INSERT INTO "actor_counters"/);
    await app.database.rows(sql`delete from actor_counters`);
    await app.database.rows(sql.raw(backfill));
    expect(await mismatches()).toEqual([]);
    const [row] = await app.database.rows<{ n: number }>(
      sql`select count(*)::int as n from actor_counters where followers_count > 0`,
    );
    expect(row?.n).toBeGreaterThan(0);
  });
});
