import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actors } from "../../src/db/schema.ts";
import { AP, API, client, PUBLIC } from "../api/helpers.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { drainQueue } from "../support/queue.ts";

type Json = Record<string, unknown>;

/**
 * Witnesses speaking, end to end over real HTTP with real signatures: bea@A tells of an
 * encounter naming antoine@B; antoine answers it from B (own API, then C2S); A keeps the
 * reply under the encounter, shows it on the page, counts it on the Note and tells bea.
 */
describe(`replies across instances (${databaseLabel})`, () => {
  let a: TestApp;
  let b: TestApp;
  let bea: ReturnType<typeof client>;
  let antoine: ReturnType<typeof client>;
  let encounter: { id: string; iri: string };
  /** The encounter as B keeps it (its own id there). */
  let onB: { id: string };

  beforeAll(async () => {
    [a, b] = await Promise.all([buildTestApp({ listen: true }), buildTestApp({ listen: true })]);
    await Promise.all([
      a.app.members.create({ username: "bea", password: "bea-password-123" }),
      b.app.members.create({ username: "antoine", password: "antoine-password-1" }),
    ]);
    bea = client(a.app, await a.app.members.createToken("bea", "test"));
    antoine = client(b.app, await b.app.members.createToken("antoine", "test"));
    encounter = await a.app.encounters.create("bea", {
      text: "Croisé Antoine au marché",
      participants: [b.app.urls.actor("antoine").href],
    });
    onB = await eventually(() => b.app.encounterRepository.findByIri(encounter.iri), {
      what: "B to store bea's encounter",
    });
  });
  afterAll(async () => {
    // A delivery still on its way from one to the other would meet a closed database.
    if (a && b) await drainQueue(a.app, b.app);
    await Promise.all([a?.close(), b?.close()]);
  });

  const repliesOnA = () =>
    a.app.database.rows<{ iri: string; text: string; deleted: boolean }>(
      sql`select iri, text, deleted_at is not null as deleted from encounter_replies order by published_at`,
    );
  const page = async () =>
    (await a.app.http.inject({ method: "GET", url: `/@bea/${encounter.id}` })).body;
  const notificationsOfBea = async () =>
    (await bea({ method: "GET", url: `${API}/notifications` })).json().items as Json[];
  const fetchJson = async (url: string) => {
    const response = await fetch(url, { headers: { accept: AP } });
    return { status: response.status, json: (await response.json()) as Json };
  };

  let replyIri: string;

  it("antoine@B replies through B's API: A stores it, shows it on the page and tells bea", async () => {
    const posted = await antoine({
      method: "POST",
      url: `${API}/encounters/${onB.id}/replies`,
      payload: { text: "Quel plaisir, à bientôt au marché !" },
    });
    expect(posted.statusCode, posted.body).toBe(201);
    const reply = posted.json();
    expect(reply).toMatchObject({
      encounterId: onB.id,
      inReplyTo: encounter.iri,
      visibility: "public",
      author: { username: "antoine", local: true },
    });
    replyIri = reply.iri;
    expect(replyIri.startsWith(`${b.baseUrl}/users/antoine/replies/`)).toBe(true);

    const [stored] = await eventually(
      async () => {
        const rows = await repliesOnA();
        return rows.length === 1 && rows;
      },
      { what: "A to store antoine's reply" },
    );
    expect(stored).toMatchObject({ iri: replyIri, deleted: false });
    expect(stored?.text).toContain("Quel plaisir, à bientôt au marché !");

    // On the encounter's page, with antoine's name (linked), his avatar and the words, once.
    await a.app.database.db
      .update(actors)
      .set({ avatarUrl: "https://cdn.b.example/antoine.png" })
      .where(eq(actors.iri, b.app.urls.actor("antoine").href));
    const html = await page();
    expect(html).toContain('class="replies"');
    expect(html).toContain(`<a class="u-url p-name" href="${b.baseUrl}/@antoine">antoine</a>`);
    expect(html).toContain(
      '<img class="u-photo reply-avatar" src="https://cdn.b.example/antoine.png"',
    );
    expect(html.match(/Quel plaisir, à bientôt au marché !/g)).toHaveLength(1);

    // In bea's notifications, with the reply.
    const [notification] = await eventually(
      async () => {
        const items = await notificationsOfBea();
        return items.some((n) => n.kind === "encounter_reply") && items;
      },
      { what: "bea to be told" },
    );
    expect(notification).toMatchObject({
      kind: "encounter_reply",
      readAt: null,
      encounter: { id: encounter.id },
      reply: { iri: replyIri, author: { handle: `@antoine@${new URL(b.baseUrl).host}` } },
    });
  });

  it("A's Note counts it and A serves the replies collection; B serves the reply's Note", async () => {
    const note = await fetchJson(encounter.iri);
    expect(note.json.replies).toMatchObject({
      id: `${encounter.iri}/replies`,
      type: "Collection",
      totalItems: 1,
    });
    const collection = await fetchJson(`${encounter.iri}/replies`);
    expect(collection.json).toMatchObject({ type: "Collection", totalItems: 1 });
    const first = await fetchJson(collection.json.first as string);
    expect(first.json.items ?? first.json.orderedItems).toEqual(replyIri);

    const served = await fetchJson(replyIri);
    expect(served.status).toBe(200);
    expect(served.json).toMatchObject({
      id: replyIri,
      type: "Note",
      inReplyTo: encounter.iri,
      attributedTo: b.app.urls.actor("antoine").href,
      to: PUBLIC,
      tag: { type: "Mention", href: a.app.urls.actor("bea").href },
    });
    expect(served.json.content).toMatch(/^<p><span class="h-card"/);
  });

  let threadReplyId: string;

  it("bea answers antoine's reply from A: B keeps it in the thread and tells antoine", async () => {
    const replyOnA = (await a.app.repositories.replies.findByIri(replyIri))?.id as string;
    const posted = await bea({
      method: "POST",
      url: `${API}/encounters/${encounter.id}/replies`,
      payload: { text: "Avec plaisir !", inReplyTo: replyOnA },
    });
    expect(posted.statusCode, posted.body).toBe(201);
    expect(posted.json()).toMatchObject({ inReplyTo: replyIri, encounterId: encounter.id });
    threadReplyId = posted.json().id;
    const beaIri = posted.json().iri as string;
    const onBThread = await eventually(() => b.app.repositories.replies.findByIri(beaIri), {
      what: "B to store bea's answer",
    });
    // Attached to the same encounter, answering antoine's reply.
    expect(onBThread).toMatchObject({ encounterId: onB.id, inReplyToIri: replyIri });
    const told = await b.app.notifications.list("antoine", { limit: 10 });
    expect(told.find((n) => n.kind === "encounter_reply")?.reply?.iri).toBe(beaIri);
    // bea's own answer does not notify her.
    expect((await notificationsOfBea()).filter((n) => n.kind === "encounter_reply")).toHaveLength(
      1,
    );
  });

  it("a C2S Create(Note) inReplyTo the encounter is a reply, federated the same way", async () => {
    const response = await antoine({
      method: "POST",
      url: "/users/antoine/outbox",
      headers: { "content-type": AP },
      payload: JSON.stringify({
        "@context": "https://www.w3.org/ns/activitystreams",
        type: "Create",
        to: [PUBLIC],
        object: {
          type: "Note",
          content: `<p><a href="${a.app.urls.actor("bea").href}">@bea</a> Et merci pour le café #Socialdapres</p>`,
          inReplyTo: encounter.iri,
          tag: [{ type: "Mention", href: a.app.urls.actor("bea").href, name: "@bea" }],
        },
      }),
    });
    expect(response.statusCode, response.body).toBe(201);
    const location = response.headers.location as string;
    expect(response.json().object).toMatchObject({ id: location, inReplyTo: encounter.iri });
    await eventually(async () => (await repliesOnA()).some((r) => r.iri === location), {
      what: "A to store the C2S reply",
    });
    // Tagged #Socialdapres, it is still a reply: no new encounter on A.
    const [count] = await a.app.database.rows<{ n: number }>(
      sql`select count(*)::int as n from encounters`,
    );
    expect(count?.n).toBe(1);

    // Deleting it from C2S sends a Delete: A drops it from the page.
    const deleted = await antoine({
      method: "POST",
      url: "/users/antoine/outbox",
      headers: { "content-type": AP },
      payload: JSON.stringify({ type: "Delete", object: location }),
    });
    expect(deleted.statusCode, deleted.body).toBe(201);
    await eventually(
      async () => (await repliesOnA()).find((r) => r.iri === location)?.deleted === true,
      { what: "A to apply the Delete" },
    );
    expect(await page()).not.toContain("Et merci pour le café");
  });

  it("antoine deletes his reply through the API: A forgets it, and bea's notification with it", async () => {
    const mine = (await b.app.repositories.replies.findByIri(replyIri))?.id as string;
    expect((await antoine({ method: "DELETE", url: `${API}/replies/${mine}` })).statusCode).toBe(
      204,
    );
    await eventually(
      async () => (await repliesOnA()).find((r) => r.iri === replyIri)?.deleted === true,
      { what: "A to apply the Delete" },
    );
    expect(await page()).not.toContain("Quel plaisir");
    expect((await notificationsOfBea()).some((n) => n.kind === "encounter_reply")).toBe(false);
    expect((await fetchJson(encounter.iri)).json.replies).toMatchObject({ totalItems: 1 });
    // Its id answers 410 with a Tombstone on B.
    expect((await fetch(replyIri, { headers: { accept: AP } })).status).toBe(410);
  });

  it("bea deletes the encounter: its replies go from A's database", async () => {
    expect(
      (await a.app.database.rows(sql`select id from encounter_replies where id = ${threadReplyId}`))
        .length,
    ).toBe(1);
    await a.app.encounters.delete("bea", encounter.id);
    expect(await repliesOnA()).toEqual([]);
  });
});
