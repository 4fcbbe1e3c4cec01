import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EncounterView } from "../../src/encounters/encounters-repository.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { AP, API, client, membersWithTokens } from "./helpers.ts";

type Json = Record<string, unknown>;

describe(`likes over the JSON API and the C2S outbox (${databaseLabel})`, () => {
  let t: TestApp;
  let as: Record<"bea" | "antoine" | "carol", ReturnType<typeof client>>;
  let view: EncounterView;

  beforeAll(async () => {
    t = await buildTestApp();
    const tokens = await membersWithTokens(t.app, ["bea", "antoine", "carol"]);
    as = {
      bea: client(t.app, tokens.bea as string),
      antoine: client(t.app, tokens.antoine as string),
      carol: client(t.app, tokens.carol as string),
    };
    view = await t.app.encounters.create("bea", { text: "Café", participants: ["@antoine"] });
  });
  afterAll(() => t?.close());

  const likesCount = async (id = view.id) =>
    (await t.app.encounterRepository.findById(id))?.likesCount;
  const memberLikes = async () =>
    (await t.app.database.rows<{ n: number }>(sql`select count(*)::int as n from member_likes`))[0]
      ?.n;
  const outbox = (username: keyof typeof as, body: unknown) =>
    as[username]({
      method: "POST",
      url: `/users/${username}/outbox`,
      headers: { "content-type": AP },
      payload: JSON.stringify(body),
    });

  it("POST and DELETE /encounters/:id/like: one like however often, the encounter in return", async () => {
    const like = () => as.carol({ method: "POST", url: `${API}/encounters/${view.id}/like` });
    const unlike = () => as.carol({ method: "DELETE", url: `${API}/encounters/${view.id}/like` });
    for (const expected of [1, 1]) {
      const response = await like();
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toMatchObject({ id: view.id, likesCount: expected });
    }
    for (const expected of [0, 0]) {
      const response = await unlike();
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toMatchObject({ id: view.id, likesCount: expected });
    }
  });

  it("404 for an encounter the member may not see or that does not exist; nothing stored", async () => {
    const hidden = await t.app.encounters.create("bea", {
      text: "Entre nous",
      participants: ["@antoine"],
      visibility: "participants",
    });
    const before = await memberLikes();
    for (const id of [hidden.id, "00000000-0000-4000-8000-000000000000", "not-a-uuid"]) {
      for (const method of ["POST", "DELETE"] as const) {
        const response = await as.carol({ method, url: `${API}/encounters/${id}/like` });
        expect(response.statusCode, `${method} ${id}`).toBe(404);
        expect(response.json()).toEqual({ error: expect.stringMatching(/No encounter/) });
      }
    }
    expect(await memberLikes()).toBe(before);
    expect(await likesCount(hidden.id)).toBe(0);
  });

  it("DELETE of a like given before the encounter was deleted: 204, the like is gone", async () => {
    const doomed = await t.app.encounters.create("bea", { text: "Éphémère", participants: ["x"] });
    await t.app.likes.like("carol", doomed.iri);
    const before = await memberLikes();
    await t.app.encounters.delete("bea", doomed.id);
    const response = await as.carol({
      method: "DELETE",
      url: `${API}/encounters/${doomed.id}/like`,
    });
    expect(response.statusCode, response.body).toBe(204);
    expect(await memberLikes()).toBe((before ?? 0) - 1);
  });

  it("C2S Like: 201 with the Like's IRI as Location; Undo(Like) embedded or by bare IRI", async () => {
    const carolIri = t.app.urls.actor("carol").href;
    const liked = await outbox("carol", { type: "Like", object: view.iri });
    expect(liked.statusCode, liked.body).toBe(201);
    const location = liked.headers.location as string;
    expect(location).toMatch(new RegExp(`^${t.baseUrl}/activities/like/[0-9a-f-]{36}$`));
    expect(liked.json()).toMatchObject({
      id: location,
      type: "Like",
      actor: carolIri,
      object: view.iri,
    });
    expect(await likesCount()).toBe(1);
    // Again: the same Like, still one.
    const again = await outbox("carol", { type: "Like", object: { id: view.iri, type: "Note" } });
    expect(again.headers.location).toBe(location);
    expect(await likesCount()).toBe(1);

    const undo = await outbox("carol", {
      type: "Undo",
      object: { type: "Like", object: view.iri },
    });
    expect(undo.statusCode, undo.body).toBe(201);
    expect(undo.json()).toMatchObject({
      type: "Undo",
      actor: carolIri,
      object: { id: location, type: "Like", object: view.iri },
    });
    expect(await likesCount()).toBe(0);

    const relike = (await outbox("carol", { type: "Like", object: view.iri })).headers.location;
    expect(await likesCount()).toBe(1);
    // Only carol may undo carol's Like.
    expect((await outbox("antoine", { type: "Undo", object: relike })).statusCode).toBe(404);
    const bare = await outbox("carol", { type: "Undo", object: relike });
    expect(bare.statusCode, bare.body).toBe(201);
    expect(bare.json()).toMatchObject({ object: { id: relike, type: "Like", object: view.iri } });
    expect(await likesCount()).toBe(0);
    // It is gone: a second Undo of it finds nothing.
    const twice = await outbox("carol", { type: "Undo", object: relike });
    expect(twice.statusCode).toBe(404);
    expect(twice.json()).toEqual({ error: expect.stringMatching(/No Follow, Announce or Like/) });
  });

  it("C2S Undo by bare IRI of one's own Follow and co-signing Announce", async () => {
    const antoineIri = t.app.urls.actor("antoine").href;
    const beaIri = t.app.urls.actor("bea").href;
    const follow = await outbox("bea", { type: "Follow", object: antoineIri });
    expect(follow.statusCode, follow.body).toBe(201);
    expect(await t.app.follows.followState(beaIri, "antoine")).toBe("pending");
    expect(
      (await outbox("carol", { type: "Undo", object: follow.headers.location })).statusCode,
    ).toBe(404);
    const unfollow = await outbox("bea", { type: "Undo", object: follow.headers.location });
    expect(unfollow.statusCode, unfollow.body).toBe(201);
    expect((unfollow.json() as Json).object).toMatchObject({ type: "Follow", object: antoineIri });
    expect(await t.app.follows.followState(beaIri, "antoine")).toBeUndefined();

    const announce = await outbox("antoine", { type: "Announce", object: view.iri });
    expect(announce.statusCode, announce.body).toBe(201);
    const withdraw = await outbox("antoine", {
      type: "Undo",
      object: { id: announce.headers.location },
    });
    expect(withdraw.statusCode, withdraw.body).toBe(201);
    expect((withdraw.json() as Json).object).toMatchObject({ type: "Announce", object: view.iri });
    const participant = (await t.app.encounterRepository.findById(view.id))?.participants[0];
    expect(participant?.cosignState).toBe("declined");
  });
});
