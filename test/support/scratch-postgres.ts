import { randomBytes } from "node:crypto";
import postgres from "postgres";
import type { DatabaseConfig } from "../../src/db/database.ts";

/**
 * A new, empty database on a PostgreSQL server, for one test or benchmark
 * instance; `drop` removes it. Free of vitest, so benchmarks use it too.
 */
export async function createScratchPostgres(
  serverUrl: string,
  options: { prefix: string; maxConnections: number },
): Promise<{ config: DatabaseConfig; drop: () => Promise<void> }> {
  const name = `${options.prefix}_${randomBytes(6).toString("hex")}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    config: { kind: "postgres", url: url.toString(), maxConnections: options.maxConnections },
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
