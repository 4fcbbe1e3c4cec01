import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.ts";
import { follows } from "../../src/db/schema.ts";
import type { EncounterView } from "../../src/encounters/encounters-repository.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { WebClient } from "../support/web.ts";

const PASSWORD = (name: string) => `${name}-password-123`;

/**
 * The reading pages of one instance: who reads which encounter (the one rule, with the
 * viewer), the member's home and own list, notifications, and the forms' CSRF guard.
 */
describe(`reading pages (${databaseLabel})`, () => {
  let t: TestApp;
  let app: App;
  let visitor: WebClient;
  let bea: WebClient;
  let antoine: WebClient;
  let chloe: WebClient;
  let dan: WebClient;
  const made: Record<string, EncounterView> = {};

  const path = (view: EncounterView) => new URL(view.url as string).pathname;

  /** `follower` follows `followed`, accepted (written directly: no federation here). */
  async function follow(follower: string, followed: string) {
    const actorOf = async (name: string) => (await app.members.requireByUsername(name)).actor;
    await app.database.db.insert(follows).values({
      id: randomUUID(),
      followerId: (await actorOf(follower)).id,
      followingId: (await actorOf(followed)).id,
      state: "accepted",
      activityIri: `${t.baseUrl}/activities/follow/${randomUUID()}`,
    });
  }

  beforeAll(async () => {
    t = await buildTestApp();
    app = t.app;
    for (const name of ["bea", "antoine", "chloe", "dan"]) {
      await app.members.create({ username: name, password: PASSWORD(name) });
    }
    // chloe follows bea; antoine is named; dan is a stranger to all of it.
    await follow("chloe", "bea");
    const antoineIri = app.urls.actor("antoine").href;
    const cases = [
      ["pub", "public", "Au marché avec Antoine"],
      ["followers", "followers", "Pour mes abonné·es seulement"],
      ["participants", "participants", "Entre Antoine et moi"],
      ["private", "private", "Note privée de mon suivi"],
    ] as const;
    for (const [key, visibility, text] of cases) {
      made[key] = await app.encounters.create("bea", {
        text,
        visibility,
        participants: visibility === "private" ? ["Marie"] : [antoineIri],
      });
    }
    visitor = new WebClient(app.http);
    bea = await new WebClient(app.http).login("bea", PASSWORD("bea"));
    antoine = await new WebClient(app.http).login("antoine", PASSWORD("antoine"));
    chloe = await new WebClient(app.http).login("chloe", PASSWORD("chloe"));
    dan = await new WebClient(app.http).login("dan", PASSWORD("dan"));
  });
  afterAll(() => t.close());

  it("shows a followers-only encounter to a follower and the named, the same 404 as a missing one to anyone else", async () => {
    const view = made.followers as EncounterView;
    for (const reader of [bea, chloe, antoine]) {
      const page = await reader.get(path(view));
      expect(page.statusCode, page.body.slice(0, 200)).toBe(200);
      expect(page.body).toContain("Pour mes abonné·es seulement");
      expect(page.body).toContain('<meta name="robots" content="noindex">');
    }
    const missing = await dan.get(`/@bea/${randomUUID()}`);
    expect(missing.statusCode).toBe(404);
    for (const stranger of [dan, visitor]) {
      const page = await stranger.get(path(view));
      expect(page.statusCode).toBe(404);
      expect(page.body).not.toContain("abonné·es seulement");
      // Nothing tells a hidden encounter from a missing one but the viewer's own header.
      const main = (html: string) => html.slice(html.indexOf("<main>"));
      expect(main(page.body)).toBe(main(missing.body));
    }
  });

  it("shows a participants-only encounter to the named member only, and a private one to its author only", async () => {
    const participants = made.participants as EncounterView;
    expect((await antoine.get(path(participants))).statusCode).toBe(200);
    expect((await bea.get(path(participants))).statusCode).toBe(200);
    for (const other of [chloe, dan, visitor]) {
      expect((await other.get(path(participants))).statusCode).toBe(404);
    }
    const tracker = made.private as EncounterView;
    const own = await bea.get(`/@bea/${tracker.id}`);
    expect(own.statusCode).toBe(200);
    for (const other of [antoine, chloe, dan, visitor]) {
      expect((await other.get(`/@bea/${tracker.id}`)).statusCode).toBe(404);
    }
  });

  it("gives the named member co-sign and decline buttons, the author edit and delete links", async () => {
    const pub = made.pub as EncounterView;
    const named = (await antoine.get(path(pub))).body;
    expect(named).toContain(`action="/encounters/${pub.id}/cosign"`);
    expect(named).toContain(`action="/encounters/${pub.id}/decline"`);
    expect(named).toContain(`action="/encounters/${pub.id}/like"`);
    expect(named).not.toContain(`/@bea/${pub.id}/edit`);
    const author = (await bea.get(path(pub))).body;
    expect(author).toContain(`href="/@bea/${pub.id}/edit"`);
    expect(author).toContain(`href="/@bea/${pub.id}/delete"`);
    expect(author).not.toContain(`/encounters/${pub.id}/cosign`);
    // A visitor reads it without any form.
    expect((await visitor.get(path(pub))).body).not.toContain(`/encounters/${pub.id}/`);
    // A followers-only encounter cannot be co-signed (it would reach other followers): decline only.
    const followersOnly = (await antoine.get(path(made.followers as EncounterView))).body;
    expect(followersOnly).not.toContain("/cosign");
    expect(followersOnly).toContain("/decline");
  });

  it("co-signs, likes and unlikes from the page, and goes back to it", async () => {
    const pub = made.pub as EncounterView;
    const cosigned = await antoine.post(`/encounters/${pub.id}/cosign`, { back: path(pub) });
    expect(cosigned.statusCode).toBe(303);
    expect(cosigned.headers.location).toBe(path(pub));
    const after = await app.encounterRepository.findById(pub.id);
    expect(after?.participants[0]?.cosignState).toBe("cosigned");
    expect((await antoine.get(path(pub))).body).toContain("Retirer ma co-signature");

    expect((await chloe.post(`/encounters/${pub.id}/like`, { back: "/home" })).statusCode).toBe(
      303,
    );
    expect((await app.encounterRepository.findById(pub.id))?.likesCount).toBe(1);
    expect((await chloe.get(path(pub))).body).toContain(`action="/encounters/${pub.id}/unlike"`);
    await chloe.post(`/encounters/${pub.id}/unlike`, {});
    expect((await app.encounterRepository.findById(pub.id))?.likesCount).toBe(0);
    // An encounter the member may not read is a 404, whatever the action.
    const hidden = await dan.post(`/encounters/${(made.participants as EncounterView).id}/like`);
    expect(hidden.statusCode).toBe(404);
  });

  it("lists the home of a member: what they follow and what names them, not the rest", async () => {
    const home = (await chloe.get("/home")).body;
    expect(home).toContain("<h1>Accueil</h1>");
    expect(home).toContain("Au marché avec Antoine");
    expect(home).toContain("Pour mes abonné·es seulement");
    expect(home).not.toContain("Entre Antoine et moi");
    expect(home).not.toContain("Note privée");
    const named = (await antoine.get("/home")).body;
    expect(named).toContain("Entre Antoine et moi");
    expect((await dan.get("/home")).body).not.toContain("Au marché");
    // Logged out, the log-in form, which comes back here.
    const out = await visitor.get("/home");
    expect(out.statusCode).toBe(302);
    expect(out.headers.location).toBe("/login?next=%2Fhome");
  });

  it("pages the home with ?before= and refuses a malformed one", async () => {
    const before = (made.participants as EncounterView).publishedAt.toISOString();
    const older = (await bea.get(`/home?before=${encodeURIComponent(before)}`)).body;
    expect(older).toContain("Pour mes abonné·es seulement");
    expect(older).not.toContain("Entre Antoine et moi");
    expect((await bea.get("/home?before=yesterday")).statusCode).toBe(400);
  });

  it("gives a logged-in reader the actions on the #Socialdapres page too", async () => {
    const pub = made.pub as EncounterView;
    const logged = (await dan.get("/tags/socialdapres")).body;
    expect(logged).toContain("Au marché avec Antoine");
    expect(logged).toContain(`action="/encounters/${pub.id}/like"`);
    expect((await visitor.get("/tags/socialdapres")).body).not.toContain("/encounters/");
  });

  it("lists every encounter of mine, whatever its visibility, to me only", async () => {
    const mine = (await bea.get("/encounters")).body;
    for (const text of ["Au marché", "abonné·es seulement", "Entre Antoine", "Note privée"]) {
      expect(mine).toContain(text);
    }
    expect(mine).toContain("Privée (ton suivi seulement)");
    // Another member's /encounters is their own: bea's private one never shows there.
    expect((await antoine.get("/encounters")).body).not.toContain("Note privée");
  });

  it("lists notifications with a one-click co-sign, and marks them read once seen", async () => {
    const view = await app.encounters.create("bea", {
      text: "Un café avec Dan",
      participants: [app.urls.actor("dan").href],
    });
    expect(
      await app.notifications.unreadCount((await app.members.requireByUsername("dan")).member.id),
    ).toBe(1);
    const first = await dan.get("/notifications");
    expect(first.body).toContain("t&#39;a nommé·e dans une rencontre");
    expect(first.body).toContain(`action="/encounters/${view.id}/cosign"`);
    // The header counts what is left unread: nothing, now that the page showed it.
    expect(first.body).not.toMatch(/<span class="badge">/);
    expect(first.body).toContain('<li class="notification unread">');
    const danId = (await app.members.requireByUsername("dan")).member.id;
    expect(await app.notifications.unreadCount(danId)).toBe(0);
    // Read, yet the request to co-sign keeps its buttons until answered.
    const again = (await dan.get("/notifications")).body;
    expect(again).not.toContain("notification unread");
    expect(again).toContain(`action="/encounters/${view.id}/decline"`);
    const declined = await dan.post(`/encounters/${view.id}/decline`, { back: "/notifications" });
    expect(declined.headers.location).toBe("/notifications");
    const participant = (await app.encounterRepository.findById(view.id))?.participants[0];
    expect(participant?.cosignState).toBe("declined");
    expect((await dan.get("/notifications")).body).toContain("Tu as décliné.");
  });

  it("shows the weekly question with a link to answer it", async () => {
    const { member } = await app.members.requireByUsername("chloe");
    await app.notifications.notifyWeeklyQuestion(member.id);
    const page = (await chloe.get("/notifications")).body;
    expect(page).toContain("La question de la semaine");
    expect(page).toContain('href="/tracker#question"');
  });

  it("shows a visitor the handle to copy and the remote-follow form, a member the follow button", async () => {
    const profile = (await visitor.get("/@bea")).body;
    expect(profile).toMatch(
      /<input id="handle" type="text" readonly value="@bea@[^"]+" data-copy="Copier"/,
    );
    expect(profile).toContain('action="/@bea/remote_follow"');
    const asDan = (await dan.get("/@bea")).body;
    expect(asDan).toContain('action="/follow"');
    expect(asDan).not.toContain("remote_follow");
    expect((await chloe.get("/@bea")).body).toContain('action="/unfollow"');
    expect((await bea.get("/@bea")).body).toContain("C&#39;est ton profil.");
  });

  it("refuses every form of these pages without its CSRF token (403)", async () => {
    const id = (made.pub as EncounterView).id;
    const iri = app.urls.actor("bea").href;
    const forms: Array<[string, Record<string, string>]> = [
      [`/encounters/${id}/cosign`, {}],
      [`/encounters/${id}/decline`, {}],
      [`/encounters/${id}/like`, {}],
      [`/encounters/${id}/unlike`, {}],
      ["/follow", { iri }],
      ["/unfollow", { iri }],
      ["/followers/remove", { iri }],
      ["/follow_requests/approve", { iri }],
      ["/follow_requests/reject", { iri }],
      ["/@bea/remote_follow", { handle: "@someone@social.example" }],
    ];
    for (const [url, fields] of forms) {
      const response = await dan.post(url, fields, { withoutToken: true });
      expect(response.statusCode, url).toBe(403);
    }
  });

  it("shows nothing of the private tracker on these pages", async () => {
    await app.privateFields.setPrivateFields("bea", (made.pub as EncounterView).id, {
      othersPresent: 7,
      setting: "indoors",
      durationMinutes: 95,
      satisfying: true,
    });
    for (const url of ["/home", "/encounters", path(made.pub as EncounterView), "/notifications"]) {
      const html = (await bea.get(url)).body;
      expect(html, url).not.toMatch(/othersPresent|durationMinutes|indoors|95 min|satisfying/i);
    }
  });
});
