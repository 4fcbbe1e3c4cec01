import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.ts";
import { follows } from "../../src/db/schema.ts";
import { CLI_MODERATOR } from "../../src/moderation/audit-log.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { remoteActorRecord } from "../support/remote-actor.ts";
import { insertRemoteEncounter } from "../support/remote-encounter.ts";
import { csrfTokenOf, WebClient } from "../support/web.ts";

const HTML = { accept: "text/html", "accept-language": "fr" };

/** The headers of an answer that do not change from one request to the next. */
const stableHeaders = (headers: Record<string, unknown>) => {
  const { date: _date, "set-cookie": _cookie, ...rest } = headers;
  return rest;
};

/**
 * The public pages a visitor gets are kept between requests (src/http/page-cache.ts) and never
 * stale: every change to what they show is there at the next request.
 */
describe(`the kept visitor pages (${databaseLabel})`, () => {
  let t: TestApp;
  let app: App;
  let encounterId: string;

  const visit = (url: string, headers: Record<string, string> = HTML) =>
    app.http.inject({ method: "GET", url, headers });
  /** Visits twice: the second answer comes from the cache (checked), and is the same page. */
  async function visitKept(url: string, headers: Record<string, string> = HTML) {
    const first = await visit(url, headers);
    const held = app.documentCache.size;
    const second = await visit(url, headers);
    expect(second.statusCode, url).toBe(first.statusCode);
    if (first.statusCode === 200) {
      expect(held, `${url} is kept`).toBeGreaterThan(0);
      expect(app.documentCache.size, `${url} served from the cache`).toBe(held);
      expect(second.body.replace(/name="_csrf" value="[^"]+"/g, "")).toBe(
        first.body.replace(/name="_csrf" value="[^"]+"/g, ""),
      );
    }
    return second;
  }

  beforeAll(async () => {
    t = await buildTestApp();
    app = t.app;
    for (const name of ["bea", "antoine"]) {
      await app.members.create({ username: name, password: `${name}-password-123` });
    }
    encounterId = (
      await app.encounters.create("bea", {
        text: "Café au marché #Socialdapres",
        participants: [app.urls.actor("antoine").href],
        keywords: ["marché"],
      })
    ).id;
  });
  afterAll(() => t?.close());

  it("serves a kept page with the same headers, and only to visitors of its language", async () => {
    const first = await visit("/tags/socialdapres");
    expect(first.statusCode).toBe(200);
    expect(first.headers["set-cookie"]).toBeUndefined();
    const before = app.documentCache.size;
    const second = await visit("/tags/socialdapres");
    expect(app.documentCache.size).toBe(before);
    expect(second.body).toBe(first.body);
    expect(stableHeaders(second.headers)).toEqual(stableHeaders(first.headers));
    expect(second.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(second.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(second.headers["content-language"]).toBe("fr");
    expect(second.headers.vary).toContain("Cookie");
    // Compressed per answer when asked: the kept bytes are the page itself.
    const br = await visit("/tags/socialdapres", { ...HTML, "accept-encoding": "br" });
    expect(br.headers["content-encoding"]).toBe("br");

    const english = await visitKept("/tags/socialdapres", { accept: "text/html" });
    expect(english.headers["content-language"]).toBe("fr"); // no preference: French
    const en = await visitKept("/tags/socialdapres", { ...HTML, "accept-language": "en" });
    expect(en.headers["content-language"]).toBe("en");
    expect(en.body).not.toBe(second.body);
    const chosen = await visitKept("/tags/socialdapres", { ...HTML, cookie: "sdp_lang=en" });
    expect(chosen.headers["content-language"]).toBe("en");
    // A HEAD is answered as before, without a body.
    const head = await app.http.inject({
      method: "HEAD",
      url: "/tags/socialdapres",
      headers: HTML,
    });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe("");

    // A query string the page does not read is answered, not kept.
    const kept = app.documentCache.size;
    for (const junk of ["?a=1", "?a=2", "?before=x&utm=1"]) {
      expect((await visit(`/tags/socialdapres${junk}`)).statusCode).toBeLessThan(500);
    }
    expect(app.documentCache.size).toBe(kept);
  });

  it("gives each visitor their own form token on a kept profile, and takes it", async () => {
    const one = new WebClient(app.http, { "accept-language": "fr" });
    const two = new WebClient(app.http, { "accept-language": "fr" });
    const pageOne = await one.get("/@bea");
    const pageTwo = await two.get("/@bea");
    expect(pageTwo.statusCode).toBe(200);
    // Both got a cookie of their own, and a token of it, from the one kept page.
    expect(one.cookies.get("sdp_csrf")).toBeDefined();
    expect(two.cookies.get("sdp_csrf")).not.toBe(one.cookies.get("sdp_csrf"));
    expect(csrfTokenOf(pageTwo.body)).not.toBe(csrfTokenOf(pageOne.body));
    // Again, with its cookie: no new cookie, a token the remote-follow form accepts.
    const again = await one.get("/@bea");
    expect(again.headers["set-cookie"]).toBeUndefined();
    const posted = await one.post("/@bea/remote_follow", { handle: "not an address" });
    expect(posted.statusCode).toBe(400); // the address, not the token (403)
  });

  it("never gives a member the visitor's copy, nor a visitor a member's page", async () => {
    await visitKept("/@bea");
    const bea = await new WebClient(app.http, { "accept-language": "fr" }).login(
      "bea",
      "bea-password-123",
    );
    const held = app.documentCache.size;
    const own = await bea.get("/@bea");
    expect(own.body).toContain('action="/logout"');
    expect(own.body).not.toContain("remote_follow");
    expect(own.headers["cache-control"]).toContain("no-store");
    await bea.get("/tags/socialdapres");
    expect(app.documentCache.size).toBe(held);
    const seen = await visit("/@bea");
    expect(seen.body).not.toContain('action="/logout"');
    expect(seen.body).toContain("remote_follow");
    // An expired or forged session is not a visitor's copy either: rendered, not kept.
    const forged = await visit("/@bea", { ...HTML, cookie: `sdp_session=${"x".repeat(43)}` });
    expect(forged.statusCode).toBe(200);
    expect(app.documentCache.size).toBe(held);
  });

  it("shows a new encounter, an edit, a deletion, a profile edit and a new instance name", async () => {
    const permalink = `/@bea/${encounterId}`;
    await visitKept("/tags/socialdapres");
    await visitKept("/tags/march%C3%A9");
    await visitKept(permalink);
    await visitKept("/@bea");
    await visitKept("/");

    const added = await app.encounters.create("bea", {
      text: "Thé à la gare #Socialdapres",
      participants: ["Zoé"],
    });
    expect((await visitKept("/tags/socialdapres")).body).toContain("Thé à la gare");
    expect((await visitKept("/@bea")).body).toContain("Thé à la gare");

    await app.encounters.update("bea", encounterId, {
      text: "Chocolat au marché #Socialdapres",
      keywords: ["marché"],
    });
    expect((await visitKept(permalink)).body).toContain("Chocolat au marché");
    expect((await visitKept("/tags/march%C3%A9")).body).toContain("Chocolat au marché");

    await app.encounters.delete("bea", added.id);
    expect((await visitKept(`/@bea/${added.id}`)).statusCode).toBe(410);
    expect((await visitKept("/tags/socialdapres")).body).not.toContain("Thé à la gare");

    await app.profiles.update("bea", { displayName: "Béa Martin", bio: "Le samedi au marché" });
    expect((await visitKept("/@bea")).body).toContain("Le samedi au marché");

    await app.instanceProfile.update({ ...(await app.instanceProfile.get()), name: "Le Marché" });
    expect((await visitKept("/")).body).toContain("<h1>Le Marché</h1>");
  });

  it("shows a reply, a like, a co-signature and a follow", async () => {
    const permalink = `/@bea/${encounterId}`;
    await visitKept(permalink);
    await visitKept("/@antoine");

    await app.replies.reply("antoine", encounterId, { text: "Quel beau marché !" });
    expect((await visitKept(permalink)).body).toContain("Quel beau marché !");

    const likes = (body: string) => /<strong>(\d+)<\/strong> j&#39;aime/.exec(body)?.[1];
    const before = likes((await visitKept(permalink)).body);
    await app.likes.likeEncounter("antoine", encounterId);
    expect(likes((await visitKept(permalink)).body)).not.toBe(before);

    expect((await visitKept("/@antoine")).body).not.toContain("Chocolat au marché");
    await app.cosign.cosign("antoine", encounterId);
    expect((await visitKept("/@antoine")).body).toContain("Chocolat au marché");

    const followers = (body: string) => /<strong>(\d+)<\/strong> abonné/.exec(body)?.[1];
    expect(followers((await visitKept("/@bea")).body)).toBe("0");
    const zoe = remoteActorRecord(0, { prefix: "ailleurs" });
    await app.follows.receiveFollow({
      follower: zoe,
      username: "bea",
      activityIri: `${zoe.iri}#follows/${randomUUID()}`,
    });
    expect(followers((await visitKept("/@bea")).body)).toBe("1");
    // Whatever writes the row: a follow written straight into the table.
    const antoine = await app.members.requireByUsername("antoine");
    const bea = await app.members.requireByUsername("bea");
    await app.database.db.insert(follows).values({
      id: randomUUID(),
      followerId: antoine.actor.id,
      followingId: bea.actor.id,
      state: "accepted",
      activityIri: `${t.baseUrl}/activities/follow/${randomUUID()}`,
    });
    expect(followers((await visitKept("/@bea")).body)).toBe("2");
  });

  it("follows the moderators: a limited server and a silenced account leave the tag page", async () => {
    const loud = await app.actors.upsertRemote(remoteActorRecord(0, { prefix: "loud" }));
    await insertRemoteEncounter(app, loud, { text: "Criée au port" });
    expect((await visitKept("/tags/socialdapres")).body).toContain("Criée au port");
    await app.domainPolicies.set({ host: "loud0.example", severity: "limit" }, CLI_MODERATOR);
    expect((await visitKept("/tags/socialdapres")).body).not.toContain("Criée au port");

    const shouty = await app.actors.upsertRemote(remoteActorRecord(1, { prefix: "calm" }));
    await insertRemoteEncounter(app, shouty, { text: "Réclame au port" });
    expect((await visitKept("/tags/socialdapres")).body).toContain("Réclame au port");
    await app.remoteAccounts.act("user1@calm1.example", "silence", "spam", CLI_MODERATOR);
    expect((await visitKept("/tags/socialdapres")).body).not.toContain("Réclame au port");
  });
});
