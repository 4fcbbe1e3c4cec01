import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { csrfTokenOf } from "../support/web.ts";

const FORM = "application/x-www-form-urlencoded";

/**
 * A form POST to `t`, from `remoteAddress` (the socket's address; 127.0.0.1 by default), with
 * the CSRF secret and token a fresh log-in page gives (unless `body` sets `_csrf` itself).
 */
const postTo = async (
  t: TestApp,
  url: string,
  body: Record<string, string>,
  headers: Record<string, string> = {},
  remoteAddress?: string,
) => {
  const page = await t.app.http.inject({ method: "GET", url: "/login" });
  const secret = /sdp_csrf=([^;]+)/.exec(String(page.headers["set-cookie"]))?.[1];
  const cookie = [`sdp_csrf=${secret}`, headers.cookie].filter(Boolean).join("; ");
  return t.app.http.inject({
    method: "POST",
    url,
    headers: { "content-type": FORM, ...headers, cookie },
    payload: new URLSearchParams({ _csrf: csrfTokenOf(page.body) ?? "", ...body }).toString(),
    remoteAddress,
  });
};

describe(`Web login (${databaseLabel})`, () => {
  let t: TestApp;
  const post = (url: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
    postTo(t, url, body, headers);
  const sessionOf = (setCookie: unknown) =>
    /sdp_session=([^;]+)/.exec(String(setCookie))?.[1] as string;

  beforeAll(async () => {
    t = await buildTestApp();
    await t.app.members.create({ username: "bea", password: "bea-password-123" });
    await t.app.members.create({ username: "carl", password: "carl-password-123" });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("shows a form, never cached", async () => {
    const response = await t.app.http.inject({ method: "GET", url: "/login?next=/tracker" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["cache-control"]).toBe("private, no-store");
    expect(response.body).toContain('name="password" type="password"');
    expect(response.body).toContain('name="next" value="/tracker"');
  });

  it("logs in with the right password: an HttpOnly, SameSite=Lax, 30-day session cookie", async () => {
    const response = await post("/login", { username: "Bea", password: "bea-password-123" });
    expect(response.statusCode, response.body).toBe(303);
    expect(response.headers.location).toBe("/tracker");
    const cookie = String(response.headers["set-cookie"]);
    expect(cookie).toMatch(
      /^sdp_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=2592000; HttpOnly; SameSite=Lax$/,
    );
    // Only the digest is stored.
    const rows = await t.app.database.rows<{ token_hash: string }>(
      (await import("drizzle-orm")).sql`select token_hash from web_sessions`,
    );
    expect(rows.some((r) => r.token_hash === sessionOf(cookie))).toBe(false);
    expect(rows.length).toBeGreaterThan(0);
  });

  it("refuses a wrong password or an unknown member with the same answer", async () => {
    const wrong = await post("/login", { username: "bea", password: "not-the-password" });
    const nobody = await post("/login", { username: "nobody", password: "not-the-password" });
    for (const response of [wrong, nobody]) {
      expect(response.statusCode).toBe(401);
      expect(response.headers["set-cookie"]).toBeUndefined();
      expect(response.body).toContain("Nom d&#39;utilisateur·ice ou mot de passe incorrect.");
    }
  });

  it("refuses a form without this visitor's CSRF token, and a form without fields", async () => {
    const cross = await post(
      "/login",
      { username: "bea", password: "bea-password-123", _csrf: "forged-token" },
      { origin: "https://evil.example" },
    );
    expect(cross.statusCode).toBe(403);
    expect(cross.body).toContain("Formulaire expiré");
    expect(cross.headers["set-cookie"]).toBeUndefined();
    expect((await post("/login", { username: "bea" })).statusCode).toBe(400);
  });

  it("never redirects elsewhere after login", async () => {
    const response = await post("/login", {
      username: "bea",
      password: "bea-password-123",
      next: "//evil.example/",
    });
    expect(response.headers.location).toBe("/tracker");
  });

  it("logs out: the session no longer opens the dashboard", async () => {
    const login = await post("/login", { username: "bea", password: "bea-password-123" });
    const cookie = `sdp_session=${sessionOf(login.headers["set-cookie"])}`;
    const before = await t.app.http.inject({ method: "GET", url: "/tracker", headers: { cookie } });
    expect(before.statusCode).toBe(200);
    const logout = await post("/logout", {}, { cookie });
    expect(logout.statusCode).toBe(303);
    expect(String(logout.headers["set-cookie"])).toContain("Max-Age=0");
    const after = await t.app.http.inject({ method: "GET", url: "/tracker", headers: { cookie } });
    expect(after.statusCode).toBe(302);
  });

  it("secure cookie on an https origin", async () => {
    const { sessionCookie } = await import("../../src/web/session.ts");
    expect(sessionCookie("x", new URL("https://example.org"))).toContain("; Secure");
    expect(sessionCookie("x", new URL("http://localhost:1"))).not.toContain("Secure");
  });

  it("leaves the JSON API's parsers alone", async () => {
    const response = await t.app.http.inject({
      method: "POST",
      url: "/api/socialdapres/v1/encounters",
      headers: { "content-type": FORM },
      payload: "text=hello",
    });
    // Unauthenticated first; the form parser is not registered there anyway.
    expect(response.statusCode).toBe(401);
  });
});

describe(`Log-in limits: per real address, never locking a member out (${databaseLabel})`, () => {
  let t: TestApp;
  const beaPassword = "bea-password-123";
  const login = (username: string, password: string, from: string, forwardedFor?: string) =>
    postTo(
      t,
      "/login",
      { username, password },
      forwardedFor ? { "x-forwarded-for": forwardedFor } : {},
      from,
    );

  beforeAll(async () => {
    // Default TRUST_PROXY (none). Shorter limits and delays than in production, same rules.
    t = await buildTestApp({ loginThrottle: { maxFailuresPerAddress: 5, failureDelayMs: 20 } });
    await t.app.members.create({ username: "bea", password: beaPassword });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("invented X-Forwarded-For addresses do not reset the limit of the real address", async () => {
    for (let i = 0; i < 5; i++) {
      const response = await login(
        `nobody${i}`,
        "wrong-password-0",
        "192.0.2.10",
        `203.0.113.${i}`,
      );
      expect(response.statusCode).toBe(401);
    }
    const blocked = await login("bea", beaPassword, "192.0.2.10", "198.51.100.200");
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers["retry-after"])).toBeGreaterThan(0);
    expect(blocked.body).toContain("Trop d&#39;essais manqués");
    expect(blocked.headers["set-cookie"]).toBeUndefined();
    // Only that address waits.
    expect((await login("bea", beaPassword, "192.0.2.11")).statusCode).toBe(303);
  });

  it("a stranger's 20 failed log-ins against bea from many addresses do not stop bea logging in", async () => {
    for (let i = 0; i < 20; i++) {
      const response = await login("bea", "wrong-password-0", `203.0.113.${i}`);
      expect(response.statusCode, `attempt ${i}`).toBe(401);
    }
    // From an address she never used: her turn comes in the account's slower lane.
    const bea = await login("bea", beaPassword, "198.51.100.1");
    expect(bea.statusCode, bea.body).toBe(303);
    expect(String(bea.headers["set-cookie"])).toMatch(/^sdp_session=/);
  }, 120_000);

  it("while strangers hammer bea's account at once, her own address gets in; they get a short wait", async () => {
    const strangers = Array.from({ length: 14 }, (_, i) =>
      login("bea", "wrong-password-0", `203.0.113.${100 + i}`),
    );
    const bea = await login("bea", beaPassword, "198.51.100.1");
    expect(bea.statusCode, bea.body).toBe(303);
    const answers = await Promise.all(strangers);
    expect(answers.map((a) => a.statusCode).every((code) => code === 401 || code === 429)).toBe(
      true,
    );
    const waits = answers.filter((a) => a.statusCode === 429);
    expect(waits.length).toBeGreaterThan(0);
    for (const wait of waits) {
      expect(wait.body).toContain("Ce compte reçoit beaucoup de tentatives de connexion");
      // Seconds, not the 15-minute window of a lock-out.
      expect(Number(wait.headers["retry-after"])).toBeLessThanOrEqual(10);
    }
  }, 120_000);

  it("a burst of log-ins checks at most two passwords at once; the rest wait or get 503 with Retry-After", async () => {
    const burst = await Promise.all(
      Array.from({ length: 30 }, (_, i) => login(`someone${i}`, "wrong-password-0", `10.1.0.${i}`)),
    );
    const codes = burst.map((r) => r.statusCode);
    expect(codes.every((code) => code === 401 || code === 503)).toBe(true);
    const busy = burst.filter((r) => r.statusCode === 503);
    expect(busy.length).toBeGreaterThan(0);
    for (const response of busy) {
      expect(Number(response.headers["retry-after"])).toBeGreaterThanOrEqual(1);
      expect(response.body).toContain("Le serveur vérifie beaucoup de mots de passe");
    }
    expect(t.app.passwords.stats().peakRunning).toBe(2);
  }, 120_000);
});
