import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AP, client } from "../api/helpers.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";

/**
 * A member likes a remote encounter stored on her instance: her actor sends a real, signed
 * Like to the author's server, which counts it, and an Undo(Like) that takes it back.
 */
describe(`likes across instances (${databaseLabel})`, () => {
  let a: TestApp;
  let b: TestApp;
  let bea: ReturnType<typeof client>;

  beforeAll(async () => {
    [a, b] = await Promise.all([buildTestApp({ listen: true }), buildTestApp({ listen: true })]);
    await Promise.all([
      a.app.members.create({ username: "bea", password: "bea-password-123" }),
      b.app.members.create({ username: "antoine", password: "antoine-password-1" }),
    ]);
    bea = client(a.app, await a.app.members.createToken("bea", "test"));
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  const outbox = (body: unknown) =>
    bea({
      method: "POST",
      url: "/users/bea/outbox",
      headers: { "content-type": AP },
      payload: JSON.stringify(body),
    });

  it("bea@A likes antoine@B's encounter stored on A: B counts it, then uncounts the Undo", async () => {
    const view = await b.app.encounters.create("antoine", {
      text: "Croisé Béa au marché",
      participants: [a.app.urls.actor("bea").href],
    });
    const stored = await eventually(() => a.app.encounterRepository.findByIri(view.iri), {
      what: "A to store antoine's encounter",
    });
    expect(stored.isLocal).toBe(false);
    const onB = async () => (await b.app.encounterRepository.findById(view.id))?.likesCount;

    const liked = await outbox({ type: "Like", object: view.iri });
    expect(liked.statusCode, liked.body).toBe(201);
    const likeIri = liked.headers.location as string;
    await eventually(async () => (await onB()) === 1, { what: "B to count bea's Like" });
    // B recorded the very Like A minted, from bea's actor.
    const reactions = await b.app.database.rows<{ actor_iri: string; activity_iri: string }>(
      sql`select actor_iri, activity_iri from encounter_reactions where kind = 'like'`,
    );
    expect(reactions).toEqual([{ actor_iri: a.app.urls.actor("bea").href, activity_iri: likeIri }]);
    // A does not count a like of someone else's encounter: the author's server does.
    expect((await a.app.encounterRepository.findById(stored.id))?.likesCount).toBe(0);

    const undo = await outbox({ type: "Undo", object: { type: "Like", object: view.iri } });
    expect(undo.statusCode, undo.body).toBe(201);
    await eventually(async () => (await onB()) === 0, { what: "B to apply the Undo(Like)" });
  });

  it("the JSON API's like and unlike federate the same way", async () => {
    const view = await b.app.encounters.create("antoine", {
      text: "Deuxième rencontre",
      participants: [a.app.urls.actor("bea").href],
    });
    const stored = await eventually(() => a.app.encounterRepository.findByIri(view.iri));
    const onB = async () => (await b.app.encounterRepository.findById(view.id))?.likesCount;
    const api = `/api/socialdapres/v1/encounters/${stored.id}/like`;

    expect((await bea({ method: "POST", url: api })).statusCode).toBe(200);
    await eventually(async () => (await onB()) === 1, { what: "B to count the like" });
    expect((await bea({ method: "DELETE", url: api })).statusCode).toBe(200);
    await eventually(async () => (await onB()) === 0, { what: "B to uncount it" });
  });
});
