import { gzipSync } from "node:zlib";
import { eq, sql } from "drizzle-orm";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RegistrationMode } from "../../src/accounts/instance-profile-service.ts";
import { members } from "../../src/db/schema.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { type LoopbackSmtp, linkIn, startLoopbackSmtp } from "../support/smtp.ts";
import { checkPage, ERROR_STATUS } from "./gates.ts";
import type { PageElement } from "./in-page.ts";
import {
  beaEncounterWithPhoto,
  describeInBrowser,
  launchBrowser,
  logInThroughForm,
  newVisitor,
  testPhoto,
  type WatchedPage,
  watch,
} from "./support.ts";

/**
 * The pages as a browser sees them, visitor and member, each through the quality gates
 * (test/browser/gates.ts). One browser and one instance for the whole file; each test opens
 * its own context (its own cookies), so the tests do not depend on one another's order.
 */

const BEA = { username: "bea", password: "bea-password-123" };

describeInBrowser(`Pages in a real browser (${databaseLabel})`, () => {
  let t: TestApp;
  let smtp: LoopbackSmtp;
  let browser: Browser;
  let encounterPath: string;
  let authorizePath: string;
  const contexts: BrowserContext[] = [];

  /** A new browser profile (cookies of its own) with one watched tab. */
  async function visitor(locale?: string): Promise<WatchedPage> {
    const context = await newVisitor(browser, t.baseUrl, { locale });
    contexts.push(context);
    return watch(context);
  }

  async function member(): Promise<WatchedPage> {
    const watched = await visitor();
    await logInThroughForm(watched.page, BEA.username, BEA.password);
    return watched;
  }

  beforeAll(async () => {
    smtp = await startLoopbackSmtp();
    [t, browser] = await Promise.all([
      buildTestApp({
        listen: true,
        mail: { smtpUrl: smtp.url, from: "Socialdapres test <no-reply@localhost>" },
      }),
      launchBrowser(),
    ]);
    await t.app.members.create({ ...BEA, displayName: "Béa Martin" });
    // A checked address, for the forgotten-password link.
    await t.app.database.db
      .update(members)
      .set({ email: "bea@example.org", emailVerifiedAt: new Date() })
      .where(eq(members.username, BEA.username));
    await t.app.members.create({ username: "antoine", password: "antoine-password-1" });
    const photo = await testPhoto();
    encounterPath = (await beaEncounterWithPhoto(t.app, photo)).path;
    // An app as a Mastodon client registers it, for the consent page.
    const registered = await fetch(`${t.baseUrl}/api/v1/apps`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        client_name: "Carnet de test",
        redirect_uris: "urn:ietf:wg:oauth:2.0:oob",
        scopes: "read write",
      }),
    });
    const app = (await registered.json()) as { client_id: string };
    authorizePath = `/oauth/authorize?${new URLSearchParams({
      response_type: "code",
      client_id: app.client_id,
      redirect_uri: "urn:ietf:wg:oauth:2.0:oob",
      scope: "read",
    })}`;
  });

  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    await browser?.close();
    await t?.close();
    await smtp?.close();
  });

  it("the public pages pass the gates for a visitor", async () => {
    const w = await visitor();
    const { page } = w;
    for (const [name, path] of [
      ["home", "/"],
      ["tag", "/tags/socialdapres"],
      ["profile", "/@bea"],
      ["encounter", encounterPath],
      ["login", "/login"],
      ["authorize-login", authorizePath],
    ] as const) {
      const response = await page.goto(path);
      expect(response?.status(), path).toBe(200);
      await checkPage(w, name);
    }
    // The encounter's photo is shown with its description.
    await page.goto(encounterPath);
    await expect
      .poll(() => page.locator("main img").first().getAttribute("alt"))
      .toBe("Deux tasses sur une table du marché");
  });

  it("the sign-up page passes the gates in each registration mode, and so does an application's status", async () => {
    const w = await visitor();
    const { page } = w;
    const setMode = async (registrationMode: RegistrationMode) =>
      t.app.instanceProfile.update({ ...(await t.app.instanceProfile.get()), registrationMode });
    const { code } = await t.app.invitations.create(null, { maxUses: 1, expiresAt: null });
    try {
      for (const [mode, name, path, field] of [
        ["open", "join-open", "/join", "password"],
        ["request", "join-request", "/join", "reason"],
        ["invite", "join-invite-needed", "/join", undefined],
        ["invite", "join-invited", `/invite/${code}`, "password"],
        ["closed", "join-closed", "/join", undefined],
      ] as const) {
        await setMode(mode);
        const response = await page.goto(path);
        expect(response?.status(), name).toBe(200);
        // Each mode shows its own form (or none, with a page saying why).
        expect(await page.locator(`main form [name="${field ?? "username"}"]`).count(), name).toBe(
          field ? 1 : 0,
        );
        await checkPage(w, name);
      }
      await setMode("request");
      const applied = await t.app.registrations.join(
        {
          username: "camille",
          password: "camille-password-1",
          passwordConfirm: "camille-password-1",
          charter: "on",
          reason: "J'ai rencontré Béa au marché.",
        },
        { language: "fr" },
      );
      if (applied.kind !== "application") throw new Error("expected an application");
      expect((await page.goto(`/join/status/${applied.statusToken}`))?.status()).toBe(200);
      await checkPage(w, "join-status");
    } finally {
      await setMode("closed");
    }
  });

  it("the forgotten-password pages, the about page and the remote-follow form pass the gates", async () => {
    const w = await visitor();
    const { page } = w;
    for (const [name, path] of [
      ["about", "/about"],
      ["password-forgot", "/password/forgot"],
      ["remote-follow", "/@bea/remote_follow"],
    ] as const) {
      expect((await page.goto(path))?.status(), path).toBe(200);
      await checkPage(w, name);
    }
    // The profile offers the remote-follow form to a visitor.
    await page.goto("/@bea");
    expect(await page.locator('form[action="/@bea/remote_follow"]').count()).toBe(1);

    const before = smtp.mails.length;
    await page.goto("/password/forgot");
    await page.locator('main input[name="identifier"]').fill("bea");
    await Promise.all([
      page.waitForResponse((r) => r.url().endsWith("/password/forgot") && r.status() === 200),
      page.locator('main button[type="submit"]').click(),
    ]);
    await checkPage(w, "password-forgot-sent");
    await t.app.mailer.settle();
    const link = new URL(linkIn(smtp.mails[before], "/password/reset/"));
    expect((await page.goto(link.pathname))?.status()).toBe(200);
    await checkPage(w, "password-reset");
  });

  it("the header leads a visitor to the tag and the log-in, and switches to English and back", async () => {
    const w = await visitor();
    const { page } = w;
    await page.goto("/");
    const nav = page.getByRole("navigation");
    await Promise.all([
      page.waitForURL("**/tags/socialdapres"),
      nav.getByText("#Socialdapres").click(),
    ]);
    await expect.poll(() => page.locator("h1").textContent()).toContain("#Socialdapres");
    await Promise.all([
      page.waitForURL("**/login"),
      nav.getByRole("link", { name: "Se connecter" }).click(),
    ]);
    expect(await page.locator("html").getAttribute("lang")).toBe("fr");

    // « English »: the same page in English, and the choice kept on the next pages.
    // (The address stays the same: wait for the new document's language.)
    await nav.getByRole("link", { name: "English" }).click();
    await page.locator('html[lang="en"]').waitFor();
    expect(new URL(page.url()).pathname).toBe("/login");
    expect(await page.getByRole("button", { name: "Log in" }).count()).toBe(1);
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === "sdp_lang")?.value).toBe("en");
    await page.goto("/");
    expect(await page.locator("html").getAttribute("lang")).toBe("en");
    await checkPage(w, "home-en");
    await nav.getByRole("link", { name: "Français" }).click();
    await page.locator('html[lang="fr"]').waitFor();
    expect(new URL(page.url()).pathname).toBe("/");
  });

  it("an unknown address answers a 404 page in the page's language", async () => {
    const w = await visitor();
    const { page } = w;
    const response = await page.goto("/nulle-part");
    expect(response?.status()).toBe(404);
    expect(response?.headers()["content-type"]).toMatch(/^text\/html/);
    expect(await page.locator("html").getAttribute("lang")).toBe("fr");
    expect(await page.locator("h1").textContent()).toBe("Page introuvable");
    await checkPage(w, "not-found", { expectedConsole: [ERROR_STATUS(404)] });

    const english = await visitor("en-GB");
    await english.page.goto("/nowhere");
    expect(await english.page.locator("html").getAttribute("lang")).toBe("en");
    expect(await english.page.locator("h1").textContent()).toBe("Page not found");
  });

  it("a member logs in by typing, passes the gates on the member pages, and logs out from the header", async () => {
    const w = await member();
    const { page } = w;
    expect(new URL(page.url()).pathname).toBe("/tracker");
    await checkPage(w, "tracker");
    for (const [name, path] of [
      ["exposure", "/exposure"],
      ["settings-apps", "/settings/apps"],
      ["home-member", "/"],
      ["profile-member", "/@bea"],
      ["encounter-member", encounterPath],
      ["authorize-consent", authorizePath],
    ] as const) {
      const response = await page.goto(path);
      expect(response?.status(), path).toBe(200);
      await checkPage(w, name);
    }
    // The consent page's « Autoriser »: the code to copy into the app, on a page of its own.
    await Promise.all([
      page.waitForResponse((r) => r.url().endsWith("/oauth/authorize") && r.status() === 200),
      page.locator('main button[value="approve"]').click(),
    ]);
    await expect.poll(() => page.locator("main input[readonly]").inputValue()).not.toBe("");
    await checkPage(w, "authorize-code");

    const logOut = page.getByRole("navigation").getByRole("button", { name: "Se déconnecter" });
    await Promise.all([page.waitForURL((url) => url.pathname === "/"), logOut.click()]);
    expect(await page.getByRole("link", { name: "Se connecter" }).count()).toBe(1);
    // The session is gone: the dashboard asks for the log-in again.
    await page.goto("/tracker");
    expect(new URL(page.url()).pathname).toBe("/login");
  });

  it("the weekly question answered on the dashboard brings the member back to it", async () => {
    const { page } = await member();
    const form = page.locator("form#question");
    await form.getByLabel("Oui").check();
    await form.getByRole("spinbutton").fill("3");
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith("/tracker/checkin")),
      form.getByRole("button").click(),
    ]);
    expect(response.status()).toBe(303);
    expect(response.headers().location).toBe("/tracker?answered=1#question");
    const rows = await t.app.database.rows<{ answer: string; count: number; source: string }>(
      sql`select answer, count, source from weekly_checkins`,
    );
    expect(rows).toContainEqual({ answer: "yes", count: 3, source: "web" });
  });

  it("a form whose CSRF token was tampered with is refused with a page that says why", async () => {
    const w = await member();
    const { page } = w;
    await page.locator('form#question input[name="_csrf"]').evaluate((input) => {
      (input as unknown as PageElement).value = "forged-token";
    });
    await page.locator("form#question").getByLabel("Non").check();
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith("/tracker/checkin")),
      page.locator("form#question").getByRole("button").click(),
    ]);
    expect(response.status()).toBe(403);
    await expect.poll(() => page.locator("h1").textContent()).toBe("Formulaire expiré");
    await checkPage(w, "csrf-refused", { expectedConsole: [ERROR_STATUS(403)] });
    const rows = await t.app.database.rows(sql`select 1 from weekly_checkins where answer = 'no'`);
    expect(rows).toHaveLength(0);
  });

  it("answers with strict security headers, compressed HTML and a stylesheet cached for a year", async () => {
    const { page } = await visitor();
    const response = await page.goto("/");
    const headers = response?.headers() ?? {};
    const csp = headers["content-security-policy"] ?? "";
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
    expect(headers["x-content-type-options"]).toBe("nosniff");
    expect(headers["referrer-policy"]).toBe("same-origin");
    expect(headers["content-encoding"]).toMatch(/^(br|gzip)$/);

    // One small stylesheet: under 12 kB, under 4 kB compressed (7.3 kB and 2.3 kB today).
    expect(await page.locator('link[rel="stylesheet"]').count()).toBe(1);
    const href = await page.locator('link[rel="stylesheet"]').getAttribute("href");
    expect(href).toMatch(/^\/assets\/style-[\w-]+\.css$/);
    const css = await page.request.get(href as string);
    expect(css.headers()["cache-control"]).toContain("immutable");
    expect(css.headers()["cache-control"]).toContain("max-age=31536000");
    const bytes = await css.body();
    expect(bytes.length).toBeLessThan(12_000);
    expect(gzipSync(bytes, { level: 9 }).length).toBeLessThan(4_000);
  });
  it("the gates catch what they are there for, on a page with one fault of each kind", async () => {
    const w = await visitor();
    const { page } = w;
    // The instance's real policy on a page of faults served at its origin.
    const csp = (await page.request.get("/")).headers()["content-security-policy"] as string;
    await page.route("**/gate-probe.css", (route) =>
      route.fulfill({
        contentType: "text/css",
        body: "a:focus-visible { outline: none } .faint { color: #ddd } .narrow { table-layout: fixed; width: 6rem }",
      }),
    );
    await page.route("**/gate-probe", (route) =>
      route.fulfill({
        contentType: "text/html; charset=utf-8",
        headers: { "content-security-policy": csp },
        body: `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Sonde</title>
<link rel="stylesheet" href="/gate-probe.css"></head>
<body><main><p class="faint">Texte pâle</p><p><a href="/">Un lien</a></p>
<input type="text" name="nameless"><script>document.title = "inline";</script>
<pre>${"x".repeat(200)}</pre><table class="narrow"><tr><td>${"y".repeat(40)}</td></tr></table><p><div>un bloc dans un paragraphe</div></p></main></body></html>`,
      }),
    );
    await page.goto("/gate-probe");
    const failure = await checkPage(w, "gate-probe").then(
      () => "no failure",
      (error: Error) => error.message,
    );
    expect(failure).toContain("HTML is not valid");
    expect(failure).toMatch(/\[serious\] color-contrast/);
    expect(failure).toMatch(/\[critical\] label/);
    expect(failure).toContain(
      'fields without an accessible name:\n  - <input type="text" name="nameless">',
    );
    expect(failure).toContain('keyboard focus not visible:\n  - the focused link "Un lien"');
    expect(failure).toContain("horizontal scroll at 360 px");
    expect(failure).toContain("text running out of its table cell at 360 px:\n  - <td>");
    expect(failure).toMatch(/CSP violation: script-src(-elem)? blocked inline/);
  });
});
