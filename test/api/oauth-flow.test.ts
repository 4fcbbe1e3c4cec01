import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { codeOf, consentInBrowser, pkcePair } from "../support/oauth.ts";
import { csrfTokenOf } from "../support/web.ts";
import { API } from "./helpers.ts";

// biome-ignore lint/suspicious/noExplicitAny: test answers are read field by field.
type Json = Record<string, any>;
const jsonOf = async (response: Response): Promise<Json> => (await response.json()) as Json;

const REDIRECT = "com.example.app://oauth-callback";
const PASSWORD = "bea-password-123";
const MAX_FAILURES = 4;

describe(`OAuth 2.0 authorization server over HTTP (${databaseLabel})`, () => {
  let t: TestApp;
  let base: string;

  beforeAll(async () => {
    // Few failures per address and a short hold after each: every failed log-in costs a
    // deliberately slow scrypt check, so the throttle test stays quick on a loaded machine.
    t = await buildTestApp({
      listen: true,
      loginThrottle: { maxFailuresPerAddress: MAX_FAILURES, failureDelayMs: 20 },
    });
    base = t.baseUrl;
    await t.app.members.create({ username: "bea", password: PASSWORD });
  });
  afterAll(() => t?.close());

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
  const form = (path: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(body),
    });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  async function registerApp(scopes = "read write follow", redirect = REDIRECT) {
    const response = await post("/api/v1/apps", {
      client_name: "Test app",
      redirect_uris: [redirect, "urn:ietf:wg:oauth:2.0:oob"],
      scopes,
      website: "https://app.example",
    });
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, string>;
  }

  function authorizeUrl(
    app: Record<string, string>,
    extra: Record<string, string> = {},
    redirect = REDIRECT,
  ) {
    const url = new URL("/oauth/authorize", base);
    url.search = new URLSearchParams({
      response_type: "code",
      client_id: app.client_id as string,
      redirect_uri: redirect,
      scope: "read write",
      state: "xyz-123",
      ...extra,
    }).toString();
    return url.href;
  }

  /** Register, authorize with PKCE through the consent form, and answer the code. */
  async function codeFor(scope = "read write", redirect = REDIRECT) {
    const app = await registerApp();
    const { verifier, challenge } = pkcePair();
    const { response } = await consentInBrowser(
      base,
      authorizeUrl(
        app,
        { scope, code_challenge: challenge, code_challenge_method: "S256" },
        redirect,
      ),
      { username: "bea", password: PASSWORD },
    );
    expect(response.status).toBe(302);
    const { code, state } = codeOf(response);
    expect(state).toBe("xyz-123");
    return { app, verifier, code: code as string };
  }

  const exchange = (
    app: Record<string, string>,
    code: string,
    verifier: string | undefined,
    redirect = REDIRECT,
  ) =>
    post("/oauth/token", {
      grant_type: "authorization_code",
      code,
      redirect_uri: redirect,
      client_id: app.client_id,
      client_secret: app.client_secret,
      ...(verifier ? { code_verifier: verifier } : {}),
    });

  it("registers an app (JSON and form) and answers Mastodon's Application entity", async () => {
    const app = await registerApp();
    expect(app).toMatchObject({
      name: "Test app",
      website: "https://app.example",
      scopes: ["read", "write", "follow"],
      redirect_uri: `${REDIRECT}\nurn:ietf:wg:oauth:2.0:oob`,
      redirect_uris: [REDIRECT, "urn:ietf:wg:oauth:2.0:oob"],
      vapid_key: "",
    });
    expect(app.client_id).toMatch(/^[\w-]{40,}$/);
    expect(app.client_secret).toMatch(/^[\w-]{40,}$/);
    // The secret is stored as a digest only.
    const rows = await t.app.database.db.execute(
      sql`select client_secret_hash from oauth_apps where client_id = ${app.client_id}`,
    );
    expect(JSON.stringify(rows)).not.toContain(app.client_secret);

    const byForm = await form("/api/v1/apps", {
      client_name: "Form app",
      redirect_uris: "urn:ietf:wg:oauth:2.0:oob",
    });
    expect(byForm.status).toBe(200);
    expect(await jsonOf(byForm)).toMatchObject({ name: "Form app", scopes: ["read"] });

    const bad = await post("/api/v1/apps", { client_name: "x", redirect_uris: "not a uri" });
    expect(bad.status).toBe(422);
    expect((await jsonOf(bad)).error).toMatch(/redirect_uris/);
    const badScope = await post("/api/v1/apps", {
      client_name: "x",
      redirect_uris: REDIRECT,
      scopes: "read admin:everything",
    });
    expect(badScope.status).toBe(422);
  });

  it("runs the whole flow: PKCE code, token, API call, refresh, revoke", async () => {
    const { app, verifier, code } = await codeFor();
    const tokenResponse = await exchange(app, code, verifier);
    expect(tokenResponse.status).toBe(200);
    const token = (await tokenResponse.json()) as Record<string, unknown>;
    expect(token).toMatchObject({ token_type: "Bearer", scope: "read write" });
    expect(typeof token.created_at).toBe("number");
    const access = token.access_token as string;
    const refresh = token.refresh_token as string;

    const profile = await fetch(`${base}${API}/profile`, { headers: bearer(access) });
    expect(profile.status).toBe(200);
    expect((await jsonOf(profile)).username).toBe("bea");

    const verified = await fetch(`${base}/api/v1/apps/verify_credentials`, {
      headers: bearer(access),
    });
    expect(await jsonOf(verified)).toMatchObject({ name: "Test app" });

    // Refresh (form body, client in HTTP Basic): a new token; the old one stops working.
    const basic = Buffer.from(`${app.client_id}:${app.client_secret}`).toString("base64");
    const refreshed = await form(
      "/oauth/token",
      { grant_type: "refresh_token", refresh_token: refresh },
      { authorization: `Basic ${basic}` },
    );
    expect(refreshed.status).toBe(200);
    const second = (await refreshed.json()) as Record<string, string>;
    expect(second.access_token).not.toBe(access);
    expect((await fetch(`${base}${API}/profile`, { headers: bearer(access) })).status).toBe(401);
    const reuse = await form(
      "/oauth/token",
      { grant_type: "refresh_token", refresh_token: refresh },
      { authorization: `Basic ${basic}` },
    );
    expect(reuse.status).toBe(400);
    expect((await jsonOf(reuse)).error).toBe("invalid_grant");

    const newAccess = second.access_token as string;
    expect((await fetch(`${base}${API}/profile`, { headers: bearer(newAccess) })).status).toBe(200);
    const revoked = await post("/oauth/revoke", {
      client_id: app.client_id,
      client_secret: app.client_secret,
      token: newAccess,
    });
    expect(revoked.status).toBe(200);
    expect((await fetch(`${base}${API}/profile`, { headers: bearer(newAccess) })).status).toBe(401);
  });

  it("refuses a wrong verifier, and the code is spent", async () => {
    const { app, verifier, code } = await codeFor();
    const wrong = await exchange(app, code, pkcePair().verifier);
    expect(wrong.status).toBe(400);
    expect(await jsonOf(wrong)).toMatchObject({ error: "invalid_grant" });
    const again = await exchange(app, code, verifier);
    expect(again.status).toBe(400);
    expect((await jsonOf(again)).error).toBe("invalid_grant");
  });

  it("refuses a missing verifier when the code has a challenge", async () => {
    const { app, code } = await codeFor();
    const response = await exchange(app, code, undefined);
    expect(response.status).toBe(400);
    expect((await jsonOf(response)).error).toBe("invalid_grant");
  });

  it("refuses a reused code", async () => {
    const { app, verifier, code } = await codeFor();
    expect((await exchange(app, code, verifier)).status).toBe(200);
    const reused = await exchange(app, code, verifier);
    expect(reused.status).toBe(400);
    expect(await jsonOf(reused)).toMatchObject({ error: "invalid_grant" });
  });

  it("refuses another redirect URI than the code's", async () => {
    const { app, verifier, code } = await codeFor();
    const response = await exchange(app, code, verifier, "com.example.other://cb");
    expect(response.status).toBe(400);
    expect(await jsonOf(response)).toMatchObject({ error: "invalid_request" });
  });

  it("refuses an expired code", async () => {
    const { app, verifier, code } = await codeFor();
    await t.app.database.db.execute(
      sql`update oauth_authorization_codes set expires_at = now() - interval '1 second'`,
    );
    const response = await exchange(app, code, verifier);
    expect(response.status).toBe(400);
    const body = await jsonOf(response);
    expect(body.error).toBe("invalid_grant");
    expect(body.error_description).toMatch(/expired/);
  });

  it("refuses a bad client secret, in the body or in HTTP Basic", async () => {
    const { app, verifier, code } = await codeFor();
    const inBody = await post("/oauth/token", {
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT,
      client_id: app.client_id,
      client_secret: "wrong-secret",
      code_verifier: verifier,
    });
    expect(inBody.status).toBe(400);
    expect((await jsonOf(inBody)).error).toBe("invalid_client");
    const basic = Buffer.from(`${app.client_id}:wrong-secret`).toString("base64");
    const inHeader = await form(
      "/oauth/token",
      { grant_type: "client_credentials" },
      { authorization: `Basic ${basic}` },
    );
    expect(inHeader.status).toBe(401);
    expect(inHeader.headers.get("www-authenticate")).toMatch(/Basic/);
    expect((await jsonOf(inHeader)).error).toBe("invalid_client");
  });

  it("answers 403 naming the scope a token lacks", async () => {
    const { app, verifier, code } = await codeFor("read");
    const token = (await (await exchange(app, code, verifier)).json()) as Record<string, string>;
    expect(token.scope).toBe("read");
    const access = token.access_token as string;
    expect((await fetch(`${base}${API}/profile`, { headers: bearer(access) })).status).toBe(200);
    const patch = await fetch(`${base}${API}/profile`, {
      method: "PATCH",
      headers: { ...bearer(access), "content-type": "application/json" },
      body: JSON.stringify({ displayName: "Béa" }),
    });
    expect(patch.status).toBe(403);
    expect((await jsonOf(patch)).error).toContain("`write`");
  });

  it("refuses a scope beyond the app's, and plain PKCE, by redirecting with the error", async () => {
    const app = await registerApp("read");
    const tooMuch = await fetch(authorizeUrl(app, { scope: "read write" }), { redirect: "manual" });
    expect(tooMuch.status).toBe(302);
    const url = new URL(tooMuch.headers.get("location") as string);
    expect(url.protocol).toBe("com.example.app:");
    expect(url.searchParams.get("error")).toBe("invalid_scope");
    expect(url.searchParams.get("state")).toBe("xyz-123");
    const plain = await fetch(
      authorizeUrl(app, {
        scope: "read",
        code_challenge: "a".repeat(43),
        code_challenge_method: "plain",
      }),
      { redirect: "manual" },
    );
    expect(new URL(plain.headers.get("location") as string).searchParams.get("error")).toBe(
      "invalid_request",
    );
    // An unregistered redirect URI is never followed: the page says what is wrong.
    const elsewhere = await fetch(authorizeUrl(app, {}, "https://evil.example/cb"), {
      redirect: "manual",
    });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.headers.get("location")).toBeNull();
  });

  it("shows the code to copy for the oob redirect, and tells the app when the member denies", async () => {
    const app = await registerApp();
    const oob = "urn:ietf:wg:oauth:2.0:oob";
    const shown = await consentInBrowser(base, authorizeUrl(app, { lang: "en" }, oob), {
      username: "bea",
      password: PASSWORD,
    });
    expect(shown.response.status).toBe(200);
    const html = await shown.response.text();
    const code = /readonly size="50" value="([^"]+)"/.exec(html)?.[1] as string;
    expect(html).toContain("Copy this code");
    const token = await exchange(app, code, undefined, oob);
    expect(token.status).toBe(200);

    const denied = await consentInBrowser(
      base,
      authorizeUrl(app),
      { username: "bea", password: PASSWORD },
      "deny",
    );
    expect(denied.response.status).toBe(302);
    expect(codeOf(denied.response).url.searchParams.get("error")).toBe("access_denied");
  });

  it("consent page: French by default, framing forbidden, forged forms refused", async () => {
    const app = await registerApp();
    const page = await fetch(authorizeUrl(app), { headers: { "accept-language": "fr" } });
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(await page.text()).toContain("Se connecter pour autoriser Test app");
    const { cookie } = await consentInBrowser(base, authorizeUrl(app), {
      username: "bea",
      password: PASSWORD,
    });
    // A form without the CSRF token fails, and so does one without the consent's own value.
    const params = new URL(authorizeUrl(app)).searchParams;
    params.set("action", "approve");
    const forged = await fetch(`${base}/oauth/authorize`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie, origin: base },
      body: params,
      redirect: "manual",
    });
    expect(forged.status).toBe(403);
    expect(forged.headers.get("location")).toBeNull();
    const crossSite = await fetch(`${base}/oauth/authorize`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        cookie,
        origin: "https://evil.example",
      },
      body: params,
      redirect: "manual",
    });
    expect(crossSite.status).toBe(403);
  });

  it("client_credentials: an app-only token that reads the app, never a member's data", async () => {
    const app = await registerApp();
    const response = await form("/oauth/token", {
      grant_type: "client_credentials",
      client_id: app.client_id as string,
      client_secret: app.client_secret as string,
      scope: "read",
    });
    expect(response.status).toBe(200);
    const token = (await response.json()) as Record<string, string>;
    expect(token.refresh_token).toBeUndefined();
    const verified = await fetch(`${base}/api/v1/apps/verify_credentials`, {
      headers: bearer(token.access_token as string),
    });
    expect(verified.status).toBe(200);
    const profile = await fetch(`${base}${API}/profile`, {
      headers: bearer(token.access_token as string),
    });
    expect(profile.status).toBe(422);
  });

  it("CLI tokens keep working everywhere", async () => {
    const cli = await t.app.members.createToken("bea", "cli");
    expect((await fetch(`${base}${API}/profile`, { headers: bearer(cli) })).status).toBe(200);
    const verified = await fetch(`${base}/api/v1/apps/verify_credentials`, {
      headers: bearer(cli),
    });
    expect(await jsonOf(verified)).toMatchObject({ scopes: ["read", "write", "follow"] });
  });

  it("lists the apps a member authorized and withdraws one: its tokens stop working", async () => {
    const { app, verifier, code } = await codeFor();
    const token = await jsonOf(await exchange(app, code, verifier));
    const cli = await t.app.members.createToken("bea", "cli");
    const listed = await jsonOf(
      await fetch(`${base}${API}/authorized_apps`, { headers: bearer(cli) }),
    );
    const appId = (await t.app.oauth.findApp(app.client_id as string))?.id;
    const mine = (listed as unknown as Json[]).find((a) => a.id === appId);
    expect(mine).toMatchObject({ name: "Test app", website: "https://app.example" });
    expect(mine?.scopes).toEqual(["read", "write"]);
    expect(
      (await fetch(`${base}${API}/profile`, { headers: bearer(token.access_token) })).status,
    ).toBe(200);
    const withdrawn = await fetch(`${base}${API}/authorized_apps/${appId}`, {
      method: "DELETE",
      headers: bearer(cli),
    });
    expect(withdrawn.status).toBe(204);
    expect(
      (await fetch(`${base}${API}/profile`, { headers: bearer(token.access_token) })).status,
    ).toBe(401);
    const again = await fetch(`${base}${API}/authorized_apps/${appId}`, {
      method: "DELETE",
      headers: bearer(cli),
    });
    expect(again.status).toBe(404);
    // Nobody else's list shows it.
    await t.app.members.create({ username: "other", password: "other-password-1" });
    const other = await t.app.members.createToken("other", "cli");
    const theirs = await fetch(`${base}${API}/authorized_apps`, { headers: bearer(other) });
    expect(await theirs.json()).toEqual([]);
  });

  it("the web page lists the authorized apps and withdraws one", async () => {
    const { app, verifier, code } = await codeFor();
    const token = await jsonOf(await exchange(app, code, verifier));
    const { cookie } = await consentInBrowser(base, authorizeUrl(app), {
      username: "bea",
      password: PASSWORD,
    });
    const page = await fetch(`${base}/settings/apps`, {
      headers: { cookie, "accept-language": "en" },
    });
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain("Test app");
    const appId = (await t.app.oauth.findApp(app.client_id as string))?.id as string;
    expect(html).toContain(`/settings/apps/${appId}/revoke`);
    const crossSite = await fetch(`${base}/settings/apps/${appId}/revoke`, {
      method: "POST",
      headers: { cookie, origin: "https://evil.example" },
      redirect: "manual",
    });
    expect(crossSite.status).toBe(403);
    expect(
      (await fetch(`${base}${API}/profile`, { headers: bearer(token.access_token) })).status,
    ).toBe(200);
    const revoked = await fetch(`${base}/settings/apps/${appId}/revoke`, {
      method: "POST",
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: csrfTokenOf(html) ?? "" }),
      redirect: "manual",
    });
    expect(revoked.status).toBe(303);
    expect(
      (await fetch(`${base}${API}/profile`, { headers: bearer(token.access_token) })).status,
    ).toBe(401);
    const anonymous = await fetch(`${base}/settings/apps`, { redirect: "manual" });
    expect(anonymous.status).toBe(302);
  });

  it("answers RFC 8414 metadata with PKCE S256", async () => {
    const response = await fetch(`${base}/.well-known/oauth-authorization-server`);
    expect(response.status).toBe(200);
    const metadata = await jsonOf(response);
    expect(metadata).toMatchObject({
      issuer: `${base}/`,
      authorization_endpoint: `${base}/oauth/authorize`,
      token_endpoint: `${base}/oauth/token`,
      revocation_endpoint: `${base}/oauth/revoke`,
      code_challenge_methods_supported: ["S256"],
      grant_types_supported: ["authorization_code", "refresh_token", "client_credentials"],
    });
    expect(metadata.scopes_supported).toContain("write:statuses");
  });

  it("keeps tokens and secrets out of the database in clear", async () => {
    const { app, verifier, code } = await codeFor();
    const token = (await (await exchange(app, code, verifier)).json()) as Record<string, string>;
    const dump = JSON.stringify(await t.app.database.db.execute(sql`select * from access_tokens`));
    expect(dump).not.toContain(token.access_token);
    expect(dump).not.toContain(token.refresh_token);
  });

  it("force_login shows the login form to a member already logged in", async () => {
    const app = await registerApp();
    const { cookie } = await consentInBrowser(base, authorizeUrl(app), {
      username: "bea",
      password: PASSWORD,
    });
    const consent = await (await fetch(authorizeUrl(app), { headers: { cookie } })).text();
    expect(consent).toContain('name="csrf"');
    const forced = await (
      await fetch(authorizeUrl(app, { force_login: "true" }), { headers: { cookie } })
    ).text();
    expect(forced).toContain('name="password"');
    expect(forced).not.toContain('name="csrf"');
  });

  // Last: it leaves this test's address throttled.
  it("limits password guessing on the consent page with the log-in throttle", async () => {
    const app = await registerApp();
    const params = new URL(authorizeUrl(app)).searchParams;
    // The form's CSRF token and its secret's cookie, as a browser holds them.
    const page = await fetch(authorizeUrl(app));
    const cookie = page.headers.getSetCookie()[0]?.split(";")[0] ?? "";
    params.set("_csrf", csrfTokenOf(await page.text()) ?? "");
    params.set("action", "login");
    params.set("username", "bea");
    params.set("password", "not-the-password");
    const statuses: number[] = [];
    for (let i = 0; i <= MAX_FAILURES; i++) {
      const response = await fetch(`${base}/oauth/authorize`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", cookie },
        body: params,
        redirect: "manual",
      });
      statuses.push(response.status);
      if (response.status === 429) {
        expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
        break;
      }
    }
    expect(statuses.slice(0, MAX_FAILURES)).toEqual(Array(MAX_FAILURES).fill(401));
    expect(statuses.at(-1)).toBe(429);
  });
});
