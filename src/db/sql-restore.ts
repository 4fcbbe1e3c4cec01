import { readFile } from "node:fs/promises";
import postgres from "postgres";
import { DomainError } from "../shared/errors.ts";
import type { DatabaseConfig } from "./database.ts";

/* `db restore`: a plain-SQL dump (src/db/sql-dump.ts) loaded into an empty database. */

/** A dump's SQL, read from a file: a missing or unreadable one is a clear error. */
export async function readDumpFile(path: string): Promise<string> {
  let script: string;
  try {
    script = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DomainError(
      "invalid",
      `Cannot read ${path}${code === "ENOENT" ? ": no such file" : ` (${code ?? "error"})`}.`,
    );
  }
  return runnableScript(script, path);
}

/**
 * The dump as one SQL script: pg_dump's `\restrict` lines (psql's guard against a dump that
 * smuggles meta-commands) are dropped; any other psql meta-command is refused, since we run the
 * script ourselves and it should hold SQL only.
 */
export function runnableScript(script: string, path: string): string {
  const withoutGuards = script.replace(/^\\(?:un)?restrict\b.*$/gm, "");
  const meta = /^\\.*$/m.exec(withoutGuards);
  if (meta) {
    throw new DomainError(
      "invalid",
      `${path} holds the psql command ${JSON.stringify(meta[0].slice(0, 40))}: give a plain SQL dump made by db backup or db export (pg_dump --inserts), or load this one with psql.`,
    );
  }
  if (!/CREATE TABLE public\.members\b/.test(withoutGuards)) {
    throw new DomainError(
      "invalid",
      `${path} is not a dump of a Socialdapres database (no members table): give a file made by db backup or db export.`,
    );
  }
  return withoutGuards;
}

/**
 * Loads a dump into an empty database (no table in `public` nor drizzle's migrations): restoring
 * over an instance would mix two of them. The script runs as one transaction: a dump that fails
 * halfway leaves the database empty.
 */
export async function restoreDump(config: DatabaseConfig, script: string): Promise<void> {
  if (config.kind === "pglite") {
    const { PGlite } = await import("@electric-sql/pglite");
    const client = new PGlite({ dataDir: config.dataDir });
    try {
      const [tables] = await client.exec(TABLE_COUNT);
      refuseNonEmpty(Number((tables?.rows[0] as { tables: number } | undefined)?.tables ?? 0));
      await client.transaction(async (tx) => {
        await tx.exec(script);
      });
    } finally {
      await client.close();
    }
    return;
  }
  const client = postgres(config.url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await client.unsafe<{ tables: number }[]>(TABLE_COUNT);
    refuseNonEmpty(Number(row?.tables ?? 0));
    await client.begin((tx) => tx.unsafe(script));
  } finally {
    await client.end({ timeout: 5 });
  }
}

const TABLE_COUNT = `select count(*)::int as tables from pg_catalog.pg_tables
  where schemaname in ('public', 'drizzle')`;

function refuseNonEmpty(tables: number): void {
  if (tables > 0) {
    throw new DomainError(
      "invalid",
      `The database is not empty (${tables} tables): db restore loads a dump into an empty database only. Create a new database (createdb) and point DATABASE_URL at it, or, on the embedded database, use a new DATA_DIR.`,
    );
  }
}
