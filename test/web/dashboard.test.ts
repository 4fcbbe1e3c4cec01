import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addWeeks, weekStartOf } from "../../src/exposure/model/weeks.ts";
import { API, client, membersWithTokens } from "../api/helpers.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { WebClient } from "../support/web.ts";

const lastMonday = addWeeks(weekStartOf(new Date(), "Europe/Paris"), -1);

describe(`Dashboard page (${databaseLabel})`, () => {
  let t: TestApp;
  let cookie: string;
  let csrf: string;

  /** A logged-in browser's cookies; bea's CSRF token is kept for the forms below. */
  async function login(username: string) {
    const browser = await new WebClient(t.app.http).login(username, `${username}-password-123`);
    if (username === "bea") csrf = await browser.csrfToken();
    return browser.cookieHeader;
  }

  beforeAll(async () => {
    t = await buildTestApp();
    const tokens = await membersWithTokens(t.app, ["bea", "dora"]);
    const bea = client(t.app, tokens.bea as string);
    const created = await bea({
      method: "POST",
      url: `${API}/encounters`,
      payload: {
        text: "Dîner <b>secret</b>",
        participants: ["@dora", "Lucie <script>"],
        occurredOn: lastMonday,
        visibility: "private",
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const put = await bea({
      method: "PUT",
      url: `${API}/encounters/${created.json().id}/private`,
      payload: { satisfying: true, circles: [{ position: 0, circle: "intimate" }] },
    });
    expect(put.statusCode, put.body).toBe(200);
    cookie = await login("bea");
  });
  afterAll(async () => {
    await t?.close();
  });

  it("sends a visitor without a session to the login form", async () => {
    for (const headers of [{}, { cookie: "sdp_session=forged-token" }]) {
      const response = await t.app.http.inject({ method: "GET", url: "/tracker", headers });
      expect(response.statusCode).toBe(302);
      expect(response.headers.location).toBe("/login?next=%2Ftracker");
      expect(response.body).not.toContain("<svg");
    }
  });

  it("shows the member's status, chart, table, reminders and caveats; never cached", async () => {
    const response = await t.app.http.inject({
      method: "GET",
      url: "/tracker",
      headers: { cookie },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers["cache-control"]).toBe("private, no-store");
    const html = response.body;
    // The one satisfying encounter was last week: this week is under the floor of 1.
    expect(html).toContain("Cette semaine : isolé·e.");
    expect(html).toContain('role="img"');
    expect(html.match(/<tr><th scope="row">/g)).toHaveLength(12);
    expect(html).toContain(`<tr><th scope="row">${lastMonday}</th><td>1</td>`);
    // The name is isolated (bidi): whatever its direction, the sentence keeps its order.
    expect(html).toMatch(/Vous n&#39;avez pas vu <bdi>@dora@[^ <]+<\/bdi> depuis \d+ jours\./);
    expect(html).toContain("Lucie &lt;script&gt;");
    expect(html).not.toContain("Lucie <script>");
    expect(html).toContain("facteur 3");
    expect(html).toContain('href="/exposure"');
    expect(html).toContain('href="/tracker/export.csv"');
  });

  it("speaks English to an English browser", async () => {
    const response = await t.app.http.inject({
      method: "GET",
      url: "/tracker",
      headers: { cookie, "accept-language": "en" },
    });
    expect(response.body).toContain("This week: isolated.");
    expect(response.body).toMatch(/You have not seen <bdi>@dora@[^ <]+<\/bdi> for \d+ days\./);
  });

  it("shows each member only their own tracker", async () => {
    const dora = await login("dora");
    const response = await t.app.http.inject({
      method: "GET",
      url: "/tracker",
      headers: { cookie: dora },
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toContain("Lucie");
    expect(response.body).toContain(`<tr><th scope="row">${lastMonday}</th><td>0</td>`);
  });

  it("downloads the member's export with the session, not without", async () => {
    const csv = await t.app.http.inject({
      method: "GET",
      url: "/tracker/export.csv",
      headers: { cookie },
    });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers["content-type"]).toContain("text/csv");
    expect(csv.headers["cache-control"]).toBe("private, no-store");
    const json = await t.app.http.inject({
      method: "GET",
      url: "/tracker/export.json",
      headers: { cookie },
    });
    expect(json.json().username).toBe("bea");
    const anonymous = await t.app.http.inject({ method: "GET", url: "/tracker/export.json" });
    expect(anonymous.statusCode).toBe(302);
  });

  it("records this week's answer from the form, refusing bad input and other sites", async () => {
    const form = (payload: string, headers: Record<string, string> = {}) =>
      t.app.http.inject({
        method: "POST",
        url: "/tracker/checkin",
        headers: { "content-type": "application/x-www-form-urlencoded", cookie, ...headers },
        payload: `${payload}&_csrf=${encodeURIComponent(csrf)}`,
      });
    const rows = async () =>
      (
        await t.app.database.rows<{ n: number }>(
          sql`select count(*)::int as n from weekly_checkins`,
        )
      )[0]?.n;
    expect((await form("answer=maybe")).statusCode).toBe(422);
    expect((await form("answer=yes&count=100")).statusCode).toBe(422);
    // Without this browser's CSRF secret (another site's form, or no cookie at all): refused.
    const session = cookie.split("; ").find((c) => c.startsWith("sdp_session=")) ?? "";
    expect((await form("answer=yes", { cookie: session })).statusCode).toBe(403);
    expect((await form("answer=yes", { cookie: "" })).statusCode).toBe(403);
    expect(await rows()).toBe(0);
    const ok = await form("answer=yes&count=2");
    expect(ok.statusCode, ok.body).toBe(303);
    expect(ok.headers.location).toBe("/tracker");
    const [row] = await t.app.database.rows<{ answer: string; count: number; source: string }>(
      sql`select answer, count, source from weekly_checkins`,
    );
    expect(row).toEqual({ answer: "yes", count: 2, source: "web" });
    const page = await t.app.http.inject({ method: "GET", url: "/tracker", headers: { cookie } });
    // "oui 2" counts as two satisfying encounters this week.
    expect(page.body).toContain("Cette semaine : équilibré·e");
    expect(page.body).toContain('action="/tracker/checkin"');
  });

  it("asks the question again from the button, at most once an hour, refusing other sites", async () => {
    const press = (headers: Record<string, string> = {}) =>
      t.app.http.inject({
        method: "POST",
        url: "/tracker/question",
        headers: { "content-type": "application/x-www-form-urlencoded", cookie, ...headers },
        payload: `_csrf=${encodeURIComponent(csrf)}`,
      });
    const asked = async () =>
      (
        await t.app.database.rows<{ n: number }>(
          sql`select count(*)::int as n from notifications where kind = 'weekly_question'`,
        )
      )[0]?.n;
    const before = await asked();
    const session = cookie.split("; ").find((c) => c.startsWith("sdp_session=")) ?? "";
    expect((await press({ cookie: session })).statusCode).toBe(403);
    expect((await press({ cookie: "" })).statusCode).toBe(403);
    expect(await asked()).toBe(before);
    const ok = await press();
    expect(ok.statusCode, ok.body).toBe(303);
    expect(ok.headers.location).toBe("/tracker?asked=1");
    expect(await asked()).toBe((before ?? 0) + 1);
    const page = await t.app.http.inject({
      method: "GET",
      url: "/tracker?asked=1",
      headers: { cookie },
    });
    expect(page.body).toContain("La question vous a été reposée.");
    expect(page.body).toContain('action="/tracker/question"');
    const again = await press();
    expect(again.statusCode).toBe(429);
    expect(again.body).toContain("redemandez-la");
    expect(await asked()).toBe((before ?? 0) + 1);
  });

  it("explains the model on /exposure", async () => {
    const response = await t.app.http.inject({ method: "GET", url: "/exposure" });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain("microCOVID Project");
  });
});
