import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";

const FORM = "application/x-www-form-urlencoded";

describe(`Web login (${databaseLabel})`, () => {
  let t: TestApp;
  const post = (url: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
    t.app.http.inject({
      method: "POST",
      url,
      headers: { "content-type": FORM, origin: t.baseUrl, ...headers },
      payload: new URLSearchParams(body).toString(),
    });
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

  it("refuses a form posted from another site, and a form without fields", async () => {
    const cross = await post(
      "/login",
      { username: "bea", password: "bea-password-123" },
      { origin: "https://evil.example" },
    );
    expect(cross.statusCode).toBe(403);
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

  it("limits failed attempts per username, even from many addresses", async () => {
    for (let i = 0; i < 10; i++) {
      const response = await post(
        "/login",
        { username: "carl", password: "wrong-password-0" },
        { "x-forwarded-for": `203.0.113.${i}` },
      );
      expect(response.statusCode).toBe(401);
    }
    const blocked = await post(
      "/login",
      { username: "carl", password: "carl-password-123" },
      { "x-forwarded-for": "198.51.100.1" },
    );
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers["retry-after"])).toBeGreaterThan(0);
    expect(blocked.headers["set-cookie"]).toBeUndefined();
    // Another account is not locked by it.
    expect(
      (await post("/login", { username: "bea", password: "bea-password-123" })).statusCode,
    ).toBe(303);
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
