import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RemoteActorRecord } from "../../src/actors/actors-repository.ts";
import { notifications } from "../../src/db/schema.ts";
import type { RemoteEncounterRecord } from "../../src/encounters/remote-encounter-record.ts";
import {
  createRemoteEncountersService,
  type RemoteEncountersService,
} from "../../src/encounters/remote-encounters-service.ts";
import { DomainError } from "../../src/shared/errors.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";

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
  avatarUrl: null,
  manuallyApprovesFollowers: false,
});
const antoine = remoteActor("antoine");
const zoe = remoteActor("zoe");
const at = (host: string, username: string): RemoteActorRecord => ({
  ...remoteActor(username),
  iri: `https://${host}/users/${username}`,
  host,
  inboxUrl: `https://${host}/users/${username}/inbox`,
  sharedInboxUrl: `https://${host}/inbox`,
});
/** Looked up, never known before: the block check cannot be read with the known actors. */
const yves = at("yves.example", "yves");

describe(`remote encounters: what is kept of remote posts (${databaseLabel})`, () => {
  let t: TestApp;
  let service: RemoteEncountersService;
  let beaIri: string;
  let carlIri: string;
  const lookups: string[] = [];

  beforeAll(async () => {
    t = await buildTestApp();
    for (const username of ["bea", "carl", "dora", "eve"]) {
      await t.app.members.create({ username, password: `${username}-password-123` });
    }
    beaIri = t.app.urls.actor("bea").href;
    carlIri = t.app.urls.actor("carl").href;
    await t.app.follows.follow("bea", antoine);
    await t.app.follows.receiveAnswer({
      targetIri: antoine.iri,
      followerUsername: "bea",
      accepted: true,
    });
    service = createRemoteEncountersService({
      db: t.app.database.db,
      repository: t.app.encounterRepository,
      actors: t.app.actors,
      notifications: t.app.notifications,
      relations: t.app.relations,
      // The fediverse as seen from here: zoe can be looked up, nobody else.
      resolver: {
        async resolve(iri) {
          lookups.push(iri);
          if (iri === zoe.iri) return t.app.actors.upsertRemote(zoe);
          if (iri === yves.iri) return t.app.actors.upsertRemote(yves);
          throw new DomainError("invalid", `${iri} could not be found`);
        },
      },
      cosign: t.app.cosign,
      replies: t.app.replies,
    });
  });
  afterAll(() => t?.close());

  const record = (
    name: string,
    overrides: Partial<RemoteEncounterRecord> = {},
  ): RemoteEncounterRecord => ({
    iri: `${REMOTE}/notes/${name}`,
    url: `${REMOTE}/@antoine/${name}`,
    authorIri: antoine.iri,
    contentHtml: "<p>Un café #Socialdapres</p>",
    text: "Un café #Socialdapres",
    hasSocialdapresTag: true,
    keywords: ["Cafe"],
    mentions: [{ iri: beaIri, name: "@bea" }],
    photo: null,
    inReplyTo: null,
    visibility: "public",
    publishedAt: new Date("2025-03-01T10:00:00Z"),
    updatedAt: null,
    ...overrides,
  });
  const find = (name: string) => t.app.encounterRepository.findByIri(`${REMOTE}/notes/${name}`);
  const notified = async (encounterId: string) =>
    (
      await t.app.database.db
        .select()
        .from(notifications)
        .where(eq(notifications.encounterId, encounterId))
    ).map((n) => n.memberId);
  const memberId = async (username: string) =>
    (await t.app.members.findByUsername(username))?.id as string;

  it("stores a tagged post of someone a member follows, once", async () => {
    const outcome = await service.receiveCreate(antoine.iri, record("one"));
    expect(outcome.status).toBe("stored");
    const encounter = await find("one");
    expect(encounter).toMatchObject({ isLocal: false, text: "Un café #Socialdapres" });
    expect(encounter?.participants.map((p) => p.actor?.iri)).toEqual([beaIri]);
    expect(await notified(encounter?.id as string)).toEqual([await memberId("bea")]);
    expect(await service.receiveCreate(antoine.iri, record("one", { text: "again" }))).toEqual({
      status: "unchanged",
      encounterId: encounter?.id,
    });
    const again = await find("one");
    expect(again?.text).toBe("Un café #Socialdapres");
    // The participants are written with the encounter, never a second time beside it.
    expect(again?.participants.map((p) => p.actor?.iri)).toEqual([beaIri]);
  });

  it("ignores what is not ours to keep, and says why", async () => {
    const cases: Array<[string, RemoteEncounterRecord, RegExp]> = [
      [antoine.iri, record("untagged", { hasSocialdapresTag: false }), /not tagged/],
      [zoe.iri, record("forged"), /not the author/],
      [
        antoine.iri,
        record("elsewhere", { iri: "https://other.example/notes/x" }),
        /author's server/,
      ],
      [antoine.iri, record("javascript", { url: "javascript:alert(1)" }), /unreadable/],
      [zoe.iri, record("stranger", { authorIri: zoe.iri, mentions: [] }), /neither/],
    ];
    for (const [sender, input, reason] of cases) {
      const outcome = await service.receiveCreate(sender, input);
      expect(outcome.status, input.iri).toBe("ignored");
      expect(outcome.status === "ignored" && outcome.reason).toMatch(reason);
    }
    expect(await find("stranger")).toBeUndefined();
    // Nobody was looked up for posts we do not keep.
    expect(lookups).toEqual([]);
  });

  it("looks up a stranger who names a member; an unreachable participant keeps their name", async () => {
    const input = record("zoe", {
      authorIri: zoe.iri,
      mentions: [
        { iri: `${REMOTE}/users/ghost`, name: "@ghost@remote.example" },
        { iri: beaIri, name: "@bea" },
        { iri: zoe.iri, name: "@zoe" },
        { iri: beaIri, name: "@bea" },
      ],
    });
    expect((await service.receiveCreate(zoe.iri, input)).status).toBe("stored");
    const encounter = await find("zoe");
    expect(encounter?.author.iri).toBe(zoe.iri);
    // The author is not their own participant, and bea is named once.
    expect(encounter?.participants.map((p) => p.actor?.iri ?? p.plainName)).toEqual([
      "@ghost@remote.example",
      beaIri,
    ]);
    expect(lookups).toEqual([zoe.iri, `${REMOTE}/users/ghost`]);
  });

  it("names no member blocked either way with its author, whether the author was known or looked up", async () => {
    const members = ["bea", "carl", "dora", "eve"];
    const urlOf = (username: string) => t.app.urls.actor(username).href;
    const receive = async (author: RemoteActorRecord) => {
      const iri = `https://${author.host}/notes/${author.username}`;
      const outcome = await service.receiveCreate(
        author.iri,
        record(author.username, {
          iri,
          url: iri,
          authorIri: author.iri,
          mentions: members.map((u) => ({ iri: urlOf(u), name: `@${u}` })),
        }),
      );
      expect(outcome.status).toBe("stored");
      const stored = await t.app.encounterRepository.findByIri(iri);
      const names = async (ids: string[]) =>
        (await Promise.all(members.map(async (u) => [u, await memberId(u)] as const)))
          .filter(([, id]) => ids.includes(id))
          .map(([u]) => u);
      return {
        named: stored?.participants.map((p) => members.find((u) => urlOf(u) === p.actor?.iri)),
        notified: await names(await notified(stored?.id as string)),
      };
    };
    // Known authors, each in one kind of block only; one in none.
    const [, blockedByCarl, blockingDora] = await Promise.all(
      [
        at("free.example", "fred"),
        at("one.example", "wim"),
        at("two.example", "xan"),
        at("three.example", "zed"),
      ].map((record) => t.app.actors.upsertRemote(record)),
    );
    await t.app.blocks.block("carl", blockedByCarl?.id as string);
    await t.app.blocks.receiveBlock({
      actorIri: blockingDora?.iri as string,
      username: "dora",
      activityIri: "https://two.example/blocks/1",
    });
    await t.app.blocks.blockDomain("eve", "three.example");
    await t.app.blocks.blockDomain("eve", "yves.example");
    const everyone = { named: members, notified: members };
    expect(await receive(at("free.example", "fred"))).toEqual(everyone);
    const but = (left: string) => members.filter((u) => u !== left);
    expect(await receive(at("one.example", "wim"))).toEqual({
      named: but("carl"),
      notified: but("carl"),
    });
    expect(await receive(at("two.example", "xan"))).toEqual({
      named: but("dora"),
      notified: but("dora"),
    });
    expect(await receive(at("three.example", "zed"))).toEqual({
      named: but("eve"),
      notified: but("eve"),
    });
    // Unknown until looked up: eve's block of its server still keeps her out.
    expect(await receive(yves)).toEqual({ named: but("eve"), notified: but("eve") });
  });

  it("applies edits in order, keeps the co-signature of who is still named", async () => {
    const id = (await find("one"))?.id as string;
    await t.app.cosign.cosign("bea", id);
    const edited = record("one", {
      text: "Un long café",
      keywords: ["Cafe", "Barbares"],
      mentions: [
        { iri: carlIri, name: "@carl" },
        { iri: beaIri, name: "@bea" },
      ],
      photo: {
        url: "https://cdn.remote.example/p.jpg",
        mediaType: "image/jpeg",
        width: null,
        height: 600,
        blurhash: null,
        alt: "Le café",
      },
      updatedAt: new Date("2025-03-02T10:00:00Z"),
    });
    expect(await service.receiveUpdate(antoine.iri, edited)).toEqual({
      status: "updated",
      encounterId: id,
    });
    const encounter = await find("one");
    expect(encounter).toMatchObject({
      text: "Un long café",
      keywords: ["Cafe", "Barbares"],
      photo: { url: "https://cdn.remote.example/p.jpg", key: "", width: 0, height: 600 },
    });
    expect(encounter?.participants.map((p) => [p.actor?.iri, p.cosignState])).toEqual([
      [carlIri, "pending"],
      [beaIri, "cosigned"],
    ]);
    expect((await notified(id)).sort()).toEqual(
      [await memberId("bea"), await memberId("carl")].sort(),
    );

    const older = record("one", { text: "Stale", updatedAt: new Date("2025-03-01T12:00:00Z") });
    expect((await service.receiveUpdate(antoine.iri, older)).status).toBe("unchanged");
    expect((await service.receiveUpdate(zoe.iri, { ...edited, authorIri: zoe.iri })).status).toBe(
      "ignored",
    );
    expect((await find("one"))?.text).toBe("Un long café");
  });

  it("an edit of a post we do not hold is read as a Create; taking the tag off withdraws it", async () => {
    expect((await service.receiveUpdate(antoine.iri, record("late"))).status).toBe("stored");
    const untagged = record("late", {
      hasSocialdapresTag: false,
      updatedAt: new Date("2025-03-05T10:00:00Z"),
    });
    expect((await service.receiveUpdate(antoine.iri, untagged)).status).toBe("deleted");
    expect(await find("late")).toMatchObject({ text: "", remoteContentHtml: null, keywords: [] });
  });

  it("a Delete by the author tombstones; by anyone else, or of a local encounter, it does nothing", async () => {
    const id = (await find("one"))?.id as string;
    expect((await service.receiveDelete(zoe.iri, `${REMOTE}/notes/one`)).status).toBe("ignored");
    expect(await service.receiveDelete(antoine.iri, `${REMOTE}/notes/one`)).toEqual({
      status: "deleted",
      encounterId: id,
    });
    const gone = await find("one");
    expect(gone).toMatchObject({ text: "", photo: null, remoteContentHtml: null, keywords: [] });
    expect(gone?.deletedAt).toBeInstanceOf(Date);
    expect(await notified(id)).toEqual([]);
    expect((await service.receiveDelete(antoine.iri, `${REMOTE}/notes/one`)).status).toBe(
      "unchanged",
    );

    const local = await t.app.encounters.create("bea", { text: "Chez moi", participants: ["Max"] });
    expect((await service.receiveDelete(beaIri, local.iri)).status).toBe("ignored");
    expect((await t.app.encounterRepository.findById(local.id))?.deletedAt).toBeNull();
  });
});
