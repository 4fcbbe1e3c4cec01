import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWebSessions, LAST_SEEN_STEP_MS, USER_AGENT_MAX } from "../../src/web/session.ts";
import { browserSummary } from "../../src/web/user-agent.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { WebClient } from "../support/web.ts";

/*
 * /settings/password and /settings/sessions: a member changes their password (their other
 * sessions end, this one stays), sees their browsers and ends one or all the others.
 */

const FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const PHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

describe(`Password change and sessions (${databaseLabel})`, () => {
  let t: TestApp;
  const browser = (userAgent: string, address = "198.51.100.1") =>
    new WebClient(t.app.http, { "user-agent": userAgent }, { remoteAddress: address });
  const loggedOut = async (client: WebClient) => {
    const response = await client.get("/settings/sessions");
    return response.statusCode === 302 && /^\/login/.test(String(response.headers.location));
  };

  beforeAll(async () => {
    t = await buildTestApp();
    await t.app.members.create({ username: "bea", password: "bea-password-123" });
    await t.app.members.create({ username: "carl", password: "carl-password-123" });
  });
  afterAll(() => t?.close());

  it("asks a visitor to log in", async () => {
    for (const path of ["/settings/password", "/settings/sessions", "/settings/email"]) {
      const response = await new WebClient(t.app.http).get(path);
      expect(response.statusCode, path).toBe(302);
      expect(response.headers.location).toBe(`/login?next=${encodeURIComponent(path)}`);
    }
  });

  it("lists the member's sessions, this one marked, and ends another (that browser is logged out)", async () => {
    const laptop = await browser(FIREFOX).login("bea", "bea-password-123");
    const phone = await browser(PHONE).login("bea", "bea-password-123");
    const other = await browser(FIREFOX).login("carl", "carl-password-123");
    const page = await laptop.get("/settings/sessions");
    expect(page.statusCode).toBe(200);
    expect(page.headers["cache-control"]).toBe("private, no-store");
    expect(page.body).toContain("Firefox · Linux");
    expect(page.body).toContain("Safari · iPhone");
    expect(page.body.match(/<li/g)?.length).toBeGreaterThanOrEqual(2);
    // This one is marked, and has no button: the header's log-out ends it.
    const mine = /<li aria-current="true">[\s\S]*?<\/li>/.exec(page.body)?.[0] ?? "";
    expect(mine).toContain("Firefox · Linux");
    expect(mine).toContain("cette session");
    expect(mine).not.toContain("<form");
    // Carl's session is not Bea's to see.
    const ids = [...page.body.matchAll(/\/settings\/sessions\/([0-9a-f-]{36})\/end/g)].map(
      (m) => m[1],
    );
    expect(ids).toHaveLength(1);

    const ended = await laptop.post(`/settings/sessions/${ids[0]}/end`);
    expect(ended.statusCode).toBe(303);
    expect(ended.headers.location).toBe("/settings/sessions?done=ended");
    expect(await loggedOut(phone)).toBe(true);
    expect(await loggedOut(laptop)).toBe(false);
    expect(await loggedOut(other)).toBe(false);

    // Someone else's session id ends nothing.
    const carlId = (
      await t.app.database.rows<{ id: string }>(
        sql`select s.id from web_sessions s join members m on m.id = s.member_id where m.username = 'carl'`,
      )
    )[0]?.id as string;
    await laptop.post(`/settings/sessions/${carlId}/end`);
    expect(await loggedOut(other)).toBe(false);
  });

  it("ends every other session with one button", async () => {
    const here = await browser(FIREFOX).login("bea", "bea-password-123");
    const there = [
      await browser(PHONE).login("bea", "bea-password-123"),
      await browser(PHONE).login("bea", "bea-password-123"),
    ];
    const response = await here.post("/settings/sessions/end-others");
    expect(response.statusCode).toBe(303);
    for (const client of there) expect(await loggedOut(client)).toBe(true);
    const page = await here.get("/settings/sessions?done=others");
    expect(page.body).toContain("Toutes tes autres sessions sont fermées.");
    expect(page.body).not.toContain("/settings/sessions/end-others");
  });

  it("refuses a wrong current password next to its field, and counts it as a failed log-in", async () => {
    const client = await browser(FIREFOX, "198.51.100.7").login("bea", "bea-password-123");
    const response = await client.post("/settings/password", {
      current: "not-my-password",
      password: "bea-new-password-1",
      confirm: "bea-new-password-1",
    });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('id="current-password-error"');
    expect(response.body).toContain("Ce n&#39;est pas ton mot de passe actuel.");
    expect(response.body).toContain('aria-describedby="current-password-error"');
    await browser(FIREFOX).login("bea", "bea-password-123");
  });

  it("refuses a new password that breaks the rule or is typed differently twice", async () => {
    const client = await browser(FIREFOX).login("bea", "bea-password-123");
    const short = await client.post("/settings/password", {
      current: "bea-password-123",
      password: "short",
      confirm: "short",
    });
    expect(short.statusCode).toBe(422);
    expect(short.body).toContain('id="new-password-error"');
    const mismatch = await client.post("/settings/password", {
      current: "bea-password-123",
      password: "bea-new-password-1",
      confirm: "bea-new-password-2",
    });
    expect(mismatch.statusCode).toBe(422);
    expect(mismatch.body).toContain('id="confirm-password-error"');
    await browser(FIREFOX).login("bea", "bea-password-123");
  });

  it("changes the password: the other sessions end, this one stays, and the page says so", async () => {
    const here = await browser(FIREFOX).login("bea", "bea-password-123");
    const there = await browser(PHONE).login("bea", "bea-password-123");
    const response = await here.post("/settings/password", {
      current: "bea-password-123",
      password: "bea-new-password-1",
      confirm: "bea-new-password-1",
    });
    expect(response.statusCode, response.body).toBe(303);
    expect(response.headers.location).toBe("/settings/password?done=1");
    const page = await here.get("/settings/password?done=1");
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("Ton mot de passe est changé. Tes autres sessions sont fermées");
    expect(await loggedOut(there)).toBe(true);
    expect(await loggedOut(here)).toBe(false);
    await browser(FIREFOX).login("bea", "bea-new-password-1");
    const old = await browser(FIREFOX).post("/login", {
      username: "bea",
      password: "bea-password-123",
    });
    expect(old.statusCode).toBe(401);
  });

  it("refuses every new form without a CSRF token", async () => {
    const client = await browser(FIREFOX).login("carl", "carl-password-123");
    const id = (
      await t.app.database.rows<{ id: string }>(sql`select id from web_sessions limit 1`)
    )[0]?.id as string;
    for (const path of [
      "/settings/password",
      "/settings/sessions/end-others",
      `/settings/sessions/${id}/end`,
    ]) {
      const response = await client.post(
        path,
        {
          current: "carl-password-123",
          password: "carl-new-password",
          confirm: "carl-new-password",
        },
        { withoutToken: true },
      );
      expect(response.statusCode, path).toBe(403);
    }
    await browser(FIREFOX).login("carl", "carl-password-123");
  });
});

describe(`Web sessions store (${databaseLabel})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
    await t.app.members.create({ username: "bea", password: "bea-password-123" });
  });
  afterAll(() => t?.close());

  it("keeps a cut User-Agent, never the address, and marks the last use every few minutes only", async () => {
    let now = new Date("2026-03-01T10:00:00Z");
    const sessions = createWebSessions(t.app.database.db, () => now);
    const bea = await t.app.members.findByUsername("bea");
    const token = await sessions.create(bea?.id as string, `${FIREFOX}\u0000${"x".repeat(1000)}`);
    const [listed] = await sessions.list(bea?.id as string);
    expect(listed?.userAgent).toHaveLength(USER_AGENT_MAX);
    expect(listed?.userAgent).not.toContain("\u0000");
    expect(listed?.lastSeenAt?.toISOString()).toBe(now.toISOString());
    const columns = await t.app.database.rows<{ column_name: string }>(
      sql`select column_name from information_schema.columns where table_name = 'web_sessions'`,
    );
    expect(columns.map((c) => c.column_name).filter((c) => /ip|addr/i.test(c))).toEqual([]);

    now = new Date(now.getTime() + LAST_SEEN_STEP_MS - 1_000);
    await sessions.memberOf(token);
    expect((await sessions.list(bea?.id as string))[0]?.lastSeenAt?.toISOString()).toBe(
      "2026-03-01T10:00:00.000Z",
    );
    now = new Date(now.getTime() + 2_000);
    await sessions.memberOf(token);
    expect((await sessions.list(bea?.id as string))[0]?.lastSeenAt?.toISOString()).toBe(
      now.toISOString(),
    );
  });

  it("sums up a User-Agent in a few words", () => {
    expect(browserSummary(FIREFOX, "fr")).toBe("Firefox · Linux");
    expect(browserSummary(PHONE, "en")).toBe("Safari · iPhone");
    expect(
      browserSummary(
        "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36",
        "fr",
      ),
    ).toBe("Chrome · Android");
    expect(
      browserSummary(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0",
        "fr",
      ),
    ).toBe("Edge · Windows");
    expect(browserSummary("curl/8.5.0", "fr")).toBe("curl");
    expect(browserSummary(null, "fr")).toBe("Navigateur inconnu");
    expect(browserSummary(null, "en")).toBe("Unknown browser");
  });
});
