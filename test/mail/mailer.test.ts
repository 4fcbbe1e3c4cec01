import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultSender, loadConfig } from "../../src/config/config.ts";
import { createMailer, createSmtpTransport, type Mailer } from "../../src/mail/mailer.ts";
import { applicationDecidedMessage } from "../../src/mail/messages.ts";
import { capturingLogger } from "../support/captured-logs.ts";
import { type LoopbackSmtp, startLoopbackSmtp } from "../support/smtp.ts";

/*
 * The mailer against a real SMTP server on loopback (smtp-server): credentials from the URL,
 * the messages in French and English, a refused recipient logged without its address.
 */

const instance = { name: "Les Pionnier·es", origin: new URL("https://social.example") };

describe("Mailer over SMTP", () => {
  let smtp: LoopbackSmtp;
  let mailer: Mailer;
  let logs: string[];

  beforeAll(async () => {
    // A password with characters a URL must encode.
    smtp = await startLoopbackSmtp({
      auth: { user: "relay@social.example", pass: "p@ss:w/rd %é" },
      refuse: ["nobody@example.org"],
    });
    const captured = capturingLogger("info");
    logs = captured.logs;
    mailer = createMailer({
      transport: createSmtpTransport({
        smtpUrl: smtp.url,
        from: defaultSender(instance.name, instance.origin),
      }),
      instance,
      logger: captured.logger,
    });
  });
  afterAll(async () => {
    mailer?.close();
    await smtp?.close();
  });

  it("logs in with the URL's credentials and sends plain text from the default sender", async () => {
    mailer.passwordReset({
      to: "bea@example.org",
      lang: "en",
      username: "bea",
      resetUrl: "https://social.example/password/reset/abc",
    });
    await mailer.settle();
    const mail = smtp.mails.at(-1);
    expect(mail?.to).toEqual(["bea@example.org"]);
    expect(mail?.from).toBe('"Les Pionnier·es" <no-reply@social.example>');
    expect(mail?.subject).toBe("Reset your password on Les Pionnier·es");
    expect(mail?.text).toContain("Hello bea,");
    expect(mail?.text).toContain("\nhttps://social.example/password/reset/abc\n");
    expect(mail?.raw).toMatch(/Content-Type: text\/plain; charset=utf-8/i);
  });

  it("tells an applicant the decision, in French with « tu » or in English", async () => {
    mailer.applicationDecided({
      to: "cleo@example.org",
      lang: "fr",
      username: "cleo",
      approved: true,
      statusUrl: "https://social.example/join/status/xyz",
    });
    mailer.applicationDecided({
      to: "dan@example.org",
      lang: "en",
      username: "dan",
      approved: false,
      reason: "We are full\u0007 for now.\r\nTry again in spring.",
      statusUrl: "https://social.example/join/status/uvw",
    });
    await mailer.settle();
    const [yes, no] = smtp.mails.slice(-2);
    expect(yes?.subject).toBe("Bienvenue sur Les Pionnier·es : ta demande est acceptée");
    expect(yes?.text).toContain("Tu peux te connecter dès maintenant");
    expect(yes?.text).toContain("https://social.example/join/status/xyz");
    expect(yes?.text).not.toMatch(/\bvous\b/);
    expect(no?.subject).toBe("Your application to Les Pionnier·es was not approved");
    expect(no?.text).toContain("We are full for now.\nTry again in spring.");
    expect(no?.text).toContain("https://social.example/join/status/uvw");
  });

  it("logs a refused mail with its kind and the server's code, never the address or the link", async () => {
    const before = smtp.mails.length;
    mailer.emailVerification({
      to: "nobody@example.org",
      lang: "fr",
      username: "nobody",
      verifyUrl: "https://social.example/settings/email/verify/SECRET-TOKEN",
    });
    await mailer.settle();
    expect(smtp.mails.length).toBe(before);
    const line = logs.find((l) => l.includes("could not send a mail"));
    expect(line).toBeDefined();
    expect(JSON.parse(line as string)).toMatchObject({
      mail: "email_verification",
      smtp: { responseCode: 550 },
    });
    const log = logs.join("");
    expect(log).not.toContain("nobody@example.org");
    expect(log).not.toContain("SECRET-TOKEN");
    expect(log).not.toContain("p@ss");
  });

  it("writes every message in French and English", () => {
    for (const approved of [true, false]) {
      for (const lang of ["fr", "en"] as const) {
        const message = applicationDecidedMessage(
          { to: "x@example.org", lang, username: "x", approved, statusUrl: "https://s.example/s" },
          instance,
        );
        expect(message.subject).toContain("Les Pionnier·es");
        expect(message.text).toContain("https://s.example/s");
        expect(message.text).toContain("— Les Pionnier·es\nhttps://social.example");
        expect(message.text).not.toContain("admins");
      }
    }
  });
});

describe("SMTP configuration", () => {
  const base = { ORIGIN: "https://social.example" };

  it("is off without SMTP_URL", () => {
    const result = loadConfig(base);
    expect(result.ok && result.config.mail).toBeUndefined();
  });

  it("reads SMTP_URL and SMTP_FROM, with a default sender on the origin's host", () => {
    const result = loadConfig({ ...base, SMTP_URL: "smtps://u:p@mail.example:465" });
    expect(result.ok && result.config.mail).toEqual({
      smtpUrl: "smtps://u:p@mail.example:465",
      from: "Socialdapres <no-reply@social.example>",
    });
    const named = loadConfig({
      ...base,
      SMTP_URL: "smtp://mail.example:587",
      SMTP_FROM: "Pionniers <bonjour@social.example>",
    });
    expect(named.ok && named.config.mail?.from).toBe("Pionniers <bonjour@social.example>");
  });

  it("says what is wrong, without repeating the URL's password", () => {
    const result = loadConfig({
      ...base,
      SMTP_URL: "https://u:hunter2@mail.example",
      SMTP_FROM: "no address",
    });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems).toEqual([
      expect.stringMatching(/^SMTP_URL: must be an smtp:\/\/ or smtps:\/\/ URL/),
      expect.stringMatching(/^SMTP_FROM: must be an address/),
    ]);
    expect(problems.join("\n")).not.toContain("hunter2");
  });
});
