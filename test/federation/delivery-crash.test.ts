import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RemoteActorRecord } from "../../src/actors/actors-repository.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { freshDatabaseConfig } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { startHost, type TestHost } from "../support/hosts.ts";

const onPostgres = Boolean(process.env.TEST_DATABASE_URL);
const projectRoot = fileURLToPath(new URL("../..", import.meta.url));

const SERVERS = 4;
const FOLLOWERS_PER_SERVER = 30;
const FOLLOWERS = SERVERS * FOLLOWERS_PER_SERVER;
const CONCURRENCY = 8;

/**
 * `kill -9` of the worker while it fans an encounter out to 120 followers on 4 servers, then
 * again once 30% of them have it; a new worker takes over each time. Every inbox must get the
 * `Create` and then the `Update`, in that order, with no more duplicates than the deliveries
 * in flight at each kill. The web process (this one) only enqueues; the worker is a child
 * process sharing the PostgreSQL database, so PGlite (one process) cannot take part.
 */
describe.runIf(onPostgres)("delivery across kill -9 of the worker (postgres)", () => {
  let web: TestApp;
  let dropDatabase: () => Promise<void>;
  let databaseUrl: string;
  let dataDir: string;
  const servers: TestHost[] = [];
  const children = new Set<ChildProcess>();

  /** Activities received by each inbox, in arrival order. */
  const byInbox = () => {
    const map = new Map<string, string[]>();
    for (const server of servers) {
      for (const request of server.requests) {
        if (request.method !== "POST") continue;
        const type = String((JSON.parse(request.body) as { type?: unknown }).type);
        const key = `${server.origin}${request.url}`;
        map.set(key, [...(map.get(key) ?? []), type]);
      }
    }
    return map;
  };
  const count = (type: string) =>
    [...byInbox().values()].reduce((n, types) => n + types.filter((t) => t === type).length, 0);

  async function startWorker(): Promise<ChildProcess> {
    const child = spawn(process.execPath, ["test/support/delivery-worker.ts"], {
      cwd: projectRoot,
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: databaseUrl,
        ROLE: "worker",
        ORIGIN: web.baseUrl,
        DATA_DIR: dataDir,
        FEDERATION_ALLOW_PRIVATE_ADDRESS: "true",
        LOG_LEVEL: "silent",
        QUEUE_CONCURRENCY: String(CONCURRENCY),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.add(child);
    child.once("exit", () => children.delete(child));
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on("data", (chunk: Buffer) => {
        if (chunk.toString().includes("ready")) resolve();
      });
      child.once("exit", (code) => reject(new Error(`worker exited (${code}): ${stderr}`)));
    });
    return child;
  }

  async function kill(child: ChildProcess): Promise<void> {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }

  const rows = async (query: ReturnType<typeof sql>) =>
    (await web.app.database.rows<{ n: number }>(query))[0]?.n ?? 0;

  beforeAll(async () => {
    const fresh = await freshDatabaseConfig();
    if (fresh.config.kind !== "postgres") throw new Error("PostgreSQL only");
    databaseUrl = fresh.config.url;
    dropDatabase = fresh.drop;
    dataDir = await mkdtemp(join(tmpdir(), "sdp-crash-"));
    web = await buildTestApp({ database: fresh.config, role: "web" });
    for (let s = 0; s < SERVERS; s++) servers.push(await startHost("127.0.0.1"));
    await web.app.members.create({ username: "bea" });
    for (const server of servers) {
      for (let f = 0; f < FOLLOWERS_PER_SERVER; f++) {
        const iri = `${server.origin}/users/f${f}`;
        const follower: RemoteActorRecord = {
          iri,
          type: "Person",
          username: `f${f}`,
          host: new URL(server.origin).host,
          name: `Follower ${f}`,
          summary: "",
          url: null,
          inboxUrl: `${iri}/inbox`,
          sharedInboxUrl: null,
          followersUrl: null,
          avatarUrl: null,
          manuallyApprovesFollowers: false,
        };
        await web.app.follows.receiveFollow({
          username: "bea",
          follower,
          activityIri: `${iri}/follow`,
        });
      }
    }
  }, 120_000);

  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL");
    await web?.close();
    for (const server of servers) await server.close();
    await dropDatabase?.();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("delivers every activity to every inbox, in order, with at most the in-flight ones twice", async () => {
    let worker = await startWorker();
    // The Accepts of the 400 follows go out first; then the encounter and its edit.
    await eventually(() => count("Accept") >= FOLLOWERS, {
      what: "the Accepts",
      timeoutMs: 60_000,
    });
    const encounter = await web.app.encounters.create("bea", {
      text: "Au marché",
      participants: ["Léa"],
    });
    await web.app.encounters.update("bea", encounter.id, { text: "Au marché couvert" });

    // Kill 1: as soon as the worker holds the fan-out job.
    await eventually(
      () =>
        rows(sql`select count(*)::int as n from queue_jobs
                 where message->>'type' = 'fanout' and locked_until > now()`),
      { what: "the worker to take the fan-out", intervalMs: 5 },
    );
    await kill(worker);
    const queuedAtFirstKill = await rows(
      sql`select count(*)::int as n from queue_jobs where message->>'type' = 'outbox'`,
    );
    const createsAtFirstKill = count("Create");

    // Kill 2: once 30% of the inboxes have the Create.
    worker = await startWorker();
    await eventually(() => count("Create") >= FOLLOWERS * 0.3, {
      what: "30% of the Creates",
      timeoutMs: 60_000,
    });
    await kill(worker);
    const createsAtSecondKill = count("Create");

    worker = await startWorker();
    await eventually(
      async () =>
        count("Update") >= FOLLOWERS &&
        (await rows(sql`select count(*)::int as n from queue_jobs`)) === 0,
      { what: "every Update, and an empty queue", timeoutMs: 90_000 },
    );
    await kill(worker);

    const inboxes = byInbox();
    expect(inboxes.size).toBe(FOLLOWERS);
    let duplicates = 0;
    for (const types of inboxes.values()) {
      const content = types.filter((t) => t !== "Accept");
      // Create before Update, each at least once; a repeat only right after itself.
      expect(content.indexOf("Create")).toBe(0);
      expect(content.lastIndexOf("Create")).toBeLessThan(content.indexOf("Update"));
      duplicates += types.length - new Set(types).size;
    }
    // At most one repeat per slot at each kill: the deliveries that reached their inbox but
    // were not yet marked done.
    expect(duplicates).toBeLessThanOrEqual(2 * CONCURRENCY);
    console.info(
      `kill -9 during fan-out: ${queuedAtFirstKill} deliveries queued and ${createsAtFirstKill} Creates sent at the first kill, ${createsAtSecondKill} at the second; ` +
        `${FOLLOWERS} inboxes got Create then Update; ${duplicates} duplicates out of ${FOLLOWERS * 3} deliveries (${((100 * duplicates) / (FOLLOWERS * 3)).toFixed(2)}%)`,
    );
  }, 240_000);
});
