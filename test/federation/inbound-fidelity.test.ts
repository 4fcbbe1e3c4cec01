import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API, client, membersWithTokens } from "../api/helpers.ts";
import { jpegWithGps } from "../media/images.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { drainQueue } from "../support/queue.ts";
import { fixture, type SmallServer, startSmallServer } from "../support/small-server.ts";

type Json = Record<string, unknown>;
type Note = Json & { id: string; tag: Json[]; attachment?: Json[] };

/**
 * What a small server sends, as it sends it (fixtures/fediverse/minimal/: only the
 * ActivityStreams context, `?t=` tag links), received by an instance on loopback: it lands
 * on /tags/socialdapres and notifies the member it names; a mention without the tag still
 * notifies; its photo is fetched once and served from our /media; a content warning is kept.
 */
describe(`a small server's posts, as sent (${databaseLabel})`, () => {
  let a: TestApp;
  let small: SmallServer;
  let bea: ReturnType<typeof client>;
  let sequence = 0;

  beforeAll(async () => {
    [a, small] = await Promise.all([buildTestApp({ listen: true }), startSmallServer()]);
    const tokens = await membersWithTokens(a.app, ["bea"]);
    bea = client(a.app, tokens.bea as string);
  });

  afterAll(async () => {
    await Promise.all([a?.close(), small?.close()]);
  });

  /** The bare-context fixture, each time a new post (its ids made unique). */
  function post(edit: (note: Note) => void = () => {}): { create: Json; note: Note } {
    const create = fixture("minimal/create-note-bare-context-hashtag.json", {
      small: small.origin,
      ours: a.baseUrl,
    });
    const note = create.object as Note;
    const id = `${small.origin}/alice/p/${Date.now()}.${++sequence}`;
    note.id = id;
    note.url = id;
    create.id = `${id}#create`;
    edit(note);
    return { create, note };
  }

  async function deliver(activity: Json): Promise<void> {
    const response = await small.post(`${a.baseUrl}/users/bea/inbox`, activity);
    expect(response.status).toBe(202);
    await drainQueue(a.app);
  }

  const notifications = async () =>
    (await bea({ url: `${API}/notifications` })).json().items as Json[];

  it("a #socialdapres post with a bare context and a ?t= link lands on /tags/socialdapres and notifies bea", async () => {
    const { create, note } = post();
    await deliver(create);

    const encounter = await a.app.encounterRepository.findByIri(note.id);
    expect(encounter).toMatchObject({
      isLocal: false,
      keywords: ["marché"],
      visibility: "public",
      contentWarning: null,
      sensitive: false,
    });
    expect(encounter?.author.iri).toBe(small.actorIri);
    expect(encounter?.participants.map((p) => p.actor?.username)).toEqual(["bea"]);

    const page = await a.app.http.inject({ url: "/tags/socialdapres" });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("Quel plaisir de revoir");
    const marche = await a.app.http.inject({ url: `/tags/${encodeURIComponent("marché")}` });
    expect(marche.body).toContain("Quel plaisir de revoir");

    const named = (await notifications()).filter((n) => n.kind === "named_in_encounter");
    expect(named.map((n) => (n.encounter as Json).iri)).toEqual([note.id]);
  });

  it("its hashtags are read from the JSON as sent, through the queue, when its content links none", async () => {
    const { create, note } = post((n) => {
      n.content = `Revu <a href="${a.baseUrl}/users/bea" class="u-url mention">@bea</a> au marché`;
    });
    await deliver(create);
    // JSON-LD alone drops these Hashtags (the bare context does not define them): only the
    // JSON the listener gets from Fedify's queued message (received-json.ts) has them.
    expect(await a.app.encounterRepository.findByIri(note.id)).toMatchObject({
      keywords: ["marché"],
    });
  });

  it("a post naming bea without #Socialdapres notifies her as a mention, once; it is no encounter", async () => {
    const { create, note } = post((n) => {
      n.content = `Merci <span class="h-card"><a href="${a.baseUrl}/users/bea" class="u-url mention">@bea</a></span> pour hier !`;
      n.tag = n.tag.filter((t) => t.type === "Mention");
      n.summary = "un mot";
    });
    await deliver(create);
    await deliver({ ...create }); // delivered twice: one notification
    expect(await a.app.encounterRepository.findByIri(note.id)).toBeUndefined();

    const mentions = (await notifications()).filter((n) => n.kind === "mentioned");
    expect(mentions).toHaveLength(1);
    expect(mentions[0]).toMatchObject({
      encounter: null,
      mention: {
        iri: note.id,
        url: note.id,
        // Behind a content warning, the warning is what the notification says.
        excerpt: "un mot",
        actor: { iri: small.actorIri, name: "Alice" },
      },
    });
    const tag = await a.app.http.inject({ url: "/tags/socialdapres" });
    expect(tag.body).not.toContain("pour hier");
  });

  it("a post naming nobody here and followed by nobody is not kept, and notifies nobody", async () => {
    const before = (await notifications()).length;
    const { create, note } = post((n) => {
      n.tag = n.tag.filter((t) => t.type !== "Mention");
      n.content = "Au marché #Socialdapres";
    });
    await deliver(create);
    expect(await a.app.encounterRepository.findByIri(note.id)).toBeUndefined();
    expect(await notifications()).toHaveLength(before);
  });

  it("a content warning is kept and shown collapsed, on the page and in the API", async () => {
    const { create, note } = post((n) => {
      n.summary = "Souvenirs d'hôpital";
      n.sensitive = true;
    });
    await deliver(create);
    const encounter = await a.app.encounterRepository.findByIri(note.id);
    expect(encounter).toMatchObject({ contentWarning: "Souvenirs d'hôpital", sensitive: true });

    const page = await a.app.http.inject({ url: "/tags/socialdapres" });
    const article = articleOf(page.body, "Souvenirs d");
    expect(article).toMatch(
      /<details class="content-warning"><summary class="p-summary">Souvenirs d(&#39;|'|’)hôpital<\/summary>[\s\S]*Quel plaisir[\s\S]*<\/details>/,
    );
    const api = await bea({ url: `${API}/encounters/${encounter?.id}` });
    expect(api.json()).toMatchObject({ contentWarning: "Souvenirs d'hôpital", sensitive: true });
  });

  it("its photo is fetched once, stripped and re-encoded, and served from our /media", async () => {
    const photo = await jpegWithGps();
    small.serve("/media/cafe.jpg", (response) =>
      response.writeHead(200, { "content-type": "image/jpeg" }).end(photo),
    );
    const { create, note } = post((n) => {
      n.attachment = [
        {
          type: "Document",
          mediaType: "image/jpeg",
          url: `${small.origin}/media/cafe.jpg`,
          name: "Deux cafés",
        },
      ];
    });
    await deliver(create);
    await a.app.remotePhotos.idle();

    const encounter = await a.app.encounterRepository.findByIri(note.id);
    const thumbnail = encounter?.photo?.thumbnailUrl ?? "";
    expect(thumbnail.startsWith(`${a.baseUrl}/media/remote/`)).toBe(true);
    expect(encounter?.photo).toMatchObject({
      url: `${small.origin}/media/cafe.jpg`,
      alt: "Deux cafés",
    });
    expect(encounter?.photo?.blurhash).toMatch(/^[0-9A-Za-z#$%*+,\-.:;=?@[\]^_{|}~]{6,}$/);

    const served = await a.app.http.inject({ url: new URL(thumbnail).pathname });
    expect(served.statusCode).toBe(200);
    expect(served.headers["content-type"]).toBe("image/webp");
    expect(served.rawPayload.includes("RUE-DES-LILAS")).toBe(false);

    // The page loads nothing from the origin: the thumbnail is ours, the original a link.
    const page = await a.app.http.inject({ url: "/tags/socialdapres" });
    const article = articleOf(page.body, "Deux cafés");
    expect(article).toContain(`src="${thumbnail}"`);
    expect(article).toContain(`href="${small.origin}/media/cafe.jpg"`);
    expect(article).not.toContain(`src="${small.origin}`);
    const api = (await bea({ url: `${API}/encounters/${encounter?.id}` })).json();
    expect(api.photo).toMatchObject({
      thumbnailUrl: thumbnail,
      url: `${small.origin}/media/cafe.jpg`,
    });

    // An edit keeping the photo keeps our copy: fetched once.
    const update = {
      ...create,
      id: `${note.id}#update`,
      type: "Update",
      object: { ...note, content: `${note.content} (modifié)`, updated: "2026-11-30T10:00:00Z" },
    };
    await deliver(update);
    await a.app.remotePhotos.idle();
    const edited = await a.app.encounterRepository.findByIri(note.id);
    expect(edited?.text).toContain("(modifié)");
    expect(edited?.photo?.thumbnailUrl).toBe(thumbnail);
    expect(small.gets("/media/cafe.jpg")).toBe(1);
  });

  it("hostile photos: too large, lying about their size, not an image, not found — linked, never served", async () => {
    const big = Buffer.alloc(11 * 1024 * 1024, 1);
    small.serve("/media/huge.jpg", (r) =>
      r.writeHead(200, { "content-type": "image/jpeg", "content-length": big.length }).end(big),
    );
    small.serve("/media/liar.jpg", (r) => {
      // No Content-Length: chunked, and more than the limit.
      r.writeHead(200, { "content-type": "image/jpeg" });
      for (let i = 0; i < 12; i++) r.write(Buffer.alloc(1024 * 1024, 2));
      r.end();
    });
    small.serve("/media/page.jpg", (r) =>
      r.writeHead(200, { "content-type": "text/html" }).end("<script>alert(1)</script>"),
    );
    small.serve("/media/junk.jpg", (r) =>
      r.writeHead(200, { "content-type": "image/jpeg" }).end("not a jpeg at all"),
    );
    for (const name of ["huge", "liar", "page", "junk", "missing"]) {
      const url = `${small.origin}/media/${name}.jpg`;
      const { create, note } = post((n) => {
        n.attachment = [{ type: "Image", mediaType: "image/jpeg", url, name: `photo ${name}` }];
      });
      await deliver(create);
      await a.app.remotePhotos.idle();
      const encounter = await a.app.encounterRepository.findByIri(note.id);
      expect(encounter?.photo, name).toMatchObject({ url, thumbnailKey: "", thumbnailUrl: "" });
      const page = await a.app.http.inject({ url: "/tags/socialdapres" });
      const article = articleOf(page.body, `photo ${name}`);
      expect(article, name).toContain(`href="${url}"`);
      expect(article, name).not.toContain("<img");
      const api = (await bea({ url: `${API}/encounters/${encounter?.id}` })).json();
      expect(api.photo.thumbnailUrl, name).toBeNull();
    }
  });
});

/** The article of a list page that contains `marker`. */
function articleOf(html: string, marker: string): string {
  const article = html
    .split("<article")
    .slice(1)
    .find((part) => part.includes(marker));
  if (!article) throw new Error(`no article with ${marker}`);
  return article.split("</article>")[0] as string;
}

/** An instance run as in production refuses a photo on a private address. */
describe(`remote photos on private addresses (${databaseLabel})`, () => {
  it("the photo URL of a post from a public server, on the operator's network, is never fetched", async () => {
    const { PUBLIC_STAND_IN, standInPolicy, startHost } = await import("../support/hosts.ts");
    const internal = await startHost("127.0.0.1", (_q, r) => r.writeHead(200).end("secret"));
    const small = await startSmallServer(PUBLIC_STAND_IN);
    const a = await buildTestApp({
      listen: true,
      allowPrivateAddress: false,
      egress: { isPublicAddress: standInPolicy },
    });
    try {
      await a.app.members.create({ username: "bea", password: "bea-password-123" });
      const create = fixture("minimal/create-note-bare-context-hashtag.json", {
        small: small.origin,
        ours: a.baseUrl,
      });
      const note = create.object as Note;
      note.attachment = [
        { type: "Image", mediaType: "image/png", url: `${internal.origin}/admin/photo.png` },
      ];
      const response = await small.post(`${a.baseUrl}/users/bea/inbox`, create);
      expect(response.status).toBe(202);
      await eventually(
        async () => (await a.app.encounterRepository.findByIri(note.id)) !== undefined,
        {
          what: "the encounter to be stored",
        },
      );
      await a.app.remotePhotos.idle();
      const encounter = await a.app.encounterRepository.findByIri(note.id);
      expect(encounter?.photo).toMatchObject({ thumbnailKey: "" });
      expect(internal.requests).toEqual([]);
    } finally {
      await Promise.all([a.close(), small.close(), internal.close()]);
    }
  });
});
