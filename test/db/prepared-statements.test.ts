import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/database.ts";
import { preparingRepeatedStatements } from "../../src/db/prepared-statements.ts";
import { createScratchPostgres } from "../support/scratch-postgres.ts";

const serverUrl = process.env.TEST_DATABASE_URL;

/** PGlite has no statements to prepare: only PostgreSQL's protocol does. */
describe.skipIf(!serverUrl)("statements prepared from their second run (postgres)", () => {
  let client: postgres.Sql;
  const preparedTexts = async () =>
    // (The client's own tagged queries, this one too, are prepared by postgres.js itself.)
    (
      await client`select statement from pg_prepared_statements where statement like 'select $1::int %'`
    ).map((row) => row.statement);

  beforeAll(() => {
    // One connection: pg_prepared_statements shows that session's statements.
    client = postgres(serverUrl as string, { max: 1, onnotice: () => {} });
  });
  afterAll(() => client?.end());

  it("prepares a text run twice, never one run once, and no more texts than its bound", async () => {
    const preparing = preparingRepeatedStatements(client, { maxPrepared: 2 });
    const run = (text: string, value: number) => preparing.unsafe(text, [value]);
    expect(await run("select $1::int + 1 as n", 1)).toEqual([{ n: 2 }]);
    expect(await preparedTexts()).toEqual([]);
    expect(await run("select $1::int + 1 as n", 2)).toEqual([{ n: 3 }]);
    expect(await run("select $1::int + 1 as n", 3)).toEqual([{ n: 4 }]);
    expect(await preparedTexts()).toEqual(["select $1::int + 1 as n"]);
    for (const text of ["select $1::int + 2 as n", "select $1::int + 3 as n"]) {
      await run(text, 1);
      await run(text, 1);
    }
    // The bound: the second of these two was not prepared.
    expect((await preparedTexts()).sort()).toEqual([
      "select $1::int + 1 as n",
      "select $1::int + 2 as n",
    ]);
    // Without parameters, nothing to prepare (the simple protocol is one round trip).
    await preparing.unsafe("select 42 as n");
    await preparing.unsafe("select 42 as n");
    expect(await preparedTexts()).toHaveLength(2);
    // Everything else is the client's own.
    expect(await preparing`select ${5}::int as n`).toEqual([{ n: 5 }]);
  });

  it("the app's connections ask for a custom plan at every execution", async () => {
    const scratch = await createScratchPostgres(serverUrl as string, {
      prefix: "sdp_plans",
      maxConnections: 1,
    });
    const database = await openDatabase(scratch.config);
    try {
      expect(await database.rows(sql`show plan_cache_mode`)).toEqual([
        { plan_cache_mode: "force_custom_plan" },
      ]);
    } finally {
      await database.close();
      await scratch.drop();
    }
  });
});
