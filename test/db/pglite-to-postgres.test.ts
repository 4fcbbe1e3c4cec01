import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.ts";
import { runCommand } from "../../src/cli/commands.ts";
import { restoreCommand } from "../../src/cli/data-commands.ts";
import type { DatabaseConfig } from "../../src/db/database.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { migratedPgliteTemplate } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { drainQueue } from "../support/queue.ts";
import { type Recorder, recorderFollows, startRecorder } from "../support/recording-server.ts";
import { createScratchPostgres } from "../support/scratch-postgres.ts";
import { WebClient } from "../support/web.ts";

/*
 * The move from the embedded database to PostgreSQL, as an admin makes it: `db export` of a
 * PGlite instance (members, keys, follows, encounters, tracker data, a delivery waiting for its
 * retry), `db restore` into a new PostgreSQL database, and the instance started again on it at
 * the same origin. B, a peer on loopback that follows alice, receives her next encounter,
 * signed with the key it knew.
 */
const serverUrl = process.env.TEST_DATABASE_URL;

describe.skipIf(!serverUrl)("moving a PGlite instance to PostgreSQL", () => {
  let a: TestApp;
  let restored: TestApp;
  let b: TestApp;
  let rita: Recorder;
  let target: { config: DatabaseConfig; drop: () => Promise<void> };
  let dir: string;
  let encounterId: string;
  const before: Record<string, unknown> = {};

  const actorDocument = async (origin: string) =>
    (await (
      await fetch(`${origin}/users/alice`, { headers: { accept: "application/activity+json" } })
    ).json()) as { id: string; publicKey: { id: string; publicKeyPem: string } };
  const counts = (app: App) =>
    app.database.rows<Record<string, number>>(
      sql`select (select count(*)::int from members) as members,
                 (select count(*)::int from follows) as follows,
                 (select count(*)::int from encounters) as encounters,
                 (select count(*)::int from encounter_private) as private,
                 (select count(*)::int from queue_jobs) as jobs`,
    );

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "sdp-export-"));
    rita = await startRecorder({
      // rita's server refuses Creates for now: alice's delivery to it waits in the queue.
      fault: (post) => (post.type === "Create" ? { status: 503 } : undefined),
    });
    [a, b] = await Promise.all([
      buildTestApp({
        listen: true,
        database: { kind: "pglite", template: await migratedPgliteTemplate() },
      }),
      buildTestApp({ listen: true }),
    ]);
    await a.app.members.create({ username: "alice", password: "alice-password-1" });
    await b.app.members.create({ username: "antoine", password: "antoine-password-1" });
    const aliceIri = a.app.urls.actor("alice").href;
    await b.app.follows.follow("antoine", await b.app.remoteLookup.lookupActor(aliceIri));
    await recorderFollows(rita, a.app, "alice");
    await drainQueue(a.app, b.app);
    const alice = await a.app.members.findByUsername("alice");
    await a.app.trackerSettings.update(alice?.id as string, { timeZone: "Europe/Paris" });
    const encounter = await a.app.encounters.create("alice", {
      text: "Au marché avec Marie",
      participants: ["Marie"],
      visibility: "public",
    });
    encounterId = encounter.id;
    await a.app.privateFields.setPrivateFields("alice", encounter.id, {
      othersPresent: 7,
      setting: "indoors",
      durationMinutes: 95,
    });
    await drainQueue(a.app, b.app);
    await eventually(() => b.app.encounterRepository.findByIri(encounter.iri), {
      what: "B to receive alice's first encounter",
    });
    before.actor = await actorDocument(a.baseUrl);
    before.counts = await counts(a.app);
    before.jobs = await a.app.database.rows(
      sql`select id::text as id, message, host from queue_jobs order by id`,
    );
    target = await createScratchPostgres(serverUrl as string, {
      prefix: "sdp_export",
      maxConnections: 5,
    });
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.close(), restored?.close(), b?.close(), rita?.app.close()]);
    await target?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it("exports the running instance and restores it into an empty PostgreSQL database", async () => {
    // The delivery to rita waits for its retry: a queued job travels with the dump.
    expect((before.jobs as unknown[]).length).toBeGreaterThan(0);
    const file = join(dir, "dump.sql");
    const out: string[] = [];
    const io = { out: (line: string) => out.push(line), err: (line: string) => out.push(line) };
    expect(await runCommand(a.app, ["db", "export", file], io)).toBe(0);
    expect(out.join("\n")).toContain('psql "$DATABASE_URL" -f');
    // The server stops; the database it had is restored on PostgreSQL, at the same origin.
    await a.close();
    expect(await restoreCommand(target.config, file, io)).toBe(0);
    restored = await buildTestApp({
      listen: true,
      port: Number(new URL(a.baseUrl).port),
      database: target.config,
    });
    expect(restored.app.database.kind).toBe("postgres");
    expect(await counts(restored.app)).toEqual(before.counts);
    expect(
      await restored.app.database.rows(
        sql`select id::text as id, message, host from queue_jobs order by id`,
      ),
    ).toEqual(before.jobs);
  });

  it("serves the same actor and key, logs alice in and keeps her tracker", async () => {
    const actor = await actorDocument(restored.baseUrl);
    expect(actor.id).toBe((before.actor as typeof actor).id);
    expect(actor.publicKey).toEqual((before.actor as typeof actor).publicKey);
    await new WebClient(restored.app.http).login("alice", "alice-password-1");
    const alice = await restored.app.members.findByUsername("alice");
    expect((await restored.app.trackerSettings.get(alice?.id as string)).timeZone).toBe(
      "Europe/Paris",
    );
    const fields = await restored.app.privateFields.getPrivateFields("alice", encounterId);
    expect(fields).toMatchObject({ othersPresent: 7, setting: "indoors", durationMinutes: 95 });
  });

  it("federates with the same identity: B verifies alice's next delivery", async () => {
    const next = await restored.app.encounters.create("alice", {
      text: "Au parc avec Paul",
      participants: ["Paul"],
      visibility: "public",
    });
    await drainQueue(restored.app, b.app);
    const received = await eventually(() => b.app.encounterRepository.findByIri(next.iri), {
      what: "B to receive alice's encounter from the restored instance",
    });
    expect(received.iri).toBe(next.iri);
    // B still knows alice by the same actor row: no second identity appeared.
    const [row] = await b.app.database.rows<{ n: number }>(
      sql`select count(*)::int as n from actors where iri like ${`${restored.baseUrl}/users/alice%`}`,
    );
    expect(row?.n).toBe(1);
  });
});
