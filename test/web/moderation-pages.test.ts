import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { noLeakOf, PRIVATE_FIELD_LEAKS, PRIVATE_FIELDS } from "../support/leaks.ts";
import { WebClient } from "../support/web.ts";

/*
 * The moderation pages: a member reports from an encounter, a reply or a profile; says "I don't
 * want to be in this" in one POST; blocks and mutes from a profile and /settings/blocks. The
 * moderators' queue and report page: 403 for members, CSRF on every form, no tracker field.
 */
describe(`moderation pages (${databaseLabel})`, () => {
  let t: TestApp;
  let app: App;
  let bea: WebClient;
  let carl: WebClient;
  let mo: WebClient;
  let encounterId: string;
  let carlId: string;
  const noLeak = noLeakOf(PRIVATE_FIELD_LEAKS);

  beforeAll(async () => {
    t = await buildTestApp();
    app = t.app;
    await app.members.create({ username: "bea", password: "bea-password-123" });
    await app.members.create({ username: "carl", password: "carl-password-12" });
    await app.members.create({ username: "mo", password: "mo-password-12", role: "moderator" });
    const beaIri = app.urls.actor("bea").href;
    const made = await app.encounters.create("carl", {
      text: "Au marché avec Béa",
      participants: [beaIri],
      visibility: "public",
    });
    encounterId = made.id;
    // carl's own tracker fields: never on a moderator's page.
    await app.privateFields.setPrivateFields("carl", made.id, PRIVATE_FIELDS);
    carlId = made.authorId;
    bea = await new WebClient(app.http).login("bea", "bea-password-123");
    carl = await new WebClient(app.http).login("carl", "carl-password-12");
    mo = await new WebClient(app.http).login("mo", "mo-password-12");
  });
  afterAll(() => t?.close());

  it("reports an encounter from its page, with clear refusals and CSRF", async () => {
    const page = await bea.get(`/@carl/${encounterId}`);
    expect(page.body).toContain(`href="/report?encounter=${encounterId}"`);
    expect(page.body).toContain(`action="/encounters/${encounterId}/unwanted"`);
    const form = await bea.get(`/report?encounter=${encounterId}`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain("@carl@");
    // carl is ours: no "forward to their server".
    expect(form.body).not.toContain('name="forward"');
    expect((await bea.get("/report?account=00000000-0000-4000-8000-000000000000")).statusCode).toBe(
      404,
    );
    const fields = { encounter: encounterId, category: "spam", comment: "Pub" };
    expect((await bea.post("/report", fields, { withoutToken: true })).statusCode).toBe(403);
    const bad = await bea.post("/report", { ...fields, category: "nonsense" });
    expect(bad.statusCode).toBe(400);
    const long = await bea.post("/report", { ...fields, comment: "x".repeat(1200) });
    expect(long.statusCode).toBe(400);
    expect(long.body).toContain("1000 characters at most");
    const sent = await bea.post("/report", fields);
    expect(sent.statusCode).toBe(200);
    expect((await app.reports.list({ limit: 10 })).map((r) => r.comment)).toEqual(["Pub"]);
  });

  it('"I don\'t want to be in this": one POST declines, hides and reports', async () => {
    expect(
      (await bea.post(`/encounters/${encounterId}/unwanted`, {}, { withoutToken: true }))
        .statusCode,
    ).toBe(403);
    const done = await bea.post(`/encounters/${encounterId}/unwanted`, { back: "/home" });
    expect(done.statusCode).toBe(200);
    const view = await app.encounterRepository.findById(encounterId);
    expect(view?.participants[0]).toMatchObject({ cosignState: "declined", hidden: true });
    expect((await app.reports.list({ limit: 10 })).map((r) => r.category)).toContain(
      "unwanted-naming",
    );
    expect((await bea.get("/home")).body).not.toContain("Au marché avec Béa");
    // Not named: nothing to refuse.
    expect((await mo.post(`/encounters/${encounterId}/unwanted`, {})).statusCode).toBe(404);
  });

  it("lets moderators read and resolve reports; members get 403", async () => {
    expect((await bea.get("/admin/reports")).statusCode).toBe(403);
    const queue = await mo.get("/admin/reports");
    expect(queue.statusCode).toBe(200);
    expect(queue.body).toContain("Au marché avec Béa");
    expect(queue.body).toContain('href="/admin/accounts/carl"');
    noLeak("/admin/reports", queue.body);
    const [report] = await app.reports.list({ limit: 1 });
    const id = report?.id ?? "";
    expect((await bea.get(`/admin/reports/${id}`)).statusCode).toBe(403);
    const page = await mo.get(`/admin/reports/${id}`);
    expect(page.statusCode).toBe(200);
    noLeak("a report's page", page.body);
    expect((await bea.post(`/admin/reports/${id}/resolve`, { note: "x" })).statusCode).toBe(403);
    expect(
      (await mo.post(`/admin/reports/${id}/resolve`, { note: "ok" }, { withoutToken: true }))
        .statusCode,
    ).toBe(403);
    expect(
      (await mo.post(`/admin/reports/${id}/resolve`, { note: "x".repeat(1500) })).statusCode,
    ).toBe(400);
    const resolved = await mo.post(`/admin/reports/${id}/resolve`, { note: "Averti" });
    expect(resolved.statusCode).toBe(200);
    expect(resolved.body).toContain("Averti");
    expect((await mo.post(`/admin/reports/${id}/resolve`, { note: "" })).statusCode).toBe(409);
    expect((await mo.get("/admin/reports/00000000-0000-4000-8000-000000000000")).statusCode).toBe(
      404,
    );
  });

  it("blocks and mutes from a profile and from /settings/blocks", async () => {
    const profile = await bea.get("/@carl");
    expect(profile.body).toContain('action="/settings/blocks/account"');
    expect(profile.body).toContain(`href="/report?account=${carlId}"`);
    const blocked = await bea.post("/settings/blocks/account", {
      account: carlId,
      action: "block",
      back: "/@carl",
    });
    expect(blocked.statusCode).toBe(303);
    const settings = await bea.get("/settings/blocks");
    expect(settings.body).toContain("@carl@");
    expect((await bea.get("/@carl")).body).toContain('value="unblock"');
    // carl cannot follow her now.
    await expect(app.follows.followIri("carl", app.urls.actor("bea").href)).rejects.toThrow(
      /blocks/,
    );
    expect(
      (await bea.post("/settings/blocks/account", { address: "@nobody", action: "mute" }))
        .statusCode,
    ).toBe(400);
    expect((await bea.post("/settings/blocks/account", { action: "mute" })).statusCode).toBe(400);
    const domain = await bea.post("/settings/blocks/domain", {
      domain: "Spam.Example",
      action: "block",
    });
    expect(domain.statusCode).toBe(200);
    expect(domain.body).toContain("spam.example");
    expect(
      (await bea.post("/settings/blocks/domain", { domain: "not a domain", action: "block" }))
        .statusCode,
    ).toBe(400);
    expect(
      (
        await bea.post(
          "/settings/blocks/domain",
          { domain: "x.example", action: "block" },
          { withoutToken: true },
        )
      ).statusCode,
    ).toBe(403);
    await bea.post("/settings/blocks/account", { account: carlId, action: "unblock" });
    expect(await app.blocks.blocked("bea")).toEqual([]);
    // Nothing tells carl who reported him.
    expect((await carl.get("/notifications")).body).not.toContain("@bea@");
  });
});
