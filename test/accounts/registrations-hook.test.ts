import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRegistrationsService } from "../../src/accounts/registrations-service.ts";
import type { App } from "../../src/app.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { type LoopbackSmtp, startLoopbackSmtp } from "../support/smtp.ts";

/*
 * The `tellApplicant` hook (where the e-mail telling an applicant the decision plugs in): called
 * once per decision with the application and the decision; its failure never undoes it.
 */

describe(`telling applicants the decision (${databaseLabel})`, () => {
  let t: TestApp;
  let app: App;
  const told: Array<{ username: string; email: string | null; decision: unknown }> = [];
  let failing = false;
  let registrations: ReturnType<typeof createRegistrationsService>;

  beforeAll(async () => {
    t = await buildTestApp();
    app = t.app;
    await app.instanceProfile.update({
      ...(await app.instanceProfile.get()),
      registrationMode: "request",
    });
    registrations = createRegistrationsService({
      db: app.database.db,
      members: app.members,
      passwords: app.passwords,
      invitations: app.invitations,
      profile: app.instanceProfile,
      logger: app.logger,
      async tellApplicant(application, decision) {
        if (failing) throw new Error("the mail server is away");
        told.push({ username: application.username, email: application.email, decision });
      },
    });
  });
  afterAll(() => t?.close());

  const apply = (username: string) =>
    registrations.join(
      {
        username,
        password: "long-password-1",
        passwordConfirm: "long-password-1",
        email: `${username}@Example.org`,
        charter: "yes",
        reason: "Pour raconter mes rencontres.",
      },
      { language: "fr" },
    );

  it("is told an approval and a refusal with its reason", async () => {
    const ana = await apply("ana");
    const ben = await apply("ben");
    if (ana.kind !== "application" || ben.kind !== "application") throw new Error("no application");
    const decider = (
      await app.members.create({ username: "ada", password: "ada-password-1", role: "admin" })
    ).member;
    await registrations.approve(ana.application.id, decider.id);
    await registrations.refuse(ben.application.id, decider.id, "  Complet pour l'instant.  ");
    expect(told).toEqual([
      { username: "ana", email: "ana@example.org", decision: { status: "approved" } },
      {
        username: "ben",
        email: "ben@example.org",
        decision: { status: "refused", reason: "Complet pour l'instant." },
      },
    ]);
    expect((await app.members.findByUsername("ana"))?.email).toBe("ana@example.org");
  });

  it("a failing hook does not undo the decision", async () => {
    failing = true;
    const cid = await apply("cid");
    if (cid.kind !== "application") throw new Error("no application");
    const decider = await app.members.findByUsername("ada");
    await registrations.approve(cid.application.id, decider?.id as string);
    expect(await app.members.findByUsername("cid")).toBeDefined();
    expect((await registrations.statusOf(cid.statusToken))?.status).toBe("approved");
  });
});

describe(`the applicant's e-mail, by default (${databaseLabel})`, () => {
  let t: TestApp;
  let smtp: LoopbackSmtp;

  beforeAll(async () => {
    smtp = await startLoopbackSmtp();
    t = await buildTestApp({ mail: { smtpUrl: smtp.url, from: "Test <no-reply@localhost>" } });
    await t.app.instanceProfile.update({
      ...(await t.app.instanceProfile.get()),
      registrationMode: "request",
    });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it("is mailed to the address the applicant gave, with where to log in; nothing without one", async () => {
    const decider = (
      await t.app.members.create({ username: "ada", password: "ada-password-1", role: "admin" })
    ).member;
    const applied = await t.app.registrations.join(
      {
        username: "dana",
        password: "long-password-1",
        passwordConfirm: "long-password-1",
        email: "dana@example.org",
        charter: "yes",
        reason: "Pour raconter mes rencontres.",
      },
      { language: "fr" },
    );
    if (applied.kind !== "application") throw new Error("no application");
    await t.app.registrations.approve(applied.application.id, decider.id);
    await t.app.mailer.settle();
    expect(smtp.mails).toHaveLength(1);
    const [mail] = smtp.mails;
    expect(mail?.to).toEqual(["dana@example.org"]);
    expect(mail?.text).toContain("dana");
    expect(mail?.text).toContain(`${t.baseUrl}/login`);

    // Without an address, nothing is sent (the status page tells them).
    const quiet = await t.app.registrations.join(
      {
        username: "eli",
        password: "long-password-1",
        passwordConfirm: "long-password-1",
        charter: "yes",
        reason: "Pour raconter mes rencontres.",
      },
      { language: "en" },
    );
    if (quiet.kind !== "application") throw new Error("no application");
    await t.app.registrations.refuse(quiet.application.id, decider.id, "Full for now.");
    await t.app.mailer.settle();
    expect(smtp.mails).toHaveLength(1);
  });
});
