import { createOAuthAPIClient, createRestAPIClient } from "masto";
import { Mastodon } from "megalodon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { capturingLogger } from "../support/captured-logs.ts";
import { databaseLabel } from "../support/database.ts";
import { authorizeWithPkce, consentInBrowser } from "../support/oauth.ts";
import { API } from "./helpers.ts";

/*
 * Real client libraries drive the OAuth flow against a running instance: megalodon (the
 * code shown to copy, no PKCE) and masto.js (what Elk uses; a redirect, with PKCE). The
 * member's part, the login and consent form, goes over HTTP like a browser.
 */

const PASSWORD = "bea-password-123";

describe(`Mastodon client libraries log in through OAuth (${databaseLabel})`, () => {
  let t: TestApp;
  let base: string;

  /** Every token, secret, code and verifier the flows handled: none may reach the logs. */
  const secrets: string[] = [];
  let logs: string[];

  beforeAll(async () => {
    const captured = capturingLogger("debug");
    logs = captured.logs;
    t = await buildTestApp({ listen: true, logger: captured.logger });
    base = t.baseUrl;
    await t.app.members.create({ username: "bea", password: PASSWORD });
  });
  afterAll(() => t?.close());

  const profileStatus = async (token: string) =>
    (await fetch(`${base}${API}/profile`, { headers: { authorization: `Bearer ${token}` } }))
      .status;

  it("megalodon: registerApp, fetchAccessToken (oob), verify, refreshToken, revokeToken", async () => {
    const anonymous = new Mastodon(base);
    const appData = await anonymous.registerApp("Megalodon test", {
      scopes: ["read", "write"],
      website: "https://megalodon.example",
    });
    expect(appData.url).toContain("/oauth/authorize");
    const { response } = await consentInBrowser(base, appData.url as string, {
      username: "bea",
      password: PASSWORD,
    });
    const page = await response.text();
    expect(response.status).toBe(200);
    const code = /readonly size="50" value="([^"]+)"/.exec(page)?.[1] as string;
    expect(code).toBeTruthy();

    const token = await anonymous.fetchAccessToken(appData.client_id, appData.client_secret, code);
    secrets.push(appData.client_secret, code, token.access_token);
    expect(token.access_token).toBeTruthy();
    expect(token.scope).toBe("read write");

    const client = new Mastodon(base, token.access_token);
    const app = await client.verifyAppCredentials();
    expect(app.data.name).toBe("Megalodon test");
    expect(await profileStatus(token.access_token)).toBe(200);

    // megalodon's Mastodon adapter drops `refresh_token` from the answer (Mastodon issues
    // none): take one from a second login, then let megalodon refresh it.
    const second = await consentInBrowser(base, appData.url as string, {
      username: "bea",
      password: PASSWORD,
    });
    const secondCode = /readonly size="50" value="([^"]+)"/.exec(await second.response.text())?.[1];
    const pair = (await (
      await fetch(`${base}/oauth/token`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          grant_type: "authorization_code",
          code: secondCode,
          redirect_uri: "urn:ietf:wg:oauth:2.0:oob",
          client_id: appData.client_id,
          client_secret: appData.client_secret,
        }),
      })
    ).json()) as { access_token: string; refresh_token: string };
    const refreshed = await anonymous.refreshToken(
      appData.client_id,
      appData.client_secret,
      pair.refresh_token,
    );
    secrets.push(pair.access_token, pair.refresh_token, refreshed.access_token);
    expect(refreshed.access_token).not.toBe(pair.access_token);
    expect(await profileStatus(pair.access_token)).toBe(401);
    expect(await profileStatus(refreshed.access_token)).toBe(200);
    // The first token is another grant: refreshing the second left it alone.
    expect(await profileStatus(token.access_token)).toBe(200);

    await anonymous.revokeToken(appData.client_id, appData.client_secret, refreshed.access_token);
    expect(await profileStatus(refreshed.access_token)).toBe(401);
  });

  it("masto.js: apps.create, PKCE code, token.create, verifyCredentials, revoke", async () => {
    const redirectUri = "org.example.elk://callback";
    const rest = createRestAPIClient({ url: base });
    const app = await rest.v1.apps.create({
      clientName: "Masto test",
      redirectUris: redirectUri,
      scopes: "read write follow",
    });
    expect(app.clientId).toBeTruthy();
    const { code, verifier } = await authorizeWithPkce(
      base,
      { clientId: app.clientId as string, redirectUri, scope: "read write follow" },
      { username: "bea", password: PASSWORD },
    );

    const oauth = createOAuthAPIClient({ url: base });
    const token = await oauth.token.create({
      grantType: "authorization_code",
      clientId: app.clientId as string,
      clientSecret: app.clientSecret as string,
      redirectUri,
      code,
      // masto passes extra parameters through, snake-cased: the PKCE verifier.
      ...{ codeVerifier: verifier },
    });
    expect(token.scope).toBe("read write follow");
    secrets.push(app.clientSecret as string, code, verifier, token.accessToken);

    const client = createRestAPIClient({ url: base, accessToken: token.accessToken });
    const verified = await client.v1.apps.verifyCredentials();
    expect(verified.name).toBe("Masto test");
    expect(await profileStatus(token.accessToken)).toBe(200);

    await oauth.revoke({
      clientId: app.clientId as string,
      clientSecret: app.clientSecret as string,
      token: token.accessToken,
    });
    expect(await profileStatus(token.accessToken)).toBe(401);
  });

  it("writes no token, secret, code or verifier to the logs", () => {
    expect(secrets.length).toBeGreaterThanOrEqual(9);
    expect(logs.length).toBeGreaterThan(0);
    const all = logs.join("\n");
    for (const secret of secrets) expect(all).not.toContain(secret);
  });
});
