import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nextQuestionTime } from "../../src/exposure/weekly-question-time.ts";
import { API, client } from "../api/helpers.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { WebClient } from "../support/web.ts";

/** The tracker form as a browser sends it: every field, boxes only when ticked. */
const TRACKER_FORM = {
  questionEnabled: "on",
  questionDay: "3",
  questionHour: "9",
  timeZone: "America/Montreal",
  floor: "2",
  target: "4",
  ceilingRch: "12,5",
  distinctPeopleLimit: "20",
  pandemicMode: "on",
  weeklyIncidence: "150",
  testPositivity: "8",
  budget: "high_caution",
  acknowledgeWithStatus: "on",
  autoCosign: "on",
};

describe(`settings pages (${databaseLabel})`, () => {
  let t: TestApp;
  let bea: WebClient;
  let beaId: string;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    t = await buildTestApp();
    const { member } = await t.app.members.create({
      username: "bea",
      password: "bea-password-123",
    });
    beaId = member.id;
    api = client(t.app, await t.app.members.createToken("bea"));
    bea = await new WebClient(t.app.http).login("bea", "bea-password-123");
  });
  afterAll(async () => {
    await t?.close();
  });

  const trackerSettings = async () =>
    (await api({ method: "GET", url: `${API}/tracker/settings` })).json();

  it("lists every settings page, the authorized apps and the data export", async () => {
    const page = await bea.get("/settings");
    expect(page.statusCode).toBe(200);
    expect(page.headers["cache-control"]).toBe("private, no-store");
    for (const href of [
      "/settings/profile",
      "/settings/preferences",
      "/settings/tracker",
      "/settings/linked",
      "/settings/password",
      "/settings/sessions",
      "/settings/email",
      "/settings/apps",
      "/settings/delete",
      "/tracker/export.json",
      "/tracker/export.csv",
    ]) {
      expect(page.body).toContain(`href="${href}"`);
    }
    expect(page.body).toContain("Supprimer mon compte");
    const anonymous = await new WebClient(t.app.http).get("/settings/tracker");
    expect(anonymous.statusCode).toBe(302);
    expect(anonymous.headers.location).toBe("/login?next=%2Fsettings%2Ftracker");
  });

  it("refuses each settings form without its CSRF token", async () => {
    for (const url of [
      "/settings/tracker",
      "/settings/preferences",
      "/settings/linked",
      "/settings/linked/unlink",
    ]) {
      const response = await bea.post(url, { language: "en" }, { withoutToken: true });
      expect(response.statusCode, url).toBe(403);
    }
    expect((await t.app.members.findById(beaId))?.language).toBe("fr");
  });

  it("changes the tracker settings the API reads back, and when the question is asked", async () => {
    const before = await bea.get("/settings/tracker");
    expect(before.body).toContain('<option value="0" selected>dimanche</option>');
    expect(before.body).toContain('value="Europe/Paris"');
    expect(before.body).toMatch(/Prochaine question : dimanche \d+ \S+ à 18:00\./);
    expect(before.body).toContain("L&#39;instance n&#39;indique pas d&#39;incidence");

    // Wednesday 4 March 2026, 09:01 in Montreal (UTC−5): under the defaults (Sunday, 18:00,
    // Paris), nobody is due yet.
    const wednesday0901 = new Date("2026-03-04T14:01:00Z");
    const asked = async () =>
      (
        await t.app.database.rows<{ n: number }>(
          sql`select count(*)::int as n from weekly_questions where member_id = ${beaId}`,
        )
      )[0]?.n;
    await t.app.weeklyQuestions.askDue(wednesday0901);
    expect(await asked()).toBe(0);

    const saved = await bea.post("/settings/tracker", TRACKER_FORM);
    expect(saved.statusCode, saved.body).toBe(303);
    expect(saved.headers.location).toBe("/settings/tracker?saved=1");
    expect(await trackerSettings()).toMatchObject({
      questionEnabled: true,
      questionDay: 3,
      questionHour: 9,
      timeZone: "America/Montreal",
      floor: 2,
      target: 4,
      ceilingRch: 12.5,
      distinctPeopleLimit: 20,
      pandemicMode: true,
      weeklyIncidence: 150,
      testPositivity: 0.08,
      budget: "high_caution",
      acknowledgeWithStatus: true,
    });
    expect(await t.app.notifications.settings("bea")).toEqual({ autoCosignFromFollowed: true });

    // The scheduler's own computation: now due on Wednesday at 09:00 in Montreal.
    const at = nextQuestionTime(new Date("2026-03-02T12:00:00Z"), "America/Montreal", 3, 9);
    expect(at.toISOString()).toBe("2026-03-04T14:00:00.000Z");
    await t.app.weeklyQuestions.askDue(new Date("2026-03-04T13:59:00Z"));
    expect(await asked()).toBe(0);
    await t.app.weeklyQuestions.askDue(wednesday0901);
    expect(await asked()).toBe(1);

    const after = await bea.get("/settings/tracker?saved=1");
    expect(after.body).toContain('<p role="status" class="notice">Réglages enregistrés.</p>');
    expect(after.body).toContain('<option value="3" selected>mercredi</option>');
    expect(after.body).toContain('<option value="9" selected>9 h</option>');
    expect(after.body).toMatch(/Prochaine question : mercredi \d+ \S+ à 09:00\./);
    expect(after.body).toContain('name="testPositivity" type="number"');
    expect(after.body).toMatch(/name="testPositivity"[^>]*value="8"/);
    expect(after.body).toMatch(/name="autoCosign" value="on" checked/);

    // Boxes left unticked turn things off.
    const off = await bea.post("/settings/tracker", {
      ...TRACKER_FORM,
      pandemicMode: [],
      autoCosign: [],
      weeklyIncidence: "",
    });
    expect(off.statusCode).toBe(303);
    expect(await trackerSettings()).toMatchObject({ pandemicMode: false, weeklyIncidence: null });
    expect(await t.app.notifications.settings("bea")).toEqual({ autoCosignFromFollowed: false });
  });

  it("refuses bad tracker settings with the error next to each field, keeping what was typed", async () => {
    const stored = await trackerSettings();
    const bad = await bea.post("/settings/tracker", {
      ...TRACKER_FORM,
      floor: "deux",
      ceilingRch: "0",
      timeZone: "Mars/Olympus",
      testPositivity: "150",
      budget: "none",
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain(
      '<p class="field-error" id="floor-error">Un nombre entier de 0 à 100.</p>',
    );
    expect(bad.body).toMatch(/id="ceilingRch-error">Un nombre de 0,1 à 1\s000\.<\/p>/);
    expect(bad.body).toContain(
      'id="timeZone-error">Un fuseau horaire IANA, par exemple Europe/Paris.</p>',
    );
    expect(bad.body).toContain('id="testPositivity-error">Un nombre de 0 à 100.</p>');
    expect(bad.body).toContain('id="budget-error">');
    expect(bad.body).toMatch(
      /name="timeZone"[^>]*value="Mars\/Olympus" aria-invalid="true" aria-describedby="timeZone-error"/,
    );
    expect(bad.body).toMatch(/name="floor"[^>]*value="deux"/);
    // The target below the floor: the service's rule, shown next to the target.
    const below = await bea.post("/settings/tracker", { ...TRACKER_FORM, floor: "5", target: "2" });
    expect(below.statusCode).toBe(422);
    expect(below.body).toContain(
      'id="target-error">La cible doit être au moins égale au plancher.</p>',
    );
    expect(await trackerSettings()).toEqual(stored);
  });

  it("keeps the language chosen in the preferences, for the pages when the browser chose none", async () => {
    const page = await bea.get("/settings/preferences");
    expect(page.body).toContain('<option value="fr" lang="fr" selected>Français</option>');
    const bad = await bea.post("/settings/preferences", { language: "de" });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('id="language-error">Choisis une des langues proposées.</p>');
    const saved = await bea.post("/settings/preferences", { language: "en" });
    expect(saved.statusCode).toBe(303);
    expect(saved.headers["set-cookie"]).toContain("sdp_lang=en");
    expect((await t.app.members.findById(beaId))?.language).toBe("en");
    // Another browser, with no language cookie and no language of its own: English pages
    // (a browser that names French or English keeps its choice, src/web/web-kit.ts).
    const other = await new WebClient(t.app.http).login("bea", "bea-password-123");
    expect((await other.get("/tracker")).body).toContain("<h1>My week</h1>");
    await bea.post("/settings/preferences", { language: "fr" });
    expect((await t.app.members.findById(beaId))?.language).toBe("fr");
  });

  it("refuses a linked account it cannot read, next to the field", async () => {
    const short = await bea.post("/settings/linked", { account: "x" });
    expect(short.statusCode).toBe(422);
    expect(short.body).toContain('id="account-error">Écris @nom@serveur');
    const local = await bea.post("/settings/linked", { account: `${t.baseUrl}/users/bea` });
    expect(local.statusCode).toBe(422);
    expect(local.body).toContain("this one is already yours");
    expect(local.body).toMatch(
      /name="account"[^>]*value="http[^"]+\/users\/bea" aria-invalid="true"/,
    );
    expect((await trackerSettings()).linkedAccountIri).toBeNull();
    const page = await bea.get("/settings/linked");
    expect(page.body).toContain("Aucun compte relié.");
    expect(page.body).not.toContain('action="/settings/linked/unlink"');
  });

  it("never shows the private tracker settings on the public profile or the actor", async () => {
    const profile = await new WebClient(t.app.http).get("/@bea");
    expect(profile.statusCode).toBe(200);
    const actor = await t.app.http.inject({
      method: "GET",
      url: "/users/bea",
      headers: { accept: "application/activity+json" },
    });
    for (const body of [profile.body, actor.body]) {
      for (const secret of ["America/Montreal", "12.5", "12,5", "high_caution", "150"]) {
        expect(body).not.toContain(secret);
      }
    }
  });
});
