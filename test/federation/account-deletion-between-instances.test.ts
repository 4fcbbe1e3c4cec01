import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { drainQueue } from "../support/queue.ts";

/*
 * bea@A deletes her account, over real HTTP with real signatures. antoine@B follows her (and
 * she him): B receives Delete(Person) and forgets her, her encounters and the follows. carol@C
 * neither follows nor is followed, but bea co-signed carol's encounter: C receives the
 * Undo(Announce) alone, and the co-signature is withdrawn there.
 */
describe(`deleting an account across instances (${databaseLabel})`, () => {
  let a: TestApp;
  let b: TestApp;
  let c: TestApp;
  let beaIri: string;
  let beaNote: string;
  let carolNote: string;

  const count = async (app: App, query: ReturnType<typeof sql>) =>
    (await app.database.rows<{ n: number }>(query))[0]?.n ?? -1;
  const actorRowsOf = (app: App, iri: string) =>
    count(app, sql`select count(*)::int as n from actors where iri = ${iri}`);
  const carolsParticipant = async () =>
    (
      await c.app.database.rows<{ state: string }>(
        sql`select p.cosign_state as state from encounter_participants p
            join encounters e on e.id = p.encounter_id
            where e.iri = ${carolNote} and p.plain_name is null`,
      )
    )[0]?.state;

  beforeAll(async () => {
    [a, b, c] = await Promise.all([
      buildTestApp({ listen: true }),
      buildTestApp({ listen: true }),
      buildTestApp({ listen: true }),
    ]);
    await Promise.all([
      a.app.members.create({ username: "bea", password: "bea-password-123" }),
      b.app.members.create({ username: "antoine", password: "antoine-password-1" }),
      c.app.members.create({ username: "carol", password: "carol-password-12" }),
    ]);
    beaIri = a.app.urls.actor("bea").href;
    const antoineIri = b.app.urls.actor("antoine").href;
    // Follows both ways between bea@A and antoine@B, accepted.
    await b.app.follows.follow("antoine", await b.app.remoteLookup.lookupActor(beaIri));
    await a.app.follows.follow("bea", await a.app.remoteLookup.lookupActor(antoineIri));
    await drainQueue(a.app, b.app);
    expect(await b.app.follows.followState(beaIri, "antoine")).toBe("accepted");
    expect(await a.app.follows.followState(antoineIri, "bea")).toBe("accepted");
    // bea's public encounter reaches B (antoine follows her).
    beaNote = (
      await a.app.encounters.create("bea", {
        text: "Au marché avec Marie",
        participants: ["Marie"],
        visibility: "public",
      })
    ).iri;
    // carol@C names bea; bea co-signs it from A (an Announce to C).
    carolNote = (
      await c.app.encounters.create("carol", {
        text: "Carol et Béa",
        participants: [beaIri],
        visibility: "public",
      })
    ).iri;
    const onA = await eventually(() => a.app.encounterRepository.findByIri(carolNote), {
      what: "A to store carol's encounter",
    });
    await a.app.cosign.cosign("bea", onA.id);
    await drainQueue(a.app, b.app, c.app);
    expect(await b.app.encounterRepository.findByIri(beaNote)).toBeDefined();
    expect(await carolsParticipant()).toBe("cosigned");
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close(), c?.close()]);
  });

  it("B receives Delete(Person), signed by bea, and forgets her: her encounters and follows", async () => {
    expect(await actorRowsOf(b.app, beaIri)).toBe(1);
    await a.app.accountDeletion.deleteAccount("bea");
    await drainQueue(a.app, b.app, c.app);

    // Only a verified Delete(Person) removes the actor row (a Delete(Note) never would).
    expect(await actorRowsOf(b.app, beaIri)).toBe(0);
    expect(await b.app.encounterRepository.findByIri(beaNote)).toBeUndefined();
    expect(await count(b.app, sql`select count(*)::int as n from follows`)).toBe(0);
    // Every delivery was accepted: none ran out of attempts.
    expect(
      await count(a.app, sql`select count(*)::int as n from queue_jobs where dead_at is not null`),
    ).toBe(0);
  });

  it("C, which only had her co-signature, receives the Undo(Announce) and withdraws it", async () => {
    expect(await carolsParticipant()).toBe("pending");
    // C never heard of a Delete(Person): bea's actor row is still there, unfollowed by anyone.
    expect(await actorRowsOf(c.app, beaIri)).toBe(1);
  });

  it("A answers 410 for the actor, to any server that asks", async () => {
    const response = await fetch(beaIri, { headers: { accept: "application/activity+json" } });
    expect(response.status).toBe(410);
    expect(await response.json()).toMatchObject({ id: beaIri, type: "Tombstone" });
  });
});
