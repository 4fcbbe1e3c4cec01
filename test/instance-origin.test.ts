import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { Db } from "../src/db/database.ts";
import { bindDatabaseToOrigin, OriginMismatchError } from "../src/db/instance-origin.ts";
import { instanceSettings } from "../src/db/schema.ts";
import { databaseLabel, useMigratedDatabase } from "./support/database.ts";

const storedOrigins = async (db: Db) =>
  (
    await db
      .select({ value: instanceSettings.value })
      .from(instanceSettings)
      .where(eq(instanceSettings.key, "origin"))
  ).map((row) => row.value);

// Each test binds a database of its own: none relies on what another one stored.
describe(`a database is bound to its first origin (${databaseLabel})`, () => {
  describe("on a new database", () => {
    const database = useMigratedDatabase();

    it("records the first origin, and accepts it again however its URL is written", async () => {
      const { db } = database.current();
      await expect(
        bindDatabaseToOrigin(db, new URL("https://social.example")),
      ).resolves.toBeUndefined();
      expect(await storedOrigins(db)).toEqual(["https://social.example"]);
      for (const again of ["https://social.example/", "https://SOCIAL.example/users/bea"]) {
        await expect(bindDatabaseToOrigin(db, new URL(again)), again).resolves.toBeUndefined();
      }
      expect(await storedOrigins(db)).toEqual(["https://social.example"]);
    });
  });

  describe("on a database bound to https://social.example", () => {
    const database = useMigratedDatabase();

    it("refuses another origin with a message that says which one to set, and keeps the first", async () => {
      const { db } = database.current();
      await bindDatabaseToOrigin(db, new URL("https://social.example"));
      const attempt = bindDatabaseToOrigin(db, new URL("http://localhost:3000"));
      await expect(attempt).rejects.toBeInstanceOf(OriginMismatchError);
      await expect(attempt).rejects.toThrow(/set ORIGIN=https:\/\/social\.example/);
      expect(await storedOrigins(db)).toEqual(["https://social.example"]);
    });
  });
});
