import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Moderator } from "../../src/moderation/audit-log.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { checkPage, checkPages, ERROR_STATUS } from "./gates.ts";
import {
  describeInBrowser,
  launchBrowser,
  logInThroughForm,
  newVisitor,
  remoteActor as remote,
  type WatchedPage,
  watch,
} from "./support.ts";

/**
 * The moderation pages (the moderators' queue, a report, domains, an account, the audit log)
 * in French and in English, and what members see of moderation (the report form, blocks,
 * export, import, move, Block/Mute/Report on a profile, "I don't want to be in this", a
 * warning, a moved profile, a suspended member's log-in), each through the quality gates
 * (test/browser/gates.ts) with data on it. One browser, one instance.
 */

const BEA = { username: "bea", password: "bea-password-123" };
const ANTOINE = { username: "antoine", password: "antoine-password-1" };
const CARL = { username: "carl", password: "carl-password-12" };
const ELI = { username: "eli", password: "eli-password-123" };
const DORA = { username: "dora", password: "dora-password-12" };

const zoe = remote("zoe", "remote.example", "Zoé Lambert");
const yann = remote("yann", "bavard.example", "Yann, le très long nom qui ne finit jamais");

describeInBrowser(`Moderation pages in a real browser (${databaseLabel})`, () => {
  let t: TestApp;
  let browser: Browser;
  let bea: WatchedPage;
  let beaEnglish: WatchedPage;
  let antoine: WatchedPage;
  let namedPath: string;
  let reportIds: string[];
  let reportForms: Array<readonly [string, string]>;
  const contexts: BrowserContext[] = [];

  async function visitor(locale?: string) {
    const context = await newVisitor(browser, t.baseUrl, { locale });
    contexts.push(context);
    return watch(context);
  }

  async function loggedIn(who: { username: string; password: string }, locale?: string) {
    const watched = await visitor(locale);
    await logInThroughForm(watched.page, who.username, who.password, "/home");
    return watched;
  }

  beforeAll(async () => {
    [t, browser] = await Promise.all([buildTestApp({ listen: true }), launchBrowser()]);
    const { app } = t;
    for (const [who, displayName] of [
      [BEA, "Béa Martin"],
      [ANTOINE, "Antoine"],
      [CARL, "Carl"],
      [ELI, "Éli"],
    ] as const) {
      await app.members.create({ ...who, displayName });
    }
    await app.members.create(DORA);
    await app.members.create({ username: "dorabis", password: "dorabis-password-1" });
    await app.roles.setRole("bea", "admin");
    const mod: Moderator = {
      memberId: (await app.members.requireByUsername("bea")).member.id,
      via: "web",
    };
    const zoeRow = await app.actors.upsertRemote(zoe);
    await app.actors.upsertRemote(yann);
    const antoineId = (await app.members.requireByUsername("antoine")).actor.id;

    // Reports: an encounter refused by the person it names, a reply, a remote account, and
    // a Flag from another server about antoine.
    const refused = await app.encounters.create("antoine", {
      text: "Pique-nique au parc avec @bea, sans lui demander",
      participants: ["@bea"],
    });
    await app.reports.refuseNaming("bea", refused.id);
    const named = await app.encounters.create("antoine", {
      text: "Concert au kiosque avec @bea #Socialdapres",
      participants: ["@bea"],
    });
    namedPath = `/@antoine/${named.id}`;
    const own = await app.encounters.create("bea", {
      text: "Un café avec @carl au marché",
      participants: ["@carl"],
    });
    const carlReply = await app.replies.reply("carl", own.id, {
      text: "Achetez mes montres pas chères sur https://spam.example/montres",
    });
    await app.reports.file("bea", {
      replyId: carlReply.id,
      category: "spam",
      comment: "De la publicité sous chacune de mes rencontres.",
    });
    await app.reports.file("bea", {
      accountId: zoeRow.id,
      category: "abuse",
      comment: "Des messages insultants, trois jours de suite.",
    });
    await app.reports.receiveFlag({
      reporter: remote("mod", "remote.example", "Modération"),
      objectIris: [app.urls.actor("antoine").href],
      content: "Ce compte envoie des messages non sollicités à nos membres.",
      activityIri: "https://remote.example/flags/1",
    });
    const reports = await app.reports.list({ all: true, limit: 10 });
    reportIds = reports.map((r) => r.id);
    await app.reports.resolve(reportIds.at(-1) ?? "", {
      moderatorId: mod.memberId,
      via: "web",
      note: "Averti par message.",
    });
    reportForms = [
      ["report-encounter", `/report?encounter=${named.id}`],
      ["report-reply", `/report?reply=${carlReply.id}`],
      ["report-remote-account", `/report?account=${zoeRow.id}`],
      ["report-account", `/report?account=${antoineId}`],
    ];

    // Domains, accounts, members: the audit log fills up.
    await app.domainPolicies.set(
      {
        host: "spam.example",
        severity: "block",
        publicReason: "Publicité de masse",
        privateComment: "Signalé trois fois en une semaine",
      },
      mod,
    );
    await app.domainPolicies.set({ host: "bavard.example", severity: "limit" }, mod);
    await app.domainPolicies.setPublished(true, mod);
    await app.remoteAccounts.act("zoe@remote.example", "silence", "Insultes répétées", mod);
    await app.memberActions.act("antoine", "warn", "Merci de demander avant de nommer.", mod);
    await app.memberActions.act("carl", "freeze", "Publicité sous les rencontres.", mod);
    await app.memberActions.act("eli", "suspend", "Harcèlement d'autres membres.", mod);

    // bea's own lists: blocked, muted, a blocked domain, an archive, an import, an alias.
    await app.blocks.block("bea", zoeRow.id);
    await app.blocks.mute("bea", (await app.members.requireByUsername("carl")).actor.id);
    await app.blocks.blockDomain("bea", "bruyant.example");
    await app.accountExports.request("bea");
    await app.accountExports.runPending();
    await app.followImports.importCsv(
      "bea",
      "Account address,Show boosts\nzoe@remote.example,true\npas une adresse,true\n",
    );
    // dora moved to dorabis, on this same instance.
    await app.accountMoves.setAliases("dorabis", [app.urls.actor("dora").href]);
    await app.accountMoves.moveTo("dora", app.urls.actor("dorabis").href);

    [bea, beaEnglish, antoine] = await Promise.all([
      loggedIn(BEA),
      loggedIn(BEA, "en-GB"),
      loggedIn(ANTOINE),
    ]);
  });

  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    await browser?.close();
    await t?.close();
  });

  const adminPages = (): Array<readonly [string, string]> => [
    ["admin-reports", "/admin/reports"],
    ["admin-reports-all", "/admin/reports?all=1"],
    ...reportIds.map((id, i) => [`admin-report-${i}`, `/admin/reports/${id}`] as const),
    ["admin-domains", "/admin/domains"],
    ["admin-account-local", "/admin/accounts/antoine"],
    ["admin-account-frozen", "/admin/accounts/carl"],
    ["admin-account-suspended", "/admin/accounts/eli"],
    ["admin-account-remote", "/admin/accounts/zoe@remote.example"],
    ["admin-audit", "/admin/audit"],
  ];

  it("the moderators' pages in French, with open and resolved reports, policies and actions", async () => {
    await checkPages(bea, adminPages());
    await bea.page.goto("/admin/reports?all=1");
    expect(await bea.page.locator("main").textContent()).toContain("Pique-nique au parc");
    await bea.page.goto("/admin/audit");
    expect(await bea.page.locator("main").textContent()).toContain("spam.example");
  });

  it("the moderators' pages in English", async () => {
    await checkPages(
      beaEnglish,
      adminPages().map(([name, path]) => [`${name}-en`, path] as const),
    );
    expect(await beaEnglish.page.locator("html").getAttribute("lang")).toBe("en");
  });

  it("the report form for an encounter, a reply and accounts here and elsewhere", async () => {
    await checkPages(bea, reportForms);
    await checkPages(
      beaEnglish,
      reportForms.slice(0, 1).map(([name, path]) => [`${name}-en`, path] as const),
    );
    // Elsewhere: "tell its server" is offered; here it is not.
    await bea.page.goto(reportForms[2]?.[1] ?? "");
    expect(await bea.page.locator('main input[name="forward"]').count()).toBe(1);
  });

  it("a member's blocks, export, import and move, and the profile's and encounter's actions", async () => {
    await checkPages(bea, [
      ["settings-blocks", "/settings/blocks"],
      ["settings-export", "/settings/export"],
      ["settings-import", "/settings/import"],
      ["settings-move", "/settings/move"],
      ["profile-actions", "/@antoine"],
      ["encounter-unwanted", namedPath],
    ]);
    const { page } = bea;
    await page.goto("/@antoine");
    expect(await page.locator('main form[action="/settings/blocks/account"]').count()).toBe(2);
    expect(await page.locator('main a[href^="/report?account="]').count()).toBe(1);
    await page.goto(namedPath);
    expect(await page.locator(`main form[action$="/unwanted"]`).count()).toBe(1);
    await checkPages(beaEnglish, [
      ["settings-blocks-en", "/settings/blocks"],
      ["encounter-unwanted-en", namedPath],
    ]);
  });

  it("a warning in the notifications, a moved profile, a suspended member's log-in", async () => {
    await checkPages(antoine, [
      ["notifications-warning", "/notifications"],
      ["profile-moved", "/@dora"],
    ]);
    expect(await antoine.page.locator("main").textContent()).toContain("a déménagé vers");
    await antoine.page.goto("/notifications");
    expect(await antoine.page.locator("main").textContent()).toContain(
      "Merci de demander avant de nommer.",
    );

    // The frozen member's notifications; the moved member's own move page.
    const [carl, dora] = await Promise.all([loggedIn(CARL), loggedIn(DORA)]);
    await checkPages(carl, [["notifications-frozen", "/notifications"]]);
    expect(await carl.page.locator("#moderation [role=alert]").count()).toBe(1);
    await checkPages(dora, [["settings-move-moved", "/settings/move"]]);
    expect(await dora.page.locator("main").textContent()).toContain("a déménagé vers");

    const eli = await visitor();
    await eli.page.goto("/login");
    const form = eli.page.locator('main form[action="/login"]');
    await form.locator('input[name="username"]').fill(ELI.username);
    await form.locator('input[name="password"]').fill(ELI.password);
    const [response] = await Promise.all([
      eli.page.waitForResponse(
        (r) => r.url().endsWith("/login") && r.request().method() === "POST",
      ),
      form.locator('button[type="submit"]').click(),
    ]);
    expect(response.status()).toBe(403);
    await eli.page.waitForLoadState();
    expect(await eli.page.locator("main").textContent()).toContain("Harcèlement d'autres membres.");
    await checkPage(eli, "login-suspended", { expectedConsole: [ERROR_STATUS(403)] });
  });
});
