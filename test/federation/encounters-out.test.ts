import { verifyJsonLd, verifyObject } from "@fedify/fedify";
import { Create, Follow, isActor } from "@fedify/vocab";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.ts";
import { encounterToNote } from "../../src/federation/mappers/note.ts";
import { solid } from "../media/images.ts";
import { buildTestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { type Received, type Recorder, startRecorder } from "../support/recording-server.ts";

type Json = Record<string, unknown>;
type TestInstance = Awaited<ReturnType<typeof buildTestApp>>;

const AP = "application/activity+json";
const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";
const BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/** Every queued delivery of the instance has gone out (failures would stay queued for retry). */
async function drained({ app }: { app: App }) {
  await eventually(
    async () => {
      const [row] = await app.database.rows<{ n: number }>(
        sql`select count(*)::int as n from queue_jobs`,
      );
      return row?.n === 0;
    },
    { what: "the queue to drain" },
  );
}

async function getJson(url: string, accept = AP) {
  const response = await fetch(url, { headers: { accept }, redirect: "manual" });
  const text = await response.text();
  return {
    response,
    json:
      text && response.headers.get("content-type")?.includes("json")
        ? (JSON.parse(text) as Json)
        : undefined,
  };
}

describe(`encounters going out over ActivityPub (${databaseLabel})`, () => {
  let a: TestInstance;
  let b: TestInstance;
  let rec: Recorder;
  let beaIri: string;
  let antoineBIri: string;
  let antoineAIri: string;

  const receivedFor = (type: string, objectId: string) =>
    rec.received.filter((r) => {
      if (r.type !== type) return false;
      const object = r.json.object;
      const id = typeof object === "string" ? object : (object as Json | undefined)?.id;
      return id === objectId;
    });

  /** rita@R follows a member of A, with a real signed Follow; A accepts it. */
  async function ritaFollows(username: string) {
    const ctx = rec.federation.createContext(new URL(rec.origin), undefined);
    const target = await ctx.lookupObject(a.app.urls.actor(username).href);
    if (!isActor(target) || !target.id) throw new Error(`no ${username} on A`);
    await ctx.sendActivity(
      { identifier: "rita" },
      target,
      new Follow({
        id: new URL(`/follows/${username}`, rec.origin),
        actor: new URL(rec.actorIri),
        object: target.id,
      }),
    );
    await eventually(
      async () => (await a.app.follows.followState(rec.actorIri, username)) === "accepted",
      {
        what: `A to accept rita's follow of ${username}`,
      },
    );
  }

  /** A GET of `url` signed by rita. */
  async function fetchAsRita(url: string) {
    const ctx = rec.federation.createContext(new URL(rec.origin), undefined);
    const loader = await ctx.getDocumentLoader({ identifier: "rita" });
    return loader(url);
  }

  beforeAll(async () => {
    [a, b, rec] = await Promise.all([
      buildTestApp({ listen: true }),
      buildTestApp({ listen: true }),
      startRecorder(),
    ]);
    await a.app.members.create({
      username: "bea",
      password: "bea-password-123",
      displayName: "Béa",
    });
    await a.app.members.create({ username: "antoine", password: "antoine-password-1" });
    await b.app.members.create({ username: "antoine", password: "antoine-password-1" });
    await b.app.members.create({ username: "carol", password: "carol-password-12" });
    beaIri = a.app.urls.actor("bea").href;
    antoineAIri = a.app.urls.actor("antoine").href;
    antoineBIri = b.app.urls.actor("antoine").href;
    // carol@B follows bea@A: B is one more server that must get bea's public encounters.
    await b.app.follows.follow("carol", await b.app.remoteLookup.lookupActor(beaIri));
    await eventually(
      async () =>
        (await a.app.follows.followState(b.app.urls.actor("carol").href, "bea")) === "accepted",
    );
    await ritaFollows("bea");
    await ritaFollows("antoine");
    await drained(a);
    rec.received.length = 0;
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close(), rec?.app.close()]);
  });

  let encounterIri: string;
  let encounterId: string;

  it("Create(Note): one signed request per server, naming participants with Mentions and the photo with its blurhash", async () => {
    const photo = await solid(64, 48, "#c84").jpeg().toBuffer();
    const encounter = await a.app.encounters.create(
      "bea",
      {
        text: "Contente d'avoir croisé Antoine du mouvement des Barbares.\nIl va bien.",
        participants: [antoineBIri, rec.actorIri, "Marie"],
        keywords: ["BrightMirror", "café"],
        details: { howTheyAre: "Il va bien" },
        photoAlt: "Deux tasses de café en terrasse",
      },
      photo,
    );
    encounterIri = encounter.iri;
    encounterId = encounter.id;
    await drained(a); // B's inbox took it as well: a refused delivery would stay queued
    // rita is both a participant and a follower of bea: her server gets the Create once, on its shared inbox.
    const creates = receivedFor("Create", encounterIri);
    expect(creates).toHaveLength(1);
    const [create] = creates as [Received];
    expect(create).toMatchObject({
      recipient: null,
      actor: beaIri,
      id: `${encounterIri}/activity`,
    });
    const note = create.json.object as Json;
    expect(note).toMatchObject({
      id: encounterIri,
      type: "Note",
      attributedTo: beaIri,
      url: encounter.url,
      to: PUBLIC,
      cc: [a.app.urls.followers("bea").href, antoineBIri, rec.actorIri],
      attachment: [
        {
          type: "Document",
          mediaType: "image/webp",
          name: "Deux tasses de café en terrasse",
          blurhash: encounter.photo?.blurhash,
          width: encounter.photo?.width,
          height: encounter.photo?.height,
          url: encounter.photo?.url,
        },
      ],
    });
    expect(encounter.photo?.blurhash).toMatch(/^.{6,}$/);
    // Renaming toot:blurhash happens before signing: the proof and the LD signature hold.
    const ctx = rec.federation.createContext(new URL(rec.origin), undefined);
    const loaders = { documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader };
    expect(create.json.proof).toMatchObject({ cryptosuite: "eddsa-jcs-2022" });
    // The proof covers the activity as it was before the LD signature was added to it.
    const { signature: _, ...proven } = create.json;
    expect(await verifyObject(Create, proven, loaders)).not.toBeNull();
    expect(create.json.signature).toMatchObject({ type: "RsaSignature2017" });
    expect(await verifyJsonLd(create.json, loaders)).toBe(true);
    expect(JSON.stringify(create.json["@context"])).toContain('"blurhash":"toot:blurhash"');
    expect(note.tag).toEqual([
      { type: "Hashtag", href: `${a.baseUrl}/tags/socialdapres`, name: "#Socialdapres" },
      { type: "Hashtag", href: `${a.baseUrl}/tags/brightmirror`, name: "#BrightMirror" },
      { type: "Hashtag", href: `${a.baseUrl}/tags/caf%C3%A9`, name: "#café" },
      { type: "Mention", href: antoineBIri, name: `@antoine@${new URL(b.baseUrl).host}` },
      { type: "Mention", href: rec.actorIri, name: `@rita@${new URL(rec.origin).host}` },
    ]);
    expect(note.content).toContain(
      `<span class="h-card" translate="no"><a href="${b.baseUrl}/@antoine" class="u-url mention">@<span>antoine</span></a></span>`,
    );
    expect(note.content).toContain("et Marie</p>");
    expect(note.content).toContain("Comment ça va&nbsp;: Il va bien");
  });

  it("serves the Note at its id (the JSON that was sent), its Create, and sends browsers to the page", async () => {
    const { response, json } = await getJson(encounterIri);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain(AP);
    const view = await a.app.encounterRepository.findById(encounterId);
    if (!view) throw new Error("encounter gone");
    const expected = await encounterToNote(view, {
      urls: a.app.urls,
      language: "fr",
      repliesCount: 0,
    }).toJsonLd();
    expect(json).toEqual(expected);
    const [create] = receivedFor("Create", encounterIri);
    if (!create) throw new Error("no Create received");
    const { "@context": _, ...sent } = create.json.object as Json;
    const { "@context": __, ...served } = json as Json;
    expect(served).toEqual(sent);

    const activity = await getJson(`${encounterIri}/activity`);
    expect(activity.json).toMatchObject({
      id: `${encounterIri}/activity`,
      type: "Create",
      object: { id: encounterIri },
    });

    const page = await fetch(encounterIri, { headers: { accept: BROWSER }, redirect: "manual" });
    expect(page.status).toBe(302);
    expect(page.headers.get("location")).toBe(view.url);
    expect(page.headers.get("vary")).toContain("Accept");
  });

  it("lists public encounters, newest first, in the outbox as Create(Note)", async () => {
    const second = await a.app.encounters.create("bea", {
      text: "Un autre café",
      participants: ["Léa"],
    });
    await a.app.encounters.create("bea", {
      text: "Privé",
      participants: ["Léa"],
      visibility: "followers",
    });
    const outbox = await getJson(a.app.urls.outbox("bea").href);
    expect(outbox.json).toMatchObject({ type: "OrderedCollection", totalItems: 2 });
    const first = await getJson(String(outbox.json?.first));
    const items = first.json?.orderedItems as Json[];
    expect(items.map((item) => [item.type, (item.object as Json).id])).toEqual([
      ["Create", second.iri],
      ["Create", encounterIri],
    ]);
    expect((await getJson(a.app.urls.outbox("nobody").href)).response.status).toBe(404);
    await drained(a);
  });

  it("Update(Note) on edit, Delete(Tombstone) on deletion, then 410 Gone at the id", async () => {
    await a.app.encounters.update("bea", encounterId, {
      text: "Contente d'avoir croisé Antoine. Il va très bien.",
    });
    await drained(a);
    const updates = receivedFor("Update", encounterIri);
    expect(updates).toHaveLength(1);
    const [update] = updates as [Received];
    expect(update).toMatchObject({ actor: beaIri, recipient: null });
    expect((update.json.object as Json).content).toContain("Il va très bien.");
    expect((update.json.object as Json).updated).toEqual(expect.any(String));

    await a.app.encounters.delete("bea", encounterId);
    await drained(a);
    const [deletion] = receivedFor("Delete", encounterIri);
    expect(deletion?.json).toMatchObject({
      actor: beaIri,
      to: PUBLIC,
      object: { id: encounterIri, type: "Tombstone", formerType: "as:Note" },
    });
    expect(JSON.stringify(deletion?.json)).not.toContain("Antoine");

    const gone = await getJson(encounterIri);
    expect(gone.response.status).toBe(410);
    expect(gone.json).toMatchObject({ id: encounterIri, type: "Tombstone" });
    expect((await getJson(a.app.urls.outbox("bea").href)).json?.totalItems).toBe(1);
  });

  it("followers-only: sent to followers and participants, readable only with a follower's signature", async () => {
    const before = rec.received.length;
    const encounter = await a.app.encounters.create("bea", {
      text: "Pour mes abonné·es",
      participants: [antoineBIri],
      visibility: "followers",
    });
    await drained(a);
    const [create] = receivedFor("Create", encounter.iri);
    expect(create?.json.object).toMatchObject({
      to: a.app.urls.followers("bea").href,
      cc: antoineBIri,
    });
    expect(rec.received.length).toBe(before + 1);

    expect((await getJson(encounter.iri)).response.status).toBe(401);
    expect((await fetchAsRita(encounter.iri)).document).toMatchObject({ id: encounter.iri });
  });

  it("participants-only: never sent to followers, readable only by a participant", async () => {
    const hidden = await a.app.encounters.create("bea", {
      text: "Entre nous",
      participants: [antoineBIri],
      visibility: "participants",
    });
    const withRita = await a.app.encounters.create("bea", {
      text: "Entre nous deux",
      participants: [rec.actorIri],
      visibility: "participants",
    });
    await drained(a);
    expect(receivedFor("Create", hidden.iri)).toEqual([]);
    expect(receivedFor("Create", withRita.iri)[0]?.json.object).toMatchObject({ to: rec.actorIri });
    expect(JSON.stringify(receivedFor("Create", withRita.iri)[0]?.json.object)).not.toContain(
      "followers",
    );

    await expect(fetchAsRita(hidden.iri)).rejects.toThrow(/401/);
    expect((await fetchAsRita(withRita.iri)).document).toMatchObject({ id: withRita.iri });
    expect((await getJson(withRita.iri)).response.status).toBe(401);
  });

  it("co-signing: antoine@A's followers get an Announce only once he co-signs, and Undo when he withdraws", async () => {
    const encounter = await a.app.encounters.create("bea", {
      text: "Café avec Antoine",
      participants: ["@antoine"],
      keywords: ["BrightMirror"],
    });
    await drained(a);
    // Named, not broadcast: rita follows antoine, yet sees only bea's Create (she follows bea).
    expect(receivedFor("Create", encounter.iri)).toHaveLength(1);
    expect(receivedFor("Announce", encounter.iri)).toEqual([]);
    // antoine is on A itself: he is notified in A's database, and A posts nothing to its own inbox.
    expect(
      await a.app.database.rows(
        sql`select 1 from notifications where encounter_id = ${encounter.id}`,
      ),
    ).toHaveLength(1);
    const seenByInbox = await a.app.database.rows(
      sql`select key from kv_entries where key like ${"%activityIdempotence%"}`,
    );
    expect(JSON.stringify(seenByInbox)).not.toContain(encounter.iri);
    expect(seenByInbox.length).toBeGreaterThan(0); // the Follows and Accepts A did receive

    const cosigned = await a.app.cosign.cosign("antoine", encounter.id);
    const activityIri = cosigned.participants[0]?.cosignActivityIri;
    await drained(a);
    const announces = receivedFor("Announce", encounter.iri);
    expect(announces).toHaveLength(1);
    expect(announces[0]).toMatchObject({ id: activityIri, actor: antoineAIri, recipient: null });
    expect(announces[0]?.json).toMatchObject({
      to: PUBLIC,
      cc: [beaIri, a.app.urls.followers("antoine").href],
    });

    await a.app.cosign.decline("antoine", encounter.id);
    await drained(a);
    const undos = rec.received.filter(
      (r) => r.type === "Undo" && (r.json.object as Json | undefined)?.id === activityIri,
    );
    expect(undos).toHaveLength(1);
    expect(undos[0]?.json).toMatchObject({
      actor: antoineAIri,
      object: { type: "Announce", object: encounter.iri },
    });
  });
});
