import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AP, client, postEncounter } from "../api/helpers.ts";
import { buildInstancePair, PAIR_PASSWORDS, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { drainQueue } from "../support/queue.ts";
import { WebClient } from "../support/web.ts";

type Json = Record<string, unknown>;

/**
 * An encounter posted from A's pages reaches B over real HTTP with real signatures, as one
 * posted through the JSON API does: its Create, then the Update of an edit, the reply
 * written under it, and the Delete.
 */
describe(`web compose across instances (${databaseLabel})`, () => {
  let a: TestApp;
  let b: TestApp;
  let bea: WebClient;
  let antoineHandle: string;
  let fromPage: { id: string; iri: string };
  let fromApi: { id: string; iri: string };

  beforeAll(async () => {
    [a, b] = await buildInstancePair();
    await a.app.members.create({ username: "carl", password: "carl-password-123" });
    // antoine@B follows bea@A: her followers' server receives what she writes, replies included.
    await b.app.follows.followIri("antoine", a.app.urls.actor("bea").href);
    await eventually(
      async () =>
        (await a.app.follows.followState(b.app.urls.actor("antoine").href, "bea")) === "accepted",
      { what: "bea to accept antoine" },
    );
    await drainQueue(a.app, b.app);
    bea = await new WebClient(a.app.http).login("bea", PAIR_PASSWORDS.bea);
  });
  afterAll(async () => {
    if (a && b) await drainQueue(a.app, b.app);
    await Promise.all([a?.close(), b?.close()]);
  });

  const noteOf = async (iri: string) => {
    const response = await fetch(iri, { headers: { accept: AP } });
    expect(response.status).toBe(200);
    return (await response.json()) as Json;
  };
  /** What must not differ between two ways of posting the same encounter. */
  const essentials = (note: Json, id: string) => {
    const sorted = (v: unknown) =>
      (Array.isArray(v) ? v : v === undefined ? [] : [v]).map((x) => JSON.stringify(x)).sort();
    return {
      type: note.type,
      attributedTo: note.attributedTo,
      to: sorted(note.to),
      cc: sorted(note.cc),
      tag: sorted(note.tag),
      content: String(note.content).replaceAll(id, "<id>"),
      sensitive: note.sensitive,
      attachment: note.attachment,
    };
  };

  it("looks the remote member up by address, then names them by handle: the Note reaches B as the API's does", async () => {
    const antoineIri = b.app.urls.actor("antoine").href;
    const lookup = await bea.get(`/compose/lookup?handle=${encodeURIComponent(antoineIri)}`, {
      accept: "application/json",
    });
    expect(lookup.statusCode, lookup.body).toBe(200);
    antoineHandle = lookup.json().handle;
    expect(antoineHandle).toBe(`@antoine@${new URL(b.baseUrl).host}`);

    const input = {
      text: "Belle rencontre au jardin partagé",
      participants: ["@carl", antoineHandle],
      keywords: ["Jardin", "Voisinage"],
      details: { howTheyAre: "Ils vont bien." },
    };
    const posted = await bea.postMultipart("/compose", {
      participants: input.participants,
      text: input.text,
      keywords: input.keywords.join(" "),
      howTheyAre: input.details.howTheyAre,
      visibility: "public",
    });
    expect(posted.statusCode, posted.body.slice(0, 500)).toBe(303);
    const id = /\/@bea\/([0-9a-f-]{36})$/.exec(String(posted.headers.location))?.[1] as string;
    fromPage = { id, iri: a.app.urls.encounter("bea", id).href };
    const token = await a.app.members.createToken("bea", "test");
    fromApi = await postEncounter(client(a.app, token), input);
    await drainQueue(a.app, b.app);

    // B keeps both, alike.
    const [onB, apiOnB] = await Promise.all([
      b.app.encounterRepository.findByIri(fromPage.iri),
      b.app.encounterRepository.findByIri(fromApi.iri),
    ]);
    expect(onB).toBeDefined();
    const kept = (v: typeof onB) => ({
      text: v?.text,
      keywords: v?.keywords,
      visibility: v?.visibility,
      participants: v?.participants.map((p) => p.actor?.iri ?? p.plainName),
    });
    expect(kept(onB)).toEqual(kept(apiOnB));
    expect(kept(onB)).toMatchObject({
      visibility: "public",
      participants: [a.app.urls.actor("carl").href, antoineIri],
    });
    // The Note A serves (the very object its Create carried) matches field by field.
    const [pageNote, apiNote] = await Promise.all([noteOf(fromPage.iri), noteOf(fromApi.iri)]);
    expect(essentials(pageNote, fromPage.id)).toEqual(essentials(apiNote, fromApi.id));
    expect(JSON.stringify(pageNote.tag)).toContain(antoineIri);
    expect(JSON.stringify(pageNote.tag)).toContain("#Jardin");
    // antoine is told on B.
    const told = await b.app.notifications.list("antoine", { limit: 10 });
    expect(told.some((n) => n.encounter?.iri === fromPage.iri)).toBe(true);
  });

  it("an edit from the page reaches B as an Update", async () => {
    const saved = await bea.postMultipart(`/@bea/${fromPage.id}/edit`, {
      participants: ["@carl", antoineHandle],
      text: "Belle rencontre au jardin partagé, sous la pluie",
      keywords: "Jardin Voisinage",
      howTheyAre: "Ils vont bien.",
      visibility: "public",
    });
    expect(saved.statusCode, saved.body.slice(0, 500)).toBe(303);
    await drainQueue(a.app, b.app);
    const onB = await b.app.encounterRepository.findByIri(fromPage.iri);
    expect(onB?.text).toContain("sous la pluie");
    expect(onB?.updatedAt).not.toBeNull();
  });

  it("a reply written under it on A's page is shown there and reaches B", async () => {
    const replied = await bea.post(`/encounters/${fromPage.id}/replies`, {
      text: "Merci à vous deux !",
    });
    expect(replied.statusCode).toBe(303);
    const page = await bea.get(`/@bea/${fromPage.id}`);
    expect(page.body).toContain("Merci à vous deux !");
    await drainQueue(a.app, b.app);
    const onB = await b.app.database.rows<{ text: string }>(
      sql`select text from encounter_replies`,
    );
    expect(onB.map((r) => r.text).join()).toContain("Merci à vous deux !");
  });

  it("deleting from the page reaches B as a Delete", async () => {
    const deleted = await bea.post(`/@bea/${fromPage.id}/delete`);
    expect(deleted.statusCode).toBe(303);
    await drainQueue(a.app, b.app);
    const onB = await b.app.encounterRepository.findByIri(fromPage.iri);
    expect(onB === undefined || onB.deletedAt !== null).toBe(true);
    // The other one, posted through the API, is still there.
    expect((await b.app.encounterRepository.findByIri(fromApi.iri))?.deletedAt).toBeNull();
  });
});
