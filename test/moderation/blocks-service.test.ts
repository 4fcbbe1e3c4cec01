import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RemoteActorRecord } from "../../src/actors/actors-repository.ts";
import { normalizeDomain } from "../../src/moderation/blocks-service.ts";
import { DomainError } from "../../src/shared/errors.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";

const remote = (username: string, host = "remote.example"): RemoteActorRecord => ({
  iri: `https://${host}/users/${username}`,
  type: "Person",
  username,
  host,
  name: username,
  summary: "",
  url: null,
  inboxUrl: `https://${host}/users/${username}/inbox`,
  sharedInboxUrl: `https://${host}/inbox`,
  followersUrl: null,
  avatarUrl: null,
  manuallyApprovesFollowers: false,
});

describe(`blocks and mutes between people (${databaseLabel})`, () => {
  let t: TestApp;
  const actorOf = async (username: string) =>
    (await t.app.members.requireByUsername(username)).actor;
  const events = async (type: string) =>
    (
      await t.app.database.rows<{ n: number }>(
        sql`select count(*)::int as n from queue_jobs where message::text like ${`%${type}%`}`,
      )
    )[0]?.n ?? 0;

  beforeAll(async () => {
    t = await buildTestApp();
    for (const username of ["bea", "carl", "dora"]) {
      await t.app.members.create({ username, password: `${username}-password-123` });
    }
  });
  afterAll(() => t?.close());

  it("a local block cuts the follows, refuses new ones, keeps the blocker out of the blocked one's encounters, sends nothing", async () => {
    const [bea, carl] = [await actorOf("bea"), await actorOf("carl")];
    await t.app.follows.followIri("carl", bea.iri);
    await t.app.follows.followIri("bea", carl.iri);
    await t.app.blocks.block("bea", carl.id);
    expect(await t.app.follows.stateBetween(carl.id, bea.id)).toBeUndefined();
    expect(await t.app.follows.stateBetween(bea.id, carl.id)).toBeUndefined();
    await expect(t.app.follows.followIri("carl", bea.iri)).rejects.toMatchObject({
      code: "forbidden",
    });
    // carl names bea (and dora): bea is neither a participant nor told; dora is both.
    const dora = await actorOf("dora");
    const named = await t.app.encounters.create("carl", {
      text: "Au parc",
      participants: [bea.iri, dora.iri],
      visibility: "public",
    });
    expect(named.participants.map((p) => p.actorId)).toEqual([dora.id]);
    expect(await t.app.notifications.list("bea", { limit: 10 })).toHaveLength(0);
    expect(await t.app.notifications.list("dora", { limit: 10 })).toHaveLength(1);
    expect(await t.app.access.home(bea.id, { limit: 10 })).toEqual([]);
    expect(await t.app.blocks.blocked("bea")).toMatchObject([{ id: carl.id }]);
    // carl's reply under bea's public encounter tells her nothing.
    const beas = await t.app.encounters.create("bea", {
      text: "Au musée",
      participants: ["Marie"],
      visibility: "public",
    });
    await t.app.replies.reply("carl", beas.id, { text: "J'y étais !" });
    await t.app.replies.reply("dora", beas.id, { text: "Moi aussi" });
    expect(
      (await t.app.notifications.list("bea", { limit: 10 })).map((n) => n.reply?.text),
    ).toEqual(["Moi aussi"]);
    expect(await events("Block")).toBe(0);
    await t.app.blocks.unblock("bea", carl.id);
    expect(await t.app.blocks.blocked("bea")).toEqual([]);
  });

  it("a mute hides the account's encounters and notifications, and changes nothing else", async () => {
    const [dora, carl] = [await actorOf("dora"), await actorOf("carl")];
    await t.app.follows.followIri("dora", carl.iri);
    // Being named in carl's encounter (the first test) was news for dora; muted, it is hidden.
    expect(await t.app.notifications.list("dora", { limit: 10 })).toHaveLength(1);
    await t.app.blocks.mute("dora", carl.id);
    expect(await t.app.follows.stateBetween(dora.id, carl.id)).toBeDefined();
    expect(await t.app.notifications.list("dora", { limit: 10 })).toHaveLength(0);
    expect(
      await t.app.notifications.unreadCount((await t.app.members.findByUsername("dora"))?.id ?? ""),
    ).toBe(0);
    await t.app.encounters.create("carl", {
      text: "Au cinéma",
      participants: [dora.iri],
      visibility: "public",
    });
    expect(await t.app.notifications.list("dora", { limit: 10 })).toHaveLength(0);
    expect((await t.app.access.home(dora.id, { limit: 10 })).map((e) => e.authorId)).not.toContain(
      carl.id,
    );
    expect(await t.app.relations.between(dora.id, carl.id)).toMatchObject({
      muting: true,
      blocking: false,
    });
    await t.app.blocks.unmute("dora", carl.id);
    expect((await t.app.access.home(dora.id, { limit: 10 })).length).toBeGreaterThan(0);
    // Unmuted: what was hidden shows again (the encounter made while muted never notified).
    expect(await t.app.notifications.list("dora", { limit: 10 })).toHaveLength(1);
  });

  it("a blocked remote account's Follow is answered with a Reject; blocking it queues a Block", async () => {
    const zoe = await t.app.actors.upsertRemote(remote("zoe"));
    await t.app.follows.receiveFollow({
      follower: remote("zoe"),
      username: "bea",
      activityIri: "https://remote.example/follows/1",
    });
    await t.app.blocks.block("bea", zoe.id);
    expect(await t.app.follows.followState(zoe.iri, "bea")).toBeUndefined();
    expect(await events("Block")).toBe(1);
    const answer = await t.app.follows.receiveFollow({
      follower: remote("zoe"),
      username: "bea",
      activityIri: "https://remote.example/follows/2",
    });
    expect(answer).toBe("rejected");
    expect(await t.app.follows.followState(zoe.iri, "bea")).toBeUndefined();
    expect(await events("Reject")).toBe(1);
  });

  it("a member's block of a server covers its accounts; bad domains are refused clearly", async () => {
    const yann = await t.app.actors.upsertRemote(remote("yann", "spam.example"));
    await t.app.follows.receiveFollow({
      follower: remote("yann", "spam.example"),
      username: "dora",
      activityIri: "https://spam.example/follows/1",
    });
    expect(await t.app.blocks.blockDomain("dora", "https://Spam.Example/")).toBe("spam.example");
    expect(await t.app.follows.followState(yann.iri, "dora")).toBeUndefined();
    const dora = await actorOf("dora");
    expect(await t.app.relations.between(dora.id, yann.id)).toMatchObject({ domainBlocking: true });
    expect(await t.app.blocks.blockedDomains("dora")).toEqual(["spam.example"]);
    expect(() => normalizeDomain("not a domain")).toThrow(DomainError);
    await expect(t.app.blocks.blockDomain("dora", t.app.urls.origin.host)).rejects.toThrow(
      /our own server/,
    );
    await expect(t.app.blocks.block("dora", dora.id)).rejects.toThrow(/yourself/);
    await t.app.blocks.unblockDomain("dora", "spam.example");
    expect(await t.app.blocks.blockedDomains("dora")).toEqual([]);
  });

  it("a remote Block against a member removes follows both ways; only its sender's Undo lifts it", async () => {
    const xavi = await t.app.actors.upsertRemote(remote("xavi"));
    const bea = await actorOf("bea");
    await t.app.follows.receiveFollow({
      follower: remote("xavi"),
      username: "bea",
      activityIri: "https://remote.example/follows/3",
    });
    const blockIri = "https://remote.example/blocks/1";
    expect(
      await t.app.blocks.receiveBlock({
        actorIri: xavi.iri,
        username: "bea",
        activityIri: blockIri,
      }),
    ).toBe(true);
    expect(await t.app.follows.followState(xavi.iri, "bea")).toBeUndefined();
    expect(await t.app.relations.between(bea.id, xavi.id)).toMatchObject({ blockedBy: true });
    expect(
      await t.app.blocks.receiveUndoBlock({
        actorIri: "https://remote.example/users/zoe",
        activityIri: blockIri,
      }),
    ).toBe(false);
    expect(await t.app.blocks.receiveUndoBlock({ actorIri: xavi.iri, activityIri: blockIri })).toBe(
      true,
    );
    expect(await t.app.relations.between(bea.id, xavi.id)).toMatchObject({ blockedBy: false });
  });
});
