import { sql } from "drizzle-orm";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../../support/app.ts";
import { databaseLabel } from "../../support/database.ts";
import { client, membersWithTokens } from "../helpers.ts";

describe(`Mastodon API: what an app reads at log-in (${databaseLabel})`, () => {
  let t: TestApp;
  let bea: ReturnType<typeof client>;
  let tokens: Record<string, string>;

  beforeAll(async () => {
    t = await buildTestApp();
    tokens = await membersWithTokens(t.app, ["bea", "antoine"]);
    bea = client(t.app, tokens.bea as string);
  });
  afterAll(() => t?.close());

  it("answers a browser app's preflight, allowing Authorization and Idempotency-Key", async () => {
    const response = await t.app.http.inject({
      method: "OPTIONS",
      url: "/api/v1/statuses",
      headers: {
        origin: "https://elk.zone",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,idempotency-key",
      },
    });
    expect(response.statusCode).toBe(204);
    expect(response.headers["access-control-allow-origin"]).toBe("*");
    const allowed = String(response.headers["access-control-allow-headers"]).toLowerCase();
    expect(allowed).toContain("authorization");
    expect(allowed).toContain("idempotency-key");
    const get = await t.app.http.inject({ method: "GET", url: "/api/v2/instance" });
    expect(get.headers["access-control-allow-origin"]).toBe("*");
    expect(String(get.headers["access-control-expose-headers"])).toContain("Link");
  });

  it("lets a browser app register, exchange its code and revoke from another origin", async () => {
    for (const url of ["/api/v1/apps", "/oauth/token", "/oauth/revoke"]) {
      const preflight = await t.app.http.inject({
        method: "OPTIONS",
        url,
        headers: { origin: "https://elk.zone", "access-control-request-method": "POST" },
      });
      expect(preflight.statusCode, url).toBe(204);
      expect(preflight.headers["access-control-allow-origin"], url).toBe("*");
    }
    const registered = await t.app.http.inject({
      method: "POST",
      url: "/api/v1/apps",
      headers: { origin: "https://elk.zone" },
      payload: { client_name: "Elk", redirect_uris: "https://elk.zone/callback" },
    });
    expect(registered.statusCode).toBe(200);
    expect(registered.headers["access-control-allow-origin"]).toBe("*");
    const metadata = await t.app.http.inject({
      method: "GET",
      url: "/.well-known/oauth-authorization-server",
    });
    expect(metadata.headers["access-control-allow-origin"]).toBe("*");
  });

  it("lets an app-only token read public routes as anyone does", async () => {
    const registered = (
      await t.app.http.inject({
        method: "POST",
        url: "/api/v1/apps",
        payload: { client_name: "Phanpy", redirect_uris: "urn:ietf:wg:oauth:2.0:oob" },
      })
    ).json();
    const token = (
      await t.app.http.inject({
        method: "POST",
        url: "/oauth/token",
        payload: {
          grant_type: "client_credentials",
          client_id: registered.client_id,
          client_secret: registered.client_secret,
        },
      })
    ).json().access_token as string;
    const headers = { authorization: `Bearer ${token}` };
    for (const url of [
      "/api/v2/instance",
      "/api/v1/timelines/public",
      "/api/v1/accounts/lookup?acct=bea",
    ]) {
      const response = await t.app.http.inject({ method: "GET", url, headers });
      expect(response.statusCode, url).toBe(200);
    }
    const mine = await t.app.http.inject({
      method: "GET",
      url: "/api/v1/accounts/verify_credentials",
      headers,
    });
    expect(mine.statusCode).toBe(422);
  });

  it("instance v1 and v2: version, 280 characters, media limits, urls, registrations", async () => {
    for (const url of ["/api/v1/instance", "/api/v2/instance", "/api/v2/instance/"]) {
      const response = await t.app.http.inject({ method: "GET", url });
      expect(response.statusCode, url).toBe(200);
      const json = response.json();
      expect(json.version).toMatch(/^4\.3\.0 \(compatible; Socialdapres \d+\.\d+\.\d+\)$/);
      expect(json.configuration.statuses.max_characters).toBe(280);
      expect(json.configuration.statuses.max_media_attachments).toBe(1);
      expect(json.configuration.media_attachments.image_size_limit).toBe(10 * 1024 * 1024);
      expect(json.configuration.media_attachments.supported_mime_types).toContain("image/jpeg");
    }
    const v2 = (await t.app.http.inject({ method: "GET", url: "/api/v2/instance" })).json();
    expect(v2.domain).toBe(t.app.urls.origin.host);
    expect(v2.configuration.urls.streaming).toMatch(/^ws:\/\//);
    expect(v2.registrations).toMatchObject({ enabled: false, approval_required: false });
    expect(v2.contact.account.username).toBe("bea");
    const v1 = (await t.app.http.inject({ method: "GET", url: "/api/v1/instance" })).json();
    expect(v1.uri).toBe(t.app.urls.origin.host);
    expect(v1.urls.streaming_api).toMatch(/^ws:\/\//);
    expect(v1.stats.user_count).toBe(2);
    expect(v1.registrations).toBe(false);
  });

  it("verify_credentials: the account with its source, a default avatar and header that are images", async () => {
    const response = await bea({ method: "GET", url: "/api/v1/accounts/verify_credentials" });
    expect(response.statusCode).toBe(200);
    const account = response.json();
    expect(account).toMatchObject({
      username: "bea",
      acct: "bea",
      locked: false,
      bot: false,
      statuses_count: 0,
      source: { privacy: "public", note: "", fields: [], language: "fr" },
    });
    expect(account.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    for (const url of [
      account.avatar,
      account.avatar_static,
      account.header,
      account.header_static,
    ]) {
      const image = await t.app.http.inject({ method: "GET", url: new URL(url).pathname });
      expect(image.statusCode, url).toBe(200);
      expect(image.headers["content-type"]).toBe("image/png");
      const meta = await sharp(image.rawPayload).metadata();
      expect(meta.width).toBeGreaterThan(0);
    }
  });

  it("update_credentials goes through the profile service, from a form with fields_attributes", async () => {
    const response = await bea({
      method: "PATCH",
      url: "/api/v1/accounts/update_credentials",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload:
        "display_name=B%C3%A9a&note=Hello%20there&fields_attributes[0][name]=Site&fields_attributes[0][value]=https%3A%2F%2Fexample.org",
    });
    expect(response.statusCode, response.body).toBe(200);
    const account = response.json();
    expect(account.display_name).toBe("Béa");
    expect(account.note).toBe("<p>Hello there</p>");
    expect(account.source.fields).toEqual([
      { name: "Site", value: "https://example.org", verified_at: null },
    ]);
    expect((await t.app.profiles.get("bea")).displayName).toBe("Béa");
    const tooLong = await bea({
      method: "PATCH",
      url: "/api/v1/accounts/update_credentials",
      payload: { display_name: "x".repeat(500) },
    });
    expect(tooLong.statusCode).toBe(422);
    expect(tooLong.json()).toEqual({ error: expect.stringContaining("display") });
  });

  it("lookup, accounts/:id, relationships and follow between two members", async () => {
    const lookup = await bea({ method: "GET", url: "/api/v1/accounts/lookup?acct=antoine" });
    expect(lookup.statusCode).toBe(200);
    const antoine = lookup.json();
    const byId = await t.app.http.inject({ method: "GET", url: `/api/v1/accounts/${antoine.id}` });
    expect(byId.json().acct).toBe("antoine");
    const follow = await bea({ method: "POST", url: `/api/v1/accounts/${antoine.id}/follow` });
    expect(follow.statusCode, follow.body).toBe(200);
    // Sent as a Follow: accepted at once by a member who does not approve by hand, or pending
    // until the delivery (this instance is not listening) is answered.
    const relation = follow.json();
    expect(relation).toMatchObject({ id: antoine.id, followed_by: false });
    expect(relation.following || relation.requested).toBe(true);
    const relationships = await bea({
      method: "GET",
      url: `/api/v1/accounts/relationships?id[]=${antoine.id}`,
    });
    expect(relationships.json()).toEqual([
      expect.objectContaining({ following: relation.following, requested: relation.requested }),
    ]);
    const typed = await bea({ method: "GET", url: "/api/v1/accounts/search?q=ant" });
    expect(typed.json().map((a: { acct: string }) => a.acct)).toEqual(["antoine"]);
    const missing = await bea({ method: "GET", url: "/api/v1/accounts/lookup?acct=nobody" });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: expect.any(String) });
    const bad = await t.app.http.inject({ method: "GET", url: "/api/v1/accounts/not-an-id" });
    expect(bad.statusCode).toBe(404);
    expect(bad.json()).toEqual({ error: expect.any(String) });
  });

  it("honest empty answers for what Socialdapres does not have", async () => {
    for (const url of [
      "/api/v1/custom_emojis",
      "/api/v1/filters",
      "/api/v2/filters",
      "/api/v1/lists",
      "/api/v1/followed_tags",
      "/api/v1/announcements",
      "/api/v1/trends/tags",
    ]) {
      const response = await bea({ method: "GET", url });
      expect(response.statusCode, url).toBe(200);
      expect(response.json(), url).toEqual([]);
    }
    const preferences = await bea({ method: "GET", url: "/api/v1/preferences" });
    expect(preferences.json()["posting:default:visibility"]).toBe("public");
    const markers = await bea({ method: "GET", url: "/api/v1/markers?timeline[]=home" });
    expect(markers.json()).toEqual({});
  });

  it("401 without a token, 403 naming the granular scope a token lacks, Mastodon's error shape", async () => {
    const anonymous = await t.app.http.inject({
      method: "GET",
      url: "/api/v1/accounts/verify_credentials",
    });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toEqual({ error: expect.any(String) });
    const readOnly = await t.app.members.createToken("antoine", "read-only");
    await t.app.database.rows(
      sql`update access_tokens set scopes = 'read' where label = 'read-only'`,
    );
    const antoine = client(t.app, readOnly);
    expect(
      (await antoine({ method: "GET", url: "/api/v1/accounts/verify_credentials" })).statusCode,
    ).toBe(200);
    const post = await antoine({
      method: "POST",
      url: "/api/v1/statuses",
      payload: { status: "hi" },
    });
    expect(post.statusCode).toBe(403);
    expect(post.json().error).toContain("write:statuses");
    const unknown = await bea({ method: "GET", url: "/api/v1/nothing/here" });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: expect.any(String) });
  });
});
