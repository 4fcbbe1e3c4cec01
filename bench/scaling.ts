/**
 * Scaling on one PostgreSQL (BENCH_DATABASE_URL): throughput of 1 vs 2 web processes (public
 * page loads and posts through the Mastodon API, requests spread round robin) and of 1 vs 2
 * worker processes (deliveries of a fan-out to a loopback receiver), with each process's
 * CPU time and the machine's load average: docs/SCALING.md derives a deployment from them.
 * Run alone: BENCH_DATABASE_URL=postgres://… node bench/scaling.ts [--seconds 8]
 */
import { generateKeyPairSync, sign } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { type App, buildApp } from "../src/app.ts";
import { createLogger } from "../src/shared/logger.ts";
import { createScratchPostgres } from "../test/support/scratch-postgres.ts";
import { seedFollowers } from "./fanout.ts";
import { cpuSecondsOf, hammer, type LoadResult, startProcesses } from "./processes.ts";
import { startReceiver } from "./receiver.ts";
import { argument, freePort, runScenarioMain, until, writeMarkedSection } from "./support.ts";

const FOLLOWERS = 2_000;
const SERVERS = 200;
const ENCOUNTERS = 5;
const CONCURRENCY = 16;

interface WebRun extends LoadResult {
  kind: "pages" | "posts";
  processes: number;
  /** CPU seconds per 1,000 answered requests, summed over the web processes. */
  cpuPerThousand: number;
  /** The same for PostgreSQL's processes serving this database (0 when /proc hides them). */
  dbCpuPerThousand: number;
  load: number;
}
interface WorkerRun {
  processes: number;
  deliveries: number;
  seconds: number;
  perSecond: number;
  cpuPerThousand: number;
  dbCpuPerThousand: number;
  load: number;
}

const load1 = () => loadavg()[0] ?? 0;

/** CPU seconds used so far by the PostgreSQL backends serving `app`'s database. */
async function databaseCpu(app: App): Promise<Map<number, number>> {
  const rows = await app.database.rows<{ pid: number }>(
    sql`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
  );
  return new Map(
    await Promise.all(rows.map(async (r) => [r.pid, await cpuSecondsOf(r.pid)] as const)),
  );
}

/** CPU seconds the backends used between two readings (a backend opened since counts whole). */
function cpuSince(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, seconds] of after) sum += seconds - (before.get(pid) ?? 0);
  return sum;
}

/** A database, a data directory, and the instance in this process for setting up (no queue). */
async function instance(serverUrl: string, origin: string) {
  const fresh = await createScratchPostgres(serverUrl, { prefix: "sdp_scale", maxConnections: 10 });
  if (fresh.config.kind !== "postgres") throw new Error("PostgreSQL only");
  const dataDir = await mkdtemp(join(tmpdir(), "socialdapres-scale-"));
  let admin: App | undefined;
  const close = async () => {
    await admin?.close();
    await fresh.drop();
    await rm(dataDir, { recursive: true, force: true });
  };
  const open = async () => {
    admin = await buildApp(
      {
        origin: new URL(origin),
        host: "127.0.0.1",
        port: 0,
        dataDir,
        database: fresh.config,
        logLevel: "warn",
        role: "web",
        instanceName: "Socialdapres bench",
        allowPrivateAddress: true,
      },
      { logger: createLogger({ level: "warn" }) },
    );
    return admin;
  };
  return { databaseUrl: fresh.config.url, dataDir, open, close };
}

async function webRuns(serverUrl: string, durationMs: number): Promise<WebRun[]> {
  const ports = [await freePort(), await freePort()];
  const origin = `http://127.0.0.1:${ports[0]}`;
  const db = await instance(serverUrl, origin);
  const runs: WebRun[] = [];
  try {
    // The first one migrates and binds the origin.
    const first = await startProcesses("web", ports.slice(0, 1), { ...db, origin });
    const second = await startProcesses("web", ports.slice(1), { ...db, origin });
    const pids = [...first.pids, ...second.pids];
    try {
      const admin = await db.open();
      await admin.members.create({ username: "bea", password: "bea-password-123" });
      const token = await admin.members.createToken("bea", "bench");
      const bases = ports.map((port) => `http://127.0.0.1:${port}`);
      const page = (base: string) => fetch(`${base}/@bea`, { headers: { accept: "text/html" } });
      const post = (base: string) =>
        fetch(`${base}/api/v1/statuses`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ status: "Tea at the market\navec Léa", visibility: "public" }),
        });
      // Warm both processes up (code paths compiled, pools open).
      await hammer(bases, { durationMs: 1_500, concurrency: 4 }, page);
      for (const [kind, request] of [
        ["pages", page],
        ["posts", post],
      ] as const) {
        for (const processes of [1, 2]) {
          const cpuBefore = await Promise.all(pids.map(cpuSecondsOf));
          const dbBefore = await databaseCpu(admin);
          const result = await hammer(
            bases.slice(0, processes),
            { durationMs, concurrency: CONCURRENCY },
            request,
          );
          const cpuAfter = await Promise.all(pids.map(cpuSecondsOf));
          const dbCpu = cpuSince(dbBefore, await databaseCpu(admin));
          const cpu = cpuAfter.reduce((sum, after, i) => sum + after - (cpuBefore[i] ?? 0), 0);
          const answered = result.requests - result.errors;
          runs.push({
            ...result,
            kind,
            processes,
            cpuPerThousand: answered > 0 ? (cpu / answered) * 1000 : 0,
            dbCpuPerThousand: answered > 0 ? (dbCpu / answered) * 1000 : 0,
            load: load1(),
          });
          process.stderr.write(
            `[scaling] ${kind} × ${processes} web: ${result.perSecond.toFixed(1)}/s\n`,
          );
        }
      }
    } finally {
      await first.stop();
      await second.stop();
    }
  } finally {
    await db.close();
  }
  return runs;
}

async function workerRun(
  serverUrl: string,
  processes: number,
  timeoutMs: number,
): Promise<WorkerRun> {
  const receiver = await startReceiver(SERVERS);
  const origin = `http://127.0.0.1:${await freePort()}`;
  const db = await instance(serverUrl, origin);
  try {
    const app = await db.open();
    const { member } = await app.members.create({ username: "bea", password: "bea-password-123" });
    const bea = await app.actors.findByMemberId(member.id);
    if (!bea) throw new Error("bea has no actor");
    await seedFollowers({ app, origin, close: async () => {} }, receiver, bea.id, {
      followers: FOLLOWERS,
      servers: SERVERS,
      database: "postgres",
      sharedInbox: true,
      origins: "each",
      timeoutMs,
    });
    for (let i = 0; i < ENCOUNTERS; i++) {
      await app.encounters.create("bea", {
        text: `Crossed paths with Antoine at the market (${i}).`,
        participants: ["Antoine Brachet"],
        visibility: "public",
      });
    }
    const ports = await Promise.all(Array.from({ length: processes }, () => freePort()));
    const workers = await startProcesses("worker", ports, { ...db, origin });
    // From here on: the start-up's CPU is not the deliveries'.
    const cpuAtStart = await Promise.all(workers.pids.map(cpuSecondsOf));
    const dbAtStart = await databaseCpu(app);
    try {
      await until(
        async () => {
          const [row] = await app.database.rows<{ n: number }>(
            sql`select count(*)::int as n from queue_jobs`,
          );
          return row?.n === 0 && receiver.stats.posts >= ENCOUNTERS * SERVERS;
        },
        "the deliveries to end",
        { timeoutMs, intervalMs: 100 },
      );
      const cpuAtEnd = await Promise.all(workers.pids.map(cpuSecondsOf));
      const cpu = cpuAtEnd.reduce((sum, end, i) => sum + end - (cpuAtStart[i] ?? 0), 0);
      const dbCpu = cpuSince(dbAtStart, await databaseCpu(app));
      const { posts, firstAt = 0, lastAt = 0 } = receiver.stats;
      const seconds = (lastAt - firstAt) / 1000;
      return {
        processes,
        deliveries: posts,
        seconds,
        perSecond: posts / seconds,
        // Fan-out jobs included: what delivering a post to its followers costs in all.
        cpuPerThousand: (cpu / posts) * 1000,
        dbCpuPerThousand: (dbCpu / posts) * 1000,
        load: load1(),
      };
    } finally {
      await workers.stop();
    }
  } finally {
    await db.close();
    await receiver.close();
  }
}

/**
 * Milliseconds of CPU to sign one delivery: RSA-2048 over SHA-256, as an HTTP signature of
 * each POST (the members' keys are RSA-2048, src/accounts/key-pairs.ts), on one core.
 */
function signingMs(): { ms: number; load: number } {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const data = Buffer.alloc(512, 1);
  const rounds = 500;
  const started = process.cpuUsage();
  for (let i = 0; i < rounds; i++) sign("sha256", data, privateKey);
  const used = process.cpuUsage(started);
  return { ms: (used.user + used.system) / 1000 / rounds, load: load1() };
}

const fixed = (n: number, digits = 1) => n.toFixed(digits);

function report(
  web: WebRun[],
  workers: WorkerRun[],
  signing: { ms: number; load: number },
): string {
  return [
    `## Scaling: 1 vs 2 processes on PostgreSQL`,
    "",
    `Written by \`node bench/scaling.ts\` on ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC. Web: ${CONCURRENCY} clients for each row, requests spread round robin; **load** is the 1-minute load average after the row. Workers: ${ENCOUNTERS} public encounters to ${FOLLOWERS.toLocaleString("en")} followers on ${SERVERS} servers (one loopback origin each): ${(ENCOUNTERS * SERVERS).toLocaleString("en")} signed POSTs. docs/SCALING.md reads them.`,
    "",
    "| web | processes | answered/s | errors | p50 ms | p95 ms | CPU s per 1,000: web | PostgreSQL | load |",
    "|---|---|---|---|---|---|---|---|---|",
    ...web.map(
      (r) =>
        `| ${r.kind === "pages" ? "GET /@bea (profile page)" : "POST /api/v1/statuses"} | ${r.processes} | **${fixed(r.perSecond)}** | ${r.errors} | ${fixed(r.p50Ms, 0)} | ${fixed(r.p95Ms, 0)} | ${fixed(r.cpuPerThousand)} | ${fixed(r.dbCpuPerThousand)} | ${fixed(r.load)} |`,
    ),
    "",
    "| workers | deliveries | seconds | deliveries/s | CPU s per 1,000: workers | PostgreSQL | load |",
    "|---|---|---|---|---|---|---|",
    ...workers.map(
      (r) =>
        `| ${r.processes} | ${r.deliveries} | ${fixed(r.seconds)} | **${fixed(r.perSecond)}** | ${fixed(r.cpuPerThousand)} | ${fixed(r.dbCpuPerThousand)} | ${fixed(r.load)} |`,
    ),
    "",
    `One RSA-2048 signature (what each delivery's HTTP signature costs): **${fixed(signing.ms, 2)} ms** of CPU (load ${fixed(signing.load)}).`,
  ].join("\n");
}

runScenarioMain(600_000, async () => {
  const serverUrl = process.env.BENCH_DATABASE_URL;
  if (!serverUrl) throw new Error("bench/scaling.ts needs BENCH_DATABASE_URL (PostgreSQL)");
  const durationMs = Number(argument("seconds", "8")) * 1000;
  const signing = signingMs();
  const web = await webRuns(serverUrl, durationMs);
  const workers: WorkerRun[] = [];
  for (const processes of [1, 2]) {
    workers.push(await workerRun(serverUrl, processes, 180_000));
    const last = workers.at(-1) as WorkerRun;
    process.stderr.write(
      `[scaling] ${processes} worker(s): ${fixed(last.perSecond)} deliveries/s\n`,
    );
  }
  await writeMarkedSection("scaling", report(web, workers, signing));
  return { scenario: "scaling", web, workers, signing };
});
