import { randomUUID } from "node:crypto";
import { Follow, isActor } from "@fedify/vocab";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ActorRow } from "../../src/actors/actors-repository.ts";
import { encounterParticipants, type Visibility } from "../../src/db/schema.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { type Received, type Recorder, startRecorder } from "../support/recording-server.ts";
import { insertRemoteEncounter } from "../support/remote-encounter.ts";

type Json = Record<string, unknown>;

const AP = "application/activity+json";
const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";

/**
 * What a member's reply sends, as another server receives it (rita's recorder verifies every
 * signature): Mastodon's shape of a reply, addressed by the visibility of what it answers.
 */
describe(`replies going out over ActivityPub (${databaseLabel})`, () => {
  let a: TestApp;
  let rec: Recorder;
  let rita: ActorRow;
  let beaIri: string;
  let carlFollowers: string;

  async function drained() {
    await eventually(
      async () => {
        const [row] = await a.app.database.rows<{ n: number }>(
          sql`select count(*)::int as n from queue_jobs`,
        );
        return row?.n === 0;
      },
      { what: "the queue to drain" },
    );
  }

  const receivedFor = (type: string, objectId: string) =>
    rec.received.filter(
      (r) => r.type === type && (r.json.object as Json | undefined)?.id === objectId,
    );

  beforeAll(async () => {
    [a, rec] = await Promise.all([buildTestApp({ listen: true }), startRecorder()]);
    for (const username of ["bea", "carl"]) {
      await a.app.members.create({ username, password: `${username}-password-123` });
    }
    beaIri = a.app.urls.actor("bea").href;
    carlFollowers = a.app.urls.followers("carl").href;
    // rita@R follows carl: her server hears his replies.
    const ctx = rec.federation.createContext(new URL(rec.origin), undefined);
    const carl = await ctx.lookupObject(a.app.urls.actor("carl").href);
    if (!isActor(carl) || !carl.id) throw new Error("no carl on A");
    await ctx.sendActivity(
      { identifier: "rita" },
      carl,
      new Follow({
        id: new URL("/follows/carl", rec.origin),
        actor: new URL(rec.actorIri),
        object: carl.id,
      }),
    );
    await eventually(
      async () => (await a.app.follows.followState(rec.actorIri, "carl")) === "accepted",
    );
    rita = await a.app.actors.upsertRemote(await a.app.remoteLookup.lookupActor(rec.actorIri));
    // carl follows rita, and she accepted: he reads her followers-only posts.
    await a.app.follows.follow("carl", await a.app.remoteLookup.lookupActor(rec.actorIri));
    await a.app.follows.receiveAnswer({
      targetIri: rec.actorIri,
      followerUsername: "carl",
      accepted: true,
    });
    await drained();
    rec.received.length = 0;
  });
  afterAll(async () => {
    await Promise.all([a?.close(), rec?.app.close()]);
  });

  it("a reply to bea's public encounter: Create(Note) inReplyTo it, public, mentioning bea", async () => {
    const encounter = await a.app.encounters.create("bea", {
      text: "Au marché avec Marie",
      participants: ["Marie"],
    });
    const reply = await a.app.replies.reply("carl", encounter.id, { text: "Belle journée !" });
    await drained();
    const [create] = receivedFor("Create", reply.iri) as [Received];
    expect(create).toMatchObject({ actor: a.app.urls.actor("carl").href });
    expect(create.id).toMatch(new RegExp(`^${a.baseUrl}/activities/create/`));
    expect(create.json).toMatchObject({ to: PUBLIC, cc: [carlFollowers, beaIri] });
    const note = create.json.object as Json;
    expect(note).toMatchObject({
      id: reply.iri,
      type: "Note",
      attributedTo: a.app.urls.actor("carl").href,
      inReplyTo: encounter.iri,
      url: `${encounter.url}#reply-${reply.id}`,
      to: PUBLIC,
      cc: [carlFollowers, beaIri],
      tag: { type: "Mention", href: beaIri, name: `@bea@${new URL(a.baseUrl).host}` },
      source: { content: "Belle journée !", mediaType: "text/plain" },
    });
    expect(note.content).toBe(
      `<p><span class="h-card" translate="no"><a href="${a.baseUrl}/@bea" class="u-url mention">@<span>bea</span></a></span> Belle journée !</p>`,
    );
    // Served at its id, as sent.
    const served = await fetch(reply.iri, { headers: { accept: AP } });
    expect(await served.json()).toMatchObject({ id: reply.iri, inReplyTo: encounter.iri });
  });

  /** A remote encounter by rita, stored on A, naming carl. */
  async function ritasEncounter(visibility: Visibility) {
    const id = await insertRemoteEncounter(a.app, rita, { visibility });
    const carl = await a.app.actors.findByIri(a.app.urls.actor("carl").href);
    await a.app.database.db.insert(encounterParticipants).values({
      id: randomUUID(),
      encounterId: id,
      position: 0,
      actorId: carl?.id as string,
    });
    return (await a.app.encounterRepository.findById(id)) as { id: string; iri: string };
  }

  const addressing: Array<[Visibility, Json]> = [
    ["public", { to: PUBLIC, cc: [`FOLLOWERS`, `RITA`] }],
    ["unlisted", { to: `FOLLOWERS`, cc: [PUBLIC, `RITA`] }],
    ["followers", { to: `FOLLOWERS`, cc: `RITA` }],
    ["participants", { to: `RITA` }],
  ];

  for (const [visibility, expected] of addressing) {
    it(`a reply to rita's ${visibility} encounter reaches her, addressed no wider than it`, async () => {
      const encounter = await ritasEncounter(visibility);
      // Asking for more than the encounter allows gets what it allows.
      const reply = await a.app.replies.reply("carl", encounter.id, {
        text: `Réponse (${visibility})`,
        visibility: "public",
      });
      expect(reply.visibility).toBe(visibility);
      await drained();
      const creates = receivedFor("Create", reply.iri);
      // rita is addressed and follows carl: her server gets it once.
      expect(creates).toHaveLength(1);
      const address = JSON.parse(
        JSON.stringify(expected)
          .replaceAll("FOLLOWERS", carlFollowers)
          .replaceAll("RITA", rec.actorIri),
      ) as Json;
      const note = (creates[0] as Received).json.object as Json;
      expect(note).toMatchObject({ ...address, inReplyTo: encounter.iri });
      if (visibility === "participants") expect(note.cc).toBeUndefined();

      // The Delete goes to the same people, with a Tombstone.
      await a.app.replies.delete("carl", reply.id);
      await drained();
      const [deleted] = receivedFor("Delete", reply.iri) as [Received];
      expect(deleted.json).toMatchObject({
        ...address,
        object: { id: reply.iri, type: "Tombstone" },
      });
    });
  }

  it("a followers-only reply is served to whom it addresses, not to anyone", async () => {
    const encounter = await ritasEncounter("followers");
    const reply = await a.app.replies.reply("carl", encounter.id, { text: "Entre nous" });
    expect((await fetch(reply.iri, { headers: { accept: AP } })).status).toBe(401);
    const ctx = rec.federation.createContext(new URL(rec.origin), undefined);
    const loader = await ctx.getDocumentLoader({ identifier: "rita" });
    expect((await loader(reply.iri)).document).toMatchObject({
      id: reply.iri,
      inReplyTo: encounter.iri,
    });
  });
});
