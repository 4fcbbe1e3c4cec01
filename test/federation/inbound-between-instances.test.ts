import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encounters } from "../../src/db/schema.ts";
import { INSTANCE_ACTOR_IDENTIFIER } from "../../src/shared/local-urls.ts";
import { API, client, membersWithTokens, postEncounter } from "../api/helpers.ts";
import { jpegWithGps } from "../media/images.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { drainQueue } from "../support/queue.ts";

/**
 * Two Socialdapres instances on loopback. A's encounters, received by B, read once on B's
 * pages (the text A wrote names the people and the hashtags; B adds neither again), with
 * their day and a photo B serves itself; a followers-only Note is served to B's instance
 * actor because B hosts a follower of its author, to nobody else; NodeInfo counts posts.
 */
describe(`encounters between two Socialdapres instances (${databaseLabel})`, () => {
  let a: TestApp;
  let b: TestApp;
  let bea: ReturnType<typeof client>;
  let zoe: ReturnType<typeof client>;

  beforeAll(async () => {
    [a, b] = await Promise.all([buildTestApp({ listen: true }), buildTestApp({ listen: true })]);
    const tokens = await membersWithTokens(a.app, ["bea", "zoe"]);
    bea = client(a.app, tokens.bea as string);
    zoe = client(a.app, tokens.zoe as string);
    await membersWithTokens(b.app, ["antoine", "carol", "dave"]);
    // carol, on B, follows bea on A.
    await b.app.follows.follow(
      "carol",
      await b.app.remoteLookup.lookupActor(a.app.urls.actor("bea").href),
    );
    await eventually(
      async () =>
        (await a.app.follows.followState(b.app.urls.actor("carol").href, "bea")) === "accepted",
      { what: "bea to accept carol" },
    );
    await drainQueue(a.app, b.app);
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it("B shows A's encounter once: its text names antoine and Marie, its hashtags, its day", async () => {
    const antoine = b.app.urls.actor("antoine").href;
    const posted = await postEncounter(bea, {
      text: "Ravie d'avoir croisé Antoine au marché",
      participants: [antoine, "Marie"],
      keywords: ["BrightMirror"],
      occurredOn: "2026-11-27",
    });
    await drainQueue(a.app, b.app);
    const received = await b.app.encounterRepository.findByIri(posted.iri);
    expect(received).toMatchObject({ isLocal: false, occurredOn: "2026-11-27" });

    for (const lang of ["fr", "en"]) {
      const page = await b.app.http.inject({
        url: "/tags/socialdapres",
        headers: { "accept-language": lang },
      });
      const article = page.body.split("<article")[1]?.split("</article>")[0] ?? "";
      expect(article).toContain("avoir croisé Antoine au marché");
      const count = (text: string) => article.split(text).length - 1;
      // A's text says "Avec @antoine et Marie" and lists its hashtags: B adds neither.
      expect(count("Marie"), lang).toBe(1);
      expect(count(">BrightMirror<"), lang).toBe(1);
      expect(count(">Socialdapres<"), lang).toBe(1);
      expect(count("Avec"), lang).toBe(1);
      expect(article, lang).not.toContain('class="with"');
      expect(article, lang).not.toContain('class="tags"');
      // The day it happened, from the Note's startTime.
      expect(article, lang).toContain('datetime="2026-11-27"');
    }
  });

  it("B adds the people and keywords a remote text does not show", async () => {
    const posted = await postEncounter(bea, {
      text: "Un café",
      participants: [b.app.urls.actor("antoine").href],
      keywords: ["Café"],
    });
    await drainQueue(a.app, b.app);
    const received = await b.app.encounterRepository.findByIri(posted.iri);
    if (!received) throw new Error("B did not keep the encounter");
    // As a server that writes neither mention nor hashtag into its text would send it.
    await b.app.database.db
      .update(encounters)
      .set({ remoteContentHtml: "<p>Un café</p>", text: "Un café" })
      .where(eq(encounters.id, received.id));
    const page = await b.app.http.inject({ url: "/tags/socialdapres" });
    const article = page.body.split("<article")[1]?.split("</article>")[0] ?? "";
    expect(article).toContain('class="with"');
    expect(article).toContain('class="tags"');
    expect(article).toContain(">Café<");
  });

  it("B serves the photo of A's encounter itself, and links A's original", async () => {
    const form = new FormData();
    form.set(
      "data",
      JSON.stringify({
        text: "Au marché",
        participants: [b.app.urls.actor("antoine").href],
        photoAlt: "Deux cafés",
      }),
    );
    form.set("photo", new Blob([new Uint8Array(await jpegWithGps())], { type: "image/jpeg" }));
    const body = new Response(form);
    const response = await bea({
      method: "POST",
      url: `${API}/encounters`,
      payload: Buffer.from(await body.arrayBuffer()),
      headers: { "content-type": body.headers.get("content-type") as string },
    });
    expect(response.statusCode).toBe(201);
    const { iri, photo } = response.json();
    await drainQueue(a.app, b.app);
    await b.app.remotePhotos.idle();
    const received = await b.app.encounterRepository.findByIri(iri);
    expect(received?.photo?.url).toBe(photo.url);
    expect(received?.photo?.thumbnailUrl.startsWith(`${b.baseUrl}/media/remote/`)).toBe(true);
    const page = await b.app.http.inject({ url: "/tags/socialdapres" });
    expect(page.body).toContain(`src="${received?.photo?.thumbnailUrl}"`);
    expect(page.body).not.toContain(`src="${a.baseUrl}`);
  });

  it("a followers-only Note is served to the instance actor of a server hosting a follower, only", async () => {
    const mine = await postEncounter(bea, {
      text: "Entre nous",
      participants: ["Marie"],
      visibility: "followers",
    });
    const theirs = await postEncounter(zoe, {
      text: "Entre nous aussi",
      participants: ["Marie"],
      visibility: "followers",
    });
    await drainQueue(a.app, b.app);
    const ctx = b.app.federation.createContext(b.app.urls.origin, undefined);
    const fetchAs = async (identifier: string, iri: string) => {
      const loader = await ctx.getDocumentLoader({ identifier });
      return loader(iri).then(
        (doc) => (doc.document as { id?: string }).id,
        () => "refused",
      );
    };
    // B's instance actor: carol, on B, follows bea; nobody on B follows zoe.
    expect(await fetchAs(INSTANCE_ACTOR_IDENTIFIER, mine.iri)).toBe(mine.iri);
    expect(await fetchAs(INSTANCE_ACTOR_IDENTIFIER, theirs.iri)).toBe("refused");
    // A person on B who does not follow bea is not B speaking for its followers.
    expect(await fetchAs("dave", mine.iri)).toBe("refused");
    expect(await fetchAs("carol", mine.iri)).toBe(mine.iri);
    // Unsigned: nobody.
    const anonymous = await fetch(mine.iri, { headers: { accept: "application/activity+json" } });
    expect(anonymous.status).not.toBe(200);
  });

  it("NodeInfo counts A's public encounters; an empty outbox page still has orderedItems", async () => {
    const before = (await a.app.http.inject({ url: "/nodeinfo/2.1" })).json().usage.localPosts;
    const counted = await postEncounter(zoe, { text: "Public", participants: ["Marie"] });
    await postEncounter(zoe, {
      text: "Non listé",
      participants: ["Marie"],
      visibility: "unlisted",
    });
    const gone = await postEncounter(zoe, { text: "Effacé", participants: ["Marie"] });
    await zoe({ method: "DELETE", url: `${API}/encounters/${gone.id}` });
    for (const version of ["2.0", "2.1"]) {
      const info = (await a.app.http.inject({ url: `/nodeinfo/${version}` })).json();
      expect(info.usage.localPosts, version).toBe(before + 1);
    }
    expect(counted.id).toBeTruthy();

    await b.app.members.create({ username: "quiet", password: "quiet-password-123" });
    const page = await b.app.http.inject({
      url: "/users/quiet/outbox?cursor=first",
      headers: { accept: "application/activity+json" },
    });
    expect(page.json()).toMatchObject({ type: "OrderedCollectionPage", orderedItems: [] });
    const followers = await b.app.http.inject({
      url: "/users/quiet/followers?cursor=first",
      headers: { accept: "application/activity+json" },
    });
    expect(followers.json()).toMatchObject({ orderedItems: [] });
  });
});
