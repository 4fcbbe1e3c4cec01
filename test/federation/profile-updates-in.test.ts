import type { webcrypto } from "node:crypto";
import { readFileSync } from "node:fs";
import { generateCryptoKeyPair, signRequest } from "@fedify/fedify";
import { exportSpki } from "@fedify/vocab-runtime";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { startHost, type TestHost } from "../support/hosts.ts";
import { drainQueue } from "../support/queue.ts";

type Json = Record<string, unknown>;
type KeyPair = webcrypto.CryptoKeyPair;

const FIXTURES = new URL("../fixtures/fediverse/", import.meta.url);
const fixture = (path: string) => readFileSync(new URL(path, FIXTURES), "utf8");
const AP = "application/activity+json";
const AS = "https://www.w3.org/ns/activitystreams";
const SEC = "https://w3id.org/security/v1";

/**
 * A fediverse server on loopback whose actor documents the test writes: what it serves at
 * each path, and the keys its actors sign with.
 */
async function startFakeServer() {
  let origin = "";
  const documents = new Map<string, Json>();
  let delayMs = 0;
  const host: TestHost = await startHost("127.0.0.1", (request, response) => {
    const path = new URL(request.url ?? "/", origin).pathname;
    const document = documents.get(path);
    setTimeout(() => {
      if (!document) return response.writeHead(404).end();
      response.writeHead(200, { "content-type": AP }).end(JSON.stringify(document));
    }, delayMs);
  });
  origin = host.origin;
  return {
    host,
    origin,
    documents,
    /** Every answer waits this long (a slow server). */
    slowDown(ms: number) {
      delayMs = ms;
    },
    /** GETs of a path so far. */
    fetches: (path: string) =>
      host.requests.filter((r) => r.method === "GET" && r.url.startsWith(path)).length,
  };
}

async function pemOf(pair: KeyPair): Promise<string> {
  return exportSpki(pair.publicKey);
}

/** POSTs `activity` to `inbox`, signed (draft-cavage, as Mastodon does) with `keyId`. */
async function signedPost(inbox: string, activity: Json, keyId: string, pair: KeyPair) {
  const request = new Request(inbox, {
    method: "POST",
    headers: { "content-type": AP },
    body: JSON.stringify(activity),
  });
  return fetch(
    await signRequest(request, pair.privateKey, new URL(keyId), {
      spec: "draft-cavage-http-signatures-12",
    }),
  );
}

describe(`Update(Person) received (${databaseLabel})`, () => {
  let a: TestApp;
  // How far ahead of the wall clock the app's clock runs (a day later, without waiting a day).
  let clockAhead = 0;
  let server: Awaited<ReturnType<typeof startFakeServer>>;
  let k1: KeyPair;
  let k2: KeyPair;
  let k3: KeyPair;
  let malloryKey: KeyPair;
  let gargronIri: string;
  let inbox: string;
  let serial = 0;
  const nextId = (actor: string) => `${actor}#updates/${Date.now()}-${++serial}`;

  /**
   * Mastodon's own Update(Person) (the fixture), on the fake server, embedding `pair`'s key
   * (the fixture's PEM is damaged: Fedify refuses the whole activity with it).
   */
  async function updateFixture(pair: KeyPair = k1) {
    const update = JSON.parse(
      fixture("mastodon/update-person.json").replaceAll(
        "http://mastodon.example.org",
        server.origin,
      ),
    ) as Json & { object: Json & { publicKey: Json } };
    update.object.publicKey.publicKeyPem = await pemOf(pair);
    return update;
  }

  /** gargron as his server serves him, with this key and these changes. */
  async function serveGargron(pair: KeyPair, changes: Json = {}) {
    const { object, "@context": context } = await updateFixture(pair);
    server.documents.set("/users/gargron", { "@context": context, ...object, ...changes });
  }

  const gargronRow = () => a.app.actors.findByIri(gargronIri);

  beforeAll(async () => {
    [a, server] = await Promise.all([
      buildTestApp({ listen: true, clock: () => Date.now() + clockAhead }),
      startFakeServer(),
    ]);
    [k1, k2, k3, malloryKey] = await Promise.all(
      Array.from({ length: 4 }, () => generateCryptoKeyPair("RSASSA-PKCS1-v1_5")),
    );
    await a.app.members.create({ username: "bea", password: "bea-password-123" });
    gargronIri = `${server.origin}/users/gargron`;
    inbox = `${a.baseUrl}/inbox`;
    await serveGargron(k1, { name: "Gargron (before)", summary: "<p>Old bio</p>", icon: null });
    server.documents.set("/users/mallory", {
      "@context": [AS, SEC],
      id: `${server.origin}/users/mallory`,
      type: "Person",
      preferredUsername: "mallory",
      inbox: `${server.origin}/users/mallory/inbox`,
      publicKey: {
        id: `${server.origin}/users/mallory#main-key`,
        owner: `${server.origin}/users/mallory`,
        publicKeyPem: await pemOf(malloryKey),
      },
    });
    // A met gargron before (he followed someone, was named…).
    await a.app.actors.upsertRemote(await a.app.remoteLookup.lookupActor(gargronIri));
    expect(await gargronRow()).toMatchObject({ name: "Gargron (before)", avatarUrl: null });
  });

  afterAll(async () => {
    await Promise.all([a?.close(), server?.host.close()]);
  });

  beforeEach(() => server.slowDown(0));

  it("Mastodon's Update(Person) refreshes the name, bio and avatar we keep", async () => {
    await serveGargron(k1);
    const update = { ...(await updateFixture()), id: nextId(gargronIri) };
    const response = await signedPost(inbox, update, `${gargronIri}#main-key`, k1);
    expect(response.status).toBe(202);
    await drainQueue(a.app);
    expect(await gargronRow()).toMatchObject({
      name: "gargle",
      summary: "<p>Some bio</p>",
      avatarUrl: "https://cd.niu.moe/accounts/avatars/000/033/323/original/fd7f8ae0b3ffedc9.jpeg",
      inboxUrl: `${server.origin}/users/gargron/inbox`,
      sharedInboxUrl: `${server.origin}/inbox`,
    });
  });

  it("an Update of another actor is refused, whatever the actor, embedded or by id", async () => {
    const before = await a.app.database.rows(sql`select * from actors order by iri`);
    const beaIri = a.app.urls.actor("bea").href;
    const mallory = `${server.origin}/users/mallory`;
    const hostile: Array<[string, unknown]> = [
      ["gargron's actor, embedded", { ...(await updateFixture()).object, name: "Hacked" }],
      ["gargron's actor, by id", gargronIri],
      [
        "a member of this instance",
        { type: "Person", id: beaIri, inbox: `${beaIri}/inbox`, name: "Hacked" },
      ],
      [
        "an actor of another server",
        {
          type: "Person",
          id: "https://elsewhere.example/users/x",
          inbox: "https://elsewhere.example/inbox",
          name: "Hacked",
        },
      ],
    ];
    for (const [what, object] of hostile) {
      const response = await signedPost(
        inbox,
        { "@context": [AS, SEC], type: "Update", id: nextId(mallory), actor: mallory, object },
        `${mallory}#main-key`,
        malloryKey,
      );
      expect(response.status, what).toBe(202);
    }
    // mallory updating herself: we keep nothing of her, and still do not.
    const self = await signedPost(
      inbox,
      {
        "@context": [AS, SEC],
        type: "Update",
        id: nextId(mallory),
        actor: mallory,
        object: server.documents.get("/users/mallory"),
      },
      `${mallory}#main-key`,
      malloryKey,
    );
    expect(self.status).toBe(202);
    // Signed by mallory in gargron's name: refused before anything runs.
    const forged = await signedPost(
      inbox,
      {
        ...(await updateFixture()),
        id: nextId(gargronIri),
        object: { ...(await updateFixture()).object, name: "Hacked" },
      },
      `${mallory}#main-key`,
      malloryKey,
    );
    expect(forged.status).toBe(401);
    await drainQueue(a.app);
    expect(await a.app.database.rows(sql`select * from actors order by iri`)).toEqual(before);
    expect((await a.app.members.findByUsername("bea"))?.displayName).toBe("");
  });

  it("takes no key from the Update: the next signature is checked against what the actor's own server lists", async () => {
    const like = (pair: KeyPair) =>
      signedPost(
        inbox,
        {
          "@context": AS,
          type: "Like",
          id: nextId(gargronIri),
          actor: gargronIri,
          object: `${server.origin}/statuses/1`,
        },
        `${gargronIri}#main-key`,
        pair,
      );
    // A knows K1 from a first activity.
    await serveGargron(k1);
    expect((await like(k1)).status).toBe(202);
    // gargron's server now lists K2; his Update, sent as he rotated, is signed with K1.
    await serveGargron(k2);
    expect(
      (
        await signedPost(
          inbox,
          { ...(await updateFixture(k2)), id: nextId(gargronIri) },
          `${gargronIri}#main-key`,
          k1,
        )
      ).status,
    ).toBe(202);
    await drainQueue(a.app);
    // The Update made A forget the key it cached: K1, which his server no longer lists, is
    // refused from now on (a leaked old key stops working), and K2 is fetched and holds.
    expect((await like(k1)).status).toBe(401);
    expect((await like(k2)).status).toBe(202);

    // An Update that embeds K3, which his server does not list: K3 is never trusted.
    const embedsK3 = { ...(await updateFixture(k3)), id: nextId(gargronIri) };
    expect((await signedPost(inbox, embedsK3, `${gargronIri}#main-key`, k2)).status).toBe(202);
    await drainQueue(a.app);
    expect((await like(k3)).status).toBe(401);
    expect((await like(k2)).status).toBe(202);
    await drainQueue(a.app);
  });

  it("GoToSocial's actor with fields (key id without a fragment) refreshes the same way", async () => {
    const pair = k1;
    const gts = JSON.parse(
      fixture("actors/gotosocial-person-with-fields.json").replaceAll(
        "http://localhost:8080",
        server.origin,
      ),
    ) as Json & { id: string; publicKey: Json };
    gts.publicKey.publicKeyPem = await pemOf(pair);
    server.documents.set("/users/1happyturtle", gts);
    server.documents.set("/users/1happyturtle/main-key", gts);
    await a.app.actors.upsertRemote(await a.app.remoteLookup.lookupActor(gts.id));
    const renamed = { ...gts, name: "happy big turtle", summary: "<p>now bigger</p>" };
    server.documents.set("/users/1happyturtle", renamed);
    const response = await signedPost(
      inbox,
      {
        "@context": gts["@context"],
        type: "Update",
        id: `${gts.id}/updates/1`,
        actor: gts.id,
        to: [`${AS}#Public`],
        object: renamed,
      },
      gts.publicKey.id as string,
      pair,
    );
    expect(response.status).toBe(202);
    await drainQueue(a.app);
    expect(await a.app.actors.findByIri(gts.id)).toMatchObject({
      name: "happy big turtle",
      summary: "<p>now bigger</p>",
    });
  });

  it("an actor unheard of for more than a day is fetched again after its next activity, in the background", async () => {
    await serveGargron(k2, { name: "Gargron (fresh)" });
    const like = () =>
      signedPost(
        inbox,
        {
          "@context": AS,
          type: "Like",
          id: nextId(gargronIri),
          actor: gargronIri,
          object: `${server.origin}/statuses/2`,
        },
        `${gargronIri}#main-key`,
        k2,
      );
    // Fresh: nothing is fetched (once his key is known).
    expect((await like()).status).toBe(202);
    await drainQueue(a.app);
    const fetchesBefore = server.fetches("/users/gargron");
    expect((await like()).status).toBe(202);
    await drainQueue(a.app);
    expect(server.fetches("/users/gargron")).toBe(fetchesBefore);
    expect((await gargronRow())?.name).not.toBe("Gargron (fresh)");

    // A day and more later (the app's clock): fetched again once.
    clockAhead = 25 * 3600_000;
    try {
      expect((await like()).status).toBe(202);
      await eventually(async () => (await gargronRow())?.name === "Gargron (fresh)", {
        what: "the stale actor to be refreshed",
      });
      await drainQueue(a.app);
      expect(server.fetches("/users/gargron")).toBe(fetchesBefore + 1);
    } finally {
      clockAhead = 0;
    }
  });

  it("naming a stale actor does not wait for its slow server", async () => {
    await a.app.database.rows(
      sql`update actors set fetched_at = now() - interval '2 days' where iri = ${gargronIri}`,
    );
    await serveGargron(k2, { name: "Gargron (slow)" });
    server.slowDown(3_000);
    const started = Date.now();
    const view = await a.app.encounters.create("bea", {
      text: "Croisé Gargron",
      participants: [gargronIri],
    });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(view.participants[0]?.actor?.iri).toBe(gargronIri);
    await eventually(async () => (await gargronRow())?.name === "Gargron (slow)", {
      what: "the slow refresh",
      timeoutMs: 15_000,
    });
    await drainQueue(a.app);
  });
});
