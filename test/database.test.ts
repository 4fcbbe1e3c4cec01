import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { databaseLabel, useMigratedDatabase } from "./support/database.ts";

describe(`database (${databaseLabel})`, () => {
  const database = useMigratedDatabase();

  it("applies every migration and can apply them again without change", async () => {
    await database.current().migrate();
    const tables = await database
      .current()
      .rows<{ table_name: string }>(
        sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
      );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining([
        "members",
        "actors",
        "follows",
        "kv_entries",
        "queue_jobs",
        "instance_settings",
        "encounters",
        "encounter_participants",
        "encounter_reactions",
        "notifications",
      ]),
    );
  });
});
