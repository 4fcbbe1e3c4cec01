import { readFileSync } from "node:fs";
import { importJwk, signRequest } from "@fedify/fedify";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AP, API, client, PUBLIC } from "../api/helpers.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { startHost, type TestHost } from "../support/hosts.ts";

type Json = Record<string, unknown>;

const FIXTURES = new URL("../fixtures/fediverse/", import.meta.url);

/**
 * Replies as other servers send them, from the fixtures, signed by actors of instance B and
 * posted to A's inbox as those servers would; and what a hostile sender tries.
 */
describe(`replies coming in over ActivityPub (${databaseLabel})`, () => {
  let a: TestApp;
  let b: TestApp;
  let bea: ReturnType<typeof client>;
  let beaIri: string;
  const encounters: Record<
    "shown" | "participants" | "followers" | "private",
    { id: string; iri: string }
  > = {} as never;
  const on = (username: string) => b.app.urls.actor(username).href;
  let serial = 0;

  beforeAll(async () => {
    [a, b] = await Promise.all([buildTestApp({ listen: true }), buildTestApp({ listen: true })]);
    await a.app.members.create({ username: "bea", password: "bea-password-123" });
    for (const username of ["carol", "dave"]) {
      await b.app.members.create({ username, password: `${username}-password-12` });
    }
    bea = client(a.app, await a.app.members.createToken("bea", "test"));
    beaIri = a.app.urls.actor("bea").href;
    const create = (visibility: "public" | "participants" | "followers" | "private") =>
      a.app.encounters.create("bea", {
        text: `Une rencontre (${visibility})`,
        participants: [on("carol")],
        visibility,
      });
    encounters.shown = await create("public");
    encounters.participants = await create("participants");
    encounters.followers = await create("followers");
    encounters.private = await create("private");
    await eventually(settled, { what: "A to deliver its encounters" });
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  /** A handled everything it received, and B everything it was asked to send. */
  async function settled(): Promise<boolean> {
    for (const app of [a.app, b.app]) {
      const [jobs] = await app.database.rows<{ n: number }>(
        sql`select count(*)::int as n from queue_jobs`,
      );
      if (jobs?.n !== 0) return false;
    }
    return true;
  }

  /** Posts the JSON to A's shared inbox, signed with the key of `username` on B. */
  async function post(username: string, activity: Json): Promise<void> {
    const member = await b.app.members.findByUsername(username);
    const rsa =
      member &&
      (await b.app.members.keyPairs(member)).find((p) => p.algorithm === "RSASSA-PKCS1-v1_5");
    if (!rsa) throw new Error(`no key for ${username}`);
    const request = await signRequest(
      new Request(`${a.baseUrl}/inbox`, {
        method: "POST",
        headers: { "content-type": AP },
        body: JSON.stringify(activity),
      }),
      await importJwk(rsa.privateKey, "private"),
      new URL(`${on(username)}#main-key`),
      { spec: "draft-cavage-http-signatures-12" },
    );
    const response = await fetch(request);
    expect(response.status, await response.text()).toBe(202);
    await eventually(settled, { what: `A to handle ${String(activity.id)}` });
  }

  /** A fixture with its hosts and ids rewritten, in the order given (longest first). */
  function fixture(path: string, rewrites: Array<[string, string]>): Json {
    let text = readFileSync(new URL(path, FIXTURES), "utf8");
    for (const [from, to] of rewrites) text = text.replaceAll(from, to);
    return JSON.parse(text) as Json;
  }

  /** A reply as Mastodon writes one, from `username` on B. */
  function replyJson(
    username: string,
    inReplyTo: string,
    options: {
      content?: string;
      extra?: Json;
      noteExtra?: Json;
      to?: string[];
      cc?: string[];
    } = {},
  ): Json {
    const id = `${on(username)}/statuses/${++serial}`;
    const to = options.to ?? [PUBLIC];
    const cc = options.cc ?? [`${on(username)}/followers`, beaIri];
    return {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${id}/activity`,
      type: "Create",
      actor: on(username),
      to,
      cc,
      object: {
        id,
        type: "Note",
        attributedTo: on(username),
        inReplyTo,
        content: options.content ?? `<p>Réponse ${serial}</p>`,
        published: new Date(Date.UTC(2026, 10, 29, 12, serial)).toISOString(),
        to,
        cc,
        tag: [{ type: "Mention", href: beaIri, name: "@bea" }],
        ...options.noteExtra,
      },
      ...options.extra,
    };
  }

  const reply = (iri: string) => a.app.repositories.replies.findByIri(iri);
  const encounterAt = (iri: string) => a.app.encounterRepository.findByIri(iri);
  const noteOf = (activity: Json) => (activity.object as Json).id as string;
  const replyNotifications = async () =>
    ((await bea({ method: "GET", url: `${API}/notifications` })).json().items as Json[]).filter(
      (n) => n.kind === "encounter_reply",
    );
  const page = async (id: string) =>
    (await a.app.http.inject({ method: "GET", url: `/@bea/${id}` })).body;

  let carolsReply: string;

  it("a small server's reply with the bare ActivityStreams context lands under the encounter", async () => {
    const activity = fixture("minimal/create-note-reply-bare-context.json", [
      [
        "https://socialdapres.example/users/bea/encounters/2710b37b-ef7c-4393-95f5-0960734a5083",
        encounters.shown.iri,
      ],
      ["https://socialdapres.example/users/bea", beaIri],
      ["https://small.example/alice", on("carol")],
    ]);
    carolsReply = noteOf(activity);
    await post("carol", activity);
    expect(await reply(carolsReply)).toMatchObject({
      encounterId: encounters.shown.id,
      inReplyToIri: encounters.shown.iri,
      isLocal: false,
      visibility: "public",
      mentions: [beaIri],
      text: "@bea@socialdapres.example Quelle belle rencontre, bravo !",
      author: { iri: on("carol") },
      publishedAt: new Date("2026-11-29T18:20:29Z"),
    });
    const [told] = await replyNotifications();
    expect(told).toMatchObject({
      encounter: { id: encounters.shown.id },
      reply: { iri: carolsReply, author: { iri: on("carol") } },
    });
    const html = await page(encounters.shown.id);
    expect(html).toContain("Quelle belle rencontre, bravo !");
    expect(html).toContain('<a rel="nofollow noopener noreferrer" href="');
  });

  it("Mastodon's reply Note, wrapped in its Create: public, sanitized, counted", async () => {
    const note = fixture("mastodon/note-public-reply-mention-image-focalpoint.json", [
      ["https://floss.social/users/kde/statuses/113306824627995724", encounters.shown.iri],
      ["https://floss.social/users/kde", on("dave")],
      ["https://floss.social/@kde", `${b.baseUrl}/@dave`],
      ["https://lemmy.kde.social/c/kde", beaIri],
    ]);
    const activity = {
      "@context": note["@context"],
      id: `${note.id}/activity`,
      type: "Create",
      actor: note.attributedTo,
      to: note.to,
      cc: note.cc,
      object: { ...note, "@context": undefined },
    };
    await post("dave", activity);
    const stored = await reply(note.id as string);
    expect(stored).toMatchObject({ visibility: "public", author: { iri: on("dave") } });
    expect(stored?.remoteContentHtml).toContain("We also need funding");
    expect(stored?.remoteContentHtml).not.toContain("target=");
    const served = await fetch(encounters.shown.iri, { headers: { accept: AP } });
    expect(((await served.json()) as Json).replies).toMatchObject({ totalItems: 2 });
  });

  it("GoToSocial's unlisted reply to a reply joins the encounter's thread", async () => {
    const activity = fixture("mastodon/create-note-unlisted-reply-mention.json", [
      [
        "http://localhost:8080/users/the_mighty_zork/statuses/01F8MHAMCHF6Y650WCRSCP4WMY",
        carolsReply,
      ],
      ["http://fossbros-anonymous.io/users/foss_satan", on("dave")],
      ["http://localhost:8080/users/the_mighty_zork", beaIri],
      ["http://localhost:8080/@the_mighty_zork", `${a.baseUrl}/@bea`],
    ]);
    await post("dave", activity);
    expect(await reply(noteOf(activity))).toMatchObject({
      encounterId: encounters.shown.id,
      inReplyToIri: carolsReply,
      visibility: "unlisted",
    });
    // On the page, it says whom it answers.
    expect(await page(encounters.shown.id)).toContain("en réponse à <a");
  });

  it("a reply tagged #Socialdapres is still a reply, not an encounter", async () => {
    const activity = replyJson("carol", encounters.shown.iri, {
      content: `<p>Bravo à vous deux <a href="${b.baseUrl}/tags/socialdapres" rel="tag">#Socialdapres</a></p>`,
      noteExtra: {
        tag: [
          { type: "Mention", href: beaIri, name: "@bea" },
          { type: "Hashtag", href: `${b.baseUrl}/tags/socialdapres`, name: "#Socialdapres" },
        ],
      },
    });
    await post("carol", activity);
    expect(await reply(noteOf(activity))).toMatchObject({ encounterId: encounters.shown.id });
    expect(await encounterAt(noteOf(activity))).toBeUndefined();
  });

  it("its author edits and deletes it; nobody else can", async () => {
    const activity = replyJson("carol", encounters.shown.iri, { content: "<p>Premier jet</p>" });
    const note = activity.object as Json;
    await post("carol", activity);
    const update = (username: string, content: string, updated: string) => ({
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${on(username)}/updates/${++serial}`,
      type: "Update",
      actor: on(username),
      object: { ...note, content, updated },
    });
    await post("dave", update("dave", "<p>Détourné</p>", "2026-11-30T10:00:00Z"));
    expect((await reply(note.id as string))?.text).toBe("Premier jet");
    await post("carol", update("carol", "<p>Version revue</p>", "2026-11-30T11:00:00Z"));
    expect((await reply(note.id as string))?.text).toBe("Version revue");

    const remove = (username: string) => ({
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${on(username)}/deletes/${++serial}`,
      type: "Delete",
      actor: on(username),
      object: { id: note.id, type: "Tombstone" },
    });
    await post("dave", remove("dave"));
    expect((await reply(note.id as string))?.deletedAt).toBeNull();
    await post("carol", remove("carol"));
    expect(await reply(note.id as string)).toMatchObject({ text: "", remoteContentHtml: null });
    expect((await reply(note.id as string))?.deletedAt).toBeInstanceOf(Date);
    expect(await page(encounters.shown.id)).not.toContain("Version revue");
  });

  describe("a hostile sender", () => {
    // Another server, on loopback, that knows nothing.
    let elsewhere: TestHost;
    beforeAll(async () => {
      elsewhere = await startHost("127.0.0.1", (_request, response) => {
        response.writeHead(404).end();
      });
    });
    afterAll(() => elsewhere?.close());

    /** Nothing was kept of this Note: neither a reply nor an encounter. */
    async function refused(activity: Json) {
      await post(String(activity.actor).split("/").at(-1) as string, activity);
      expect(await reply(noteOf(activity))).toBeUndefined();
      expect(await encounterAt(noteOf(activity))).toBeUndefined();
    }

    it("a reply claiming another server's author is refused, and that author never looked up", async () => {
      const stranger = `${elsewhere.origin}/users/mallory`;
      await refused(
        replyJson("carol", encounters.shown.iri, { noteExtra: { attributedTo: stranger } }),
      );
      expect(elsewhere.requests).toEqual([]);
      expect(await a.app.actors.findByIri(stranger)).toBeUndefined();
    });

    it("a reply whose id is on another server is fetched from there, not trusted", async () => {
      const elsewhereReply = replyJson("carol", encounters.shown.iri);
      (elsewhereReply.object as Json).id = `${elsewhere.origin}/statuses/1`;
      await refused(elsewhereReply);
      // That server does not know it (404): nothing to keep.
      expect(elsewhere.requests.map((r) => r.url)).toContain("/statuses/1");
    });

    it("a stranger's reply to a participants-only, followers-only or private encounter is refused", async () => {
      await refused(replyJson("dave", encounters.participants.iri, { to: [beaIri], cc: [] }));
      await refused(replyJson("dave", encounters.followers.iri));
      // Even from someone it names: a private encounter is its author's tracker entry.
      await refused(replyJson("carol", encounters.private.iri, { to: [beaIri], cc: [] }));

      // Someone it names may answer a participants-only one, and no wider than it.
      const named = replyJson("carol", encounters.participants.iri);
      await post("carol", named);
      expect(await reply(noteOf(named))).toMatchObject({ visibility: "participants" });
      // Not on the page: only what anyone may read is shown there.
      expect(
        (
          await bea({
            method: "GET",
            url: `${API}/encounters/${encounters.participants.id}/replies`,
          })
        )
          .json()
          .items.map((r: Json) => r.iri),
      ).toEqual([noteOf(named)]);
    });

    it("a reply to a reply that its sender may not read is refused", async () => {
      const named = (
        await a.app.database.rows<{ iri: string }>(
          sql`select iri from encounter_replies where encounter_id = ${encounters.participants.id}`,
        )
      )[0]?.iri as string;
      await refused(replyJson("dave", named, { to: [beaIri], cc: [] }));
    });

    it("a reply longer than the sanitizer reads is refused, not cut", async () => {
      await refused(
        replyJson("carol", encounters.shown.iri, {
          content: `<p>${"Bla ".repeat(40_000)}</p>`,
        }),
      );
    });
  });
});
