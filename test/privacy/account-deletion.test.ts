import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.ts";
import { API, client, postEncounter } from "../api/helpers.ts";
import { instanceWithCapturedLogs } from "../support/captured-logs.ts";
import { databaseLabel } from "../support/database.ts";
import { noLeakOf, PRIVATE_FIELD_LEAKS, PRIVATE_FIELDS } from "../support/leaks.ts";

/*
 * Once a member deleted their account, nothing of their tracker is left anywhere in the
 * database: every table is read whole, row by row, for the private values they typed. The
 * deletion's logs hold none of them either.
 */

// Every private field set, as the other privacy tests do (test/support/leaks.ts).
const PRIVATE = { ...PRIVATE_FIELDS, satisfying: false } as const;
const PRIVATE_TEXT = "Rencontre-privee-Kq4";
const EMAIL = "leaving.address.k4@example.org";

const LEAKS = [
  ...PRIVATE_FIELD_LEAKS,
  /Europe\/Berlin/,
  new RegExp(PRIVATE_TEXT),
  /leaving\.address\.k4/i,
];
const expectNoLeak = noLeakOf(LEAKS);

describe(`privacy of a deleted account (${databaseLabel})`, () => {
  let instance: Awaited<ReturnType<typeof instanceWithCapturedLogs>>;
  let app: App;

  beforeAll(async () => {
    instance = await instanceWithCapturedLogs("trace");
    app = instance.app;
    const { member } = await app.members.create({
      username: "bea",
      password: "long-password-1",
      email: EMAIL,
    });
    const bea = client(app, await app.members.createToken("bea", "test"));
    for (const visibility of ["private", "public", "participants"]) {
      const { id } = await postEncounter(bea, {
        text: visibility === "private" ? PRIVATE_TEXT : `Un café (${visibility})`,
        participants: ["Marie"],
        visibility,
      });
      const response = await bea({
        method: "PUT",
        url: `${API}/encounters/${id}/private`,
        payload: { ...PRIVATE, circles: [{ position: 0, circle: "intimate" }] },
      });
      expect(response.statusCode, response.body).toBe(200);
    }
    await app.trackerSettings.update(member.id, { timeZone: "Europe/Berlin", target: 5 });
    await app.weeklyQuestions.checkIn(member.id, { answer: "yes", count: 4 }, "web");
  });
  afterAll(() => instance?.close());

  it("leaves no private value in any table, nor in the logs", async () => {
    const tables = await app.database.rows<{ name: string }>(
      sql`select table_name as name from information_schema.tables
          where table_schema = 'public' and table_type = 'BASE TABLE'`,
    );
    // Before, the scan does find them: it reads what it should.
    const everything = async () => {
      const texts: string[] = [];
      for (const { name } of tables) {
        const rows = await app.database.rows<{ row: string }>(
          sql`select t::text as row from ${sql.identifier(name)} t`,
        );
        texts.push(`${name}: ${rows.map((r) => r.row).join("\n")}`);
      }
      return texts.join("\n");
    };
    const before = await everything();
    expect(before).toMatch(/ventilated/);
    expect(before).toContain(PRIVATE_TEXT);

    await app.accountDeletion.deleteAccount("bea");

    expectNoLeak("the database", await everything());
    const [checkins] = await app.database.rows<{ n: number }>(
      sql`select count(*)::int as n from weekly_checkins`,
    );
    expect(checkins?.n).toBe(0);
    expectNoLeak("the logs", instance.logs.join(""));
  });
});
