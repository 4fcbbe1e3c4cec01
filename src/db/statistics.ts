import { sql } from "drizzle-orm";
import type { Logger } from "../shared/logger.ts";
import type { Database } from "./database.ts";

/**
 * Table statistics, which the planner needs to choose an index over a scan. PostgreSQL keeps
 * them with autovacuum; PGlite has no background workers, so it never would: without them a
 * list query on 100,000 encounters scans the table. So:
 * - after migrations that changed something, both databases are analyzed (`database.migrate`);
 * - on PGlite, `createStatisticsKeeper` looks every `intervalMs` (10 minutes) for the tables
 *   written enough since their last ANALYZE — autovacuum's rule: 50 rows plus 10% of the
 *   table — and analyzes those, and all of them once a day. ANALYZE samples at most
 *   30,000 rows per table: tens of milliseconds.
 */
export interface StatisticsKeeper {
  start(): void;
  stop(): Promise<void>;
  /** One pass now; the tables analyzed. */
  runOnce(): Promise<string[]>;
}

const DEFAULT_INTERVAL_MS = 10 * 60_000;
const DAY_MS = 24 * 60 * 60_000;

/** The user tables written enough since their last ANALYZE (or never analyzed, with rows). */
async function staleTables(database: Pick<Database, "rows">): Promise<string[]> {
  // PGlite writes its activity counters lazily: flush them before reading.
  await database.rows(sql`select pg_stat_force_next_flush()`);
  const rows = await database.rows<{ name: string }>(sql`
    select quote_ident(schemaname) || '.' || quote_ident(relname) as name
    from pg_stat_user_tables
    where n_mod_since_analyze > 50 + 0.1 * greatest(n_live_tup, 0)
    order by relname`);
  return rows.map((r) => r.name);
}

export function createStatisticsKeeper(
  database: Pick<Database, "rows" | "kind">,
  logger: Logger,
  options: { intervalMs?: number; now?: () => number } = {},
): StatisticsKeeper {
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  const now = options.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let lastFull = now();

  async function runOnce(): Promise<string[]> {
    if (now() - lastFull >= DAY_MS) {
      lastFull = now();
      await database.rows(sql`analyze`);
      return ["*"];
    }
    const tables = await staleTables(database);
    for (const table of tables) await database.rows(sql.raw(`analyze ${table}`));
    return tables;
  }

  return {
    runOnce,
    start() {
      // PostgreSQL's autovacuum does this job there.
      if (database.kind !== "pglite" || timer) return;
      timer = setInterval(() => {
        running = runOnce().then(
          (tables) => {
            if (tables.length > 0) logger.debug({ tables }, "table statistics refreshed");
          },
          (error: unknown) => logger.warn({ err: error }, "refreshing table statistics failed"),
        );
      }, intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
