import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { capturingLogger } from "../support/captured-logs.ts";
import { databaseLabel } from "../support/database.ts";
import { type LoopbackSmtp, linkIn, startLoopbackSmtp } from "../support/smtp.ts";
import { WebClient } from "../support/web.ts";

/*
 * /settings/email: a member sets, confirms (a link mailed through a loopback SMTP server),
 * changes and removes their address, each time with their current password; without mail,
 * the address is kept but never confirmed, and the page says so.
 */

const PASSWORD = "bea-password-123";

describe(`E-mail address settings (${databaseLabel})`, () => {
  let t: TestApp;
  let smtp: LoopbackSmtp;
  let logs: string[];
  let bea: WebClient;
  const member = async (username = "bea") => t.app.members.findByUsername(username);

  beforeAll(async () => {
    smtp = await startLoopbackSmtp();
    const captured = capturingLogger("info");
    logs = captured.logs;
    t = await buildTestApp({
      logLevel: "info",
      logger: captured.logger,
      mail: { smtpUrl: smtp.url, from: "Test <no-reply@localhost>" },
    });
    await t.app.members.create({ username: "bea", password: PASSWORD });
    await t.app.members.create({ username: "carl", password: "carl-password-123" });
    bea = await new WebClient(t.app.http).login("bea", PASSWORD);
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it("sets an address with the current password, mails a link that confirms it once", async () => {
    const empty = await bea.get("/settings/email");
    expect(empty.statusCode).toBe(200);
    expect(empty.body).toContain("Tu n&#39;as pas donné d&#39;adresse e-mail.");
    expect(empty.body).not.toContain("/settings/email/remove");

    const wrong = await bea.post("/settings/email", {
      email: "Bea@Example.org",
      current: "not-my-password",
    });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.body).toContain('id="email-current-error"');
    expect(wrong.body).toContain('value="Bea@Example.org"');
    expect((await member())?.email).toBeNull();

    const invalid = await bea.post("/settings/email", {
      email: "not an address",
      current: PASSWORD,
    });
    expect(invalid.statusCode).toBe(422);
    expect(invalid.body).toContain('id="email-error"');

    const set = await bea.post("/settings/email", {
      email: " Bea@Example.org ",
      current: PASSWORD,
    });
    expect(set.statusCode, set.body).toBe(303);
    expect(set.headers.location).toBe("/settings/email?done=savedMail");
    await t.app.mailer.settle();
    const stored = await member();
    expect(stored?.email).toBe("bea@example.org");
    expect(stored?.emailVerifiedAt).toBeNull();
    const page = await bea.get("/settings/email?done=savedMail");
    expect(page.body).toContain("bea@example.org, pas encore confirmée.");
    expect(page.body).toContain("/settings/email/resend");

    const mail = smtp.mails.at(-1);
    expect(mail?.to).toEqual(["bea@example.org"]);
    expect(mail?.subject).toBe("Confirme ton adresse e-mail sur Socialdapres test");
    const path = new URL(linkIn(mail, "/settings/email/verify/")).pathname;
    // Opened on another device, without a session: a button, then the confirmation.
    const elsewhere = new WebClient(t.app.http);
    const confirm = await elsewhere.get(path);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.headers["referrer-policy"]).toBe("no-referrer");
    expect((await member())?.emailVerifiedAt).toBeNull();
    expect((await elsewhere.post(path, {}, { withoutToken: true })).statusCode).toBe(403);
    const done = await elsewhere.post(path);
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain("Ton adresse e-mail est confirmée.");
    expect((await member())?.emailVerifiedAt).toBeInstanceOf(Date);
    expect((await elsewhere.post(path)).statusCode).toBe(410);
    expect((await bea.get("/settings/email")).body).toContain("bea@example.org, confirmée le");
  });

  it("keeps a confirmed address confirmed when it is given again", async () => {
    const before = smtp.mails.length;
    const again = await bea.post("/settings/email", {
      email: "bea@example.org",
      current: PASSWORD,
    });
    expect(again.headers.location).toBe("/settings/email?done=unchanged");
    await t.app.mailer.settle();
    expect(smtp.mails.length).toBe(before);
    expect((await member())?.emailVerifiedAt).toBeInstanceOf(Date);
  });

  it("refuses an address another account has", async () => {
    const carl = await new WebClient(t.app.http).login("carl", "carl-password-123");
    const taken = await carl.post("/settings/email", {
      email: "BEA@example.org",
      current: "carl-password-123",
    });
    expect(taken.statusCode).toBe(422);
    expect(taken.body).toContain("Un autre compte a déjà cette adresse.");
    expect((await member("carl"))?.email).toBeNull();
  });

  it("changes the address: unconfirmed again, and a link to the former one no longer works", async () => {
    await bea.post("/settings/email", { email: "bea@old.example", current: PASSWORD });
    await t.app.mailer.settle();
    const oldLink = new URL(linkIn(smtp.mails.at(-1), "/settings/email/verify/")).pathname;
    await bea.post("/settings/email", { email: "bea@new.example", current: PASSWORD });
    await t.app.mailer.settle();
    expect(smtp.mails.at(-1)?.to).toEqual(["bea@new.example"]);
    expect((await new WebClient(t.app.http).get(oldLink)).statusCode).toBe(410);
    const stored = await member();
    expect(stored?.email).toBe("bea@new.example");
    expect(stored?.emailVerifiedAt).toBeNull();
    // An unconfirmed address receives no reset link.
    const before = smtp.mails.length;
    await new WebClient(t.app.http).post("/password/forgot", { identifier: "bea" });
    await t.app.mailer.settle();
    expect(smtp.mails.length).toBe(before);
    // Three check links this hour already: asking again sends nothing more.
    const resent = await bea.post("/settings/email/resend");
    expect(resent.headers.location).toBe("/settings/email?done=resent");
    await t.app.mailer.settle();
    expect(smtp.mails.length).toBe(before);
  });

  it("sends the check link again on demand", async () => {
    await t.app.members.create({ username: "dora", password: "dora-password-123" });
    const dora = await new WebClient(t.app.http).login("dora", "dora-password-123");
    await dora.post("/settings/email", { email: "dora@example.org", current: "dora-password-123" });
    await t.app.mailer.settle();
    const first = linkIn(smtp.mails.at(-1), "/settings/email/verify/");
    const resent = await dora.post("/settings/email/resend");
    expect(resent.headers.location).toBe("/settings/email?done=resent");
    await t.app.mailer.settle();
    const second = linkIn(smtp.mails.at(-1), "/settings/email/verify/");
    expect(second).not.toBe(first);
    expect(smtp.mails.at(-1)?.to).toEqual(["dora@example.org"]);
    // The newer link replaced the first.
    expect((await dora.get(new URL(first).pathname)).statusCode).toBe(410);
    expect((await dora.get(new URL(second).pathname)).statusCode).toBe(200);
  });

  it("removes the address with the current password", async () => {
    const wrong = await bea.post("/settings/email/remove", { current: "nope-nope-nope" });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.body).toContain('id="remove-current-error"');
    expect((await member())?.email).toBe("bea@new.example");
    const removed = await bea.post("/settings/email/remove", { current: PASSWORD });
    expect(removed.headers.location).toBe("/settings/email?done=removed");
    const stored = await member();
    expect(stored?.email).toBeNull();
    expect(stored?.emailVerifiedAt).toBeNull();
  });

  it("refuses every form without a CSRF token", async () => {
    for (const path of ["/settings/email", "/settings/email/remove", "/settings/email/resend"]) {
      const response = await bea.post(
        path,
        { email: "x@example.org", current: PASSWORD },
        { withoutToken: true },
      );
      expect(response.statusCode, path).toBe(403);
    }
    expect((await member())?.email).toBeNull();
  });

  it("writes no address or link in the log", () => {
    const log = logs.join("").toLowerCase();
    expect(log).toContain('"mail":"email_verification"');
    for (const address of [
      "bea@example.org",
      "bea@old.example",
      "bea@new.example",
      "dora@example.org",
    ]) {
      expect(log).not.toContain(address);
    }
    for (const mail of smtp.mails) {
      const token = linkIn(mail, "/settings/email/verify/").split("/").at(-1) as string;
      expect(log).not.toContain(token.toLowerCase());
    }
  });
});

describe(`E-mail address settings without mail (${databaseLabel})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
    await t.app.members.create({ username: "bea", password: PASSWORD });
  });
  afterAll(() => t?.close());

  it("keeps the address unconfirmed and says why", async () => {
    const bea = await new WebClient(t.app.http).login("bea", PASSWORD);
    const page = await bea.get("/settings/email");
    expect(page.body).toContain("Cette instance n&#39;envoie pas d&#39;e-mails");
    const set = await bea.post("/settings/email", { email: "bea@example.org", current: PASSWORD });
    expect(set.headers.location).toBe("/settings/email?done=saved");
    const after = await bea.get("/settings/email?done=saved");
    expect(after.body).toContain("bea@example.org, pas encore confirmée.");
    expect(after.body).not.toContain("/settings/email/resend");
    expect((await t.app.members.findByUsername("bea"))?.emailVerifiedAt).toBeNull();
  });
});
