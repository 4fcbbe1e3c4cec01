import { createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Member } from "../src/accounts/members-service.ts";
import type { App } from "../src/app.ts";
import { buildTestApp, type TestApp } from "./support/app.ts";
import { databaseLabel } from "./support/database.ts";
import { remoteActorRecord } from "./support/remote-actor.ts";

const AP = "application/activity+json";
const LD = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"';
const BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const FOLLOWERS = 60;

type Json = Record<string, unknown>;

const packageVersion: string = JSON.parse(
  readFileSync(new URL("../package.json", import.meta.url), "utf8"),
).version;

const remoteActor = (i: number) =>
  remoteActorRecord(i, { prefix: "remote", hosts: 7, username: "fan" });

describe(`HTTP endpoints (${databaseLabel})`, () => {
  let testApp: TestApp;
  let app: App;
  let base: string;
  let host: string;
  let bea: Member;

  async function get(url: string, headers: Record<string, string> = {}) {
    return app.http.inject({ method: "GET", url, headers });
  }
  async function getJson(url: string, accept = AP): Promise<Json> {
    const response = await get(url, { accept });
    expect(response.statusCode, `${url}: ${response.body.slice(0, 200)}`).toBe(200);
    return response.json() as Json;
  }
  /** Fedify's collection links are absolute URLs on our origin; inject wants the path. */
  const pathOf = (url: unknown) => {
    const parsed = new URL(url as string);
    expect(parsed.origin).toBe(base);
    return `${parsed.pathname}${parsed.search}`;
  };

  beforeAll(async () => {
    testApp = await buildTestApp();
    app = testApp.app;
    base = testApp.baseUrl;
    host = new URL(base).host;
    [{ member: bea }] = await Promise.all([
      app.members.create({
        username: "bea",
        password: "bea-password-2021",
        displayName: "Béa Martin",
        bio: "Rencontres & liens faibles.",
      }),
      app.members.create({
        username: "shy",
        password: "shy-password-2021",
        displayName: "Timide",
        manuallyApprovesFollowers: true,
      }),
    ]);
    // Accepted follows through the service: it writes the rows and emits events whose
    // deliveries only get queued (the queue is not running in this test).
    for (let i = 0; i < FOLLOWERS; i++) {
      const state = await app.follows.receiveFollow({
        follower: remoteActor(i),
        username: "bea",
        activityIri: `${remoteActor(i).iri}#follows/${i}`,
      });
      expect(state).toBe("accepted");
    }
  });
  afterAll(() => testApp?.close());

  describe("WebFinger", () => {
    it("finds a member by acct: handle", async () => {
      const response = await get(`/.well-known/webfinger?resource=acct:bea@${host}`);
      expect(response.statusCode).toBe(200);
      expect(response.headers["content-type"]).toContain("application/jrd+json");
      const jrd = response.json() as { subject: string; links: Json[] };
      expect(jrd.subject).toBe(`acct:bea@${host}`);
      expect(jrd.links).toContainEqual({ rel: "self", type: AP, href: `${base}/users/bea` });
      expect(jrd.links).toContainEqual(
        expect.objectContaining({
          rel: "http://webfinger.net/rel/profile-page",
          href: `${base}/@bea`,
        }),
      );
    });

    it("finds a member whatever the case of the handle", async () => {
      const response = await get(`/.well-known/webfinger?resource=acct:BEA@${host}`);
      expect(response.statusCode).toBe(200);
      expect((response.json() as { links: Json[] }).links).toContainEqual(
        expect.objectContaining({ rel: "self", href: `${base}/users/bea` }),
      );
    });

    it("finds a member by actor URL", async () => {
      const resource = encodeURIComponent(`${base}/users/bea`);
      const response = await get(`/.well-known/webfinger?resource=${resource}`);
      expect(response.statusCode).toBe(200);
      const jrd = response.json() as { aliases: string[]; links: Json[] };
      expect(jrd.links).toContainEqual({ rel: "self", type: AP, href: `${base}/users/bea` });
      expect(jrd.aliases).toContain(`acct:bea@${host}`);
    });

    it.each([
      ["an unknown member", () => `acct:nobody@${host}`],
      ["an unknown actor URL", () => `${base}/users/nobody`],
      ["a member of another server", () => "acct:bea@elsewhere.example"],
    ])("answers 404 for %s", async (_label, resource) => {
      const response = await get(
        `/.well-known/webfinger?resource=${encodeURIComponent(resource())}`,
      );
      expect(response.statusCode).toBe(404);
    });

    it("answers 400 without a resource", async () => {
      expect((await get("/.well-known/webfinger")).statusCode).toBe(400);
    });
  });

  it("serves host-meta as XRD pointing at WebFinger", async () => {
    const response = await get("/.well-known/host-meta");
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toContain("application/xrd+xml");
    expect(response.body).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>/);
    expect(response.body).toContain('xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0"');
    expect(response.body).toContain(
      `<Link rel="lrdd" template="${base}/.well-known/webfinger?resource={uri}"/>`,
    );
  });

  describe("NodeInfo", () => {
    it.each(["/.well-known/nodeinfo", "/.well-known/nodeinfo/"])(
      "links %s to the 2.0 and 2.1 documents",
      async (path) => {
        const { links } = (await getJson(path, "application/json")) as { links: Json[] };
        expect(links).toEqual([
          { rel: "http://nodeinfo.diaspora.software/ns/schema/2.0", href: `${base}/nodeinfo/2.0` },
          { rel: "http://nodeinfo.diaspora.software/ns/schema/2.1", href: `${base}/nodeinfo/2.1` },
        ]);
      },
    );

    it.each(["2.0", "2.1"])("serves NodeInfo %s with the software and member count", async (v) => {
      const response = await get(`/nodeinfo/${v}`);
      expect(response.statusCode).toBe(200);
      expect(response.headers["content-type"]).toContain(
        `profile="http://nodeinfo.diaspora.software/ns/schema/${v}#"`,
      );
      const info = response.json() as Json;
      expect(info).toMatchObject({
        version: v,
        software: { name: "socialdapres", version: packageVersion },
        protocols: ["activitypub"],
        openRegistrations: false,
        usage: { users: { total: await app.members.count() } },
      });
      expect((info.usage as { users: { total: number } }).users.total).toBe(2);
      // NodeInfo 2.0's schema has no homepage; 2.1 adds it.
      expect((info.software as Json).homepage).toBe(v === "2.1" ? `${base}/` : undefined);
      // The software name must match NodeInfo's pattern.
      expect((info.software as Json).name).toMatch(/^[a-z0-9-]+$/);
    });
  });

  describe("actor", () => {
    it.each([
      ["/users/bea", AP],
      ["/users/bea", LD],
      ["/@bea", AP],
      ["/@bea", LD],
      ["/@BEA", AP],
    ])("serves the actor JSON at %s to Accept: %s", async (path, accept) => {
      const response = await get(path, { accept });
      expect(response.statusCode).toBe(200);
      expect(response.headers["content-type"]).toMatch(/application\/(activity|ld)\+json/);
      const actor = response.json() as Json;
      expect(actor).toMatchObject({
        id: `${base}/users/bea`,
        type: "Person",
        preferredUsername: "bea",
        name: "Béa Martin",
        inbox: `${base}/users/bea/inbox`,
        outbox: `${base}/users/bea/outbox`,
        followers: `${base}/users/bea/followers`,
        following: `${base}/users/bea/following`,
        endpoints: { sharedInbox: `${base}/inbox` },
        url: `${base}/@bea`,
        manuallyApprovesFollowers: false,
        publicKey: { id: `${base}/users/bea#main-key`, owner: `${base}/users/bea` },
      });
      expect((actor.publicKey as Json).publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    });

    it("serves the member's own keys, the same ones each time", async () => {
      const [first, second] = [await getJson("/users/bea"), await getJson("/users/bea")];
      expect(second.publicKey).toEqual(first.publicKey);
      const [rsa] = await app.members.keyPairs(bea);
      const pem = (first.publicKey as Json).publicKeyPem as string;
      expect(createPublicKey(pem).export({ format: "jwk" }).n).toBe(rsa?.publicKey.n);
    });

    it("says when a member approves followers by hand", async () => {
      expect((await getJson("/users/shy")).manuallyApprovesFollowers).toBe(true);
    });

    it("serves the instance actor, which signs the instance's own fetches", async () => {
      const actor = await getJson("/users/instance");
      expect(actor).toMatchObject({ id: `${base}/users/instance`, type: "Application" });
    });

    it("answers 404 for an unknown actor", async () => {
      expect((await get("/users/nobody", { accept: AP })).statusCode).toBe(404);
      expect((await get("/@nobody", { accept: AP })).statusCode).toBe(404);
    });

    it("sends browsers from the actor IRI to the profile page", async () => {
      const response = await get("/users/bea", { accept: BROWSER });
      expect(response.statusCode).toBe(302);
      expect(response.headers.location).toBe("/@bea");
      expect(response.headers.vary).toContain("Accept");
    });
  });

  describe("HTML pages", () => {
    it("shows a member's profile with name, handle and counts, and nothing private", async () => {
      const response = await get("/@bea", { accept: BROWSER });
      expect(response.statusCode).toBe(200);
      expect(response.headers["content-type"]).toContain("text/html");
      expect(response.headers.vary).toMatch(/Accept/);
      const page = response.body;
      expect(page).toContain("Béa Martin");
      expect(page).toContain(`@bea@${host}`);
      expect(page).toContain("Rencontres &amp; liens faibles.");
      expect(page).toMatch(new RegExp(`<strong>${FOLLOWERS}</strong> abonné·es`));
      expect(page).toContain("<strong>0</strong> abonnements");
      for (const secret of [bea.passwordHash, bea.id, "scrypt", "password"]) {
        expect(page).not.toContain(secret);
      }
      const keys = await app.members.keyPairs(bea);
      for (const key of keys) expect(page).not.toContain(key.privateKey.d as string);
    });

    it("finds the profile whatever the case, and ignores a trailing slash", async () => {
      for (const path of ["/@BEA", "/@bea/"]) {
        const response = await get(path, { accept: BROWSER });
        expect(response.statusCode, path).toBe(200);
        expect(response.body).toContain("Béa Martin");
      }
    });

    it("answers an unknown profile with a 404 HTML page", async () => {
      const response = await get("/@nobody", { accept: BROWSER });
      expect(response.statusCode).toBe(404);
      expect(response.headers["content-type"]).toContain("text/html");
      expect(response.body).toContain("Page introuvable");
      expect(response.body).toContain('href="/"');
    });

    it("lists the members on the home page, in French by default", async () => {
      const response = await get("/", { accept: BROWSER });
      expect(response.statusCode).toBe(200);
      expect(response.headers["content-type"]).toContain("text/html");
      expect(response.headers["content-language"]).toBe("fr");
      expect(response.body).toContain('<html lang="fr">');
      expect(response.body).toContain("Membres");
      expect(response.body).toContain('<a href="/@bea">Béa Martin</a>');
      expect(response.body).toContain(`@bea@${host}`);
      expect(response.body).toContain('<a href="/@shy">Timide</a>');
    });

    it.each([
      ["en", "en"],
      ["en-US,en;q=0.9", "en"],
      ["en-GB,fr;q=0.5", "en"],
      ["fr-FR,en;q=0.5", "fr"],
      ["de-DE,en;q=0.8,fr;q=0.9", "fr"],
      ["de", "fr"],
    ])("answers Accept-Language: %s in %s", async (acceptLanguage, lang) => {
      const response = await get("/", { accept: BROWSER, "accept-language": acceptLanguage });
      expect(response.headers["content-language"]).toBe(lang);
      expect(response.body).toContain(`<html lang="${lang}">`);
      expect(response.body).toContain(lang === "en" ? "Members" : "Membres");
      expect(response.headers.vary).toContain("Accept-Language");
    });
  });

  describe("collections", () => {
    it("counts accepted followers and pages them 50 at a time", async () => {
      const collection = await getJson("/users/bea/followers");
      expect(collection).toMatchObject({
        id: `${base}/users/bea/followers`,
        type: "OrderedCollection",
        totalItems: FOLLOWERS,
      });
      const first = await getJson(pathOf(collection.first));
      expect(first.type).toBe("OrderedCollectionPage");
      expect(first.partOf).toBe(`${base}/users/bea/followers`);
      const firstItems = first.orderedItems as string[];
      expect(firstItems).toHaveLength(50);
      expect(first.next).toBeDefined();
      const second = await getJson(pathOf(first.next));
      const secondItems = second.orderedItems as string[];
      expect(secondItems).toHaveLength(FOLLOWERS - 50);
      expect(second.next).toBeUndefined();
      // Every follower exactly once, newest follow first (as Mastodon lists them).
      expect([...firstItems, ...secondItems]).toEqual(
        Array.from({ length: FOLLOWERS }, (_, i) => remoteActor(i).iri).reverse(),
      );
    });

    it("leaves pending follow requests out of the followers", async () => {
      const state = await app.follows.receiveFollow({
        follower: remoteActor(1000),
        username: "shy",
        activityIri: `${remoteActor(1000).iri}#follows/shy`,
      });
      expect(state).toBe("pending");
      expect((await getJson("/users/shy/followers")).totalItems).toBe(0);
      await app.follows.approveFollower("shy", remoteActor(1000).iri);
      const collection = await getJson("/users/shy/followers");
      expect(collection.totalItems).toBe(1);
      const page = await getJson(pathOf(collection.first));
      expect(page.orderedItems).toEqual([remoteActor(1000).iri]);
    });

    it("counts only accepted follows in following", async () => {
      const target = remoteActor(2000);
      const { activityIri } = await app.follows.follow("bea", target);
      expect((await getJson("/users/bea/following")).totalItems).toBe(0);
      await app.follows.receiveAnswer({
        targetIri: target.iri,
        followActivityIri: activityIri,
        accepted: true,
      });
      const collection = await getJson("/users/bea/following");
      expect(collection).toMatchObject({ type: "OrderedCollection", totalItems: 1 });
      const page = await getJson(pathOf(collection.first));
      expect(page.orderedItems).toEqual([target.iri]);
    });

    it("serves an empty outbox", async () => {
      const outbox = await getJson("/users/bea/outbox");
      expect(outbox).toMatchObject({
        id: `${base}/users/bea/outbox`,
        type: "OrderedCollection",
        totalItems: 0,
      });
      expect((outbox.orderedItems as unknown[] | undefined) ?? []).toEqual([]);
    });

    it("answers 404 for the collections of an unknown member", async () => {
      for (const path of [
        "/users/nobody/followers",
        "/users/nobody/followers?cursor=first",
        "/users/nobody/following",
        "/users/nobody/outbox",
        // Actor IRIs are exact: Béa's collections live under /users/bea only.
        "/users/BEA/followers",
        "/users/BEA/following",
      ]) {
        expect((await get(path, { accept: AP })).statusCode, path).toBe(404);
      }
    });
  });

  describe("inbox", () => {
    const follow = () =>
      JSON.stringify({
        "@context": "https://www.w3.org/ns/activitystreams",
        id: "https://remote.example/follows/1",
        type: "Follow",
        actor: "https://remote.example/users/mallory",
        object: `${base}/users/bea`,
      });
    const post = (url: string, payload: string | Buffer, contentType = AP) =>
      app.http.inject({ method: "POST", url, headers: { "content-type": contentType }, payload });

    it.each(["/users/bea/inbox", "/inbox"])(
      "refuses an unsigned activity at %s with 401",
      async (url) => {
        const response = await post(url, follow());
        expect(response.statusCode).toBe(401);
        // Nothing was recorded.
        expect(
          await app.follows.followState("https://remote.example/users/mallory", "bea"),
        ).toBeUndefined();
      },
    );

    it.each([
      ["malformed JSON", "{not json"],
      ["an empty body", ""],
      ["a JSON string", '"Follow"'],
      ["a JSON array", "[1, 2]"],
      ["JSON null", "null"],
    ])("answers %s with 400", async (_label, body) => {
      const response = await post("/inbox", body);
      expect(response.statusCode).toBe(400);
      expect((response.json() as { error: string }).error).toMatch(/JSON/);
    });

    it("answers a body over 1 MiB with 413, whatever its content type", async () => {
      const big = Buffer.alloc(1024 * 1024 + 1, "x");
      for (const contentType of [AP, "application/json", LD, "text/plain"]) {
        const response = await post("/users/bea/inbox", big, contentType);
        expect(response.statusCode, contentType).toBe(413);
      }
    });

    it("reads a body of exactly 1 MiB (and refuses it for want of a signature)", async () => {
      const padding = "x".repeat(1024 * 1024 - follow().length - 20);
      const body = follow().replace(/}$/, `, "padding": "${padding}"}`);
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(1024 * 1024);
      expect((await post("/inbox", body)).statusCode).toBe(401);
    });

    it("answers 404 for the inbox of an unknown member", async () => {
      expect((await post("/users/nobody/inbox", follow())).statusCode).toBe(404);
    });

    it("queued an Accept to each accepted follower, and nothing for refused requests", async () => {
      const jobs = await app.database.rows<{ message: Json }>(sql`select message from queue_jobs`);
      const accepts = jobs
        .map((job) => job.message)
        .filter((m) => (m.activity as Json | undefined)?.type === "Accept");
      for (let i = 0; i < FOLLOWERS; i++) {
        const fan = remoteActor(i);
        const mine = accepts.filter((m) => ((m.activity as Json).object as Json).actor === fan.iri);
        expect(mine, fan.iri).toHaveLength(1);
        expect(mine[0]).toMatchObject({
          type: "outbox",
          inbox: fan.inboxUrl,
          activity: {
            actor: `${base}/users/bea`,
            object: { type: "Follow", object: `${base}/users/bea` },
          },
        });
      }
      expect(JSON.stringify(jobs)).not.toContain("mallory");
    });
  });
});
