import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEgress } from "../../src/egress/egress.ts";
import { createRemoteInteraction } from "../../src/federation/remote-interaction.ts";
import { buildInstancePair, PAIR_PASSWORDS, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { drainQueue } from "../support/queue.ts";
import { type SmallServer, startSmallServer } from "../support/small-server.ts";
import { WebClient } from "../support/web.ts";

/**
 * The reading pages between two instances on loopback, with real signed federation: bea on
 * A follows antoine on B from /search, reads his encounters at home, co-signs, declines,
 * likes and unlikes from her pages; chloe on A approves a follow request; a visitor of A
 * follows bea from their own server through the remote-follow form.
 */
describe(`reading pages across instances (${databaseLabel})`, () => {
  let a: TestApp;
  let b: TestApp;
  let bea: WebClient;
  let antoine: WebClient;
  let small: SmallServer;

  const drain = () => drainQueue(a.app, b.app);
  const beaIri = () => a.app.urls.actor("bea").href;
  const antoineIri = () => b.app.urls.actor("antoine").href;
  /** The id on A of an encounter written on B. */
  const storedOnA = async (iri: string) => {
    const stored = await a.app.encounterRepository.findByIri(iri);
    if (!stored) throw new Error(`A does not hold ${iri}`);
    return stored;
  };

  beforeAll(async () => {
    [a, b] = await buildInstancePair();
    small = await startSmallServer();
    bea = await new WebClient(a.app.http).login("bea", PAIR_PASSWORDS.bea);
    antoine = await new WebClient(b.app.http).login("antoine", PAIR_PASSWORDS.antoine);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close(), small?.close()]);
  });

  it("follows a remote account found from /search, reads its encounters at home, and unfollows it", async () => {
    const search = await bea.get(`/search?q=${encodeURIComponent(antoineIri())}`);
    expect(search.statusCode, search.body.slice(0, 300)).toBe(200);
    expect(search.body).toContain('action="/follow"');
    expect(search.body).toContain(`value="${antoineIri()}"`);
    const followed = await bea.post("/follow", { iri: antoineIri(), back: "/following" });
    expect(followed.statusCode).toBe(303);
    await drain();
    // The Follow reached B, which accepted: A knows it accepted.
    expect((await b.app.follows.followers("antoine", { limit: 10 })).items.length).toBe(1);
    const following = (await bea.get("/following")).body;
    expect(following).toContain(antoineIri());
    expect(following).toContain('action="/unfollow"');

    const view = await b.app.encounters.create("antoine", {
      text: "Randonnée avec Marie",
      participants: ["Marie"],
    });
    await drain();
    const stored = await storedOnA(view.iri);
    const home = (await bea.get("/home")).body;
    expect(home).toContain("Randonnée avec Marie");
    expect(home).toContain(`href="/encounters/${stored.id}"`);
    const page = await bea.get(`/encounters/${stored.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("Randonnée avec Marie");
    expect(page.body).toContain(`action="/encounters/${stored.id}/like"`);

    const unfollowed = await bea.post("/unfollow", { iri: antoineIri(), back: "/following" });
    expect(unfollowed.statusCode).toBe(303);
    await drain();
    // The Undo reached B.
    expect((await b.app.follows.followers("antoine", { limit: 10 })).items.length).toBe(0);
    expect((await bea.get("/following")).body).not.toContain(antoineIri());
  });

  it("co-signs a remote encounter naming her from /notifications in one click: the Announce reaches its author", async () => {
    const view = await b.app.encounters.create("antoine", {
      text: "Croisé Béa au marché",
      participants: [beaIri()],
    });
    await drain();
    const stored = await storedOnA(view.iri);
    const notifications = (await bea.get("/notifications")).body;
    expect(notifications).toContain("Croisé Béa au marché");
    expect(notifications).toContain(`action="/encounters/${stored.id}/cosign"`);
    const cosigned = await bea.post(`/encounters/${stored.id}/cosign`, { back: "/notifications" });
    expect(cosigned.statusCode).toBe(303);
    expect(cosigned.headers.location).toBe("/notifications");
    await drain();
    const onB = await b.app.encounterRepository.findById(view.id);
    expect(onB?.participants.find((p) => p.actor?.iri === beaIri())?.cosignState).toBe("cosigned");
  });

  it("declines one: nothing is announced, the author's server still waits", async () => {
    const view = await b.app.encounters.create("antoine", {
      text: "Pique-nique avec Béa",
      participants: [beaIri()],
    });
    await drain();
    const stored = await storedOnA(view.iri);
    expect((await bea.post(`/encounters/${stored.id}/decline`, {})).statusCode).toBe(303);
    await drain();
    const onA = await a.app.encounterRepository.findById(stored.id);
    expect(onA?.participants.find((p) => p.actor?.iri === beaIri())?.cosignState).toBe("declined");
    const onB = await b.app.encounterRepository.findById(view.id);
    expect(onB?.participants.find((p) => p.actor?.iri === beaIri())?.cosignState).toBe("pending");
  });

  it("likes and unlikes a remote encounter from its page: the Like and its Undo reach the author", async () => {
    const view = await b.app.encounters.create("antoine", {
      text: "Concert avec Béa",
      participants: [beaIri()],
    });
    await drain();
    const stored = await storedOnA(view.iri);
    const likes = async () => (await b.app.encounterRepository.findById(view.id))?.likesCount;
    expect((await bea.post(`/encounters/${stored.id}/like`, {})).statusCode).toBe(303);
    await drain();
    expect(await likes()).toBe(1);
    expect((await bea.get(`/encounters/${stored.id}`)).body).toContain(
      `action="/encounters/${stored.id}/unlike"`,
    );
    expect((await bea.post(`/encounters/${stored.id}/unlike`, {})).statusCode).toBe(303);
    await drain();
    expect(await likes()).toBe(0);
  });

  it("approves a follow request from /notifications when the member approves followers by hand", async () => {
    await a.app.members.create({
      username: "chloe",
      password: "chloe-password-1",
      manuallyApprovesFollowers: true,
    });
    const chloe = await new WebClient(a.app.http).login("chloe", "chloe-password-1");
    const chloeIri = a.app.urls.actor("chloe").href;
    await b.app.follows.followIri("antoine", chloeIri);
    await drain();
    const antoineOnB = (await b.app.members.requireByUsername("antoine")).actor;
    const chloeOnB = await b.app.actors.findByIri(chloeIri);
    const state = () => b.app.follows.stateBetween(antoineOnB.id, chloeOnB?.id ?? "");
    expect(await state()).toBe("pending");
    const page = (await chloe.get("/notifications")).body;
    expect(page).toContain("Demandes d&#39;abonnement (1)");
    expect(page).toContain('action="/follow_requests/approve"');
    const approved = await chloe.post("/follow_requests/approve", {
      iri: antoineIri(),
      back: "/notifications",
    });
    expect(approved.statusCode).toBe(303);
    await drain();
    // The Accept reached B.
    expect(await state()).toBe("accepted");
    expect((await chloe.get("/followers")).body).toContain(antoineIri());
  });

  it("sends a visitor to their own server's follow page, where they find the member to follow", async () => {
    const visitor = new WebClient(a.app.http);
    const handle = `@antoine@${new URL(b.baseUrl).host}`;
    const answer = await visitor.post("/@bea/remote_follow", { handle });
    expect(answer.statusCode, answer.body.slice(0, 400)).toBe(303);
    const target = new URL(answer.headers.location as string);
    expect(`${target.origin}${target.pathname}`).toBe(`${b.baseUrl}/authorize_interaction`);
    expect(target.searchParams.get("uri")).toBe(beaIri());
    // On B, logged in, antoine lands on the search with bea and her Follow button.
    const landed = await antoine.get(`${target.pathname}${target.search}`);
    expect(landed.statusCode).toBe(303);
    const found = await antoine.get(landed.headers.location as string);
    expect(found.statusCode).toBe(200);
    expect(found.body).toContain(`value="${beaIri()}"`);
    expect(found.body).toContain('action="/follow"');
  });

  it("says clearly when the visitor's server offers no follow page, or the address is malformed", async () => {
    const visitor = new WebClient(a.app.http);
    const host = new URL(small.origin).host;
    small.serve("/.well-known/webfinger", (response) => {
      response.writeHead(200, { "content-type": "application/jrd+json" }).end(
        JSON.stringify({
          subject: `acct:alice@${host}`,
          links: [{ rel: "self", type: "application/activity+json", href: small.actorIri }],
        }),
      );
    });
    const none = await visitor.post("/@bea/remote_follow", { handle: `@alice@${host}` });
    expect(none.statusCode).toBe(422);
    expect(none.body).toContain("ne propose pas de page pour suivre un compte d&#39;ailleurs");
    expect(none.body).toContain(`value="@alice@${host}"`);
    expect(none.body).toContain('aria-invalid="true"');
    for (const malformed of ["alice", "@alice@", "not an address", ""]) {
      const bad = await visitor.post("/@bea/remote_follow", { handle: malformed });
      expect(bad.statusCode, malformed).toBe(400);
      expect(bad.body).toContain("@nom@serveur.exemple");
    }
    // A server that does not know the account.
    const unknown = await visitor.post("/@bea/remote_follow", {
      handle: `@nobody@${new URL(b.baseUrl).host}`,
    });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.body).toContain("ne connaît pas ce compte");
  });

  it("never asks a private address outside local trials", async () => {
    const egress = createEgress({ allowPrivateAddress: false });
    const remote = createRemoteInteraction({
      fetch: (url, init) => egress.fetch(url, init),
      allowPlainHttp: false,
      userAgent: "test",
    });
    await expect(
      remote.interactionUrl(`@alice@${new URL(small.origin).host}`, beaIri()),
    ).rejects.toMatchObject({
      reason: "unreachable",
      message: expect.stringMatching(/private or local address/),
    });
    await egress.close();
  });
});
