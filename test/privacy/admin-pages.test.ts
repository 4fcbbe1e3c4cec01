import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.ts";
import { API, client, postEncounter } from "../api/helpers.ts";
import { instanceWithCapturedLogs } from "../support/captured-logs.ts";
import { databaseLabel } from "../support/database.ts";
import { noLeakOf, PRIVATE_FIELD_LEAKS, PRIVATE_FIELDS } from "../support/leaks.ts";
import { WebClient } from "../support/web.ts";

/*
 * The admin pages show what running the instance needs, nothing private: no value of any
 * member's tracker, no e-mail address, no password hash, no status token. Every admin page is
 * read with the production logger capturing every line at "trace", and the logs are checked too.
 */

// Every private field set, as the other privacy tests do (test/support/leaks.ts).
const PRIVATE = { ...PRIVATE_FIELDS, satisfying: false } as const;
const PRIVATE_TEXT = "Rencontre-privee-Zt9";
const EMAIL = "secret.address.q7@example.org";
const APPLICANT_EMAIL = "applicant.q7@example.org";

const LEAKS = [
  ...PRIVATE_FIELD_LEAKS,
  new RegExp(PRIVATE_TEXT),
  /secret\.address\.q7/i,
  /applicant\.q7/i,
  /scrypt/,
  /long-password-1/,
];
const expectNoLeak = noLeakOf(LEAKS);

const ADMIN_PAGES = [
  "/admin",
  "/admin/instance",
  "/admin/applications",
  "/admin/invitations",
  "/admin/members",
  "/admin/domains",
  "/admin/audit",
  "/admin/accounts/bea",
];

describe(`privacy of the admin pages (${databaseLabel})`, () => {
  let instance: Awaited<ReturnType<typeof instanceWithCapturedLogs>>;
  let app: App;
  let admin: WebClient;
  let statusToken: string;

  beforeAll(async () => {
    instance = await instanceWithCapturedLogs("trace");
    app = instance.app;
    await app.members.create({ username: "ada", password: "ada-password-1", role: "admin" });
    await app.members.create({ username: "bea", password: "long-password-1", email: EMAIL });
    admin = await new WebClient(app.http).login("ada", "ada-password-1");
    // Béa's tracker: a private-only encounter and a public one, every private field set.
    const bea = client(app, await app.members.createToken("bea", "test"));
    for (const visibility of ["private", "public"]) {
      const { id } = await postEncounter(bea, {
        text: visibility === "private" ? PRIVATE_TEXT : "Un café au marché",
        participants: ["Marie"],
        visibility,
      });
      const response = await bea({
        method: "PUT",
        url: `${API}/encounters/${id}/private`,
        payload: { ...PRIVATE, circles: [{ position: 0, circle: "intimate" }] },
      });
      expect(response.statusCode, response.body).toBe(200);
    }
    // An application waiting, with an e-mail address, and an invitation link.
    await app.instanceProfile.update({
      ...(await app.instanceProfile.get()),
      registrationMode: "request",
    });
    const applied = await new WebClient(app.http).post("/join", {
      username: "cleo",
      password: "long-password-1",
      passwordConfirm: "long-password-1",
      email: APPLICANT_EMAIL,
      charter: "yes",
      reason: "Je connais Béa.",
    });
    expect(applied.statusCode).toBe(201);
    statusToken = /\/join\/status\/([A-Za-z0-9_-]+)/.exec(applied.body)?.[1] as string;
    expect(
      (await admin.post("/admin/invitations", { maxUses: "3", expiresInDays: "" })).statusCode,
    ).toBe(201);
  });
  afterAll(() => instance?.close());

  it("no admin page shows a private value, an e-mail address, a password hash or a token", async () => {
    // A moderation action on Béa: her account page and the audit log show it, nothing more.
    const warned = await admin.post("/admin/accounts/bea/action", {
      action: "warn",
      reason: "Sois gentille.",
    });
    expect(warned.statusCode).toBe(200);
    for (const path of ADMIN_PAGES) {
      const response = await admin.get(path);
      expect(response.statusCode, path).toBe(200);
      expectNoLeak(path, response.body);
      expect(response.body).not.toContain(statusToken);
    }
    // What they are for is there.
    expect((await admin.get("/admin/applications")).body).toContain("Je connais Béa.");
    expect((await admin.get("/admin/members")).body).toContain("@bea");
  });

  it("approving and refusing show nothing private either, and the logs hold none of it", async () => {
    const list = await admin.get("/admin/applications");
    const id = /\/admin\/applications\/([0-9a-f-]{36})\/approve/.exec(list.body)?.[1];
    const approved = await admin.post(`/admin/applications/${id}/approve`);
    expect(approved.statusCode).toBe(200);
    expectNoLeak("the approval", approved.body);
    // The applicant's status page and an invitation link: their secrets stay out of the logs.
    expect((await new WebClient(app.http).get(`/join/status/${statusToken}`)).statusCode).toBe(200);
    const invitation = await app.invitations.create(null, { maxUses: 1, expiresAt: null });
    await new WebClient(app.http).get(`/invite/${invitation.code}`);
    await new WebClient(app.http).get(`/join?invite=${invitation.code}`);
    const role = await admin.post("/admin/members/bea/role", { role: "moderator" });
    expectNoLeak("a role change", role.body);
    const logs = instance.logs.join("");
    expect(logs.length).toBeGreaterThan(0);
    expectNoLeak("the logs", logs);
    expect(logs).not.toContain(statusToken);
    expect(logs).not.toContain(invitation.code);
  });
});
