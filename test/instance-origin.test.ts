import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "../src/db/database.ts";
import { bindDatabaseToOrigin, OriginMismatchError } from "../src/db/instance-origin.ts";
import { databaseLabel, freshDatabaseConfig } from "./support/database.ts";

describe(`a database is bound to its first origin (${databaseLabel})`, () => {
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

  it("accepts the first origin, and the same one again", async () => {
    await bindDatabaseToOrigin(database.db, new URL("https://social.example"));
    await bindDatabaseToOrigin(database.db, new URL("https://social.example/"));
  });

  it("refuses another origin with a message that says which one to set", async () => {
    const attempt = bindDatabaseToOrigin(database.db, new URL("http://localhost:3000"));
    await expect(attempt).rejects.toBeInstanceOf(OriginMismatchError);
    await expect(attempt).rejects.toThrow(/set ORIGIN=https:\/\/social\.example/);
  });
});
