import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.ts";
import { CLI_MODERATOR } from "../../src/moderation/audit-log.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { drainQueue } from "../support/queue.ts";

/*
 * A blocks B's host, over real HTTP with real signatures. Before: ana@A and bruno@B follow each
 * other, and A stores bruno's public encounter naming ana. After the block: B's follows and
 * encounters are gone from A, B's activities are refused at A's inbox (403), A fetches nothing
 * from B and sends it nothing. Lifting the block lets B in again.
 */
describe(`a domain block between two instances (${databaseLabel})`, () => {
  let a: TestApp;
  let b: TestApp;
  let anaIri: string;
  let brunoIri: string;
  let brunoNote: string;

  const count = async (app: App, query: ReturnType<typeof sql>) =>
    (await app.database.rows<{ n: number }>(query))[0]?.n ?? -1;

  beforeAll(async () => {
    [a, b] = await Promise.all([buildTestApp({ listen: true }), buildTestApp({ listen: true })]);
    await Promise.all([
      a.app.members.create({ username: "ana", password: "ana-password-1234" }),
      b.app.members.create({ username: "bruno", password: "bruno-password-12" }),
    ]);
    anaIri = a.app.urls.actor("ana").href;
    brunoIri = b.app.urls.actor("bruno").href;
    await b.app.follows.follow("bruno", await b.app.remoteLookup.lookupActor(anaIri));
    await a.app.follows.follow("ana", await a.app.remoteLookup.lookupActor(brunoIri));
    await drainQueue(a.app, b.app);
    brunoNote = (
      await b.app.encounters.create("bruno", {
        text: "Bruno et Ana au jardin",
        participants: [anaIri],
        visibility: "public",
      })
    ).iri;
    await drainQueue(a.app, b.app);
    expect(await a.app.follows.followState(brunoIri, "ana")).toBe("accepted");
    expect(await a.app.encounterRepository.findByIri(brunoNote)).toBeDefined();
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it("forgets B's follows, actor and encounters on A, and refuses B from then on", async () => {
    const bHost = new URL(b.baseUrl).host;
    const { actorsRemoved } = await a.app.domainPolicies.set(
      { host: bHost, severity: "block", publicReason: "spam" },
      CLI_MODERATOR,
    );
    expect(actorsRemoved).toBe(1);
    expect(await a.app.actors.findByIri(brunoIri)).toBeUndefined();
    expect(await a.app.encounterRepository.findByIri(brunoNote)).toBeUndefined();
    expect(await count(a.app, sql`select count(*)::int as n from follows`)).toBe(0);

    // A fetches nothing from B.
    await expect(a.app.remoteLookup.lookupActor(brunoIri)).rejects.toThrow();

    // B's new Follow is refused at A's inbox with a 403; A keeps nothing of it.
    await b.app.follows.unfollow("bruno", anaIri);
    await b.app.follows.follow("bruno", await b.app.remoteLookup.lookupActor(anaIri));
    await eventually(
      async () =>
        (await count(
          b.app,
          sql`select count(*)::int as n from queue_jobs where last_error like '%403%'`,
        )) > 0,
      { what: "B's Follow to be refused with a 403" },
    );
    await drainQueue(a.app);
    expect(await a.app.follows.followState(brunoIri, "ana")).toBeUndefined();
    expect(await a.app.actors.findByIri(brunoIri)).toBeUndefined();

    // A sends B nothing: ana's new public encounter never reaches B.
    const anaNote = (
      await a.app.encounters.create("ana", {
        text: "Ana au marché",
        participants: ["Marie"],
        visibility: "public",
      })
    ).iri;
    await drainQueue(a.app);
    expect(await b.app.encounterRepository.findByIri(anaNote)).toBeUndefined();
    expect(
      await count(a.app, sql`select count(*)::int as n from queue_jobs where dead_at is not null`),
    ).toBe(0);
  });

  it("drops a delivery to B that was queued before the block, without running it", async () => {
    // As Fedify queues one (its fields are never read: the job is dropped when claimed). Run,
    // it would fail and stay in the table with its error, to be retried.
    const inbox = `${b.baseUrl}/users/bruno/inbox`;
    await a.app.database.rows(
      sql`insert into queue_jobs (queue, message, host)
          values ('fedify', ${JSON.stringify({ type: "outbox", id: "x", inbox })}::jsonb,
                  ${new URL(inbox).host})`,
    );
    await drainQueue(a.app);
    expect(await count(a.app, sql`select count(*)::int as n from queue_jobs`)).toBe(0);
  });

  it("lets B in again once unblocked", async () => {
    const bHost = new URL(b.baseUrl).host;
    await a.app.domainPolicies.remove(bHost, CLI_MODERATOR);
    await b.app.follows.unfollow("bruno", anaIri);
    await b.app.follows.follow("bruno", await b.app.remoteLookup.lookupActor(anaIri));
    await drainQueue(a.app, b.app);
    expect(await a.app.follows.followState(brunoIri, "ana")).toBe("accepted");
    expect(await b.app.follows.followState(anaIri, "bruno")).toBe("accepted");
    const audit = await a.app.auditLog.list({ limit: 10 });
    expect(audit.map((r) => r.action)).toEqual(["domain.unblock", "domain.block"]);
  });
});
