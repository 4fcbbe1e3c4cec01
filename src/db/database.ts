import { randomBytes } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { type SQL, sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { CUSTOM_PLANS, preparingRepeatedStatements } from "./prepared-statements.ts";
import * as schema from "./schema.ts";
import { dumpPglite, dumpPostgres } from "./sql-dump.ts";

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
/** The database, or a transaction on it: what a write inside someone else's transaction takes. */
export type DbExecutor = Db | Parameters<Parameters<Db["transaction"]>[0]>[0];

/** Where the data lives: embedded PGlite (a folder, or memory when unset) or a PostgreSQL server. */
export type DatabaseConfig =
  | { kind: "pglite"; dataDir?: string; template?: Blob }
  | {
      kind: "postgres";
      url: string;
      maxConnections?: number;
      /** Time to open a connection before the query waiting for it fails (postgres.js: 30 s). */
      connectTimeoutSeconds?: number;
      /** PostgreSQL cancels a statement running longer (`statement_timeout`); none when unset. */
      statementTimeoutMs?: number;
    };

/** A pooled connection unused this long is closed: one cut by a restart or a proxy is not kept. */
const IDLE_CONNECTION_SECONDS = 60;

export interface Database {
  readonly db: Db;
  readonly kind: DatabaseConfig["kind"];
  /**
   * The connection pool: its size, and (PostgreSQL) the `application_name` its connections
   * carry, unique to this pool, so `pg_stat_activity` tells what they do (the metrics).
   */
  readonly pool: { max: number; applicationName?: string };
  /** Runs raw SQL and returns its rows, whichever driver is underneath. */
  rows<T extends Record<string, unknown>>(query: SQL): Promise<T[]>;
  migrate(): Promise<void>;
  /**
   * A plain-SQL dump (pg_dump, INSERT statements) of the whole database, for `db backup` and
   * `db export` (src/db/sql-dump.ts): PGlite's pg_dump on a copy, or the server's `pg_dump`.
   */
  dumpSql(): Promise<string>;
  /**
   * PGlite only: calls `onPayload` for each NOTIFY on `channel`, before the statement that
   * committed it returns (PGlite queues the callbacks as microtasks while reading its answer).
   */
  listen?: (channel: string, onPayload: (payload: string) => void) => Promise<void>;
  /** PGlite only: a copy of the data directory, to open identical databases quickly. */
  dumpTemplate?: () => Promise<Blob>;
  close(): Promise<void>;
}

const migrationsFolder = fileURLToPath(new URL("../../migrations", import.meta.url));
// Any constant works; it only has to be the same for every process of the instance.
const MIGRATION_LOCK_ID = 7_351_202_101;

/** How many migrations the migrations folder holds: a migrated database has applied them all. */
export async function migrationCount(): Promise<number> {
  const journal = JSON.parse(
    await readFile(new URL("../../migrations/meta/_journal.json", import.meta.url), "utf8"),
  ) as { entries: unknown[] };
  return journal.entries.length;
}

/** How many migrations the database has applied (drizzle's journal table). */
export async function appliedMigrationCount(database: Pick<Database, "rows">): Promise<number> {
  const [row] = await database.rows<{ applied: number }>(
    sql`select count(*)::int as applied from drizzle.__drizzle_migrations`,
  );
  return row?.applied ?? 0;
}

/** The rows of `db.execute`, whichever driver answered: PGlite answers `{ rows }`, postgres.js the rows. */
export function rowsOf<T>(result: unknown): T[] {
  return ((result as { rows?: T[] }).rows ?? (result as T[])) as T[];
}

export interface OpenDatabaseOptions {
  /**
   * Told the text and parameters of every statement drizzle sends (benchmarks count them,
   * plan tests EXPLAIN them).
   */
  onQuery?: (query: string, params: unknown[]) => void;
}

export async function openDatabase(
  config: DatabaseConfig,
  options: OpenDatabaseOptions = {},
): Promise<Database> {
  return config.kind === "pglite"
    ? openPglite(config.dataDir, config.template, options)
    : openPostgres(config, options);
}

function queryLogger(options: OpenDatabaseOptions) {
  const { onQuery } = options;
  return onQuery
    ? { logger: { logQuery: (query: string, params: unknown[]) => onQuery(query, params) } }
    : {};
}

/**
 * PGlite's PostgreSQL runs inside this process's memory (WebAssembly memory never shrinks):
 * its defaults are a server's. One connection, a small community: 16 MB of shared buffers
 * (128 MB by default; the operating system still caches the data directory's files). Against
 * 32 MB, about 25 MiB less idle RSS in alternated footprint runs (docs/BENCHMARKS.md).
 */
const PGLITE_SETTINGS = ["shared_buffers=16MB"];

/** `template` is a dumped data directory to start from (tests use it to skip initdb). */
async function openPglite(
  dataDir: string | undefined,
  template: Blob | undefined,
  options: OpenDatabaseOptions,
): Promise<Database> {
  if (dataDir) await mkdir(dataDir, { recursive: true });
  // Loaded here: a server on PostgreSQL never needs PGlite's code (about 1 MB of it).
  const [{ PGlite }, { drizzle: drizzlePglite }, { migrate: migratePglite }] = await Promise.all([
    import("@electric-sql/pglite"),
    import("drizzle-orm/pglite"),
    import("drizzle-orm/pglite/migrator"),
  ]);
  const client = new PGlite({
    dataDir,
    loadDataDir: template,
    startParams: [...PGlite.defaultStartParams, ...PGLITE_SETTINGS.flatMap((s) => ["-c", s])],
  });
  await client.waitReady;
  const db = drizzlePglite({ client, schema, ...queryLogger(options) });
  let closed = false;
  return {
    db: db as unknown as Db,
    kind: "pglite",
    pool: { max: 1 },
    rows: async <T extends Record<string, unknown>>(query: SQL) =>
      (await db.execute(query)).rows as T[],
    // PGlite is one connection in one process: nothing can run a migration beside us.
    migrate: () =>
      analyzedAfter(
        (query) => db.execute(query).then((r) => r.rows as Array<Record<string, unknown>>),
        () => migratePglite(db, { migrationsFolder }),
      ),
    dumpSql: () => dumpPglite(client),
    listen: async (channel, onPayload) => {
      await client.listen(channel, onPayload);
    },
    dumpTemplate: () => client.dumpDataDir("none"),
    async close() {
      if (closed) return;
      closed = true;
      await client.close();
    },
  };
}

async function openPostgres(
  config: Extract<DatabaseConfig, { kind: "postgres" }>,
  options: OpenDatabaseOptions,
): Promise<Database> {
  const max = config.maxConnections ?? 10;
  const applicationName = `socialdapres ${process.pid} ${randomBytes(3).toString("hex")}`;
  const client = postgres(config.url, {
    max,
    onnotice: () => {},
    idle_timeout: IDLE_CONNECTION_SECONDS,
    ...(config.connectTimeoutSeconds ? { connect_timeout: config.connectTimeoutSeconds } : {}),
    connection: {
      application_name: applicationName,
      // Every query here is a short walk on an index; PostgreSQL compiles a query to machine
      // code when its *estimated* cost passes jit_above_cost, and an estimate swollen by a
      // guessed selectivity (the home timeline's blocks and mutes tests over 10,000 follows)
      // then spent 20–250 ms compiling a query that runs in a few. PGlite has no JIT.
      jit: "off",
      ...CUSTOM_PLANS,
      ...(config.statementTimeoutMs ? { statement_timeout: config.statementTimeoutMs } : {}),
    },
  });
  const db = drizzlePostgres({
    client: preparingRepeatedStatements(client),
    schema,
    ...queryLogger(options),
  });
  let closed = false;
  return {
    db: db as unknown as Db,
    kind: "postgres",
    pool: { max, applicationName },
    rows: async <T extends Record<string, unknown>>(query: SQL) =>
      (await db.execute(query)) as unknown as T[],
    migrate: () => migratePostgresLocked(config.url),
    dumpSql: () => dumpPostgres(config.url),
    async close() {
      if (closed) return;
      closed = true;
      await client.end({ timeout: 5 });
    },
  };
}

/**
 * Runs the migrations, then ANALYZE when they applied something (a new database, an upgrade):
 * the planner's statistics are what makes the list queries take their indexes
 * (src/db/statistics.ts keeps them fresh on PGlite afterwards).
 */
async function analyzedAfter(
  rows: (query: SQL) => Promise<Array<Record<string, unknown>>>,
  migrate: () => Promise<void>,
): Promise<void> {
  const applied = () => appliedMigrationCount({ rows: rows as Database["rows"] }).catch(() => 0);
  const before = await applied();
  await migrate();
  if ((await applied()) !== before) await rows(sql`analyze`);
}

/**
 * Several processes (web and workers) may start at once against one server:
 * an advisory lock held on a dedicated connection lets exactly one migrate.
 */
async function migratePostgresLocked(url: string): Promise<void> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const db = drizzlePostgres({ client });
    try {
      await answersWithinConnectTimeout(client, db.execute(sql`select 1`));
    } catch (error) {
      // Nothing to wait for: the connection never opened.
      await client.end({ timeout: 0 });
      throw error;
    }
    await db.execute(sql`select pg_advisory_lock(${MIGRATION_LOCK_ID})`);
    try {
      await analyzedAfter(
        async (query) => (await db.execute(query)) as unknown as Array<Record<string, unknown>>,
        () => migratePostgres(db, { migrationsFolder }),
      );
    } finally {
      await db.execute(sql`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`);
    }
  } finally {
    await client.end({ timeout: 5 });
  }
}

/**
 * postgres.js retries a connection that timed out (a host that drops packets) without failing
 * the query that waits for it, so the process would hang at start: give up after its
 * connect_timeout (30 s, or `?connect_timeout=` in DATABASE_URL) and say so.
 */
async function answersWithinConnectTimeout(
  client: postgres.Sql,
  query: PromiseLike<unknown>,
): Promise<void> {
  const seconds = Number(client.options.connect_timeout) || 30;
  const answer = Promise.resolve(query);
  answer.catch(() => {}); // still settles after we gave up: not an unhandled rejection
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          Object.assign(new Error(`no answer from PostgreSQL within ${seconds} seconds`), {
            code: "CONNECT_TIMEOUT",
            seconds,
          }),
        ),
      seconds * 1000 + 500,
    );
  });
  try {
    await Promise.race([answer, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
