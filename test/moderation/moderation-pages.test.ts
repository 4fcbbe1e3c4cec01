import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { WebClient } from "../support/web.ts";

/*
 * The moderation pages and API: who may open them, CSRF on every form, a domain blocked and
 * published from /admin/domains (CSV both ways), a member warned, frozen and suspended from
 * /admin/accounts/:account — and what the member then meets: the warning on their
 * notifications, a 403 saying why when they post, the log-in refused with the reason, their
 * actor answering 410.
 */
describe(`moderation pages and API (${databaseLabel})`, () => {
  let t: TestApp;
  let app: App;
  let admin: WebClient;
  let moderator: WebClient;
  let member: WebClient;

  async function tokenFor(username: string, scopes: string[]): Promise<string> {
    const member = await app.members.findByUsername(username);
    const { app: client } = await app.oauth.registerApp({
      name: "Admin tool",
      redirectUris: ["urn:ietf:wg:oauth:2.0:oob"],
      scopes,
    });
    const accessToken = randomBytes(32).toString("base64url");
    await app.oauth.saveToken({
      appId: client.id,
      memberId: member?.id ?? null,
      scopes,
      accessToken,
    });
    return accessToken;
  }

  beforeAll(async () => {
    t = await buildTestApp();
    app = t.app;
    await app.members.create({ username: "ada", password: "ada-password-1", role: "admin" });
    await app.members.create({ username: "mo", password: "mo-password-12", role: "moderator" });
    await app.members.create({ username: "max", password: "max-password-1" });
    admin = await new WebClient(app.http).login("ada", "ada-password-1");
    moderator = await new WebClient(app.http).login("mo", "mo-password-12");
    member = await new WebClient(app.http).login("max", "max-password-1");
  });
  afterAll(() => t?.close());

  it("opens the moderation pages to staff only; domains to admins", async () => {
    for (const path of ["/admin/audit", "/admin/domains", "/admin/accounts/max"]) {
      expect((await member.get(path)).statusCode, path).toBe(403);
    }
    expect((await moderator.get("/admin/domains")).statusCode).toBe(403);
    expect((await moderator.get("/admin/audit")).statusCode).toBe(200);
    expect((await moderator.get("/admin/accounts/max")).statusCode).toBe(200);
    const index = await admin.get("/admin");
    expect(index.body).toContain('href="/admin/domains"');
    expect(index.body).toContain('href="/admin/audit"');
    expect((await admin.get("/admin/members")).body).toContain('href="/admin/accounts/max"');
    const refused = await admin.post(
      "/admin/domains",
      { host: "x.example" },
      { withoutToken: true },
    );
    expect(refused.statusCode).toBe(403);
    expect(await app.domainPolicies.list()).toEqual([]);
  });

  it("blocks and publishes a domain from /admin/domains, and reads bad input back clearly", async () => {
    const added = await admin.post("/admin/domains", {
      host: "Spam.Example",
      severity: "block",
      publicReason: "spam",
      privateComment: "seen in reports",
    });
    expect(added.statusCode).toBe(200);
    expect(added.body).toContain("spam.example est bloqué");
    const bad = await admin.post("/admin/domains", { host: "not a domain", severity: "limit" });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain("is not a domain name");

    const closed = await app.http.inject({ url: "/api/v1/instance/domain_blocks" });
    expect(closed.statusCode).toBe(404);
    await admin.post("/admin/domains/publish", { published: "1" });
    const open = await app.http.inject({ url: "/api/v1/instance/domain_blocks" });
    expect(open.statusCode).toBe(200);
    expect(open.json()).toEqual([
      {
        domain: "spam.example",
        digest: createHash("sha256").update("spam.example").digest("hex"),
        severity: "suspend",
        comment: "spam",
      },
    ]);
    expect(open.body).not.toContain("seen in reports");

    const csv = await admin.get("/admin/domains/export.csv");
    expect(csv.headers["content-type"]).toContain("text/csv");
    expect(csv.body).toContain("spam.example,suspend,false,false,spam,false");
    const upload = await admin.postMultipart(
      "/admin/domains/import",
      {},
      {
        file: {
          bytes: Buffer.from(
            `${csv.body.split("\n")[0]}\nquiet.example,silence,false,false,,false\nbad host,suspend,,,,\n`,
          ),
          type: "text/csv",
          name: "blocks.csv",
        },
      },
    );
    expect(upload.statusCode).toBe(422);
    expect(upload.body).toContain("1 domaine(s) appliqué(s)");
    expect(upload.body).toMatch(/ligne 3 : .*is not a domain name/);
    expect((await app.domainPolicies.list()).map((p) => [p.host, p.severity])).toEqual([
      ["quiet.example", "limit"],
      ["spam.example", "block"],
    ]);
    const removed = await admin.post("/admin/domains/remove", { host: "quiet.example" });
    expect(removed.body).toContain("quiet.example n&#39;est plus limité");
  });

  it("warns and freezes a member: they see why, and posting gets a 403 saying why", async () => {
    const warned = await moderator.post("/admin/accounts/max/action", {
      action: "warn",
      reason: "Merci de rester courtois.",
    });
    expect(warned.statusCode).toBe(200);
    expect((await member.get("/notifications")).body).toContain("Merci de rester courtois.");

    const earlier = await app.encounters.create("max", {
      text: "Au marché avec Zoé",
      participants: ["Zoé"],
      visibility: "public",
    });
    await moderator.post("/admin/accounts/max/action", { action: "freeze", reason: "Pause." });
    // Editing publishes again: refused too, while the member's private entries stay theirs.
    await expect(
      app.encounters.update("max", earlier.id, { text: "Au marché avec Zoé et Léa" }),
    ).rejects.toMatchObject({ code: "forbidden" });
    const page = await member.get("/notifications");
    expect(page.body).toContain("Ton compte est gelé par la modération");
    const compose = await member.postMultipart("/compose", {
      text: "Au parc avec Zoé",
      participants: "Zoé",
      visibility: "public",
    });
    expect(compose.statusCode).toBe(403);
    expect(compose.body).toContain("frozen");
    expect(compose.body).toContain("Pause.");
    const token = await app.members.createToken("max");
    const api = await app.http.inject({
      method: "POST",
      url: "/api/v1/statuses",
      headers: { authorization: `Bearer ${token}` },
      payload: { status: "Au parc #Socialdapres\navec Zoé", visibility: "public" },
    });
    expect(api.statusCode, api.body).toBe(403);
    expect(api.json().error).toContain("frozen");
    await moderator.post("/admin/accounts/max/action", { action: "unfreeze" });
  });

  it("suspends a member: logged out, log-in refused with the reason, actor 410; then lifted", async () => {
    const posted = await app.encounters.create("max", {
      text: "Pique-nique au canal #Socialdapres",
      participants: ["Zoé"],
    });
    const visitor = (url: string) =>
      app.http.inject({ url, headers: { accept: "text/html", "accept-language": "fr" } });
    const permalink = `/@max/${posted.id}`;
    // Seen before (and kept for visitors: the suspension must still show on the next request).
    expect((await visitor("/tags/socialdapres")).body).toContain("Pique-nique au canal");
    expect((await visitor("/@max")).body).toContain("Pique-nique au canal");
    expect((await visitor(permalink)).statusCode).toBe(200);

    const suspended = await moderator.post("/admin/accounts/max/action", {
      action: "suspend",
      reason: "Menaces répétées.",
    });
    expect(suspended.body).toContain("Suspendu depuis");
    const home = await member.get("/home");
    expect(home.statusCode).toBe(302);
    expect(home.headers.location).toContain("/login");
    const login = await new WebClient(app.http).post("/login", {
      username: "max",
      password: "max-password-1",
    });
    expect(login.statusCode).toBe(403);
    expect(login.body).toContain("Menaces répétées.");
    const wrong = await new WebClient(app.http).post("/login", {
      username: "max",
      password: "not-the-password",
    });
    expect(wrong.body).not.toContain("Menaces");
    const actor = await app.http.inject({
      url: "/users/max",
      headers: { accept: "application/activity+json" },
    });
    expect(actor.statusCode).toBe(410);
    // Gone from the public pages while it lasts, as the actor is.
    expect((await visitor("/tags/socialdapres")).body).not.toContain("Pique-nique au canal");
    const profile = await visitor("/@max");
    expect(profile.statusCode).toBe(410);
    expect(profile.body).toContain("Compte suspendu");
    expect(profile.body).not.toContain("Pique-nique au canal");
    expect((await visitor(permalink)).statusCode).toBe(410);

    const audit = await admin.get("/admin/audit");
    expect(audit.body).toContain("member.suspend");
    expect(audit.body).toContain("@mo");
    await moderator.post("/admin/accounts/max/action", { action: "unsuspend" });
    await new WebClient(app.http).login("max", "max-password-1");
    expect((await visitor("/tags/socialdapres")).body).toContain("Pique-nique au canal");
    expect((await visitor(permalink)).statusCode).toBe(200);
  });

  it("answers bad input with a clear 4xx", async () => {
    expect((await moderator.get("/admin/accounts/nobody")).statusCode).toBe(404);
    expect((await moderator.get("/admin/accounts/someone@nowhere.example")).statusCode).toBe(404);
    const bad = await moderator.post("/admin/accounts/max/action", { action: "explode" });
    expect(bad.statusCode).toBe(400);
    const admins = await moderator.post("/admin/accounts/ada/action", { action: "suspend" });
    expect(admins.statusCode).toBe(409);
    const unconfirmed = await admin.post("/admin/accounts/max/action", { action: "final" });
    expect(unconfirmed.statusCode).toBe(400);
    expect((await app.members.findByUsername("max"))?.deletedAt).toBeNull();
  });

  it("serves Mastodon's admin API to admins with the admin scopes only", async () => {
    const adminToken = await tokenFor("ada", ["admin:read", "admin:write"]);
    const moToken = await tokenFor("mo", ["admin:read", "admin:write"]);
    const plain = await app.members.createToken("ada");
    const call = (
      token: string,
      method: "GET" | "POST" | "DELETE",
      url: string,
      payload?: object,
    ) => app.http.inject({ method, url, payload, headers: { authorization: `Bearer ${token}` } });

    expect((await call(plain, "GET", "/api/v1/admin/domain_blocks")).statusCode).toBe(403);
    expect((await call(moToken, "GET", "/api/v1/admin/domain_blocks")).statusCode).toBe(403);
    const created = await call(adminToken, "POST", "/api/v1/admin/domain_blocks", {
      domain: "api.example",
      severity: "silence",
      public_comment: "noise",
    });
    expect(created.statusCode).toBe(200);
    expect(created.json()).toMatchObject({ domain: "api.example", severity: "silence" });
    const list = await call(adminToken, "GET", "/api/v1/admin/domain_blocks");
    expect(list.json().map((b: { domain: string }) => b.domain)).toContain("api.example");
    const bad = await call(adminToken, "POST", "/api/v1/admin/domain_blocks", { domain: "a b" });
    expect(bad.statusCode).toBe(422);
    const gone = await call(
      adminToken,
      "DELETE",
      `/api/v1/admin/domain_blocks/${created.json().id}`,
    );
    expect(gone.statusCode).toBe(200);

    const max = await app.members.findWithActor("max");
    const frozen = await call(
      adminToken,
      "POST",
      `/api/v1/admin/accounts/${max?.actor.id}/action`,
      {
        type: "disable",
        text: "cool down",
      },
    );
    expect(frozen.statusCode).toBe(200);
    expect((await app.members.findByUsername("max"))?.frozenReason).toBe("cool down");
    const [last] = await app.auditLog.list({ limit: 1 });
    expect(last).toMatchObject({ action: "member.freeze", via: "api", moderatorUsername: "ada" });
  });
});
