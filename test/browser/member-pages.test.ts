import { randomUUID } from "node:crypto";
import type { Browser, BrowserContext } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, expect, it } from "vitest";
import { follows } from "../../src/db/schema.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { checkPage, checkPages, ERROR_STATUS } from "./gates.ts";
import {
  beaEncounterWithPhoto,
  describeInBrowser,
  launchBrowser,
  logInThroughForm,
  NARROW,
  newVisitor,
  remoteActor,
  testPhoto,
  type WatchedPage,
  watch,
} from "./support.ts";

/**
 * Every page a member, an admin and the error pages show, each through the quality gates
 * (test/browser/gates.ts), with data on them: encounters with photos, a co-sign request, a
 * follow request, a pending application, the tracker answered. One browser, one instance.
 */

const BEA = { username: "bea", password: "bea-password-123" };
const ANTOINE = { username: "antoine", password: "antoine-password-1" };

const zoe = remoteActor("zoe", "remote.example", "Zoé Lambert");

describeInBrowser(`Member, admin and error pages in a real browser (${databaseLabel})`, () => {
  let t: TestApp;
  let browser: Browser;
  let bea: WatchedPage;
  let ownPath: string;
  let namedPath: string;
  let deletedPath: string;
  const photoPath = `${process.env.TMPDIR ?? "/tmp"}/socialdapres-member-pages-${process.pid}.jpg`;
  const contexts: BrowserContext[] = [];

  async function loggedIn(who: { username: string; password: string }, next = "/home") {
    const context = await newVisitor(browser, t.baseUrl);
    contexts.push(context);
    const watched = await watch(context);
    await logInThroughForm(watched.page, who.username, who.password, next);
    return watched;
  }

  beforeAll(async () => {
    [t, browser] = await Promise.all([buildTestApp({ listen: true }), launchBrowser()]);
    const { app } = t;
    await app.members.create({ ...BEA, displayName: "Béa Martin" });
    await app.members.create({ ...ANTOINE, displayName: "Antoine" });
    await app.roles.setRole("bea", "admin");
    // bea approves her followers by hand: zoé's follow waits for her.
    await app.profiles.update("bea", { manuallyApprovesFollowers: true });
    await app.follows.receiveFollow({
      follower: zoe,
      username: "bea",
      activityIri: "https://remote.example/follows/1",
    });
    const photo = await testPhoto();
    await sharp(photo).toFile(photoPath);
    const own = await beaEncounterWithPhoto(app, photo);
    ownPath = own.path;
    // Pictures in lists: antoine (with an avatar) follows bea and answers her encounter.
    await app.profiles.update("bea", {}, { avatar: photo, header: photo });
    await app.profiles.update("antoine", {}, { avatar: photo });
    const actorOf = async (name: string) => (await app.members.requireByUsername(name)).actor;
    await app.database.db.insert(follows).values({
      id: randomUUID(),
      followerId: (await actorOf("antoine")).id,
      followingId: (await actorOf("bea")).id,
      state: "accepted",
      activityIri: `${t.baseUrl}/activities/follow/${randomUUID()}`,
    });
    await app.replies.reply("antoine", own.id, { text: "Quel bon moment au marché !" });
    // antoine names bea: a co-sign request in her notifications, the actions on its page.
    const named = await app.encounters.create(
      "antoine",
      {
        text: "Balade au jardin partagé avec @bea #Socialdapres",
        participants: ["@bea"],
        photoAlt: "Un carré de tomates",
      },
      photo,
    );
    namedPath = `/@antoine/${named.id}`;
    const gone = await app.encounters.create("bea", {
      text: "Une rencontre effacée ensuite",
      participants: ["@antoine"],
    });
    await app.encounters.delete("bea", gone.id);
    deletedPath = `/@bea/${gone.id}`;
    // A pending application, for the admin's list.
    await app.instanceProfile.update({
      ...(await app.instanceProfile.get()),
      registrationMode: "request",
    });
    await app.registrations.join(
      {
        username: "camille",
        password: "camille-password-1",
        passwordConfirm: "camille-password-1",
        charter: "on",
        reason: "J'ai rencontré Béa au marché.",
      },
      { language: "fr" },
    );
    await app.invitations.create(null, { maxUses: 5, expiresAt: null, note: "Marché" });
    bea = await loggedIn(BEA);
  });

  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    await browser?.close();
    await t?.close();
  });

  it("the reading pages: home, own encounters, an encounter with its reply form and actions, notifications, search, follows", async () => {
    await checkPages(bea, [
      ["member-home", "/home"],
      ["member-encounters", "/encounters"],
      ["encounter-own", ownPath],
      ["encounter-named", namedPath],
      ["notifications", "/notifications"],
      ["search", "/search?q=%40antoine"],
      ["following", "/following"],
      ["followers", "/followers"],
      ["follow-requests", "/follow_requests"],
    ]);
    const { page } = bea;
    // The co-sign request and the follow request wait on their pages.
    await page.goto("/notifications");
    expect(await page.locator(`main form[action$="/cosign"]`).count()).toBeGreaterThan(0);
    await page.goto("/follow_requests");
    expect(await page.getByText("Zoé Lambert").count()).toBeGreaterThan(0);
    await page.goto(namedPath);
    expect(await page.locator("main textarea#f-reply").count()).toBe(1);
  });

  it("compose, empty and re-rendered with its errors and the photo kept; edit; delete", async () => {
    const { page } = bea;
    await checkPages(bea, [
      ["compose", "/compose"],
      ["compose-edit", `${ownPath}/edit`],
      ["compose-delete", `${ownPath}/delete`],
    ]);
    await page.goto("/compose");
    await page.locator('input[name="participants"]').first().fill("@personne");
    await page.locator("#f-text").fill("Un pique-nique avec quelqu'un d'inconnu ici");
    await page.locator("#f-photo").setInputFiles(photoPath);
    await page.locator("#f-photoAlt").fill("Une nappe à carreaux");
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith("/compose") && r.request().method() === "POST"),
      page.locator('main form.compose button[type="submit"]').click(),
    ]);
    expect(response.status()).toBe(422);
    await page.waitForLoadState();
    // The photo is kept (its thumbnail and its upload), the text too.
    expect(await page.locator('main input[name="upload"]').count()).toBe(1);
    expect(await page.locator("#f-text").inputValue()).toContain("pique-nique");
    await checkPage(bea, "compose-errors", { expectedConsole: [ERROR_STATUS(422)] });
  });

  it("the tracker with data and after answering, and every settings page", async () => {
    const { page } = bea;
    await checkPages(bea, [
      ["tracker", "/tracker"],
      ["settings", "/settings"],
      ["settings-profile", "/settings/profile"],
      ["settings-tracker", "/settings/tracker"],
      ["settings-linked", "/settings/linked"],
      ["settings-preferences", "/settings/preferences"],
      ["settings-password", "/settings/password"],
      ["settings-sessions", "/settings/sessions"],
      ["settings-email", "/settings/email"],
      ["settings-apps", "/settings/apps"],
    ]);
    await page.goto("/tracker");
    const form = page.locator("form#question");
    await form.getByLabel("Oui").check();
    await form.getByRole("spinbutton").fill("2");
    await Promise.all([
      page.waitForURL((url) => url.search === "?answered=1"),
      form.getByRole("button").click(),
    ]);
    await checkPage(bea, "tracker-answered");
  });

  it("the admin pages, with a pending application and an invitation", async () => {
    await checkPages(bea, [
      ["admin", "/admin"],
      ["admin-instance", "/admin/instance"],
      ["admin-applications", "/admin/applications"],
      ["admin-invitations", "/admin/invitations"],
      ["admin-members", "/admin/members"],
    ]);
    await bea.page.goto("/admin/applications");
    expect(await bea.page.getByText("camille").count()).toBeGreaterThan(0);
  });

  it("every image has its width and height, and those below the fold load lazily", async () => {
    const { page } = bea;
    await page.setViewportSize(NARROW);
    const seen = new Set<string>();
    const faults: string[] = [];
    for (const path of [
      "/home",
      "/encounters",
      ownPath,
      "/@bea",
      "/followers",
      "/settings/profile",
      `${ownPath}/edit`,
    ]) {
      await page.goto(path);
      for (const img of await page.locator("main img").all()) {
        const [cls, width, height, loading, box] = await Promise.all([
          img.getAttribute("class"),
          img.getAttribute("width"),
          img.getAttribute("height"),
          img.getAttribute("loading"),
          img.boundingBox(),
        ]);
        seen.add(cls ?? "");
        const where = `${path} <img class="${cls}">`;
        if (!width || !height) faults.push(`${where} has no width or height`);
        // Nothing is wider than the phone's window.
        if (box && box.x + box.width > NARROW.width) faults.push(`${where} is too wide`);
        if (box && box.y >= NARROW.height && loading !== "lazy") {
          faults.push(`${where} is below the fold but not lazy`);
        }
      }
    }
    expect(faults).toEqual([]);
    // The kinds of pictures the pages show were all there to be checked.
    expect([...seen].sort()).toEqual(
      expect.arrayContaining([
        "u-photo",
        "u-photo reply-avatar",
        "profile-header",
        "u-photo avatar",
        "avatar-preview",
        "header-preview",
        "compose-thumbnail",
      ]),
    );
  });

  it("the 403, 404 and 410 pages", async () => {
    const antoine = await loggedIn(ANTOINE);
    for (const [name, path, status] of [
      ["forbidden", "/admin", 403],
      ["not-found-member", "/@bea/00000000-0000-4000-8000-000000000000", 404],
      ["gone", deletedPath, 410],
    ] as const) {
      const response = await antoine.page.goto(path);
      expect(response?.status(), path).toBe(status);
      await checkPage(antoine, name, { expectedConsole: [ERROR_STATUS(status)] });
    }
  });
});
