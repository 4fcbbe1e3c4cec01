import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, inject } from "vitest";
import { type Database, type DatabaseConfig, openDatabase } from "../../src/db/database.ts";
import { createScratchPostgres } from "./scratch-postgres.ts";

let pgliteTemplate: Promise<Blob> | undefined;

/**
 * The migrated PGlite dumped by the global setup, read once per test worker;
 * built here when a file runs outside that setup.
 */
export function migratedPgliteTemplate(): Promise<Blob> {
  pgliteTemplate ??= (async () => {
    const path = inject("pgliteTemplatePath");
    if (path) return new Blob([await readFile(path)]);
    const database = await openDatabase({ kind: "pglite" });
    await database.migrate();
    const blob = await (database.dumpTemplate as () => Promise<Blob>)();
    await database.close();
    return blob;
  })();
  return pgliteTemplate;
}

/**
 * A fresh, empty database for one test instance: in-memory PGlite by default,
 * or a new database on the server named by TEST_DATABASE_URL (dropped by the
 * returned cleanup).
 */
export async function freshDatabaseConfig(): Promise<{
  config: DatabaseConfig;
  drop: () => Promise<void>;
}> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    return {
      config: { kind: "pglite", template: await migratedPgliteTemplate() },
      drop: async () => {},
    };
  }
  return createScratchPostgres(serverUrl, { prefix: "sdp_test", maxConnections: 5 });
}

export const databaseLabel = process.env.TEST_DATABASE_URL ? "postgres" : "pglite";

/**
 * A migrated database for tests that work below the app (no buildApp): opened
 * in beforeAll, closed and dropped in afterAll.
 */
export function useMigratedDatabase(): { current: () => Database } {
  let database: Database | undefined;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const fresh = await freshDatabaseConfig();
    drop = fresh.drop;
    database = await openDatabase(fresh.config);
    await database.migrate();
  });
  afterAll(async () => {
    await database?.close();
    await drop?.();
  });
  return {
    current() {
      if (!database) throw new Error("the database is opened in beforeAll");
      return database;
    },
  };
}
