import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { members } from "../../src/db/schema.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { capturingLogger } from "../support/captured-logs.ts";
import { databaseLabel } from "../support/database.ts";
import { type LoopbackSmtp, linkIn, startLoopbackSmtp } from "../support/smtp.ts";
import { WebClient } from "../support/web.ts";

/*
 * A forgotten password by e-mail, through the pages and a real SMTP server on loopback:
 * the same answer whoever asks, one mail to a confirmed address, a link that works once and
 * for an hour, limits per client address and per account, and nothing secret in the log.
 */

const BEA = { username: "bea", password: "bea-password-123", email: "bea@example.org" };

describe(`Forgotten password by e-mail (${databaseLabel})`, () => {
  let t: TestApp;
  let smtp: LoopbackSmtp;
  let logs: string[];
  let nextAddress = 1;
  /** A browser from its own address: the per-address limit of one test does not touch others. */
  const browser = () =>
    new WebClient(t.app.http, {}, { remoteAddress: `192.0.2.${nextAddress++}` });

  const setEmail = async (username: string, email: string | null, verified: boolean) => {
    await t.app.database.db
      .update(members)
      .set({ email, emailVerifiedAt: verified ? new Date() : null })
      .where(eq(members.username, username));
  };

  /** Asks for a link as `who`, waits for the mailer, returns the mails that arrived. */
  const ask = async (identifier: string, client = browser()) => {
    const before = smtp.mails.length;
    const response = await client.post("/password/forgot", { identifier });
    await t.app.mailer.settle();
    return { response, mails: smtp.mails.slice(before) };
  };

  beforeAll(async () => {
    smtp = await startLoopbackSmtp();
    const captured = capturingLogger("trace");
    logs = captured.logs;
    t = await buildTestApp({
      logLevel: "trace",
      logger: captured.logger,
      mail: { smtpUrl: smtp.url, from: "Socialdapres test <no-reply@localhost>" },
    });
    await t.app.members.create(BEA);
    await setEmail("bea", BEA.email, true);
    await t.app.members.create({ username: "carl", password: "carl-password-123" });
    await t.app.members.create({ username: "dora", password: "dora-password-123" });
    await setEmail("dora", "dora@example.org", false);
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it("links the log-in page to the forgotten password page", async () => {
    const page = await browser().get("/login");
    expect(page.body).toContain('<a href="/password/forgot">Mot de passe oublié ?</a>');
    const forgot = await browser().get("/password/forgot");
    expect(forgot.statusCode).toBe(200);
    expect(forgot.body).toContain('name="identifier"');
    expect(forgot.body).not.toContain("npm run cli");
  });

  it("mails a link that sets a new password once, ends every other session and logs in", async () => {
    const elsewhere = await browser().login(BEA.username, BEA.password);
    const { response, mails } = await ask("Bea");
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain("Si un compte correspond, un e-mail est parti.");
    expect(mails).toHaveLength(1);
    const mail = mails[0];
    expect(mail?.to).toEqual([BEA.email]);
    expect(mail?.from).toMatch(/^"?Socialdapres test"? <no-reply@localhost>$/);
    expect(mail?.subject).toBe("Réinitialise ton mot de passe sur Socialdapres test");
    expect(mail?.text).toContain("Bonjour bea,");
    const link = linkIn(mail, "/password/reset/");
    expect(link.startsWith(`${t.baseUrl}/password/reset/`)).toBe(true);
    const token = link.split("/").at(-1) as string;
    // 256 random bits; only the digest is stored.
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = await t.app.database.rows<{ token_hash: string }>(
      sql`select token_hash from account_tokens`,
    );
    expect(stored.map((row) => row.token_hash)).not.toContain(token);

    const path = new URL(link).pathname;
    const reader = browser();
    const form = await reader.get(path);
    expect(form.statusCode).toBe(200);
    expect(form.headers["referrer-policy"]).toBe("no-referrer");
    expect(form.body).toContain("@bea");

    // Two different passwords: the form again, the link still good.
    const mismatch = await reader.post(path, { password: "new-password-456", confirm: "other" });
    expect(mismatch.statusCode).toBe(422);
    expect(mismatch.body).toContain('id="confirm-password-error"');
    const short = await reader.post(path, { password: "short", confirm: "short" });
    expect(short.statusCode).toBe(422);
    expect(short.body).toContain('id="new-password-error"');

    const done = await reader.post(path, {
      password: "new-password-456",
      confirm: "new-password-456",
    });
    expect(done.statusCode, done.body).toBe(303);
    expect(done.headers.location).toBe("/settings/sessions?done=reset");
    // Logged in here, with a new session.
    const sessions = await reader.get("/settings/sessions?done=reset");
    expect(sessions.statusCode).toBe(200);
    expect(sessions.body).toContain("Ton mot de passe est changé");
    // The session opened before is over.
    const before = await elsewhere.get("/settings/sessions");
    expect(before.statusCode).toBe(302);
    expect(before.headers.location).toMatch(/^\/login/);
    // The new password works, the old one no longer.
    await browser().login(BEA.username, "new-password-456");
    const old = await browser().post("/login", { username: "bea", password: BEA.password });
    expect(old.statusCode).toBe(401);

    // Once only.
    const again = await browser().get(path);
    expect(again.statusCode).toBe(410);
    expect(again.body).toContain("Ce lien ne marche plus");
    const replay = await browser().post(path, {
      password: "third-password-789",
      confirm: "third-password-789",
    });
    expect(replay.statusCode).toBe(410);
    await browser().login(BEA.username, "new-password-456");
  });

  it("refuses an expired link, and one a newer link replaced", async () => {
    const first = linkIn((await ask("bea@example.org")).mails[0], "/password/reset/");
    const second = linkIn((await ask("bea")).mails[0], "/password/reset/");
    // The newer link replaced the first.
    expect((await browser().get(new URL(first).pathname)).statusCode).toBe(410);
    expect((await browser().get(new URL(second).pathname)).statusCode).toBe(200);
    // An hour later, the second is dead too.
    await t.app.database.rows(
      sql`update account_tokens set expires_at = now() - interval '1 second'`,
    );
    const expired = await browser().post(new URL(second).pathname, {
      password: "expired-password-1",
      confirm: "expired-password-1",
    });
    expect(expired.statusCode).toBe(410);
    await browser().login(BEA.username, "new-password-456");
  });

  it("gives the same answer, and sends nothing, for an unknown account or an unconfirmed address", async () => {
    const known = await ask("carl"); // no address at all
    const unknown = await ask("nobody");
    const unknownAddress = await ask("nobody@example.org");
    const unconfirmed = await ask("dora");
    const unconfirmedAddress = await ask("dora@example.org");
    for (const { response, mails } of [
      known,
      unknown,
      unknownAddress,
      unconfirmed,
      unconfirmedAddress,
    ]) {
      expect(response.statusCode).toBe(200);
      expect(mails).toEqual([]);
    }
    const strip = (body: string) => body.replace(/name="_csrf" value="[^"]+"/g, "");
    const answers = new Set(
      [known, unknown, unknownAddress, unconfirmed, unconfirmedAddress].map((a) =>
        strip(a.response.body),
      ),
    );
    expect(answers.size).toBe(1);
  });

  it("sends at most three links an hour to one account, whoever asks, with the same answer", async () => {
    await t.app.members.create({ username: "emma", password: "emma-password-123" });
    await setEmail("emma", "emma@example.org", true);
    const sent: number[] = [];
    for (const identifier of ["emma", "EMMA@example.org", "@emma", "emma"]) {
      const { response, mails } = await ask(identifier);
      expect(response.statusCode).toBe(200);
      sent.push(mails.length);
    }
    expect(sent).toEqual([1, 1, 1, 0]);
  });

  it("limits the requests of one client address", async () => {
    const client = browser();
    for (let i = 0; i < 10; i++) {
      expect((await client.post("/password/forgot", { identifier: `nobody${i}` })).statusCode).toBe(
        200,
      );
    }
    const refused = await client.post("/password/forgot", { identifier: "nobody" });
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    expect(refused.body).toContain("Trop de demandes");
    // Another address is not held.
    expect((await browser().post("/password/forgot", { identifier: "nobody" })).statusCode).toBe(
      200,
    );
  });

  it("says what to fix when nothing is typed", async () => {
    const response = await browser().post("/password/forgot", { identifier: "  " });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('id="identifier-error"');
  });

  it("refuses the forms without a CSRF token", async () => {
    await t.app.members.create({ username: "gus", password: "gus-password-123" });
    await setEmail("gus", "gus@example.org", true);
    const link = linkIn((await ask("gus")).mails[0], "/password/reset/");
    const client = browser();
    await client.get("/login");
    for (const [path, fields] of [
      ["/password/forgot", { identifier: "bea" }],
      [new URL(link).pathname, { password: "csrf-password-1", confirm: "csrf-password-1" }],
    ] as const) {
      const response = await client.post(path, fields, { withoutToken: true });
      expect(response.statusCode, path).toBe(403);
    }
    // The link was not used.
    expect((await browser().get(new URL(link).pathname)).statusCode).toBe(200);
  });

  it("writes no link, token or address in the log", async () => {
    const log = logs.join("");
    expect(log).toContain('"mail":"password_reset"');
    expect(log).toContain("/password/reset/[redacted]");
    for (const mail of smtp.mails) {
      const token = linkIn(mail, "/password/reset/").split("/").at(-1) as string;
      expect(log).not.toContain(token);
    }
    for (const address of [BEA.email, "emma@example.org", "dora@example.org", "gus@example.org"]) {
      expect(log.toLowerCase()).not.toContain(address);
    }
  });
});

describe(`Forgotten password without e-mail (${databaseLabel})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
    await t.app.members.create(BEA);
  });
  afterAll(() => t?.close());

  it("says to ask an admin, who runs the CLI", async () => {
    const client = new WebClient(t.app.http);
    const page = await client.get("/password/forgot");
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("Cette instance n&#39;envoie pas d&#39;e-mails");
    expect(page.body).toContain("npm run cli -- user password ton-nom");
    expect(page.body).not.toContain('name="identifier"');
    const english = await client.get("/password/forgot", { "accept-language": "en" });
    expect(english.body).toContain("npm run cli -- user password");
    // A form posted anyway gets the same advice, and no token is made.
    const posted = await client.post("/password/forgot", { identifier: "bea" });
    expect(posted.statusCode).toBe(200);
    expect(posted.body).toContain("npm run cli -- user password ton-nom");
    const tokens = await t.app.database.rows<{ n: number }>(
      sql`select count(*)::int as n from account_tokens`,
    );
    expect(tokens[0]?.n).toBe(0);
  });
});
