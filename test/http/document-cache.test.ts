import { webcrypto } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actorKeys } from "../../src/db/schema.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel, freshDatabaseConfig } from "../support/database.ts";

const AP = { accept: "application/activity+json" };
type Json = Record<string, unknown>;

async function getJson(instance: TestApp, path: string, headers: Record<string, string> = AP) {
  const response = await instance.app.http.inject({ method: "GET", url: path, headers });
  const json = (response.body ? response.json() : {}) as Json;
  return { status: response.statusCode, json, headers: response.headers };
}

async function newRsaJwks() {
  const pair = (await webcrypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  )) as webcrypto.CryptoKeyPair;
  return {
    publicKey: await webcrypto.subtle.exportKey("jwk", pair.publicKey),
    privateKey: await webcrypto.subtle.exportKey("jwk", pair.privateKey),
  };
}

const publicKeyPem = (actor: Json) => (actor.publicKey as Json).publicKeyPem as string;

/**
 * Actors, Notes and WebFinger answers are kept between requests (src/http/document-cache.ts);
 * every change to what they are made of is served at the next request, never the kept copy.
 */
describe(`the kept ActivityPub documents are never stale (${databaseLabel})`, () => {
  let a: TestApp;
  let noteId: string;

  beforeAll(async () => {
    a = await buildTestApp();
    await a.app.members.create({ username: "bea", password: "bea-password-123" });
    noteId = (
      await a.app.encounters.create("bea", {
        text: "Café au marché #Socialdapres",
        participants: ["Zoé"],
      })
    ).id;
  });
  afterAll(() => a?.close());

  it("the actor follows a profile edit, a key rotation and a change made straight in SQL", async () => {
    const first = await getJson(a, "/users/bea");
    expect(first.status).toBe(200);
    // Served twice alike, the second time from the cache, with Fedify's headers.
    const again = await getJson(a, "/users/bea");
    expect(again.json).toEqual(first.json);
    expect(again.headers["content-type"]).toBe(first.headers["content-type"]);

    await a.app.profiles.update("bea", { displayName: "Béa Martin", bio: "Au marché le samedi" });
    const edited = await getJson(a, "/users/bea");
    expect(edited.json.name).toBe("Béa Martin");
    expect(edited.json.summary).toContain("Au marché le samedi");
    // The `/@bea` address gives the same actor.
    expect((await getJson(a, "/@bea")).json.name).toBe("Béa Martin");

    // A rotated RSA key (no service rotates keys yet: written as a rotation would write it).
    const bea = await a.app.members.findByUsername("bea");
    const fresh = await newRsaJwks();
    await a.app.database.db
      .update(actorKeys)
      .set(fresh)
      .where(and(eq(actorKeys.owner, bea?.id ?? ""), eq(actorKeys.algorithm, "RSASSA-PKCS1-v1_5")));
    const rotated = await getJson(a, "/users/bea");
    expect(publicKeyPem(rotated.json)).not.toBe(publicKeyPem(edited.json));
    // And the key Fedify signs with is the new one (the key pairs dispatcher's cache).
    const ctx = a.app.federation.createContext(new URL(a.baseUrl), undefined);
    const [rsa] = await ctx.getActorKeyPairs("bea");
    const exported = await webcrypto.subtle.exportKey(
      "jwk",
      (rsa as unknown as webcrypto.CryptoKeyPair).publicKey,
    );
    expect(exported.n).toBe(fresh.publicKey.n);

    // Whatever writes the row, the database raises the generation.
    await a.app.database.rows(
      sql`update members set display_name = 'Béa M.' where username = 'bea'`,
    );
    expect((await getJson(a, "/users/bea")).json.name).toBe("Béa M.");
  });

  it("the Note follows an edit and a deletion, and WebFinger an account deletion", async () => {
    const path = `/users/bea/encounters/${noteId}`;
    const note = await getJson(a, path);
    expect(note.status).toBe(200);
    expect(note.json.content).toContain("Café au marché");
    expect((await getJson(a, path)).json).toEqual(note.json);

    await a.app.encounters.update("bea", noteId, { text: "Thé au marché #Socialdapres" });
    const edited = await getJson(a, path);
    expect(edited.json.content).toContain("Thé au marché");
    expect(edited.json.content).not.toContain("Café");

    await a.app.encounters.delete("bea", noteId);
    expect((await getJson(a, path)).status).toBe(410);

    const host = new URL(a.baseUrl).host;
    const webfinger = `/.well-known/webfinger?resource=${encodeURIComponent(`acct:bea@${host}`)}`;
    expect((await getJson(a, webfinger, {})).status).toBe(200);
    expect((await getJson(a, webfinger, {})).status).toBe(200);
    await a.app.accountDeletion.deleteAccount("bea");
    expect((await getJson(a, webfinger, {})).status).toBe(410);
    expect((await getJson(a, "/users/bea")).status).toBe(410);
  });
});

/** Two processes of one instance (ROLE=web ×2) share a PostgreSQL database, not their memory. */
describe.runIf(process.env.TEST_DATABASE_URL)("two app instances on one database", () => {
  let a: TestApp;
  let b: TestApp;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const fresh = await freshDatabaseConfig();
    drop = fresh.drop;
    a = await buildTestApp({ database: fresh.config, role: "web" });
    // The same instance (its origin is bound to the database), another process.
    b = await buildTestApp({
      database: fresh.config,
      role: "web",
      origin: new URL(a.baseUrl),
    });
    await a.app.members.create({ username: "bea", password: "bea-password-123" });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await drop?.();
  });

  it("an edit made through one is served at once by the other", async () => {
    const id = (await b.app.encounters.create("bea", { text: "Un", participants: ["Zoé"] })).id;
    const path = `/users/bea/encounters/${id}`;
    expect((await getJson(a, "/users/bea")).json.name).toBe("bea");
    expect((await getJson(a, path)).json.content).toContain("Un");

    await b.app.profiles.update("bea", { displayName: "Béa de B" });
    await b.app.encounters.update("bea", id, { text: "Deux" });
    expect((await getJson(a, "/users/bea")).json.name).toBe("Béa de B");
    expect((await getJson(a, path)).json.content).toContain("Deux");

    await b.app.encounters.delete("bea", id);
    expect((await getJson(a, path)).status).toBe(410);
  });
});
