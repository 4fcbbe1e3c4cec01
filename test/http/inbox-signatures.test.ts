import { generateCryptoKeyPair, preloadedContexts, signJsonLd, signRequest } from "@fedify/fedify";
import { exportSpki } from "@fedify/vocab-runtime";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { startHost, type TestHost } from "../support/hosts.ts";
import { drainQueue } from "../support/queue.ts";

type Json = Record<string, unknown>;
type Keys = Awaited<ReturnType<typeof generateCryptoKeyPair>>;
const AS = "https://www.w3.org/ns/activitystreams";

const contextLoader = async (url: string) => {
  const document = (preloadedContexts as Record<string, unknown>)[url];
  if (document === undefined) throw new Error(`no network in tests: ${url}`);
  return { contextUrl: null, documentUrl: url, document };
};

/**
 * Which signature authenticates an inbox POST (src/http/fedify-bridge.ts,
 * `signedByItsActor` in src/federation/inbox-sender.ts): signed with the actor's own key,
 * the HTTP signature alone decides, whatever Linked Data signature the body carries; signed
 * by someone else on the actor's server (a relay), the actor's Linked Data signature is
 * still what speaks for the actor. One server, two actors: alice and mallory.
 */
describe(`inbox: the HTTP signature or the Linked Data signature (${databaseLabel})`, () => {
  let a: TestApp;
  let server: TestHost;
  let bea: string;
  const keys: Record<string, Keys> = {};
  let serial = 0;
  const actorIri = (name: string) => `${server.origin}/users/${name}`;

  beforeAll(async () => {
    a = await buildTestApp({ listen: true });
    await a.app.members.create({ username: "bea", password: "bea-password-123" });
    bea = a.app.urls.actor("bea").href;
    for (const name of ["alice", "mallory", "stranger"]) {
      keys[name] = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
    }
    const pems = Object.fromEntries(
      await Promise.all(
        ["alice", "mallory"].map(async (n) => [n, await exportSpki((keys[n] as Keys).publicKey)]),
      ),
    );
    let origin = "";
    server = await startHost("127.0.0.1", (request, response) => {
      const name = /^\/users\/([a-z]+)$/.exec(request.url ?? "")?.[1];
      const pem = name ? pems[name] : undefined;
      if (request.method !== "GET" || !name || !pem) return response.writeHead(404).end();
      const id = `${origin}/users/${name}`;
      response.writeHead(200, { "content-type": "application/activity+json" }).end(
        JSON.stringify({
          "@context": [AS, "https://w3id.org/security/v1"],
          type: "Person",
          id,
          preferredUsername: name,
          inbox: `${id}/inbox`,
          publicKey: { id: `${id}#main-key`, owner: id, publicKeyPem: pem },
        }),
      );
    });
    origin = server.origin;
  });
  afterAll(async () => {
    await a?.close();
    await server?.close();
  });

  /** A Create(Note) by `author` naming bea, tagged #Socialdapres: one A keeps. */
  function create(author: string): Json {
    const id = `${actorIri(author)}/statuses/${++serial}`;
    return {
      "@context": AS,
      id: `${id}/activity`,
      type: "Create",
      actor: actorIri(author),
      to: [`${AS}#Public`],
      object: {
        id,
        type: "Note",
        attributedTo: actorIri(author),
        to: [`${AS}#Public`],
        content: `<p>Met @bea #Socialdapres (${serial})</p>`,
        tag: [
          { type: "Mention", href: bea, name: `@bea@${new URL(bea).host}` },
          { type: "Hashtag", href: `${server.origin}/tags/socialdapres`, name: "#Socialdapres" },
        ],
      },
    };
  }

  const ldSigned = (activity: Json, signer: string) =>
    signJsonLd(
      activity,
      (keys[signer] as Keys).privateKey,
      new URL(`${actorIri(signer)}#main-key`),
      { contextLoader },
    ) as Promise<Json>;

  /** POSTs `body` to A's shared inbox with an HTTP signature naming `keyOf`'s key, made with `signWith`'s. */
  async function post(body: Json, keyOf: string, signWith = keyOf): Promise<number> {
    const request = new Request(`${a.baseUrl}/inbox`, {
      method: "POST",
      headers: { "content-type": "application/activity+json" },
      body: JSON.stringify(body),
    });
    const signed = await signRequest(
      request,
      (keys[signWith] as Keys).privateKey,
      new URL(`${actorIri(keyOf)}#main-key`),
      { spec: "draft-cavage-http-signatures-12" },
    );
    const response = await fetch(signed);
    await response.arrayBuffer();
    return response.status;
  }

  async function stored(activity: Json): Promise<boolean> {
    await drainQueue(a.app);
    const iri = (activity.object as Json).id as string;
    const rows = await a.app.database.rows<{ n: number }>(
      sql`select count(*)::int as n from encounters where iri = ${iri}`,
    );
    return rows[0]?.n === 1;
  }

  it("takes the actor's own HTTP signature for it, and refuses it when it does not verify, whatever the body's Linked Data signature", async () => {
    // Mastodon's shape: a Linked Data signature in the body, the HTTP signature by the actor.
    const genuine = await ldSigned(create("alice"), "alice");
    expect(await post(genuine, "alice")).toBe(202);
    expect(await stored(genuine)).toBe(true);

    // The Linked Data signature is not what authenticates it: a broken one changes nothing…
    const broken = await ldSigned(create("alice"), "alice");
    (broken.signature as Json).signatureValue = "AAAA";
    expect(await post({ ...broken, proof: { type: "DataIntegrityProof" } }, "alice")).toBe(202);
    expect(await stored(broken)).toBe(true);

    // …and a valid one does not make up for an HTTP signature that does not verify (alice's
    // key id, someone else's key): Fedify would otherwise have trusted the body's signature
    // and never looked at the HTTP one.
    const replayed = await ldSigned(create("alice"), "alice");
    expect(await post(replayed, "alice", "stranger")).toBe(401);
    expect(await stored(replayed)).toBe(false);
  });

  it("refuses a body in alice's name with a valid HTTP signature by mallory, and keeps alice's own Linked Data signature for a relayed one", async () => {
    // Forged: mallory signs the request (a valid signature, on alice's server) and the body.
    const forged = await ldSigned(create("alice"), "mallory");
    expect(await post(forged, "mallory")).toBe(401);
    const bare = create("alice");
    expect(await post(bare, "mallory")).toBe(401);
    expect(await stored(forged)).toBe(false);
    expect(await stored(bare)).toBe(false);

    // Relayed: mallory delivers what alice wrote and signed. Alice's Linked Data signature
    // is checked as before (the HTTP signature is not alice's, so the body keeps it).
    const relayed = await ldSigned(create("alice"), "alice");
    expect(await post(relayed, "mallory")).toBe(202);
    expect(await stored(relayed)).toBe(true);
    // Tampered after alice signed it: refused.
    const tampered = await ldSigned(create("alice"), "alice");
    (tampered.object as Json).content = "<p>Something alice never wrote #Socialdapres</p>";
    expect(await post(tampered, "mallory")).toBe(401);
    expect(await stored(tampered)).toBe(false);
  });
});
