import { describe, expect, it } from "vitest";
import { bindDatabaseToOrigin, OriginMismatchError } from "../src/db/instance-origin.ts";
import { databaseLabel, useMigratedDatabase } from "./support/database.ts";

describe(`a database is bound to its first origin (${databaseLabel})`, () => {
  const database = useMigratedDatabase();

  it("accepts the first origin, and the same one again", async () => {
    await bindDatabaseToOrigin(database.current().db, new URL("https://social.example"));
    await bindDatabaseToOrigin(database.current().db, new URL("https://social.example/"));
  });

  it("refuses another origin with a message that says which one to set", async () => {
    const attempt = bindDatabaseToOrigin(database.current().db, new URL("http://localhost:3000"));
    await expect(attempt).rejects.toBeInstanceOf(OriginMismatchError);
    await expect(attempt).rejects.toThrow(/set ORIGIN=https:\/\/social\.example/);
  });
});
