import { freePort } from "../test/support/free-port.ts";
import { createScratchPostgres } from "../test/support/scratch-postgres.ts";

export { freePort };

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import pino from "pino";
import { type App, buildApp } from "../src/app.ts";
import type { BuildAppOptions } from "../src/app-contract.ts";
import type { AppConfig } from "../src/config/config.ts";
import type { Database, DatabaseConfig } from "../src/db/database.ts";
import type { Logger } from "../src/shared/logger.ts";

export type DatabaseKind = "pglite" | "postgres";

/** The line a scenario prints on stdout for bench/run.ts; everything else goes to stderr. */
export const RESULT_PREFIX = "BENCH_RESULT ";

/** Every loop of the benchmarks is bounded: a poll gives up after `timeoutMs`. */
export async function until<T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  options: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
  throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}`);
}

/**
 * A fresh database: in-memory PGlite, or a new database on BENCH_DATABASE_URL
 * (created here, dropped by `drop`), as test/support/database.ts does for tests.
 */
export async function freshDatabase(
  kind: DatabaseKind,
): Promise<{ config: DatabaseConfig; drop: () => Promise<void> }> {
  if (kind === "pglite") return { config: { kind: "pglite" }, drop: async () => {} };
  const serverUrl = process.env.BENCH_DATABASE_URL;
  if (!serverUrl) throw new Error("BENCH_DATABASE_URL is needed for the postgres runs");
  // The production default pool size (src/db/database.ts).
  return createScratchPostgres(serverUrl, { prefix: "sdp_bench", maxConnections: 10 });
}

/**
 * Warnings and errors (ours and Fedify's) go to stderr and are counted: a run
 * that logged errors is reported as such, not silently averaged in.
 */
export function countingLogger(): { logger: Logger; problems: () => number } {
  let problems = 0;
  const stream = {
    write(line: string) {
      problems++;
      process.stderr.write(line);
    },
  };
  return { logger: pino({ level: "warn" }, stream), problems: () => problems };
}

export interface BenchApp {
  app: App;
  origin: string;
  /** How startApp built it (absent for an app opened otherwise). */
  config?: AppConfig;
  close: () => Promise<void>;
}

/** One instance (role "all" unless told), listening on a loopback origin, on a fresh database. */
export async function startApp(
  kind: DatabaseKind,
  logger: Logger,
  options: Omit<BuildAppOptions, "logger"> = {},
  role: AppConfig["role"] = "all",
): Promise<BenchApp> {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), "socialdapres-bench-"));
  const fresh = await freshDatabase(kind);
  const config: AppConfig = {
    origin: new URL(`http://127.0.0.1:${port}`),
    host: "127.0.0.1",
    port,
    dataDir,
    database: fresh.config,
    logLevel: "warn",
    role,
    instanceName: "Socialdapres bench",
    allowPrivateAddress: true,
  };
  const cleanup = async () => {
    await fresh.drop();
    await rm(dataDir, { recursive: true, force: true });
  };
  let app: App;
  try {
    app = await buildApp(config, { ...options, logger });
    await app.start();
  } catch (error) {
    await cleanup();
    throw error;
  }
  return {
    app,
    origin: config.origin.origin,
    config,
    close: async () => {
      await app.close();
      await cleanup();
    },
  };
}

/**
 * Records every job inserted into and deleted from `queue_jobs` (a trigger on
 * the benchmark's own throw-away database), so no job is missed however fast
 * the worker deletes it.
 */
export async function logQueueJobs(database: Database): Promise<void> {
  await database.rows(sql`create table bench_job_log (
    job_id bigint not null, event text not null, type text, at timestamptz not null)`);
  await database.rows(
    sql.raw(`create function bench_log_job() returns trigger
    language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        insert into bench_job_log values (new.id, 'insert', new.message->>'type', clock_timestamp());
        return new;
      end if;
      insert into bench_job_log values (old.id, 'delete', old.message->>'type', clock_timestamp());
      return old;
    end $$`),
  );
  await database.rows(sql`create trigger bench_job_log after insert or delete on queue_jobs
    for each row execute function bench_log_job()`);
}

export interface JobCounts {
  /** Jobs inserted, by Fedify message type (fanout, outbox, inbox). */
  created: Record<string, number>;
  /** Seconds from the first job inserted to the last one deleted. */
  spanSeconds: number;
  /** Seconds from the first job inserted to the end of each phase, by message type. */
  doneAfter: Record<string, { lastInserted: number; lastDeleted: number }>;
}

export async function jobCounts(database: Database): Promise<JobCounts> {
  const rows = await database.rows<{ type: string | null; n: number }>(sql`
    select type, count(*)::int as n from bench_job_log where event = 'insert' group by type`);
  const [span] = await database.rows<{ seconds: number | null }>(sql`
    select extract(epoch from max(at) - min(at))::float8 as seconds from bench_job_log`);
  const phases = await database.rows<{
    type: string | null;
    inserted: number;
    deleted: number;
  }>(sql`
    select type,
      extract(epoch from max(l.at) filter (where l.event = 'insert') - s.t0)::float8 as inserted,
      extract(epoch from max(l.at) filter (where l.event = 'delete') - s.t0)::float8 as deleted
    from bench_job_log l, (select min(at) as t0 from bench_job_log) s
    group by l.type, s.t0`);
  return {
    created: Object.fromEntries(rows.map((r) => [r.type ?? "unknown", r.n])),
    spanSeconds: span?.seconds ?? 0,
    doneAfter: Object.fromEntries(
      phases.map((p) => [
        p.type ?? "unknown",
        { lastInserted: p.inserted, lastDeleted: p.deleted },
      ]),
    ),
  };
}

/** Waits (at most a minute) until the app's queue has no job left: seeding queues some. */
export async function waitForEmptyQueue(app: App): Promise<void> {
  await until(
    async () => {
      const [row] = await app.database.rows<{ n: number }>(
        sql`select count(*)::int as n from queue_jobs`,
      );
      return row?.n === 0;
    },
    "the queue to empty after seeding",
    { timeoutMs: 60_000, intervalMs: 100 },
  );
}

/** Samples the resident set size while a phase runs; `stop` gives the peak in MiB. */
export function sampleRss(intervalMs = 50): { stop: () => number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return mib(Math.max(peak, process.memoryUsage.rss()));
    },
  };
}

export const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** The process's own peak RSS since it started (setup included), in MiB. */
export const processPeakRssMib = () => mib(process.resourceUsage().maxRSS * 1024);

export function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

/**
 * Runs a scenario as a process of its own (a clean RSS, nothing shared with
 * the previous run), prints its result for bench/run.ts, and always exits:
 * a scenario that overruns `hardLimitMs` is stopped.
 */
export function runScenarioMain(hardLimitMs: number, scenario: () => Promise<unknown>): void {
  const guard = setTimeout(() => {
    process.stderr.write(`scenario exceeded ${hardLimitMs} ms, stopping\n`);
    process.exit(3);
  }, hardLimitMs);
  guard.unref();
  scenario().then(
    (result) => {
      process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : error}\n`);
      process.exit(1);
    },
  );
}

const BENCHMARKS_FILE = new URL("../docs/BENCHMARKS.md", import.meta.url);
const MARKED_SECTIONS = /<!-- ([a-z]+):start -->[\s\S]*?<!-- \1:end -->/g;

/**
 * The sections of docs/BENCHMARKS.md that a scenario run on its own writes (bench/faults.ts,
 * bench/pages.ts), between `<!-- name:start -->` and `<!-- name:end -->`: bench/run.ts keeps
 * them when it rewrites the file.
 */
export async function markedSections(): Promise<string[]> {
  const current = await readFile(BENCHMARKS_FILE, "utf8").catch(() => "");
  return current.match(MARKED_SECTIONS) ?? [];
}

/** Replaces the section `name` of docs/BENCHMARKS.md, or adds it before "How to reproduce". */
export async function writeMarkedSection(name: string, markdown: string): Promise<void> {
  const section = `<!-- ${name}:start -->\n${markdown.trim()}\n<!-- ${name}:end -->`;
  const current = await readFile(BENCHMARKS_FILE, "utf8");
  const marked = new RegExp(`<!-- ${name}:start -->[\\s\\S]*<!-- ${name}:end -->`);
  await writeFile(
    BENCHMARKS_FILE,
    marked.test(current)
      ? current.replace(marked, () => section)
      : current.replace(/\n## How to reproduce/, () => `\n${section}\n\n## How to reproduce`),
  );
}
