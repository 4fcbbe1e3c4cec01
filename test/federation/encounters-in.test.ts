import { importJwk, signRequest } from "@fedify/fedify";
import {
  type Activity,
  Announce,
  Create,
  Delete,
  Hashtag,
  Image,
  Like,
  Mention,
  Note,
  PUBLIC_COLLECTION,
  type Recipient,
  Tombstone,
  Undo,
  Update,
} from "@fedify/vocab";
import { Temporal } from "@js-temporal/polyfill";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { members, notifications } from "../../src/db/schema.ts";
import { actorRowToRecipient } from "../../src/federation/recipients.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";

const instant = (iso: string) =>
  Temporal.Instant.from(iso) as unknown as globalThis.Temporal.Instant;

const CONTENT =
  '<p>Glad to have crossed paths with <span class="h-card"><a href="BEA" class="u-url mention" onclick="steal()">@<span>bea</span></a></span>' +
  ' <a href="https://b.example/tags/BrightMirror" class="mention hashtag" rel="tag">#<span>BrightMirror</span></a>' +
  " #Socialdapres</p><p>She is doing well.<script>alert(1)</script></p>";

describe(`encounters coming in over ActivityPub (${databaseLabel})`, () => {
  let a: TestApp;
  let b: TestApp;
  let beaIri: string;
  let beaRecipient: Recipient;
  const actorOnB = (username: string) => b.app.urls.actor(username).href;
  const noteIri = (author: string, name: string) => new URL(`${actorOnB(author)}/notes/${name}`);

  beforeAll(async () => {
    [a, b] = await Promise.all([buildTestApp({ listen: true }), buildTestApp({ listen: true })]);
    const bea = await a.app.members.create({ username: "bea", password: "bea-password-123" });
    // Co-signs what names her from people she follows: shows autoCosign runs for remote posts.
    await a.app.database.db
      .update(members)
      .set({ autoCosignFromFollowed: true })
      .where(eq(members.id, bea.member.id));
    for (const username of ["antoine", "carol", "dave"]) {
      await b.app.members.create({ username, password: `${username}-password-12` });
    }
    beaIri = a.app.urls.actor("bea").href;
    await a.app.follows.follow("bea", await a.app.remoteLookup.lookupActor(actorOnB("antoine")));
    await eventually(
      async () => (await b.app.follows.followState(beaIri, "antoine")) === "accepted",
    );
    await eventually(
      async () =>
        (await a.app.follows.following("bea", { limit: 10 })).items.length === 1 &&
        (await settled()),
      { what: "A to record the Accept" },
    );
    const beaOnB = await b.app.actors.findByIri(beaIri);
    if (!beaOnB) throw new Error("B does not know bea");
    beaRecipient = actorRowToRecipient(beaOnB);
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  /** B has delivered everything it was asked to send, and A has handled everything it received. */
  async function settled(): Promise<boolean> {
    const [sending] = await b.app.database.rows<{ n: number }>(
      sql`select count(*)::int as n from queue_jobs where message->>'type' in ('outbox', 'fanout')`,
    );
    if (sending?.n !== 0) return false;
    const [receiving] = await a.app.database.rows<{ n: number }>(
      sql`select count(*)::int as n from queue_jobs where message->>'type' = 'inbox'`,
    );
    return receiving?.n === 0;
  }

  /** Sends from B with the member's own key, as B's outbox would. */
  async function send(username: string, activity: Activity): Promise<void> {
    const ctx = b.app.federation.createContext(b.app.urls.origin, undefined);
    await ctx.sendActivity({ identifier: username }, beaRecipient, activity);
    await eventually(settled, { what: `delivery of ${activity.id?.href}` });
  }

  function note(
    id: URL,
    options: {
      author?: string;
      content?: string;
      tagged?: boolean;
      keywords?: string[];
      mentions?: string[];
      updated?: string;
      photo?: { url: string; alt: string } | null;
    } = {},
  ): Note {
    const author = actorOnB(options.author ?? "antoine");
    const mentions = (options.mentions ?? [beaIri]).map((iri) => new URL(iri));
    const keywords = options.keywords ?? ["BrightMirror"];
    const photo =
      options.photo === undefined
        ? { url: "https://cdn.b.example/cafe.jpg", alt: "Au café" }
        : options.photo;
    return new Note({
      id,
      attribution: new URL(author),
      content: (options.content ?? CONTENT).replace("BEA", beaIri),
      tags: [
        ...(options.tagged === false
          ? []
          : [
              new Hashtag({
                name: "#Socialdapres",
                href: new URL("/tags/socialdapres", b.baseUrl),
              }),
            ]),
        ...keywords.map(
          (k) =>
            new Hashtag({ name: `#${k}`, href: new URL(`/tags/${k.toLowerCase()}`, b.baseUrl) }),
        ),
        ...mentions.map(
          (href) => new Mention({ href, name: `@${href.pathname.split("/").pop()}@${href.host}` }),
        ),
      ],
      to: PUBLIC_COLLECTION,
      ccs: [new URL(`${author}/followers`), ...mentions],
      attachments: photo
        ? [
            new Image({
              url: new URL(photo.url),
              mediaType: "image/jpeg",
              width: 800,
              height: 600,
              name: photo.alt,
            }),
          ]
        : [],
      url: new URL(`${id.href}/page`),
      published: instant("2025-03-01T10:00:00Z"),
      updated: options.updated ? instant(options.updated) : null,
    });
  }

  const create = (object: Note, actor = object.attributionId as URL) =>
    new Create({ id: b.app.urls.newActivity("create"), actor, object, to: PUBLIC_COLLECTION });
  const stored = (iri: URL) => a.app.encounterRepository.findByIri(iri.href);
  const notificationsOf = async (encounterId: string) =>
    a.app.database.db
      .select()
      .from(notifications)
      .where(eq(notifications.encounterId, encounterId));

  // Built once B exists; every test after the first one works on this Note.
  let first: URL;

  it("stores a Create(Note) tagged #Socialdapres from someone bea follows, naming her", async () => {
    first = noteIri("antoine", "1");
    await send("antoine", create(note(first)));
    const encounter = await stored(first);
    expect(encounter).toMatchObject({
      isLocal: false,
      url: `${first.href}/page`,
      text: "Glad to have crossed paths with @bea #BrightMirror #Socialdapres\n\nShe is doing well.",
      keywords: ["BrightMirror"],
      visibility: "public",
      inReplyTo: null,
      publishedAt: new Date("2025-03-01T10:00:00Z"),
      deletedAt: null,
      photo: {
        url: "https://cdn.b.example/cafe.jpg",
        mediaType: "image/jpeg",
        width: 800,
        height: 600,
        blurhash: null,
        alt: "Au café",
      },
    });
    expect(encounter?.author.iri).toBe(actorOnB("antoine"));
    expect(encounter?.remoteContentHtml).toContain(
      `<a rel="nofollow noopener noreferrer" href="${beaIri}" class="u-url mention">`,
    );
    expect(encounter?.remoteContentHtml).not.toMatch(/script|onclick|alert/);
    expect(encounter?.participants.map((p) => p.actor?.iri)).toEqual([beaIri]);
    if (!encounter) return;
    const notified = await notificationsOf(encounter.id);
    expect(notified.map((n) => n.kind)).toEqual(["named_in_encounter"]);
    // Bea follows antoine and asked to co-sign such encounters automatically.
    expect(encounter.participants[0]?.cosignState).toBe("cosigned");
  });

  it("a repeated Create of the same Note changes nothing", async () => {
    const before = await stored(first);
    await send("antoine", create(note(first, { content: "<p>Rewritten #Socialdapres</p>" })));
    const after = await stored(first);
    expect(after?.id).toBe(before?.id);
    expect(after?.text).toBe(before?.text);
    expect(await notificationsOf(before?.id as string)).toHaveLength(1);
    const [count] = await a.app.database.rows<{ n: number }>(
      sql`select count(*)::int as n from encounters where iri = ${first.href}`,
    );
    expect(count?.n).toBe(1);
  });

  it("ignores a Note without #Socialdapres, even from someone followed, naming bea", async () => {
    const untagged = noteIri("antoine", "untagged");
    await send("antoine", create(note(untagged, { tagged: false, content: "<p>Hello</p>" })));
    expect(await stored(untagged)).toBeUndefined();
  });

  it("ignores a stranger's Note naming nobody here; stores one naming bea", async () => {
    const nobody = noteIri("dave", "nobody");
    await send("dave", create(note(nobody, { author: "dave", mentions: [actorOnB("carol")] })));
    expect(await stored(nobody)).toBeUndefined();
    // Looking up a stranger is done only for what is kept.
    expect(await a.app.actors.findByIri(actorOnB("dave"))).toBeUndefined();

    const naming = noteIri("dave", "naming-bea");
    await send(
      "dave",
      create(note(naming, { author: "dave", mentions: [beaIri, actorOnB("carol")] })),
    );
    const encounter = await stored(naming);
    expect(encounter?.author.iri).toBe(actorOnB("dave"));
    expect(encounter?.participants.map((p) => p.actor?.iri)).toEqual([beaIri, actorOnB("carol")]);
    // Dave is not someone bea follows: she is named, not co-signing on her behalf.
    expect(encounter?.participants[0]?.cosignState).toBe("pending");
  });

  it("ignores a Note whose author is not the sender (forged attributedTo)", async () => {
    const forged = noteIri("antoine", "forged");
    await send("carol", create(note(forged), new URL(actorOnB("carol"))));
    expect(await stored(forged)).toBeUndefined();
  });

  it("applies an Update from the author, not from anyone else", async () => {
    await send(
      "antoine",
      new Update({
        id: b.app.urls.newActivity("update"),
        actor: new URL(actorOnB("antoine")),
        object: note(first, {
          content: "<p>Edited: a long talk #Socialdapres</p>",
          keywords: ["Marche", "Barbares"],
          photo: { url: "https://cdn.b.example/market.jpg", alt: "Au marché" },
          updated: "2025-03-02T10:00:00Z",
        }),
      }),
    );
    const edited = await stored(first);
    expect(edited).toMatchObject({
      text: "Edited: a long talk #Socialdapres",
      keywords: ["Marche", "Barbares"],
      photo: { url: "https://cdn.b.example/market.jpg", alt: "Au marché" },
      updatedAt: new Date("2025-03-02T10:00:00Z"),
    });
    // Bea is still named: her co-signature stays.
    expect(edited?.participants[0]?.cosignState).toBe("cosigned");

    for (const attribution of ["antoine", "carol"]) {
      await send(
        "carol",
        new Update({
          id: b.app.urls.newActivity("update"),
          actor: new URL(actorOnB("carol")),
          object: note(first, {
            author: attribution,
            content: "<p>Hijacked #Socialdapres</p>",
            updated: "2025-03-03T10:00:00Z",
          }),
        }),
      );
    }
    expect((await stored(first))?.text).toBe("Edited: a long talk #Socialdapres");
  });

  it("Announce and Like of our encounters are counted; Undo only by whoever sent them", async () => {
    const local = await a.app.encounters.create("bea", {
      text: "Café avec Antoine",
      participants: [actorOnB("antoine")],
    });
    const reaction = (type: typeof Announce | typeof Like, username: string, object: string) =>
      new type({
        id: b.app.urls.newActivity(type === Like ? "like" : "announce"),
        actor: new URL(actorOnB(username)),
        object: new URL(object),
        to: PUBLIC_COLLECTION,
      });
    const undo = (username: string, object: Activity | URL) =>
      new Undo({ id: b.app.urls.newActivity("undo"), actor: new URL(actorOnB(username)), object });
    const view = () => a.app.encounterRepository.findById(local.id);

    // A participant's boost is their co-signature.
    const cosign = reaction(Announce, "antoine", local.iri);
    await send("antoine", cosign);
    expect((await view())?.participants[0]).toMatchObject({
      cosignState: "cosigned",
      cosignActivityIri: cosign.id?.href,
    });

    const like = reaction(Like, "carol", local.iri);
    const boost = reaction(Announce, "carol", local.iri);
    const boostOfRemote = reaction(Announce, "carol", first.href);
    for (const activity of [like, boost, boostOfRemote]) await send("carol", activity);
    expect(await view()).toMatchObject({ likesCount: 1, announcesCount: 1 });
    expect(await stored(first)).toMatchObject({ announcesCount: 1 });

    // Someone else cannot take carol's like back, embedded or by id.
    await send("dave", undo("dave", like));
    await send("dave", undo("dave", like.id as URL));
    expect(await view()).toMatchObject({ likesCount: 1 });

    await send("carol", undo("carol", like));
    await send("carol", undo("carol", boost));
    await send("antoine", undo("antoine", cosign));
    expect(await view()).toMatchObject({ likesCount: 0, announcesCount: 0 });
    expect((await view())?.participants[0]?.cosignState).toBe("pending");
  });

  it("a Delete by the author tombstones the encounter; by anyone else it does nothing", async () => {
    const naming = noteIri("dave", "naming-bea");
    await send(
      "carol",
      new Delete({
        id: b.app.urls.newActivity("delete"),
        actor: new URL(actorOnB("carol")),
        object: naming,
      }),
    );
    expect((await stored(naming))?.deletedAt).toBeNull();

    // GoToSocial sends a bare id, Mastodon a Tombstone.
    await send(
      "dave",
      new Delete({
        id: b.app.urls.newActivity("delete"),
        actor: new URL(actorOnB("dave")),
        object: naming,
      }),
    );
    await send(
      "antoine",
      new Delete({
        id: b.app.urls.newActivity("delete"),
        actor: new URL(actorOnB("antoine")),
        object: new Tombstone({ id: first }),
      }),
    );
    for (const iri of [naming, first]) {
      const gone = await stored(iri);
      expect(gone).toMatchObject({ text: "", remoteContentHtml: null, keywords: [], photo: null });
      expect(gone?.deletedAt).toBeInstanceOf(Date);
      expect(await notificationsOf(gone?.id as string)).toEqual([]);
    }
  });

  it("keeps the blurhash of a Mastodon payload signed with the author's key", async () => {
    const id = noteIri("antoine", "mastodon-shaped");
    const antoine = await b.app.members.findByUsername("antoine");
    const rsa =
      antoine &&
      (await b.app.members.keyPairs(antoine)).find((p) => p.algorithm === "RSASSA-PKCS1-v1_5");
    if (!rsa) throw new Error("setup failed");
    const body = JSON.stringify({
      "@context": [
        "https://www.w3.org/ns/activitystreams",
        { toot: "http://joinmastodon.org/ns#", blurhash: "toot:blurhash", Hashtag: "as:Hashtag" },
      ],
      id: `${id.href}/activity`,
      type: "Create",
      actor: actorOnB("antoine"),
      to: ["https://www.w3.org/ns/activitystreams#Public"],
      object: {
        id: id.href,
        type: "Note",
        attributedTo: actorOnB("antoine"),
        to: ["https://www.w3.org/ns/activitystreams#Public"],
        cc: [beaIri],
        content: "<p>Un marché #Socialdapres</p>",
        published: "2025-03-04T10:00:00Z",
        tag: [
          { type: "Hashtag", name: "#socialdaprès", href: `${b.baseUrl}/tags/socialdapr%C3%A8s` },
          { type: "Mention", href: beaIri, name: "@bea" },
        ],
        attachment: [
          {
            type: "Document",
            mediaType: "image/jpeg",
            url: "https://cdn.b.example/m.jpg",
            name: null,
            summary: "Le marché",
            blurhash: "UaH1x+IpD*RktToft6s:0f%2tQj@xsWWRkNG",
          },
        ],
      },
    });
    const inbox = `${a.baseUrl}/inbox`;
    const request = await signRequest(
      new Request(inbox, {
        method: "POST",
        headers: { "content-type": "application/activity+json" },
        body,
      }),
      await importJwk(rsa.privateKey, "private"),
      new URL(`${actorOnB("antoine")}#main-key`),
      { spec: "draft-cavage-http-signatures-12" },
    );
    expect((await fetch(request)).status).toBe(202);
    const encounter = await eventually(() => stored(id), { what: "the signed Mastodon payload" });
    expect(encounter.photo).toMatchObject({
      blurhash: "UaH1x+IpD*RktToft6s:0f%2tQj@xsWWRkNG",
      alt: "Le marché",
    });
  });
});
