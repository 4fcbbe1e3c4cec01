import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { AP, client, LD, membersWithTokens, PUBLIC, stored } from "./helpers.ts";

type Json = Record<string, unknown>;

describe(`C2S: POST /users/:username/outbox (${databaseLabel})`, () => {
  let a: TestApp;
  let b: TestApp;
  let tokens: Record<string, string>;
  let bea: ReturnType<typeof client>;
  let antoine: ReturnType<typeof client>;
  let antoineIri: string;

  beforeAll(async () => {
    [a, b] = await Promise.all([buildTestApp({ listen: true }), buildTestApp({ listen: true })]);
    tokens = await membersWithTokens(a.app, ["bea", "antoine"]);
    await b.app.members.create({ username: "remi", password: "remi-password-123" });
    bea = client(a.app, tokens.bea as string);
    antoine = client(a.app, tokens.antoine as string);
    antoineIri = a.app.urls.actor("antoine").href;
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  const post = (
    body: unknown,
    options: { as?: typeof bea; username?: string; type?: string } = {},
  ) =>
    (options.as ?? bea)({
      method: "POST",
      url: `/users/${options.username ?? "bea"}/outbox`,
      headers: { "content-type": options.type ?? AP },
      payload: typeof body === "string" ? body : JSON.stringify(body),
    });
  const mention = () => ({
    type: "Mention",
    href: antoineIri,
    name: `@antoine@${a.app.urls.origin.host}`,
  });

  /** The Create's id is the Note's IRI + "/activity" (src/federation/encounter-delivery.ts). */
  const noteOf = (location: unknown) => String(location).replace(/\/activity$/, "");

  it("a bare Note is wrapped in Create: 201, Location = the Create's IRI, the encounter exists", async () => {
    const response = await post({
      "@context": "https://www.w3.org/ns/activitystreams",
      id: "https://client.example/ignored",
      type: "Note",
      content: `<p><span class="h-card"><a href="${antoineIri}" class="u-url mention">@<span>antoine</span></a></span> Ravie de t'avoir croisé ! #BrightMirror</p>`,
      tag: [mention(), { type: "Hashtag", name: "#BrightMirror" }],
      to: [PUBLIC],
      bcc: ["https://secret.example/users/x"],
    });
    expect(response.statusCode, response.body).toBe(201);
    const location = response.headers.location as string;
    expect(location).toMatch(
      new RegExp(`^${a.baseUrl}/users/bea/encounters/[0-9a-f-]{36}/activity$`),
    );
    const view = await a.app.encounterRepository.findByIri(noteOf(location));
    expect(view).toMatchObject({
      text: "Ravie de t'avoir croisé !",
      keywords: ["BrightMirror"],
      visibility: "public",
    });
    expect(view?.participants.map((p) => p.actor?.iri)).toEqual([antoineIri]);
    const body = response.json() as Json;
    expect(response.headers["content-type"]).toMatch(/^application\/activity\+json/);
    expect(body).toMatchObject({
      id: location,
      type: "Create",
      actor: a.app.urls.actor("bea").href,
    });
    expect((body.object as Json).id).toBe(view?.iri);
    expect(response.body).not.toContain("client.example");
    expect(response.body).not.toContain("secret.example");
    // The Location can be fetched: it is the Create the federation serves.
    const fetched = await fetch(location, { headers: { accept: AP } });
    expect(fetched.status).toBe(200);
    expect(((await fetched.json()) as Json).id).toBe(location);
  });

  it("Create(Note) with the ld+json profile: 201; visibility from the activity's addressing", async () => {
    const response = await post(
      {
        type: "Create",
        cc: [PUBLIC],
        object: {
          type: "Note",
          source: { content: "Un thé avec Antoine", mediaType: "text/plain" },
          tag: [mention()],
          "socialdapres:occurredOn": new Date().toISOString().slice(0, 10),
          attachment: [{ type: "Image", url: "https://elsewhere.example/a.jpg" }],
        },
      },
      { type: LD },
    );
    expect(response.statusCode, response.body).toBe(201);
    const view = await a.app.encounterRepository.findByIri(noteOf(response.headers.location));
    expect(view).toMatchObject({
      text: "Un thé avec Antoine",
      visibility: "unlisted",
      photo: null,
    });
  });

  it("Update(Note) edits, Announce co-signs, Undo(Announce) declines, Delete deletes", async () => {
    const created = await post({ type: "Note", content: "Avant", tag: [mention()], to: [PUBLIC] });
    const iri = noteOf(created.headers.location);

    const updated = await post({
      type: "Update",
      object: { type: "Note", id: iri, content: "<p>Après</p>" },
    });
    expect(updated.statusCode, updated.body).toBe(201);
    expect(await a.app.encounterRepository.findByIri(iri)).toMatchObject({
      text: "Après",
      visibility: "public",
    });
    // Someone else's encounter cannot be edited.
    const pirate = await post(
      { type: "Update", object: { type: "Note", id: iri, content: "x" } },
      {
        as: antoine,
        username: "antoine",
      },
    );
    expect(pirate.statusCode).toBe(404);

    const announce = await post(
      { type: "Announce", object: iri },
      { as: antoine, username: "antoine" },
    );
    expect(announce.statusCode, announce.body).toBe(201);
    expect(announce.headers.location).toMatch(/\/activities\/announce\//);
    expect((await a.app.encounterRepository.findByIri(iri))?.participants[0]?.cosignState).toBe(
      "cosigned",
    );
    const undo = await post(
      { type: "Undo", object: { type: "Announce", object: iri } },
      { as: antoine, username: "antoine" },
    );
    expect(undo.statusCode, undo.body).toBe(201);
    expect((await a.app.encounterRepository.findByIri(iri))?.participants[0]?.cosignState).toBe(
      "declined",
    );
    // Bea is the author, not a participant: her Announce is not a co-signature.
    const notNamed = await post({ type: "Announce", object: iri });
    expect(notNamed.statusCode).toBe(422);
    expect(notNamed.json()).toEqual({
      error: expect.stringMatching(/co-signs an encounter that names you/),
    });

    const deleted = await post({ type: "Delete", object: iri });
    expect(deleted.statusCode, deleted.body).toBe(201);
    expect((await a.app.encounterRepository.findByIri(iri))?.deletedAt).toBeInstanceOf(Date);
    expect((await post({ type: "Delete", object: iri })).statusCode).toBe(404);
  });

  it("Follow and Undo(Follow) reach another instance over real HTTP", async () => {
    const remiIri = b.app.urls.actor("remi").href;
    const beaIri = a.app.urls.actor("bea").href;
    const follow = await post({ type: "Follow", object: remiIri });
    expect(follow.statusCode, follow.body).toBe(201);
    expect(follow.headers.location).toMatch(new RegExp(`^${a.baseUrl}/activities/follow/`));
    await eventually(async () => (await b.app.follows.followState(beaIri, "remi")) === "accepted", {
      what: "B to accept bea's follow",
    });
    const undo = await post({ type: "Undo", object: { type: "Follow", object: remiIri } });
    expect(undo.statusCode, undo.body).toBe(201);
    await eventually(async () => (await b.app.follows.followState(beaIri, "remi")) === undefined, {
      what: "B to apply the Undo",
    });
  });

  it("refuses, storing nothing: wrong member 403, wrong type 415, no token 401, bad bodies 4xx", async () => {
    const note = { type: "Note", content: "x", tag: [mention()] };
    const cases: Array<[() => ReturnType<typeof post>, number, RegExp]> = [
      [() => post(note, { username: "antoine" }), 403, /belongs to bea/],
      [() => post(note, { username: "nobody" }), 403, /belongs to bea/],
      [() => post(note, { type: "application/json" }), 415, /application\/activity\+json/],
      [() => post(note, { type: "application/ld+json" }), 415, /profile/],
      [() => post(note, { type: "text/plain" }), 415, /application\/activity\+json/],
      [
        () =>
          a.app.http.inject({
            method: "POST",
            url: "/users/bea/outbox",
            headers: { "content-type": AP },
            payload: "{}",
          }),
        401,
        /Bearer/,
      ],
      [() => post("{not json"), 400, /not valid JSON/],
      [() => post({ type: "Note", content: "Seule", to: [PUBLIC] }), 422, /Mention tag/],
      [() => post({ ...note, content: "é".repeat(281) }), 422, /text must be at most 280/],
      [
        () =>
          post({
            ...note,
            tag: [
              mention(),
              ...Array.from({ length: 11 }, (_, i) => ({ type: "Hashtag", name: `#k${i}` })),
            ],
          }),
        422,
        /keywords must be at most 10/,
      ],
      [() => post({ ...note, "socialdapres:occurredOn": "2020-01-01" }), 422, /occurredOn/],
      [
        () => post({ ...note, tag: [{ type: "Mention", name: "@nobody" }] }),
        422,
        /@nobody is not a member/,
      ],
      [() => post({ type: "Like", object: antoineIri }), 404, /No encounter at/],
      [() => post({ type: "Undo", object: `${a.baseUrl}/activities/like/x` }), 404, /to undo/],
      [() => post({ type: "Move", object: antoineIri }), 422, /Move is not supported/],
      [() => post({ type: "Note", content: "x".repeat(1024 * 1024) }), 413, /larger than 1 MiB/],
    ];
    for (const [send, status, message] of cases) {
      const before = await stored(a.app);
      const response = await send();
      expect(response.statusCode, response.body).toBe(status);
      expect(response.json()).toEqual({ error: expect.stringMatching(message) });
      expect(await stored(a.app)).toEqual(before);
    }
  });

  it("GET of the outbox is still Fedify's public collection", async () => {
    const response = await fetch(`${a.baseUrl}/users/bea/outbox`, { headers: { accept: AP } });
    expect(response.status).toBe(200);
    expect(((await response.json()) as Json).type).toBe("OrderedCollection");
  });
});
