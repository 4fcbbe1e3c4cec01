import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { WebClient } from "../support/web.ts";

/*
 * The admin pages: who may open them (403 for a member, the log-in for a visitor), the
 * instance's profile set there and shown at once everywhere (pages, NodeInfo, Mastodon
 * apps), roles changed there (never the last admin), and CSRF on every form.
 */

describe(`Admin pages (${databaseLabel})`, () => {
  let t: TestApp;
  let app: App;
  let admin: WebClient;
  let moderator: WebClient;
  let member: WebClient;

  const instanceForm = {
    name: "Rencontres de la Croix-Rousse",
    description: "Les habitant·es du plateau racontent leurs rencontres.",
    charter: "Premier paragraphe de la charte.\n\nSecond paragraphe : on se respecte.",
    registrationMode: "request",
  };

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

  it("shows « Administration » to staff only, each seeing what they may do", async () => {
    const forAdmin = await admin.get("/admin");
    expect(forAdmin.statusCode).toBe(200);
    for (const path of [
      "/admin/instance",
      "/admin/applications",
      "/admin/invitations",
      "/admin/members",
    ]) {
      expect(forAdmin.body).toContain(`href="${path}"`);
    }
    const forModerator = await moderator.get("/admin");
    expect(forModerator.statusCode).toBe(200);
    expect(forModerator.body).toContain('href="/admin/applications"');
    expect(forModerator.body).not.toContain('href="/admin/members"');
    expect((await member.get("/tracker")).body).not.toContain('href="/admin"');
    expect((await admin.get("/tracker")).body).toContain('href="/admin"');
  });

  it("answers 403 to a member, 403 to a moderator on admin-only pages, the log-in to a visitor", async () => {
    for (const path of [
      "/admin",
      "/admin/instance",
      "/admin/applications",
      "/admin/invitations",
      "/admin/members",
    ]) {
      const response = await member.get(path);
      expect(response.statusCode, path).toBe(403);
      expect(response.body).toContain("Accès refusé");
      const visitor = await new WebClient(app.http).get(path);
      expect(visitor.statusCode).toBe(302);
      expect(visitor.headers.location).toBe(`/login?next=${encodeURIComponent(path)}`);
    }
    for (const path of ["/admin/instance", "/admin/invitations", "/admin/members"]) {
      expect((await moderator.get(path)).statusCode, path).toBe(403);
    }
    const posted = await member.post("/admin/instance", instanceForm);
    expect(posted.statusCode).toBe(403);
    expect((await member.post("/admin/members/max/role", { role: "admin" })).statusCode).toBe(403);
    expect((await moderator.post("/admin/invitations", { maxUses: "1" })).statusCode).toBe(403);
    expect((await app.members.findByUsername("max"))?.role).toBe("member");
    expect((await app.instanceProfile.get()).name).toBe("Socialdapres test");
  });

  it("refuses every admin form without its CSRF token", async () => {
    const id = "00000000-0000-4000-8000-000000000000";
    for (const [path, fields] of [
      ["/admin/instance", instanceForm],
      ["/admin/members/max/role", { role: "admin" }],
      ["/admin/invitations", { maxUses: "1" }],
      [`/admin/invitations/${id}/revoke`, {}],
      [`/admin/applications/${id}/approve`, {}],
      [`/admin/applications/${id}/refuse`, { reason: "non" }],
    ] as const) {
      const response = await admin.post(path, fields, { withoutToken: true });
      expect(response.statusCode, path).toBe(403);
      expect(response.body).toContain("Formulaire expiré");
    }
    expect((await app.members.findByUsername("max"))?.role).toBe("member");
    expect(await app.invitations.list()).toEqual([]);
  });

  it("sets the name, description, charter and mode: every page, NodeInfo and apps show them at once", async () => {
    const saved = await admin.post("/admin/instance", instanceForm);
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toBe("/admin/instance?saved=1");
    const form = await admin.get("/admin/instance?saved=1");
    expect(form.body).toContain("C&#39;est enregistré");
    expect(form.body).toContain('value="request" checked');
    const home = await new WebClient(app.http).get("/");
    expect(home.body).toContain('<a class="brand" href="/">Rencontres de la Croix-Rousse</a>');
    expect(home.body).toContain("<h1>Rencontres de la Croix-Rousse</h1>");
    expect(home.body).toContain("Les habitant·es du plateau racontent leurs rencontres.");
    const about = await new WebClient(app.http).get("/about");
    expect(about.body).toContain(
      "<p>Premier paragraphe de la charte.</p><p>Second paragraphe : on se respecte.</p>",
    );
    expect(about.body).toContain('href="/join"');
    const join = await new WebClient(app.http).get("/join");
    expect(join.body).toContain("Second paragraphe : on se respecte.");
    const nodeinfo = (await app.http.inject({ method: "GET", url: "/nodeinfo/2.1" })).json();
    expect(nodeinfo.metadata).toEqual({
      nodeName: "Rencontres de la Croix-Rousse",
      nodeDescription: "Les habitant·es du plateau racontent leurs rencontres.",
    });
    expect(nodeinfo.openRegistrations).toBe(true);
    const v2 = (await app.http.inject({ method: "GET", url: "/api/v2/instance" })).json();
    expect(v2.title).toBe("Rencontres de la Croix-Rousse");
    expect(v2.description).toBe("Les habitant·es du plateau racontent leurs rencontres.");
    expect(v2.registrations).toEqual({
      enabled: true,
      approval_required: true,
      message: null,
      url: `${t.baseUrl}/join`,
    });
    const v1 = (await app.http.inject({ method: "GET", url: "/api/v1/instance" })).json();
    expect(v1).toMatchObject({
      title: "Rencontres de la Croix-Rousse",
      registrations: true,
      approval_required: true,
    });
    const instanceActor = await app.http.inject({
      method: "GET",
      url: "/users/instance",
      headers: { accept: "application/activity+json" },
    });
    expect(instanceActor.json().name).toBe("Rencontres de la Croix-Rousse");
  });

  it("follows the mode in NodeInfo and the Mastodon instance: invite, closed, open", async () => {
    for (const [mode, open, v2] of [
      ["invite", false, { enabled: false, approval_required: false }],
      ["closed", false, { enabled: false, approval_required: false }],
      ["open", true, { enabled: true, approval_required: false }],
    ] as const) {
      expect(
        (await admin.post("/admin/instance", { ...instanceForm, registrationMode: mode }))
          .statusCode,
      ).toBe(303);
      const nodeinfo = (await app.http.inject({ method: "GET", url: "/nodeinfo/2.0" })).json();
      expect(nodeinfo.openRegistrations, mode).toBe(open);
      const instance = (await app.http.inject({ method: "GET", url: "/api/v2/instance" })).json();
      expect(instance.registrations, mode).toMatchObject(v2);
      const v1 = (await app.http.inject({ method: "GET", url: "/api/v1/instance" })).json();
      expect(v1.invites_enabled, mode).toBe(mode === "invite");
    }
  });

  it("keeps what was typed and says what is wrong next to each field (422)", async () => {
    const response = await admin.post("/admin/instance", {
      name: "  ",
      description: "d".repeat(501),
      charter: "Ma charte <à moi>",
      registrationMode: "everyone",
    });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('role="alert"');
    expect(response.body).toMatch(/id="admin-name-error">Donne un nom/);
    expect(response.body).toMatch(/id="admin-description-error">500 caractères au plus/);
    expect(response.body).toMatch(/id="admin-mode-error">Choisis comment/);
    expect(response.body).toContain("d".repeat(501));
    expect(response.body).toContain("Ma charte &lt;à moi&gt;");
    expect((await app.instanceProfile.get()).name).toBe("Rencontres de la Croix-Rousse");
  });

  it("lists members with role, arrival and pioneer rank, and changes roles — never the last admin's", async () => {
    const list = await admin.get("/admin/members");
    expect(list.statusCode).toBe(200);
    expect(list.body).toMatch(/@ada<\/a><\/td>\n<td>admin<\/td>\n<td>[^<]+<\/td>\n<td>n° 1<\/td>/);
    expect(list.body).toMatch(/@mo<\/a><\/td>\n<td>modérateur·ice<\/td>/);
    const promoted = await admin.post("/admin/members/max/role", { role: "moderator" });
    expect(promoted.statusCode).toBe(200);
    expect(promoted.body).toContain("@max est maintenant modérateur·ice.");
    expect((await app.members.findByUsername("max"))?.role).toBe("moderator");
    const last = await admin.post("/admin/members/ada/role", { role: "member" });
    expect(last.statusCode).toBe(409);
    expect(last.body).toContain("@ada est le ou la dernier·e admin");
    expect((await app.members.findByUsername("ada"))?.role).toBe("admin");
    const badRole = await admin.post("/admin/members/max/role", { role: "king" });
    expect(badRole.statusCode).toBe(400);
    expect((await admin.post("/admin/members/nobody/role", { role: "admin" })).statusCode).toBe(
      404,
    );
    // With a second admin, the first may step down, and then sees what a moderator sees.
    await admin.post("/admin/members/mo/role", { role: "admin" });
    const down = await admin.post("/admin/members/ada/role", { role: "moderator" });
    expect(down.statusCode).toBe(303);
    expect(down.headers.location).toBe("/admin");
    expect((await admin.get("/admin/members")).statusCode).toBe(403);
  });

  it("checks the invitation form: whole numbers or empty, else 422 next to the field", async () => {
    // @mo is an admin since the test above.
    const response = await moderator.post("/admin/invitations", {
      maxUses: "0",
      expiresInDays: "abc",
      note: "Pour Zoé",
    });
    expect(response.statusCode).toBe(422);
    expect(response.body).toMatch(/id="invite-max-error">Un nombre entier de 1 à 1000/);
    expect(response.body).toMatch(/id="invite-days-error">Un nombre entier de jours/);
    expect(response.body).toContain('value="Pour Zoé"');
    const unlimited = await moderator.post("/admin/invitations", {
      maxUses: "",
      expiresInDays: "",
    });
    expect(unlimited.statusCode).toBe(201);
    expect(unlimited.body).toContain("sans limite");
    expect(unlimited.body).toContain("n&#39;expire pas");
  });
});
