import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildInstancePair, PAIR_PASSWORDS, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { drainQueue } from "../support/queue.ts";
import { checkPage } from "./gates.ts";
import {
  describeInBrowser,
  launchBrowser,
  logInThroughForm,
  newVisitor,
  type WatchedPage,
  watch,
} from "./support.ts";

/**
 * The whole path of a new member, across two instances, in a real browser: apply to join A →
 * bea, an admin of A, approves → the new member posts an encounter with a photo naming
 * antoine, a member of B → antoine co-signs it from his notifications on B and answers it →
 * the co-signature and the reply reach A → her week on the dashboard → the settings change
 * the weekly question's day. Every page on the way goes through the gates.
 */
describeInBrowser(`The full path of a new member (${databaseLabel})`, () => {
  let a: TestApp;
  let b: TestApp;
  let browser: Browser;
  const photoPath = join(tmpdir(), `socialdapres-full-path-${process.pid}.jpg`);

  /** A new browser profile on `instance`, with one watched tab. */
  async function browse(instance: TestApp): Promise<WatchedPage> {
    return watch(await newVisitor(browser, instance.baseUrl));
  }

  beforeAll(async () => {
    [[a, b], browser] = await Promise.all([buildInstancePair(), launchBrowser()]);
    await sharp({ create: { width: 640, height: 480, channels: 3, background: "#4a7" } })
      .jpeg()
      .toFile(photoPath);
    // bea runs community A, which one joins on request.
    await a.app.roles.setRole("bea", "admin");
    await a.app.instanceProfile.update({
      ...(await a.app.instanceProfile.get()),
      registrationMode: "request",
      charter: "Chaque rencontre racontée l'est avec l'accord de l'autre.",
    });
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([a?.close(), b?.close()]);
    rmSync(photoPath, { force: true });
  });

  it("apply → approved → post with a photo → co-signed and answered from B → the week → the settings", async () => {
    // 1. A visitor applies to join A.
    const chloe = await browse(a);
    await chloe.page.goto("/");
    await chloe.page.getByRole("link", { name: "Rejoindre" }).first().click();
    await chloe.page.waitForURL("**/join");
    await checkPage(chloe, "path-join");
    const form = chloe.page.locator("main form");
    await form.getByLabel("Nom d'utilisateur·ice").fill("chloe");
    await form.getByLabel("Mot de passe", { exact: true }).fill("chloe-password-123");
    await form.getByLabel("Mot de passe, une seconde fois").fill("chloe-password-123");
    await form
      .getByLabel("Pourquoi veux-tu rejoindre la communauté ?")
      .fill("J'aime les rencontres.");
    await form.getByLabel(/J'ai lu la charte/).check();
    await form.getByRole("button", { name: "Envoyer ma demande" }).click();
    const statusLink = chloe.page.locator("a.status-link");
    await statusLink.waitFor();
    await checkPage(chloe, "path-join-sent");
    const statusUrl = (await statusLink.getAttribute("href")) as string;

    // 2. bea approves the application from the admin pages.
    const bea = await browse(a);
    await logInThroughForm(bea.page, "bea", PAIR_PASSWORDS.bea, "/admin/applications");
    await checkPage(bea, "path-admin-applications");
    await bea.page.getByRole("button", { name: "Accepter" }).click();
    await bea.page.getByText("@chloe est maintenant membre.").waitFor();
    await checkPage(bea, "path-admin-approved");
    await chloe.page.goto(statusUrl);
    await chloe.page.getByText(/Ta demande a été acceptée/).waitFor();

    // 3. chloe logs in and posts an encounter with a photo, naming antoine on B.
    await logInThroughForm(chloe.page, "chloe", "chloe-password-123", "/compose");
    await checkPage(chloe, "path-compose");
    const handle = `@antoine@${new URL(b.baseUrl).host}`;
    await chloe.page.getByLabel("Personne 1", { exact: true }).fill(handle);
    await chloe.page.getByLabel("Ce que tu veux en dire").fill("Un café au marché, à refaire.");
    await chloe.page.getByLabel("Photo souvenir (facultative)").setInputFiles(photoPath);
    await chloe.page.getByLabel("Description de la photo").fill("Deux tasses sur une table");
    await Promise.all([
      chloe.page.waitForURL(/\/@chloe\/[0-9a-f-]{36}$/),
      chloe.page.getByRole("button", { name: "Publier" }).click(),
    ]);
    await checkPage(chloe, "path-encounter-posted");
    expect(await chloe.page.locator("main img[alt='Deux tasses sur une table']").count()).toBe(1);
    await drainQueue(a.app, b.app);

    // 4. antoine, named, co-signs it from his notifications on B, then answers it.
    const antoine = await browse(b);
    await logInThroughForm(antoine.page, "antoine", PAIR_PASSWORDS.antoine, "/notifications");
    await checkPage(antoine, "path-notifications");
    const named = antoine.page.locator("main li", { hasText: "Un café au marché" }).first();
    await named.getByRole("button", { name: "Co-signer" }).click();
    await antoine.page.waitForLoadState();
    await antoine.page
      .locator("main li", { hasText: "Un café au marché" })
      .first()
      .getByRole("link", { name: "Voir la rencontre" })
      .click();
    await antoine.page.waitForURL(/\/encounters\/[0-9a-f-]{36}/);
    await checkPage(antoine, "path-remote-encounter");
    await antoine.page.getByLabel("Ta réponse").fill("Quel bon moment !");
    await Promise.all([
      antoine.page.waitForURL(/#reply-/),
      antoine.page.getByRole("button", { name: "Répondre" }).click(),
    ]);
    await drainQueue(a.app, b.app);

    // 5. On A: the co-signature and the reply arrived; chloe is told of the reply.
    await chloe.page.reload();
    expect(await chloe.page.getByText("Quel bon moment !").count()).toBe(1);
    expect(await chloe.page.locator("main").textContent()).toContain("Co-signé par");
    await chloe.page.getByRole("link", { name: /Notifications/ }).click();
    await chloe.page.waitForURL("**/notifications");
    expect(await chloe.page.locator("main").textContent()).toContain("Quel bon moment !");
    await checkPage(chloe, "path-notifications-reply");

    // 6. Her week, then the settings: the weekly question moves to Wednesday.
    await chloe.page.getByRole("link", { name: "Ma semaine" }).click();
    await chloe.page.waitForURL("**/tracker");
    await checkPage(chloe, "path-tracker");
    await chloe.page.goto("/settings/tracker");
    await checkPage(chloe, "path-settings-tracker");
    await chloe.page.getByLabel("Jour", { exact: true }).selectOption({ label: "mercredi" });
    await chloe.page.getByRole("button", { name: "Enregistrer" }).first().click();
    await chloe.page.getByText("Réglages enregistrés.").waitFor();
    const member = await a.app.members.findByUsername("chloe");
    expect((await a.app.trackerSettings.get(member?.id as string)).questionDay).toBe(3);
  }, 180_000);
});
