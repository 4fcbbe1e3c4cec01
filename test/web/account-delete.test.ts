import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { WebClient } from "../support/web.ts";

/* /settings/delete: what it says, what it asks, and what it refuses. */
describe(`the account deletion page (${databaseLabel})`, () => {
  let instance: TestApp;
  let app: App;

  beforeAll(async () => {
    // Two failed checks per address, then it waits: the page's guesses are log-in guesses.
    instance = await buildTestApp({ loginThrottle: { maxFailuresPerAddress: 2 } });
    app = instance.app;
    for (const username of ["bea", "carl", "dora"]) {
      await app.members.create({ username, password: `${username}-password-123` });
    }
  });
  afterAll(() => instance?.close());

  it("is linked from the settings, says what happens in « tu » French, and links the exports", async () => {
    const bea = await new WebClient(app.http).login("bea", "bea-password-123");
    expect((await bea.get("/settings")).body).toContain('href="/settings/delete"');
    const page = await bea.get("/settings/delete");
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("Ton nom reste réservé");
    expect(page.body).toContain('href="/tracker/export.json"');
    expect(page.body).toContain('name="_csrf"');
    expect(page.body).toContain('autocomplete="current-password"');
    expect(page.body).not.toMatch(/\bvous\b/i);
    await bea.get("/language/en?next=%2Fsettings%2Fdelete");
    const english = await bea.get("/settings/delete");
    expect(english.body).toContain("Your name stays reserved");
  });

  it("asks a visitor to log in first", async () => {
    const response = await new WebClient(app.http).get("/settings/delete");
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe("/login?next=%2Fsettings%2Fdelete");
  });

  it("refuses a form without its CSRF token (403), deleting nothing", async () => {
    const carl = await new WebClient(app.http).login("carl", "carl-password-123");
    const response = await carl.post(
      "/settings/delete",
      { current: "carl-password-123", confirm: "on" },
      { withoutToken: true },
    );
    expect(response.statusCode).toBe(403);
    expect((await app.members.findByUsername("carl"))?.deletedAt).toBeNull();
  });

  it("wants the box ticked, then the right password (422 next to the field), counted as a log-in", async () => {
    const carl = await new WebClient(app.http, {}, { remoteAddress: "203.0.113.9" }).login(
      "carl",
      "carl-password-123",
    );
    const unticked = await carl.post("/settings/delete", { current: "carl-password-123" });
    expect(unticked.statusCode).toBe(422);
    expect(unticked.body).toMatch(/class="field-error" id="confirm-error"/);
    const wrong = await carl.post("/settings/delete", { current: "not-his", confirm: "on" });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.body).toContain('id="current-password-error"');
    expect(wrong.body).toContain("Ce n&#39;est pas ton mot de passe actuel.");
    await carl.post("/settings/delete", { current: "still-not-his", confirm: "on" });
    // The address used up its failed log-ins: even the right password waits now.
    const waiting = await carl.post("/settings/delete", {
      current: "carl-password-123",
      confirm: "on",
    });
    expect(waiting.statusCode).toBe(429);
    expect((await app.members.findByUsername("carl"))?.deletedAt).toBeNull();
  });

  it("deletes the account, logs the member out and says goodbye; the session is gone", async () => {
    const dora = await new WebClient(app.http, {}, { remoteAddress: "198.51.100.4" }).login(
      "dora",
      "dora-password-123",
    );
    const response = await dora.post("/settings/delete", {
      current: "dora-password-123",
      confirm: "on",
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain("Au revoir");
    expect(response.headers["cache-control"]).toContain("no-store");
    expect((await app.members.findByUsername("dora"))?.deletedAt).toBeInstanceOf(Date);
    // Logged out: the settings ask for a log-in, which fails.
    expect((await dora.get("/settings")).statusCode).toBe(302);
    const login = await new WebClient(app.http, {}, { remoteAddress: "198.51.100.5" }).post(
      "/login",
      { username: "dora", password: "dora-password-123" },
    );
    expect(login.statusCode).toBe(401);
  });
});
