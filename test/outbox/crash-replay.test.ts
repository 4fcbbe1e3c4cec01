import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type App, buildApp } from "../../src/app.ts";
import type { Role } from "../../src/config/config.ts";
import type { DatabaseConfig } from "../../src/db/database.ts";
import type { DomainEvent } from "../../src/shared/events.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { freePort } from "../support/free-port.ts";
import { drainQueue } from "../support/queue.ts";
import { type Recorder, startRecorder } from "../support/recording-server.ts";
import { runNode } from "../support/run-node.ts";
import { createScratchPostgres } from "../support/scratch-postgres.ts";

type Json = Record<string, unknown>;

/**
 * The transactional outbox against a real crash: a writer process commits an encounter
 * naming rita (on a peer server) and is SIGKILLed before its event is dispatched; a
 * worker started afterwards on the same database replays the event, and rita receives
 * the activity exactly once, with the id the event was recorded with.
 */
describe(`an event whose writer was killed after the commit (${databaseLabel})`, () => {
  let rec: Recorder;
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    rec = await startRecorder();
  });
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await rec?.app.close();
  });

  /** A new instance's database and folder: PGlite in the folder, or a new PostgreSQL database. */
  async function newInstance() {
    const dataDir = await mkdtemp(join(tmpdir(), "socialdapres-outbox-"));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const serverUrl = process.env.TEST_DATABASE_URL;
    let database: DatabaseConfig = { kind: "pglite", dataDir: join(dataDir, "db") };
    if (serverUrl) {
      const scratch = await createScratchPostgres(serverUrl, {
        prefix: "sdp_outbox",
        maxConnections: 5,
      });
      cleanups.push(scratch.drop);
      database = scratch.config;
    }
    return { origin: `http://localhost:${await freePort()}`, dataDir, database };
  }

  type Instance = Awaited<ReturnType<typeof newInstance>>;

  /** Runs the writer until it kills itself; returns the event it died with. */
  async function crashWriter(instance: Instance, scenario: "create" | "update") {
    const input = {
      ...instance,
      participant: rec.actorIri,
      scenario,
      pgliteTemplatePath: inject("pgliteTemplatePath") || undefined,
    };
    const run = await runNode("test/outbox/crashing-writer.ts", [JSON.stringify(input)], {
      env: process.env,
      timeoutMs: 90_000,
    });
    // Killed by a signal: no exit code.
    expect(run.code, run.stderr).toBeNull();
    return JSON.parse(run.stdout.trim()) as DomainEvent;
  }

  async function appOn(instance: Instance, role: Role): Promise<App> {
    const origin = new URL(instance.origin);
    const app = await buildApp(
      {
        origin,
        host: origin.hostname,
        port: Number(origin.port),
        dataDir: instance.dataDir,
        database: instance.database,
        logLevel: "silent",
        role,
        instanceName: "Socialdapres crash test",
        allowPrivateAddress: true,
      },
      { outbox: { pollIntervalMs: 50 } },
    );
    cleanups.push(() => app.close());
    return app;
  }

  /**
   * What picks up after the crash: on PostgreSQL a web process (it serves bea's key to
   * rita's server) and a worker, which relays and delivers; the embedded database serves
   * one process, role all. The first app returned is the one that relays.
   */
  async function restart(instance: Instance): Promise<App[]> {
    const apps =
      instance.database.kind === "postgres"
        ? [await appOn(instance, "worker"), await appOn(instance, "web")]
        : [await appOn(instance, "all")];
    return apps;
  }

  const pendingEvents = (app: App) =>
    app.database.rows<{ type: string; payload: Json; attempts: number }>(
      sql`select type, payload, attempts from outbox_events order by id`,
    );
  const queuedJobs = async (app: App) =>
    (await app.database.rows<{ n: number }>(sql`select count(*)::int as n from queue_jobs`))[0]?.n;

  async function startAndSettle(apps: App[]) {
    // The web process first: rita's server fetches bea's key from it.
    for (const app of apps.toReversed()) await app.start();
    const [relaying] = apps as [App];
    await eventually(async () => (await pendingEvents(relaying)).length === 0, {
      what: "the relay to replay the event",
      timeoutMs: 20_000,
    });
    await drainQueue(...apps);
  }

  const deliveredIds = (type: string) =>
    rec.deliveries.filter((d) => d.type === type).map((d) => d.id);

  it("the peer receives the Create exactly once, from the worker that replays the event", async () => {
    rec.deliveries.length = 0;
    const instance = await newInstance();
    const event = await crashWriter(instance, "create");
    expect(event.type).toBe("encounter.created");
    const encounterId = (event as Extract<DomainEvent, { type: "encounter.created" }>).encounterId;
    const createIri = `${instance.origin}/users/bea/encounters/${encounterId}/activity`;

    const apps = await restart(instance);
    const [relaying] = apps as [App];
    // The crash left the event and nothing queued: without the outbox, the Create was lost.
    expect(await pendingEvents(relaying)).toEqual([
      { type: "encounter.created", payload: { encounterId }, attempts: 0 },
    ]);
    expect(await queuedJobs(relaying)).toBe(0);

    await startAndSettle(apps);
    expect(deliveredIds("Create")).toEqual([createIri]);
    expect(rec.deliveries).toHaveLength(1);
    await eventually(() => rec.received.some((r) => r.id === createIri));
  }, 120_000);

  it("a replayed Update has the id its event was recorded with, and follows the Create once", async () => {
    rec.deliveries.length = 0;
    const instance = await newInstance();
    const event = await crashWriter(instance, "update");
    if (event.type !== "encounter.updated") throw new Error(`died on ${event.type}`);
    expect(event.activityIri).toMatch(new RegExp(`^${instance.origin}/activities/update/`));

    const apps = await restart(instance);
    const [relaying] = apps as [App];
    const [pending] = await pendingEvents(relaying);
    expect(pending?.payload.activityIri).toBe(event.activityIri);
    // The Create was dispatched before the crash: it waits in the queue.
    expect(await queuedJobs(relaying)).toBe(1);

    await startAndSettle(apps);
    expect(deliveredIds("Create")).toEqual([
      `${instance.origin}/users/bea/encounters/${event.encounterId}/activity`,
    ]);
    expect(deliveredIds("Update")).toEqual([event.activityIri]);
    expect(rec.deliveries.map((d) => d.type)).toEqual(["Create", "Update"]);
  }, 120_000);
});
