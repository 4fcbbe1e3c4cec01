import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import postgres from "postgres";
import { afterAll, beforeAll, inject } from "vitest";
import { type Database, type DatabaseConfig, openDatabase } from "../../src/db/database.ts";

let pgliteTemplate: Promise<Blob> | undefined;

/**
 * The migrated PGlite dumped by the global setup, read once per test worker;
 * built here when a file runs outside that setup.
 */
function migratedPgliteTemplate(): Promise<Blob> {
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
  const name = `sdp_test_${randomBytes(6).toString("hex")}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    config: { kind: "postgres", url: url.toString(), maxConnections: 5 },
    drop: async () => {
      const cleaner = postgres(serverUrl, { max: 1, onnotice: () => {} });
      try {
        await cleaner.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await cleaner.end();
      }
    },
  };
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
