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
  let browser: WebClient;

  async function login(username: string) {
    const client = await new WebClient(t.app.http).login(username, `${username}-password-123`);
    return client;
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
    browser = await login("bea");
    cookie = browser.cookieHeader;
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
    expect(html).toMatch(
      new RegExp(
        `<tr><th scope="row"><time datetime="${lastMonday}">[^<]+</time></th><td data-label="Rencontres satisfaisantes">1</td>`,
      ),
    );
    // The name is isolated (bidi): whatever its direction, the sentence keeps its order.
    expect(html).toMatch(/Tu n&#39;as pas vu <bdi>@dora@[^ <]+<\/bdi> depuis \d+ jours\./);
    expect(html).toContain("Visible de toi seul·e");
    // « tu » everywhere on the page: no « vous », « votre », « vos ».
    expect(html).not.toMatch(/\b(vous|votre|vos)\b/i);
    expect(html).toContain("Lucie &lt;script&gt;");
    expect(html).not.toContain("Lucie <script>");
    expect(html).toContain("facteur 3");
    expect(html).toContain('href="/exposure"');
    expect(html).toContain('href="/tracker/export.csv"');
  });

  it("speaks English to a member who chose it in the header", async () => {
    const response = await t.app.http.inject({
      method: "GET",
      url: "/tracker",
      headers: { cookie: `${cookie}; sdp_lang=en`, "accept-language": "fr" },
    });
    expect(response.body).toContain("This week: isolated.");
    expect(response.body).toMatch(/You have not seen <bdi>@dora@[^ <]+<\/bdi> for \d+ days\./);
  });

  it("shows each member only their own tracker", async () => {
    const dora = await login("dora");
    const response = await dora.get("/tracker");
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toContain("Lucie");
    expect(response.body).toMatch(
      new RegExp(`<time datetime="${lastMonday}">[^<]+</time></th><td data-label="[^"]+">0</td>`),
    );
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

  it("records this week's answer from the form, refusing bad input and forms without a token", async () => {
    const rows = async () =>
      (
        await t.app.database.rows<{ n: number }>(
          sql`select count(*)::int as n from weekly_checkins`,
        )
      )[0]?.n;
    const before = await browser.get("/tracker");
    expect(before.body).toContain(">Répondre</button>");
    expect(before.body).not.toMatch(/name="answer" value="(yes|no)"[^>]* checked/);

    // A bad answer: the page again, 422, the error next to the field, what was typed kept.
    const maybe = await browser.post("/tracker/checkin", { answer: "maybe", count: "2" });
    expect(maybe.statusCode).toBe(422);
    expect(maybe.headers["content-type"]).toContain("text/html");
    expect(maybe.body).toContain(
      '<p class="field-error" id="answer-error">Choisis oui ou non.</p>',
    );
    expect(maybe.body).toContain('aria-describedby="answer-error"');
    expect(maybe.body).toContain('inputmode="numeric" value="2">');
    const tooMany = await browser.post("/tracker/checkin", { answer: "yes", count: "100" });
    expect(tooMany.statusCode).toBe(422);
    expect(tooMany.body).toContain('id="count-error">Un nombre entier de 1 à 99, ou rien.</p>');
    expect(tooMany.body).toMatch(/name="answer" value="yes" required checked/);
    expect(tooMany.body).toContain(
      'value="100" aria-invalid="true" aria-describedby="count-error"',
    );
    const english = await browser.post(
      "/tracker/checkin",
      { answer: "yes", count: "x" },
      { headers: { cookie: `${browser.cookieHeader}; sdp_lang=en` } },
    );
    expect(english.statusCode).toBe(422);
    expect(english.body).toContain("A whole number from 1 to 99, or nothing.");
    // Without the CSRF token, or without a session: refused.
    const forged = await browser.post(
      "/tracker/checkin",
      { answer: "yes" },
      { withoutToken: true },
    );
    expect(forged.statusCode).toBe(403);
    const anonymous = await new WebClient(t.app.http).post("/tracker/checkin", { answer: "yes" });
    expect(anonymous.statusCode).toBe(302);
    expect(await rows()).toBe(0);

    const ok = await browser.post("/tracker/checkin", { answer: "yes", count: "2" });
    expect(ok.statusCode, ok.body).toBe(303);
    expect(ok.headers.location).toBe("/tracker?answered=1#question");
    const [row] = await t.app.database.rows<{ answer: string; count: number; source: string }>(
      sql`select answer, count, source from weekly_checkins`,
    );
    expect(row).toEqual({ answer: "yes", count: 2, source: "web" });
    const page = await browser.get("/tracker?answered=1");
    // "oui 2" counts as two satisfying encounters this week.
    expect(page.body).toContain("Cette semaine : équilibré·e");
    expect(page.body).toMatch(
      /<p role="status" class="notice">Réponse enregistrée pour la semaine du \d+ \S+ \d{4}\.<\/p>/,
    );
    // Answering again: this week's answer is chosen already.
    expect(page.body).toMatch(/name="answer" value="yes" required checked/);
    expect(page.body).toContain('name="count" min="1" max="99" inputmode="numeric" value="2"');
    expect(page.body).toContain(">Changer ma réponse</button>");
    const later = await browser.get("/tracker");
    expect(later.body).not.toContain("Réponse enregistrée");
    expect(later.body).toMatch(/Ta réponse pour la semaine du [^:]+ : oui, 2\./);

    const no = await browser.post("/tracker/checkin", { answer: "no", count: "" });
    expect(no.statusCode).toBe(303);
    const again = await browser.get("/tracker");
    expect(again.body).toMatch(/name="answer" value="no" checked/);
    expect(again.body).toContain('inputmode="numeric" value=""');
    expect(await rows()).toBe(1);
  });

  it("asks the question again from the button, at most once an hour, refusing forms without a token", async () => {
    const asked = async () =>
      (
        await t.app.database.rows<{ n: number }>(
          sql`select count(*)::int as n from notifications where kind = 'weekly_question'`,
        )
      )[0]?.n;
    const before = await asked();
    expect((await browser.post("/tracker/question", {}, { withoutToken: true })).statusCode).toBe(
      403,
    );
    expect((await new WebClient(t.app.http).post("/tracker/question")).statusCode).toBe(302);
    expect(await asked()).toBe(before);
    const ok = await browser.post("/tracker/question");
    expect(ok.statusCode, ok.body).toBe(303);
    expect(ok.headers.location).toBe("/tracker?asked=1");
    expect(await asked()).toBe((before ?? 0) + 1);
    const page = await browser.get("/tracker?asked=1");
    expect(page.body).toContain("La question t&#39;a été reposée.");
    expect(page.body).toContain('action="/tracker/question"');
    const again = await browser.post("/tracker/question");
    expect(again.statusCode).toBe(429);
    expect(again.body).toContain("redemande-la");
    expect(again.body).toContain('role="alert"');
    expect(again.headers["retry-after"]).toMatch(/^\d+$/);
    expect(await asked()).toBe((before ?? 0) + 1);
  });

  it("explains the model on /exposure", async () => {
    const response = await t.app.http.inject({ method: "GET", url: "/exposure" });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain("microCOVID Project");
  });
});
