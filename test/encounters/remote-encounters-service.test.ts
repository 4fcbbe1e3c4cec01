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

describe(`remote encounters: what is kept of remote posts (${databaseLabel})`, () => {
  let t: TestApp;
  let service: RemoteEncountersService;
  let beaIri: string;
  let carlIri: string;
  const lookups: string[] = [];

  beforeAll(async () => {
    t = await buildTestApp();
    for (const username of ["bea", "carl"]) {
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
