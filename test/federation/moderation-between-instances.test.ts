import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.ts";
import { DomainError } from "../../src/shared/errors.ts";
import { buildInstancePair, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { noLeakOf, PRIVATE_FIELD_LEAKS, PRIVATE_FIELDS } from "../support/leaks.ts";
import { drainQueue } from "../support/queue.ts";
import { WebClient } from "../support/web.ts";

/*
 * Reports and blocks between bea@A and antoine@B, over real HTTP with real signatures: a
 * report forwarded as a Flag each way becomes a report on the other side; bea's Block reaches
 * B, cuts the follows both ways, and antoine can no longer follow or name her (a server that
 * ignores the Block still cannot: A keeps her out of his encounter and tells her nothing);
 * Undo(Block) lifts it.
 */
describe(`reports and blocks across instances (${databaseLabel})`, () => {
  let a: TestApp;
  let b: TestApp;
  let beaIri: string;
  let antoineIri: string;
  let beaNote: string;
  let antoineNote: string;
  const noLeak = noLeakOf(PRIVATE_FIELD_LEAKS);

  const n = async (app: App, query: ReturnType<typeof sql>) =>
    (await app.database.rows<{ n: number }>(query))[0]?.n ?? -1;
  const followRows = (app: App) => n(app, sql`select count(*)::int as n from follows`);

  beforeAll(async () => {
    [a, b] = await buildInstancePair();
    beaIri = a.app.urls.actor("bea").href;
    antoineIri = b.app.urls.actor("antoine").href;
    await b.app.follows.follow("antoine", await b.app.remoteLookup.lookupActor(beaIri));
    await a.app.follows.follow("bea", await a.app.remoteLookup.lookupActor(antoineIri));
    await drainQueue(a.app, b.app);
    expect(await a.app.follows.followState(antoineIri, "bea")).toBe("accepted");
    const bea = await a.app.encounters.create("bea", {
      text: "Au jardin partagé",
      participants: ["Marie"],
      visibility: "public",
    });
    await a.app.privateFields.setPrivateFields("bea", bea.id, PRIVATE_FIELDS);
    beaNote = bea.iri;
    antoineNote = (
      await b.app.encounters.create("antoine", {
        text: "Au café du port",
        participants: ["Paul"],
        visibility: "public",
      })
    ).iri;
    await drainQueue(a.app, b.app);
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it("a report forwarded as a Flag from A becomes a report on B, and one from B on A", async () => {
    const onA = await eventually(() => a.app.encounterRepository.findByIri(antoineNote), {
      what: "A to hold antoine's encounter",
    });
    const filed = await a.app.reports.file("bea", {
      encounterId: onA.id,
      category: "spam",
      comment: "Publicité déguisée",
      forward: true,
    });
    expect(filed).toMatchObject({ forwarded: true, category: "spam", state: "open" });
    const queued = await a.app.database.rows<{ message: string }>(
      sql`select message::text as message from queue_jobs`,
    );
    const flagJob = queued.map((q) => q.message).find((m) => m.includes("Flag"));
    expect(flagJob, "the Flag is queued").toBeDefined();
    noLeak("the Flag sent by A", flagJob ?? "");
    // The reporter is not named: the instance actor sends it.
    expect(flagJob).not.toContain(beaIri);
    await drainQueue(a.app, b.app);
    const onB = await b.app.reports.list({ limit: 10 });
    expect(onB).toHaveLength(1);
    expect(onB[0]).toMatchObject({
      comment: "Publicité déguisée",
      forwarded: true,
      state: "open",
      target: { iri: antoineIri },
      reporter: { iri: a.app.urls.actor("instance").href },
      encounter: { iri: antoineNote },
    });

    // The other way: antoine reports bea's encounter, forwarded to A.
    const beaOnB = await eventually(() => b.app.encounterRepository.findByIri(beaNote), {
      what: "B to hold bea's encounter",
    });
    await b.app.reports.file("antoine", {
      encounterId: beaOnB.id,
      category: "abuse",
      comment: "Je ne connais pas Marie",
      forward: true,
    });
    await drainQueue(a.app, b.app);
    const fromB = await eventually(
      async () =>
        (await a.app.reports.list({ limit: 10 })).find(
          (r) => r.forwarded && r.reporter.host !== a.app.urls.origin.host,
        ),
      { what: "A to file B's Flag" },
    );
    expect(fromB).toMatchObject({
      comment: "Je ne connais pas Marie",
      target: { iri: beaIri },
      encounter: { iri: beaNote },
    });
    // What A's moderators read holds nothing of bea's tracker.
    await a.app.members.create({ username: "lea", password: "lea-password-123" });
    await a.app.roles.setRole("lea", "moderator");
    const web = await new WebClient(a.app.http).login("lea", "lea-password-123");
    const queue = await web.get("/admin/reports");
    expect(queue.statusCode).toBe(200);
    expect(queue.body).toContain("Je ne connais pas Marie");
    noLeak("/admin/reports", queue.body);
    const page = await web.get(`/admin/reports/${fromB.id}`);
    expect(page.body).toContain("Au jardin partagé");
    noLeak("the report's page", page.body);
  });

  it("a block from A sends Block to B: follows go both ways, B's member can no longer follow or name her", async () => {
    const antoineOnA = await a.app.actors.findByIri(antoineIri);
    await a.app.blocks.block("bea", antoineOnA?.id ?? "");
    // A forgets the follows at once; B when the Block arrives.
    expect(await followRows(a.app)).toBe(0);
    await drainQueue(a.app, b.app);
    expect(await followRows(b.app)).toBe(0);
    const beaOnB = await b.app.actors.findByIri(beaIri);
    const antoineOnB = await b.app.actors.findByIri(antoineIri);
    expect(await b.app.relations.between(antoineOnB?.id ?? "", beaOnB?.id ?? "")).toMatchObject({
      blockedBy: true,
    });
    // antoine cannot follow her again from B.
    await expect(b.app.follows.followIri("antoine", beaIri)).rejects.toThrow(DomainError);

    // A server that ignored the Block: its member's Follow gets a Reject, his naming is dropped.
    await b.app.database.rows(sql`delete from account_blocks`);
    await b.app.follows.followIri("antoine", beaIri);
    await drainQueue(a.app, b.app);
    expect(await b.app.follows.stateBetween(antoineOnB?.id ?? "", beaOnB?.id ?? "")).toBe(
      undefined,
    );
    expect(await followRows(a.app)).toBe(0);
    const naming = await b.app.encounters.create("antoine", {
      text: "Avec Béa au marché",
      participants: [beaIri],
      visibility: "public",
    });
    await drainQueue(a.app, b.app);
    expect(await a.app.encounterRepository.findByIri(naming.iri)).toBeUndefined();
    expect(await a.app.notifications.list("bea", { limit: 10 })).toHaveLength(0);
  });

  it("Undo(Block) lifts it on B: antoine follows bea again", async () => {
    // B holds the block again (as B would have, had it kept the Block): then bea lifts it.
    const antoineOnA = await a.app.actors.findByIri(antoineIri);
    await a.app.blocks.unblock("bea", antoineOnA?.id ?? "");
    await a.app.blocks.block("bea", antoineOnA?.id ?? "");
    await drainQueue(a.app, b.app);
    expect(await n(b.app, sql`select count(*)::int as n from account_blocks`)).toBe(1);
    await a.app.blocks.unblock("bea", antoineOnA?.id ?? "");
    await drainQueue(a.app, b.app);
    expect(await n(b.app, sql`select count(*)::int as n from account_blocks`)).toBe(0);
    await b.app.follows.followIri("antoine", beaIri);
    await drainQueue(a.app, b.app);
    const [antoineOnB, beaOnB] = await Promise.all([
      b.app.actors.findByIri(antoineIri),
      b.app.actors.findByIri(beaIri),
    ]);
    expect(await b.app.follows.stateBetween(antoineOnB?.id ?? "", beaOnB?.id ?? "")).toBe(
      "accepted",
    );
    expect(await a.app.follows.followState(antoineIri, "bea")).toBe("accepted");
  });
});
