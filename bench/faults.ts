/**
 * Delivery under faults, on PostgreSQL (BENCH_DATABASE_URL): one encounter by bea to
 * `followers` remote followers (personal inboxes, spread over `origins` loopback ports), sent
 * by a worker process (test/support/delivery-worker.ts) that is killed with SIGKILL
 *  - while it holds the fan-out job,
 *  - once 30% of the deliveries arrived,
 * and replaced each time; and, without a kill, with one more server that never answers.
 * Counts what arrived, what arrived twice, what is missing, and how long the healthy
 * deliveries took. Writes its section of docs/BENCHMARKS.md (bench/run.ts keeps it).
 *
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node bench/faults.ts \
 *     [--followers 5000] [--origins 50]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import pino from "pino";
import { buildApp } from "../src/app.ts";
import { seedFollowers } from "./fanout.ts";
import { startReceiver } from "./receiver.ts";
import {
  argument,
  type BenchApp,
  freePort,
  freshDatabase,
  until,
  writeMarkedSection,
} from "./support.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const followers = Number(argument("followers", "5000"));
const origins = Number(argument("origins", "50"));
const CONCURRENCY = 8;
const TIMEOUT_MS = 20 * 60_000;

type Kill = "fan-out" | "30%" | "none";

interface Result {
  scenario: string;
  delivered: number;
  duplicates: number;
  missing: number;
  /** From create() until every healthy inbox had the Create. */
  healthySeconds: number;
  notes: string;
  load: number;
}

async function scenario(name: string, kill: Kill, silentServer: boolean): Promise<Result> {
  const load = loadavg()[0] ?? 0;
  const fresh = await freshDatabase("postgres");
  const dataDir = await mkdtemp(join(tmpdir(), "sdp-faults-"));
  const receiver = await startReceiver(origins);
  // A server that accepts the connection and never answers.
  let silent: Server | undefined;
  let silentBase: string | undefined;
  let silentPending = 0;
  let silentMaxPending = 0;
  if (silentServer) {
    silent = createServer((request) => {
      silentPending++;
      silentMaxPending = Math.max(silentMaxPending, silentPending);
      request.socket.once("close", () => silentPending--);
    });
    const port = await freePort();
    await new Promise<void>((resolve) => silent?.listen(port, "127.0.0.1", resolve));
    silentBase = `http://127.0.0.1:${port}`;
  }
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const logger = pino({ level: "error" });
  const app = await buildApp(
    {
      origin: new URL(origin),
      host: "127.0.0.1",
      port,
      dataDir,
      database: fresh.config,
      logLevel: "error",
      role: "web",
      instanceName: "Socialdapres bench",
      allowPrivateAddress: true,
    },
    { logger },
  );
  const children = new Set<ChildProcess>();
  const startWorker = async () => {
    if (fresh.config.kind !== "postgres") throw new Error("PostgreSQL only");
    const child = spawn(process.execPath, ["test/support/delivery-worker.ts"], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: fresh.config.url,
        ROLE: "worker",
        ORIGIN: origin,
        DATA_DIR: dataDir,
        FEDERATION_ALLOW_PRIVATE_ADDRESS: "true",
        LOG_LEVEL: "silent",
        QUEUE_CONCURRENCY: String(CONCURRENCY),
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.add(child);
    child.once("exit", () => children.delete(child));
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on("data", (chunk: Buffer) => {
        if (chunk.toString().includes("ready")) resolve();
      });
      child.once("exit", (code) => reject(new Error(`worker exited with ${code}`)));
    });
    return child;
  };
  const killWorker = async (child: ChildProcess) => {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  };
  const count = async (query: ReturnType<typeof sql>) =>
    (await app.database.rows<{ n: number }>(query))[0]?.n ?? 0;
  try {
    const { member } = await app.members.create({ username: "bea" });
    const bea = await app.actors.findByMemberId(member.id);
    if (!bea) throw new Error("bea has no actor");
    const bench = { app } as BenchApp;
    await seedFollowers(bench, receiver, bea.id, {
      followers,
      servers: followers,
      database: "postgres",
      sharedInbox: false,
      origins: "each",
      timeoutMs: TIMEOUT_MS,
    });
    if (silentBase) {
      // Followers on the silent server too, one per path, as many as there are origins.
      const extra = { ...receiver, bases: [silentBase] };
      await seedFollowers({ app } as BenchApp, extra, bea.id, {
        followers: origins,
        servers: origins,
        database: "postgres",
        sharedInbox: false,
        origins: "each",
        timeoutMs: TIMEOUT_MS,
      });
    }
    let worker = await startWorker();
    const start = performance.now();
    await app.encounters.create("bea", { text: "Au marché", participants: ["Léa"] });
    const notes: string[] = [];
    if (kill === "fan-out") {
      await until(
        () =>
          count(sql`select count(*)::int as n from queue_jobs
                    where message->>'type' = 'fanout' and locked_until > now()`),
        "the worker to take the fan-out job",
        { timeoutMs: TIMEOUT_MS, intervalMs: 5 },
      );
      await killWorker(worker);
      const queued = await count(
        sql`select count(*)::int as n from queue_jobs where message->>'type' = 'outbox'`,
      );
      notes.push(`${queued} deliveries queued and ${receiver.stats.posts} received at the kill`);
      worker = await startWorker();
    } else if (kill === "30%") {
      await until(async () => receiver.stats.posts >= followers * 0.3, "30% of the deliveries", {
        timeoutMs: TIMEOUT_MS,
      });
      await killWorker(worker);
      notes.push(`${receiver.stats.posts} received at the kill`);
      worker = await startWorker();
    }
    await until(async () => receiver.stats.byPath.size >= followers, "every healthy inbox", {
      timeoutMs: TIMEOUT_MS,
      intervalMs: 20,
    });
    const healthySeconds = (performance.now() - start) / 1000;
    if (silentServer) {
      notes.push(`the silent server held at most ${silentMaxPending} requests at once`);
    } else {
      await until(
        async () => (await count(sql`select count(*)::int as n from queue_jobs`)) === 0,
        "the queue to empty",
        { timeoutMs: TIMEOUT_MS },
      );
    }
    await killWorker(worker);
    const delivered = receiver.stats.byPath.size;
    return {
      scenario: name,
      delivered,
      duplicates: receiver.stats.posts - delivered,
      missing: followers - delivered,
      healthySeconds,
      notes: notes.join("; "),
      load,
    };
  } finally {
    for (const child of children) child.kill("SIGKILL");
    await app.close();
    await receiver.close();
    silent?.closeAllConnections();
    silent?.close();
    await fresh.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const results: Result[] = [];
for (const [name, kill, silentServer] of [
  ["no fault", "none", false],
  ["kill -9 while the worker holds the fan-out job", "fan-out", false],
  ["kill -9 at 30% of the deliveries", "30%", false],
  [`one more server that never answers (${origins} followers there)`, "none", true],
] as const) {
  process.stderr.write(`[faults] ${name}…\n`);
  results.push(await scenario(name, kill, silentServer));
  process.stderr.write(`[faults] ${JSON.stringify(results.at(-1))}\n`);
}

const pct = (n: number) => `${((100 * n) / followers).toFixed(2)}%`;
const section = `## Delivery under faults (\`bench/faults.ts\`)

Written by \`node bench/faults.ts --followers ${followers} --origins ${origins}\` on ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC,
PostgreSQL. bea has ${followers.toLocaleString("en")} followers with personal inboxes on ${origins} loopback origins; one
\`Create\` goes out through a fan-out job. The web process enqueues; a worker process
(\`QUEUE_CONCURRENCY=${CONCURRENCY}\`, 2 per host, 1.5 s lease) delivers, is killed with SIGKILL and replaced.

| scenario | delivered | duplicates | missing | healthy inboxes served in s | notes | load |
| --- | --- | --- | --- | --- | --- | --- |
${results
  .map(
    (r) =>
      `| ${r.scenario} | ${r.delivered.toLocaleString("en")} | ${r.duplicates} (${pct(r.duplicates)}) | ${r.missing} | ${r.healthySeconds.toFixed(1)} | ${r.notes} | ${r.load.toFixed(1)} |`,
  )
  .join("\n")}

A duplicate is a delivery that reached its inbox but whose job the killed worker had not yet
marked done: at most one per slot. The fan-out itself never repeats (its deliveries are inserted
in the transaction that finishes it).`;

await writeMarkedSection("faults", section);
process.stderr.write("[faults] wrote docs/BENCHMARKS.md\n");
process.exit(0);
