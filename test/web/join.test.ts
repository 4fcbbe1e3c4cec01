import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RegistrationMode } from "../../src/accounts/instance-profile-service.ts";
import type { App } from "../../src/app.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { WebClient } from "../support/web.ts";

/*
 * Joining, end to end through the pages, in each registration mode: open sign-up then log in,
 * an application approved or refused by the team, invitation links, closed; the errors of a
 * form next to their field; the limit per address; the pioneer mark.
 */

const CHARTER =
  "Je raconte mes rencontres avec bienveillance.\n\nJe demande avant de nommer quelqu'un.";

describe(`Joining the community (${databaseLabel})`, () => {
  let t: TestApp;
  let app: App;
  let address = 0;
  /** A browser from its own address: the sign-up limit counts per address. */
  const browser = () => new WebClient(app.http, {}, { remoteAddress: `10.0.0.${++address}` });
  let admin: WebClient;

  async function setMode(registrationMode: RegistrationMode) {
    await app.instanceProfile.update({ ...(await app.instanceProfile.get()), registrationMode });
  }

  const signUp = (client: WebClient, fields: Record<string, string>, invite?: string) =>
    client.post("/join", {
      password: "long-password-1",
      passwordConfirm: "long-password-1",
      charter: "yes",
      ...fields,
      ...(invite ? { invite } : {}),
    });

  beforeAll(async () => {
    t = await buildTestApp();
    app = t.app;
    await app.members.create({ username: "lea", password: "lea-password-12", role: "admin" });
    await app.instanceProfile.update({
      name: "Rencontres de Lyon",
      description: "",
      charter: CHARTER,
      registrationMode: "closed",
    });
    admin = await browser().login("lea", "lea-password-12");
  });
  afterAll(() => t?.close());

  describe("closed", () => {
    it("says registrations are closed, and refuses a sign-up with 403", async () => {
      await setMode("closed");
      const page = await browser().get("/join");
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain("Inscriptions fermées");
      expect(page.body).not.toContain('name="password"');
      const posted = await signUp(browser(), { username: "closed_door" });
      expect(posted.statusCode).toBe(403);
      expect(posted.body).toContain("accueille pas de nouveaux membres");
      expect(await app.members.findByUsername("closed_door")).toBeUndefined();
      const nodeinfo = (await app.http.inject({ method: "GET", url: "/nodeinfo/2.1" })).json();
      expect(nodeinfo.openRegistrations).toBe(false);
    });
  });

  describe("open", () => {
    beforeAll(() => setMode("open"));

    it("shows the charter and every field; NodeInfo says registrations are open", async () => {
      const page = await browser().get("/join");
      expect(page.statusCode).toBe(200);
      expect(page.headers["cache-control"]).toBe("private, no-store");
      expect(page.body).toContain("Je demande avant de nommer quelqu&#39;un.");
      for (const name of [
        "username",
        "displayName",
        "password",
        "passwordConfirm",
        "email",
        "charter",
      ]) {
        expect(page.body).toContain(`name="${name}"`);
      }
      expect(page.body).not.toContain('name="reason"');
      const nodeinfo = (await app.http.inject({ method: "GET", url: "/nodeinfo/2.0" })).json();
      expect(nodeinfo.openRegistrations).toBe(true);
      expect(nodeinfo.metadata.nodeName).toBe("Rencontres de Lyon");
    });

    it("creates the account, logs it in, sends it home; the password logs in again later", async () => {
      const client = browser();
      const response = await signUp(client, {
        username: "Bea",
        displayName: "Béa",
        email: " Bea@Example.ORG ",
      });
      expect(response.statusCode, response.body).toBe(303);
      expect(response.headers.location).toBe("/home");
      expect(client.cookies.has("sdp_session")).toBe(true);
      const apps = await client.get("/settings/apps");
      expect(apps.statusCode).toBe(200);
      const bea = await app.members.findByUsername("bea");
      expect(bea).toMatchObject({
        username: "bea",
        displayName: "Béa",
        email: "bea@example.org",
        role: "member",
      });
      // Made through the members service: she has her keys and her actor.
      expect(await app.members.keyPairs(bea as NonNullable<typeof bea>)).toHaveLength(2);
      const actor = await app.http.inject({
        method: "GET",
        url: "/users/bea",
        headers: { accept: "application/activity+json" },
      });
      expect(actor.statusCode).toBe(200);
      await browser().login("bea", "long-password-1");
    });

    it("says a taken username, but answers a taken e-mail address as a free one", async () => {
      const taken = await signUp(browser(), { username: "BEA", email: "someone@example.org" });
      expect(taken.statusCode).toBe(422);
      expect(taken.body).toContain('id="join-username-error"');
      expect(taken.body).toContain("Ce nom est déjà pris");
      const sameEmail = await signUp(browser(), { username: "bea_twin", email: "BEA@example.org" });
      expect(sameEmail.statusCode).toBe(303);
      expect(sameEmail.headers.location).toBe("/home");
      // The address stays its owner's; the new member has none.
      expect((await app.members.findByUsername("bea_twin"))?.email).toBeNull();
      expect((await app.members.findByUsername("bea"))?.email).toBe("bea@example.org");
    });

    it("shows each error next to its field (422), keeps what was typed, never the password", async () => {
      const response = await browser().post("/join", {
        username: "not valid!",
        displayName: "x".repeat(101),
        password: "short",
        passwordConfirm: "different",
        email: "not-an-address",
        reason: "",
      });
      expect(response.statusCode).toBe(422);
      const body = response.body;
      expect(body).toContain('role="alert"');
      for (const [field, words] of [
        ["username", "Utilise 1 à 30 lettres"],
        ["displayName", "au plus 100 caractères"],
        ["password", "au moins 10 caractères"],
        ["passwordConfirm", "Les deux mots de passe sont différents"],
        ["email", "ne semble pas valide"],
        ["charter", "Coche la case"],
      ]) {
        expect(body).toMatch(new RegExp(`aria-describedby="[^"]*join-${field}-error"`));
        expect(body).toMatch(new RegExp(`id="join-${field}-error">[^<]*${words}`));
      }
      expect(body).toContain('value="not valid!"');
      expect(body).toContain('value="not-an-address"');
      expect(body).not.toContain("short");
      expect(body).not.toContain("different");
      // A reserved name, and each problem alone, in English too.
      const reserved = await browser().post(
        "/join",
        {
          username: "admin",
          password: "long-password-1",
          passwordConfirm: "long-password-1",
          charter: "yes",
        },
        { headers: { "accept-language": "en" } },
      );
      expect(reserved.statusCode).toBe(422);
      expect(reserved.body).toContain("This name is reserved");
      const noCharter = await signUp(browser(), { username: "no_charter", charter: "" });
      expect(noCharter.statusCode).toBe(422);
      expect(noCharter.body).toMatch(/id="join-charter-error">Coche la case/);
      expect(await app.members.findByUsername("no_charter")).toBeUndefined();
    });

    it("refuses a form without its CSRF token", async () => {
      const response = await browser().post(
        "/join",
        {
          username: "no_token",
          password: "long-password-1",
          passwordConfirm: "long-password-1",
          charter: "yes",
        },
        { withoutToken: true },
      );
      expect(response.statusCode).toBe(403);
      expect(await app.members.findByUsername("no_token")).toBeUndefined();
    });

    it("limits sign-up forms per address: the 31st in an hour gets 429 with Retry-After", async () => {
      const client = browser();
      for (let i = 0; i < 30; i++) {
        const response = await client.post("/join", { username: "x y" });
        expect(response.statusCode).toBe(422);
      }
      const limited = await signUp(client, { username: "too_many" });
      expect(limited.statusCode).toBe(429);
      expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
      expect(limited.body).toContain("Trop d&#39;inscriptions depuis ta connexion");
      expect(await app.members.findByUsername("too_many")).toBeUndefined();
      // Another address is not held back.
      expect((await signUp(browser(), { username: "other_address" })).statusCode).toBe(303);
    });
  });

  describe("on request", () => {
    let statusUrl: string;
    const statusPath = () => new URL(statusUrl).pathname;

    beforeAll(() => setMode("request"));

    it("asks why, and says so when the reason is missing or too long", async () => {
      const page = await browser().get("/join");
      expect(page.body).toContain('name="reason"');
      const missing = await signUp(browser(), { username: "camille" });
      expect(missing.statusCode).toBe(422);
      expect(missing.body).toMatch(/id="join-reason-error">Dis en quelques mots/);
      const long = await signUp(browser(), { username: "camille", reason: "a".repeat(1001) });
      expect(long.statusCode).toBe(422);
      expect(long.body).toMatch(/id="join-reason-error">1000 caractères au plus/);
      expect(long.body).toContain("a".repeat(1001));
      const nodeinfo = (await app.http.inject({ method: "GET", url: "/nodeinfo/2.1" })).json();
      expect(nodeinfo.openRegistrations).toBe(true);
    });

    it("records the application, shows its status address once, and keeps the name", async () => {
      const response = await signUp(browser(), {
        username: "Camille",
        displayName: "Camille D.",
        reason: "Je veux raconter mes rencontres du marché.",
      });
      expect(response.statusCode, response.body).toBe(201);
      const found = /class="status-link" href="([^"]+)"/.exec(response.body);
      expect(found).not.toBeNull();
      statusUrl = found?.[1] as string;
      expect(statusUrl).toMatch(/\/join\/status\/[A-Za-z0-9_-]{43}$/);
      expect(response.body).toContain("Garde précieusement cette adresse");
      expect(await app.members.findByUsername("camille")).toBeUndefined();
      // The token is stored as a digest only, the password as a hash.
      const rows = await app.database.rows<{ status_token_hash: string; password_hash: string }>(
        sql`select status_token_hash, password_hash from registration_applications where username = 'camille'`,
      );
      expect(rows[0]?.status_token_hash).not.toBe(statusUrl.split("/").pop());
      expect(rows[0]?.password_hash).toMatch(/^scrypt\$/);
      const status = await browser().get(statusPath());
      expect(status.statusCode).toBe(200);
      expect(status.body).toContain("attend encore sa réponse");
      // While it waits, nobody else may have the name, whatever its case.
      const again = await signUp(browser(), { username: "CAMILLE", reason: "Moi aussi." });
      expect(again.statusCode).toBe(422);
      expect(again.body).toContain("Ce nom est déjà pris");
      expect((await browser().get("/join/status/not-a-real-token-at-all-xx")).statusCode).toBe(404);
    });

    it("a moderator approves it on the admin page; the status says so; the applicant logs in", async () => {
      await app.members.create({
        username: "modo",
        password: "modo-password-1",
        role: "moderator",
      });
      const moderator = await browser().login("modo", "modo-password-1");
      const list = await moderator.get("/admin/applications");
      expect(list.statusCode).toBe(200);
      expect(list.body).toContain("Je veux raconter mes rencontres du marché.");
      expect(list.body).not.toContain("scrypt");
      const id = /action="\/admin\/applications\/([0-9a-f-]{36})\/approve"/.exec(list.body)?.[1];
      expect(id).toBeDefined();
      const noToken = await moderator.post(
        `/admin/applications/${id}/approve`,
        {},
        { withoutToken: true },
      );
      expect(noToken.statusCode).toBe(403);
      const approved = await moderator.post(`/admin/applications/${id}/approve`);
      expect(approved.statusCode).toBe(200);
      expect(approved.body).toContain("@camille est maintenant membre.");
      const member = await app.members.findByUsername("camille");
      expect(member).toMatchObject({ displayName: "Camille D.", role: "member" });
      const status = await browser().get(statusPath());
      expect(status.body).toContain("Ta demande a été acceptée");
      expect(status.body).toContain('href="/login?next=%2Fhome"');
      await browser().login("camille", "long-password-1");
      // Decided once: a second decision finds nothing waiting.
      const twice = await moderator.post(`/admin/applications/${id}/refuse`, { reason: "" });
      expect(twice.statusCode).toBe(404);
    });

    it("a refusal with its reason shows on the status page, and frees the name", async () => {
      const response = await signUp(browser(), { username: "dom", reason: "Pour voir." });
      const url = /class="status-link" href="([^"]+)"/.exec(response.body)?.[1] as string;
      const list = await admin.get("/admin/applications");
      const id = /action="\/admin\/applications\/([0-9a-f-]{36})\/refuse"/.exec(list.body)?.[1];
      const refused = await admin.post(`/admin/applications/${id}/refuse`, {
        reason: "Nous accueillons les habitant·es du quartier <seulement>.",
      });
      expect(refused.statusCode).toBe(200);
      expect(refused.body).toContain("La demande de @dom est refusée.");
      const status = await browser().get(new URL(url).pathname);
      expect(status.body).toContain("Ta demande a été refusée.");
      expect(status.body).toContain("habitant·es du quartier &lt;seulement&gt;.");
      expect(await app.members.findByUsername("dom")).toBeUndefined();
      const again = await signUp(browser(), { username: "dom", reason: "J'habite le quartier." });
      expect(again.statusCode).toBe(201);
    });
  });

  describe("by invitation", () => {
    let code: string;

    beforeAll(() => setMode("invite"));

    it("explains the community is by invitation when there is no code", async () => {
      const page = await browser().get("/join");
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain("sur invitation");
      expect(page.body).not.toContain('name="password"');
      const posted = await signUp(browser(), { username: "no_code" });
      expect(posted.statusCode).toBe(403);
    });

    it("a single-use link lets one person in; the second gets 410", async () => {
      const made = await admin.post("/admin/invitations", {
        maxUses: "1",
        expiresInDays: "7",
        note: "Pour Élise",
      });
      expect(made.statusCode).toBe(201);
      const link = /class="invitation-link">([^<]+)</.exec(made.body)?.[1] as string;
      expect(link).toMatch(/\/invite\/[A-Za-z0-9_-]{43}$/);
      code = link.split("/").pop() as string;
      const opened = await browser().get(new URL(link).pathname);
      expect(opened.statusCode).toBe(302);
      expect(opened.headers.location).toBe(`/join?invite=${code}`);
      const form = await browser().get(`/join?invite=${code}`);
      expect(form.statusCode).toBe(200);
      expect(form.body).toContain(`name="invite" value="${code}"`);
      expect((await signUp(browser(), { username: "elise" }, code)).statusCode).toBe(303);
      const second = await signUp(browser(), { username: "elise_bis" }, code);
      expect(second.statusCode).toBe(410);
      expect(second.body).toContain("a déjà servi autant de fois que prévu");
      expect(await app.members.findByUsername("elise_bis")).toBeUndefined();
      expect((await browser().get(`/join?invite=${code}`)).statusCode).toBe(410);
      const list = await admin.get("/admin/invitations");
      expect(list.body).toContain("1 inscription(s) sur 1");
      expect(list.body).toContain("épuisé");
      expect(list.body).not.toContain(code);
    });

    it("an expired link, a withdrawn one and an unknown one each say so", async () => {
      const { invitation, code: expired } = await app.invitations.create(null, {
        maxUses: null,
        expiresAt: null,
      });
      await app.database.rows(
        sql`update invitations set expires_at = now() - interval '1 hour' where id = ${invitation.id}`,
      );
      const late = await browser().get(`/join?invite=${expired}`);
      expect(late.statusCode).toBe(410);
      expect(late.body).toContain("a expiré");
      const { invitation: other, code: withdrawn } = await app.invitations.create(null, {
        maxUses: 5,
        expiresAt: null,
      });
      const revoked = await admin.post(`/admin/invitations/${other.id}/revoke`);
      expect(revoked.statusCode).toBe(303);
      const gone = await signUp(browser(), { username: "too_late" }, withdrawn);
      expect(gone.statusCode).toBe(410);
      expect(gone.body).toContain("a été retiré");
      expect((await browser().get(`/join?invite=${"x".repeat(43)}`)).statusCode).toBe(404);
    });

    it("is refused when registrations are closed, even with a valid code", async () => {
      const { code: valid } = await app.invitations.create(null, {
        maxUses: null,
        expiresAt: null,
      });
      await setMode("closed");
      expect((await signUp(browser(), { username: "closed_invite" }, valid)).statusCode).toBe(403);
      await setMode("invite");
    });
  });

  describe("pioneers", () => {
    it("the first members carry « pionnier·e » on their page and in their actor", async () => {
      const page = await browser().get("/@bea");
      expect(page.body).toMatch(/class="pioneer"><strong>Pionnier·e<\/strong> · n° 2 sur 100/);
      const actor = await app.http.inject({
        method: "GET",
        url: "/users/bea",
        headers: { accept: "application/activity+json" },
      });
      expect(actor.json().attachment).toContainEqual({
        type: "PropertyValue",
        name: "Pionnier·e",
        value: "n° 2 sur 100",
      });
    });

    it("the 101st member is no pioneer (one query over the creation order)", async () => {
      const before = await app.members.count();
      await app.database.rows(sql`
        insert into members (id, username, password_hash)
        select gen_random_uuid(), 'filler_' || g, 'x' from generate_series(1, ${100 - before}) g`);
      const last = await app.members.create({ username: "latecomer", password: "late-password-1" });
      expect(await app.members.count()).toBe(101);
      expect(await app.members.pioneerRank(last.member.id)).toBeUndefined();
      // The admin's list agrees with the one-member query, rank by rank.
      const listed = await app.roles.list(200);
      expect(listed[99]?.pioneer).toEqual({ rank: 100, of: 100 });
      expect(listed[100]).toMatchObject({ username: "latecomer", pioneer: undefined });
      expect(await app.members.pioneerRank(listed[99]?.id as string)).toEqual({
        rank: 100,
        of: 100,
      });
      const page = await browser().get("/@latecomer");
      expect(page.body).not.toContain("Pionnier·e");
    });
  });
});
