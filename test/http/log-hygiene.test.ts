import { getLogger } from "@logtape/logtape";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.ts";
import { LOG_VALUE_MAX_CHARS } from "../../src/shared/fedify-logging.ts";
import { AP, API, client, membersWithTokens, postEncounter } from "../api/helpers.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { capturingLogger } from "../support/captured-logs.ts";
import { databaseLabel } from "../support/database.ts";

/** The longest line one log record may make: a handful of capped values and a capped message. */
const LINE_MAX = 8 * LOG_VALUE_MAX_CHARS;

/*
 * What reaches the logs: the app's pino logger, with Fedify's LogTape records routed to it
 * by buildApp itself (src/shared/fedify-logging.ts), at debug level so that Fedify's most
 * talkative records are written too.
 */
describe(`log lines stay small and free of private values (${databaseLabel})`, () => {
  let t: TestApp;
  let app: App;
  let logs: string[];
  let bea: ReturnType<typeof client>;

  beforeAll(async () => {
    const captured = capturingLogger("debug");
    logs = captured.logs;
    t = await buildTestApp({ logger: captured.logger });
    app = t.app;
    const tokens = await membersWithTokens(app, ["bea"]);
    bea = client(app, tokens.bea as string);
  });
  afterAll(() => t?.close());

  it("a badly signed 1 MB POST to an inbox is refused and logged in lines of a few KB", async () => {
    const filler = "A".repeat(1_000_000);
    const activity = JSON.stringify({
      "@context": "https://www.w3.org/ns/activitystreams",
      id: "http://localhost:1/activities/1",
      type: "Create",
      actor: "http://localhost:1/users/mallory",
      // Public: at debug level the words of a public Note are logged (and cut); a private
      // one's never are (src/shared/fedify-log-filter.ts).
      to: "https://www.w3.org/ns/activitystreams#Public",
      object: { type: "Note", content: filler },
    });
    expect(activity.length).toBeGreaterThan(1_000_000);
    logs.length = 0;
    // A signature that names a key on the actor's server passes the first check
    // (src/federation/inbox-sender.ts) and reaches Fedify, which logs the whole activity.
    const signature =
      'keyId="http://localhost:1/users/mallory#main-key",algorithm="rsa-sha256",headers="(request-target) host date",signature="AAAA"';
    for (const inbox of ["/users/bea/inbox", "/inbox"]) {
      const response = await app.http.inject({
        method: "POST",
        url: inbox,
        headers: { "content-type": AP, date: new Date().toUTCString(), signature },
        payload: activity,
      });
      expect(response.statusCode, inbox).toBeGreaterThanOrEqual(400);
      expect(response.statusCode, inbox).toBeLessThan(500);
    }
    // Fedify's records about the refused requests were written, and cut.
    const fedify = logs.filter((line) => line.includes('"component":"fedify"'));
    expect(fedify.length).toBeGreaterThan(0);
    expect(logs.some((line) => line.includes("more characters not logged"))).toBe(true);
    for (const line of logs) {
      expect(line.length, line.slice(0, 300)).toBeLessThanOrEqual(LINE_MAX);
      expect(line).not.toContain("A".repeat(LOG_VALUE_MAX_CHARS + 1));
    }
  });

  it("a failed write logs the error without the values it was writing", async () => {
    const created = await postEncounter(bea, { text: "Au marché", participants: ["Marie"] });
    // Makes the next write of these private fields fail in the database itself.
    await app.database.rows(
      sql`alter table encounter_private add constraint log_test_refuses check (duration_minutes <> 1313)`,
    );
    logs.length = 0;
    try {
      const response = await bea({
        method: "PUT",
        url: `${API}/encounters/${created.id}/private`,
        payload: {
          othersPresent: 737,
          setting: "ventilated",
          durationMinutes: 1313,
          theirMask: "ffp2",
          voice: "loud",
        },
      });
      expect(response.statusCode).toBe(500);
      expect(response.body).not.toMatch(/1313|ventilated|ffp2/);
    } finally {
      await app.database.rows(sql`alter table encounter_private drop constraint log_test_refuses`);
    }
    const failure = logs.find((line) => line.includes("request failed"));
    // The failure is logged, with the query (its placeholders) but not its values.
    expect(failure).toMatch(/Failed query: insert into \\"encounter_private\\"/);
    expect(failure).toContain("params: [not logged]");
    expectNoPrivateValue(logs);
  });

  it("a database error in pino's err or in a Fedify record carries no query values", async () => {
    const secret = "private-value-8e1f0c";
    const error = await app.database
      .rows(sql`select ${secret}::uuid as id`)
      .then(() => undefined)
      .catch((e: unknown) => e);
    expect(String((error as Error).message)).toContain(secret); // what drizzle itself says
    logs.length = 0;
    app.logger.error({ err: error }, "pino error");
    getLogger(["fedify", "test"]).error("Fedify error: {error}", { error });
    expect(logs).toHaveLength(2);
    for (const line of logs) {
      expect(line).toContain("params: [not logged]");
      expect(line).not.toContain(secret);
    }
  });
});

function expectNoPrivateValue(lines: string[]) {
  for (const line of lines) {
    expect(line).not.toMatch(/[\s,(]1313[\s,)]/);
    expect(line).not.toMatch(/[\s,(]737[\s,)]/);
    expect(line).not.toMatch(/ventilated|ffp2/);
  }
}
