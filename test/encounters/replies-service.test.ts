import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ActorRow, RemoteActorRecord } from "../../src/actors/actors-repository.ts";
import { follows } from "../../src/db/schema.ts";
import type { RemoteReplyRecord } from "../../src/encounters/reply-input.ts";
import {
  mayReadReply,
  type ReplyReader,
  replyVisibility,
} from "../../src/encounters/visibility.ts";
import { DomainError } from "../../src/shared/errors.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";

describe("who may read a reply (src/encounters/visibility.ts)", () => {
  const reader = (facts: Partial<ReplyReader>): ReplyReader => ({
    isReplier: false,
    readsEncounter: true,
    isAddressed: false,
    followsReplier: false,
    ...facts,
  });
  const reply = (visibility: "public" | "unlisted" | "followers" | "participants") => ({
    visibility,
    deletedAt: null,
  });

  it("public and unlisted: whoever reads the encounter; nobody else but the replier", () => {
    for (const v of ["public", "unlisted"] as const) {
      expect(mayReadReply(reply(v), reader({}))).toBe(true);
      expect(mayReadReply(reply(v), reader({ readsEncounter: false }))).toBe(false);
      expect(mayReadReply(reply(v), reader({ readsEncounter: false, isReplier: true }))).toBe(true);
    }
  });

  it("followers-only: the replier's followers and whom it addresses; participants-only: whom it addresses", () => {
    expect(mayReadReply(reply("followers"), reader({}))).toBe(false);
    expect(mayReadReply(reply("followers"), reader({ followsReplier: true }))).toBe(true);
    expect(mayReadReply(reply("followers"), reader({ isAddressed: true }))).toBe(true);
    expect(mayReadReply(reply("participants"), reader({ followsReplier: true }))).toBe(false);
    expect(mayReadReply(reply("participants"), reader({ isAddressed: true }))).toBe(true);
  });

  it("nobody reads a deleted reply, not even its replier", () => {
    expect(
      mayReadReply({ visibility: "public", deletedAt: new Date() }, reader({ isReplier: true })),
    ).toBe(false);
  });

  it("a reply is never wider than what it answers", () => {
    expect(replyVisibility(undefined, { visibility: "unlisted" })).toBe("unlisted");
    expect(replyVisibility("public", { visibility: "followers" })).toBe("followers");
    expect(replyVisibility("participants", { visibility: "public" })).toBe("participants");
    expect(
      replyVisibility(undefined, { visibility: "public" }, { visibility: "participants" }),
    ).toBe("participants");
  });
});

const REMOTE = "https://remote.example";
const remoteActor = (username: string): RemoteActorRecord => ({
  iri: `${REMOTE}/users/${username}`,
  type: "Person",
  username,
  host: "remote.example",
  name: username,
  summary: "",
  url: null,
  inboxUrl: `${REMOTE}/users/${username}/inbox`,
  sharedInboxUrl: `${REMOTE}/inbox`,
  followersUrl: `${REMOTE}/users/${username}/followers`,
  avatarUrl: `${REMOTE}/avatars/${username}.png`,
  manuallyApprovesFollowers: false,
});

describe(`replies: the service (${databaseLabel})`, () => {
  let t: TestApp;
  let zoe: ActorRow;
  const actorOf = async (username: string) =>
    (await t.app.members.requireByUsername(username)).actor;

  /** `follower` follows `followed`, accepted (written directly: no federation here). */
  async function follow(follower: string, followed: ActorRow | string) {
    const target = typeof followed === "string" ? await actorOf(followed) : followed;
    await t.app.database.db.insert(follows).values({
      id: randomUUID(),
      followerId: (await actorOf(follower)).id,
      followingId: target.id,
      state: "accepted",
      activityIri: `${t.baseUrl}/activities/follow/${randomUUID()}`,
    });
  }

  beforeAll(async () => {
    t = await buildTestApp();
    for (const username of ["bea", "carl", "dan", "eve"]) {
      await t.app.members.create({ username, password: `${username}-password-123` });
    }
    zoe = await t.app.actors.upsertRemote(remoteActor("zoe"));
    await follow("dan", "bea");
    await follow("eve", "bea");
  });
  afterAll(() => t?.close());

  const replyNotifications = (username: string) =>
    t.app.notifications
      .list(username, { limit: 50 })
      .then((all) => all.filter((n) => n.kind === "encounter_reply"));
  const notFound = expect.objectContaining({ code: "not_found" });

  it("a member replies to an encounter they may read; its author is told, not the replier", async () => {
    const encounter = await t.app.encounters.create("bea", {
      text: "Pique-nique",
      participants: ["@carl"],
    });
    const reply = await t.app.replies.reply("carl", encounter.id, { text: "  Quel beau jour !  " });
    expect(reply).toMatchObject({
      text: "Quel beau jour !",
      visibility: "public",
      encounterId: encounter.id,
      inReplyToIri: encounter.iri,
      mentions: [encounter.author.iri],
      isLocal: true,
      iri: t.app.urls.reply("carl", reply.id).href,
      url: `${encounter.url}#reply-${reply.id}`,
    });
    expect((await replyNotifications("bea")).map((n) => n.reply?.id)).toEqual([reply.id]);
    expect(await replyNotifications("carl")).toEqual([]);
    // Anyone reads it under a public encounter, in order.
    expect((await t.app.replies.list(encounter.id, "anyone")).map((r) => r.id)).toEqual([reply.id]);

    // Answering it in the thread tells carl, and stays under the same encounter.
    const answer = await t.app.replies.reply("bea", encounter.id, {
      text: "Merci !",
      inReplyTo: reply.id,
    });
    expect(answer).toMatchObject({ inReplyToIri: reply.iri, mentions: [reply.author.iri] });
    expect((await replyNotifications("carl")).map((n) => n.reply?.id)).toEqual([answer.id]);
    // Co-signing (or declining) reads the "named" notification, not the replies.
    await t.app.cosign.decline("carl", encounter.id);
    expect((await replyNotifications("carl"))[0]?.readAt).toBeNull();
  });

  it("checks what a member writes", async () => {
    const encounter = await t.app.encounters.create("bea", { text: "Café", participants: ["Léa"] });
    for (const text of ["   ", "é".repeat(501)]) {
      await expect(t.app.replies.reply("carl", encounter.id, { text })).rejects.toMatchObject({
        code: "invalid",
      });
    }
    expect(
      await t.app.replies.reply("carl", encounter.id, { text: "👩‍👩‍👧".repeat(500) }),
    ).toBeDefined();
    await expect(
      t.app.replies.reply("carl", encounter.id, { text: "Oui", inReplyTo: randomUUID() }),
    ).rejects.toEqual(notFound);
  });

  it("a followers-only encounter: its author's followers reply, followers-only; others read no more than the rule allows", async () => {
    const encounter = await t.app.encounters.create("bea", {
      text: "Entre nous",
      participants: ["Léa"],
      visibility: "followers",
    });
    await expect(t.app.replies.reply("carl", encounter.id, { text: "Moi aussi" })).rejects.toEqual(
      notFound,
    );
    const reply = await t.app.replies.reply("dan", encounter.id, {
      text: "J'y étais",
      visibility: "public",
    });
    expect(reply.visibility).toBe("followers");
    const ids = async (username: string) =>
      (await t.app.replies.list(encounter.id, { username })).map((r) => r.id);
    expect(await ids("bea")).toEqual([reply.id]);
    expect(await ids("dan")).toEqual([reply.id]);
    // eve reads the encounter, but neither follows dan nor is addressed.
    expect(await ids("eve")).toEqual([]);
    await follow("eve", "dan");
    expect(await ids("eve")).toEqual([reply.id]);
    await expect(t.app.replies.list(encounter.id, { username: "carl" })).rejects.toEqual(notFound);
    await expect(t.app.replies.list(encounter.id, "anyone")).rejects.toEqual(notFound);
    await expect(t.app.replies.visibleTo("carl", reply.id)).rejects.toEqual(notFound);
  });

  it("a participants-only encounter: those it names answer them and its author only", async () => {
    const encounter = await t.app.encounters.create("bea", {
      text: "Rien que nous",
      participants: ["@carl", "@dan"],
      visibility: "participants",
    });
    await expect(t.app.replies.reply("eve", encounter.id, { text: "Et moi ?" })).rejects.toEqual(
      notFound,
    );
    const reply = await t.app.replies.reply("carl", encounter.id, { text: "Chut" });
    expect(reply).toMatchObject({
      visibility: "participants",
      mentions: [encounter.author.iri, (await actorOf("dan")).iri],
    });
    expect((await replyNotifications("dan")).some((n) => n.reply?.id === reply.id)).toBe(true);
    expect((await t.app.replies.list(encounter.id, { username: "dan" })).map((r) => r.id)).toEqual([
      reply.id,
    ]);
  });

  it("a private encounter takes no replies, not even from its author", async () => {
    const encounter = await t.app.encounters.create("bea", {
      text: "Pour moi",
      participants: ["Léa"],
      visibility: "private",
    });
    await expect(t.app.replies.reply("bea", encounter.id, { text: "Note" })).rejects.toEqual(
      notFound,
    );
  });

  it("a member deletes their own reply only; it goes from lists and notifications", async () => {
    const encounter = await t.app.encounters.create("bea", { text: "Gare", participants: ["Léa"] });
    const reply = await t.app.replies.reply("carl", encounter.id, { text: "Bon voyage" });
    await expect(t.app.replies.delete("bea", reply.id)).rejects.toEqual(notFound);
    await t.app.replies.delete("carl", reply.id);
    await expect(t.app.replies.delete("carl", reply.id)).rejects.toEqual(notFound);
    expect(await t.app.replies.list(encounter.id, "anyone")).toEqual([]);
    expect((await replyNotifications("bea")).some((n) => n.reply?.id === reply.id)).toBe(false);
  });

  it("deleting the encounter deletes its replies, and their notifications", async () => {
    const encounter = await t.app.encounters.create("bea", { text: "Fête", participants: ["Léa"] });
    await t.app.replies.reply("carl", encounter.id, { text: "Super fête" });
    await t.app.encounters.delete("bea", encounter.id);
    const [left] = await t.app.database.rows<{ r: number; n: number }>(
      sql`select (select count(*)::int from encounter_replies where encounter_id = ${encounter.id}) as r,
                 (select count(*)::int from notifications where encounter_id = ${encounter.id}) as n`,
    );
    expect(left).toEqual({ r: 0, n: 0 });
  });

  describe("received from other servers", () => {
    const record = (
      inReplyTo: string,
      overrides: Partial<RemoteReplyRecord> = {},
    ): RemoteReplyRecord => {
      const id = randomUUID();
      return {
        iri: `${REMOTE}/notes/${id}`,
        url: `${REMOTE}/@zoe/${id}`,
        authorIri: zoe.iri,
        inReplyTo,
        contentLength: 20,
        contentHtml: "<p>Bravo</p>",
        text: "Bravo",
        mentions: [],
        visibility: "public",
        publishedAt: new Date("2026-11-29T10:00:00Z"),
        updatedAt: null,
        ...overrides,
      };
    };

    it("what answers nothing of ours is not a reply; what does is checked, then kept", async () => {
      const encounter = await t.app.encounters.create("bea", {
        text: "Concert",
        participants: ["Léa"],
      });
      expect(await t.app.replies.receiveCreate(zoe.iri, record(`${REMOTE}/notes/other`))).toEqual({
        status: "not_a_reply",
      });
      const refusals: Array<[Partial<RemoteReplyRecord>, RegExp]> = [
        [{ authorIri: `${REMOTE}/users/mallory` }, /not the author/],
        [{ iri: "https://elsewhere.example/notes/1" }, /not on its author's server/],
        [{ contentLength: 100_001 }, /content is longer than 100000/],
        [{ iri: "javascript:alert(1)" }, /unreadable reply/],
      ];
      for (const [overrides, reason] of refusals) {
        const outcome = await t.app.replies.receiveCreate(
          zoe.iri,
          record(encounter.iri, overrides),
        );
        expect(outcome).toMatchObject({ status: "refused", reason: expect.stringMatching(reason) });
      }
      const kept = record(encounter.iri, {
        mentions: [encounter.author.iri],
        visibility: "unlisted",
      });
      const stored = await t.app.replies.receiveCreate(zoe.iri, kept);
      expect(stored).toMatchObject({ status: "stored", encounterId: encounter.id });
      expect(await t.app.replies.receiveCreate(zoe.iri, kept)).toMatchObject({
        status: "unchanged",
      });
      const [shown] = await t.app.replies.list(encounter.id, "anyone");
      expect(shown).toMatchObject({
        iri: kept.iri,
        visibility: "unlisted",
        remoteContentHtml: "<p>Bravo</p>",
        author: { iri: zoe.iri, avatarUrl: `${REMOTE}/avatars/zoe.png` },
      });
      expect((await replyNotifications("bea")).some((n) => n.reply?.iri === kept.iri)).toBe(true);
    });

    it("a stranger may not answer what they may not read", async () => {
      for (const visibility of ["followers", "participants", "private"] as const) {
        const encounter = await t.app.encounters.create("bea", {
          text: `Fermé (${visibility})`,
          participants: ["@carl"],
          visibility,
        });
        expect(await t.app.replies.receiveCreate(zoe.iri, record(encounter.iri))).toMatchObject({
          status: "refused",
        });
      }
    });

    it("edits and deletions come from its author only", async () => {
      const encounter = await t.app.encounters.create("bea", {
        text: "Bal",
        participants: ["Léa"],
      });
      const kept = record(encounter.iri);
      await t.app.replies.receiveCreate(zoe.iri, kept);
      const mallory = await t.app.actors.upsertRemote(remoteActor("mallory"));
      const edit = { ...kept, text: "Modifié", updatedAt: new Date("2026-11-30T10:00:00Z") };
      expect(
        await t.app.replies.receiveUpdate(mallory.iri, { ...edit, authorIri: mallory.iri }),
      ).toMatchObject({
        status: "refused",
      });
      expect(await t.app.replies.receiveUpdate(zoe.iri, edit)).toMatchObject({ status: "updated" });
      expect(await t.app.replies.receiveDelete(mallory.iri, kept.iri)).toMatchObject({
        status: "refused",
      });
      expect(await t.app.replies.receiveDelete(zoe.iri, kept.iri)).toMatchObject({
        status: "deleted",
      });
      // A late Create of what was deleted brings nothing back.
      expect(await t.app.replies.receiveCreate(zoe.iri, kept)).toMatchObject({
        status: "unchanged",
      });
      expect(await t.app.replies.list(encounter.id, "anyone")).toEqual([]);
    });

    it("a member's own posts are written here, never received", async () => {
      const encounter = await t.app.encounters.create("bea", {
        text: "Jeu",
        participants: ["Léa"],
      });
      const carl = await actorOf("carl");
      const forged = record(encounter.iri, {
        authorIri: carl.iri,
        iri: `${carl.iri}/notes/1`,
      });
      expect(await t.app.replies.receiveCreate(carl.iri, forged)).toMatchObject({
        status: "refused",
      });
    });
  });

  it("throws DomainErrors a person can act on", async () => {
    await expect(
      t.app.replies.replyToIri("carl", `${REMOTE}/nothing`, { text: "?" }),
    ).rejects.toBeInstanceOf(DomainError);
  });
});
