import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "../src/db/database.ts";
import { databaseLabel, freshDatabaseConfig } from "./support/database.ts";

describe(`database (${databaseLabel})`, () => {
  let database: Database;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const fresh = await freshDatabaseConfig();
    drop = fresh.drop;
    database = await openDatabase(fresh.config);
    await database.migrate();
  });
  afterAll(async () => {
    await database.close();
    await drop();
  });

  it("applies every migration and can apply them again without change", async () => {
    await database.migrate();
    const tables = await database.rows<{ table_name: string }>(
      sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining(["members", "actors", "follows", "kv_entries", "queue_jobs"]),
    );
  });
});
