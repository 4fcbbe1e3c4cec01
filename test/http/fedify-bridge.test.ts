import { type Federation, signRequest } from "@fedify/fedify";
import { Follow, Person } from "@fedify/vocab";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { registerFedifyBridge } from "../../src/http/fedify-bridge.ts";
import { createTestFederation, TEST_INBOX_PATHS } from "../support/federation.ts";
import { freePort } from "../support/free-port.ts";

const AP = "application/activity+json";
const FIREFOX_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

interface Received {
  recipient: string | null;
  id: string | undefined;
  actor: string | undefined;
}

interface Instance {
  app: FastifyInstance;
  federation: Federation<void>;
  origin: string;
  username: string;
  received: Received[];
  /** The RSA private key behind the actor's `publicKey`, to sign requests by hand. */
  rsaPrivateKey: Parameters<typeof signRequest>[1];
}

/** A response body as JSON of the shape the test expects. */
async function readJson<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

/** One Fastify + Fedify instance serving a single member, `username`. */
async function startInstance(username: string): Promise<Instance> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const received: Received[] = [];
  const { federation, inbox, keyPairs } = await createTestFederation({
    username,
    name: username,
  });
  inbox.on(Follow, (ctx, follow) => {
    received.push({
      recipient: ctx.recipient,
      id: follow.id?.href,
      actor: follow.actorId?.href,
    });
  });

  const app = Fastify({ logger: false });
  registerFedifyBridge(app, federation, {
    origin,
    contextData: () => undefined,
    inboxPaths: TEST_INBOX_PATHS,
    rewriteUrl: (url) => {
      const handle = /^\/@([^/]+)$/.exec(url.pathname)?.[1];
      return handle === undefined ? undefined : new URL(`/users/${handle}`, url);
    },
  });
  app.get<{ Params: { identifier: string } }>("/users/:identifier", async (request, reply) => {
    const known = request.params.identifier === username;
    return reply
      .code(known ? 200 : 404)
      .type("text/html; charset=utf-8")
      .send(known ? `<h1>Profile of ${username}</h1>` : "<h1>No such member</h1>");
  });
  app.get<{ Params: { handle: string } }>("/@:handle", async (request, reply) =>
    reply
      .type("text/html; charset=utf-8")
      .send(`<h1>Short profile of ${request.params.handle}</h1>`),
  );
  app.get("/about", async (_request, reply) =>
    reply.type("text/html; charset=utf-8").send("<h1>About</h1>"),
  );
  await app.listen({ port, host: "127.0.0.1" });
  return { app, federation, origin, username, received, rsaPrivateKey: keyPairs[0]?.privateKey };
}

function follow(from: Instance, to: string, n: number): Follow {
  return new Follow({
    id: new URL(`/follows/${n}`, from.origin),
    actor: new URL(`/users/${from.username}`, from.origin),
    object: new URL(to),
  });
}

let alice: Instance;
let bob: Instance;

beforeAll(async () => {
  [alice, bob] = await Promise.all([startInstance("alice"), startInstance("bob")]);
});

afterAll(async () => {
  await Promise.all([alice?.app.close(), bob?.app.close()]);
});

beforeEach(() => {
  alice.received.length = 0;
});

describe("GET/HEAD through Fedify", () => {
  it("serves the actor as ActivityPub JSON", async () => {
    const response = await fetch(`${alice.origin}/users/alice`, { headers: { Accept: AP } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain(AP);
    expect(response.headers.get("vary")).toContain("Accept");
    const actor = await readJson<{
      id: string;
      inbox: string;
      publicKey: { publicKeyPem: string };
    }>(response);
    expect(actor.id).toBe(`${alice.origin}/users/alice`);
    expect(actor.inbox).toBe(`${alice.origin}/users/alice/inbox`);
    expect(actor.publicKey.publicKeyPem).toContain("BEGIN PUBLIC KEY");
  });

  it("falls through to the Fastify HTML page on the same URL, with Vary: Accept", async () => {
    for (const accept of ["text/html", FIREFOX_ACCEPT]) {
      const response = await fetch(`${alice.origin}/users/alice`, { headers: { Accept: accept } });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toContain("text/html");
      expect(response.headers.get("vary")).toContain("Accept");
      expect(await response.text()).toBe("<h1>Profile of alice</h1>");
    }
  });

  it("answers 404 for an unknown actor", async () => {
    const response = await fetch(`${alice.origin}/users/nobody`, { headers: { Accept: AP } });
    expect(response.status).toBe(404);
  });

  it("leaves non-federation pages and Fastify's 404 alone", async () => {
    const about = await fetch(`${alice.origin}/about`, { headers: { Accept: AP } });
    expect(about.status).toBe(200);
    expect(await about.text()).toBe("<h1>About</h1>");
    const missing = await fetch(`${alice.origin}/nowhere`, { headers: { Accept: AP } });
    expect(missing.status).toBe(404);
    expect((await readJson<{ message: string }>(missing)).message).toContain(
      "Route GET:/nowhere not found",
    );
  });

  it("answers HEAD without a body, for JSON and HTML", async () => {
    const json = await fetch(`${alice.origin}/users/alice`, {
      method: "HEAD",
      headers: { Accept: AP },
    });
    expect(json.status).toBe(200);
    expect(json.headers.get("content-type")).toContain(AP);
    expect(Number(json.headers.get("content-length"))).toBeGreaterThan(0);
    expect(await json.text()).toBe("");
    const html = await fetch(`${alice.origin}/users/alice`, {
      method: "HEAD",
      headers: { Accept: "text/html" },
    });
    expect(html.status).toBe(200);
    expect(html.headers.get("content-type")).toContain("text/html");
  });

  it("serves Fedify routes that have no Fastify route (WebFinger)", async () => {
    const resource = encodeURIComponent(`${alice.origin}/users/alice`);
    const response = await fetch(`${alice.origin}/.well-known/webfinger?resource=${resource}`);
    expect(response.status).toBe(200);
    const jrd = await readJson<{ links: unknown[] }>(response);
    expect(jrd.links).toContainEqual(
      expect.objectContaining({ rel: "self", href: `${alice.origin}/users/alice` }),
    );
  });

  it("lets rewriteUrl map /@alice to the actor for ActivityPub clients only", async () => {
    const json = await fetch(`${alice.origin}/@alice`, { headers: { Accept: AP } });
    expect(json.status).toBe(200);
    expect((await readJson<{ id: string }>(json)).id).toBe(`${alice.origin}/users/alice`);
    const html = await fetch(`${alice.origin}/@alice`, { headers: { Accept: "text/html" } });
    expect(await html.text()).toBe("<h1>Short profile of alice</h1>");
  });
});

describe("inbox POSTs", () => {
  const inbox = () => `${alice.origin}/users/alice/inbox`;

  it("answers an unsigned activity with 401 and does not call the listener", async () => {
    const body = JSON.stringify(
      await follow(bob, `${alice.origin}/users/alice`, 1).toJsonLd({ format: "compact" }),
    );
    const response = await fetch(inbox(), {
      method: "POST",
      headers: { "Content-Type": AP },
      body,
    });
    expect(response.status).toBe(401);
    expect(alice.received).toEqual([]);
  });

  it("answers malformed JSON with 400 and a message", async () => {
    for (const body of ["{not json", "", "[]", "null", '"a string"']) {
      const response = await fetch(inbox(), {
        method: "POST",
        headers: { "Content-Type": AP },
        body,
      });
      expect(response.status, body).toBe(400);
      expect((await readJson<{ error: string }>(response)).error).toMatch(/JSON/);
    }
  });

  it("answers an activity Fedify cannot process (unloadable @context) with 400, not 500", async () => {
    const response = await fetch(`${alice.origin}/inbox`, {
      method: "POST",
      headers: { "Content-Type": AP },
      body: JSON.stringify({ "@context": "http://127.0.0.1:1/context", type: "Follow" }),
    });
    expect(response.status).toBe(400);
    expect((await readJson<{ error: string }>(response)).error).toBe(
      "The activity could not be processed.",
    );
    expect(alice.received).toEqual([]);
  });

  it("answers a body over 1 MiB with 413, with or without Content-Length", async () => {
    const big = JSON.stringify({ type: "Note", content: "x".repeat(1024 * 1024) });
    const sized = await fetch(inbox(), {
      method: "POST",
      headers: { "Content-Type": AP },
      body: big,
    });
    expect(sized.status).toBe(413);
    expect((await readJson<{ error: string }>(sized)).error).toContain("1048576 bytes");
    const chunked = await fetch(`${alice.origin}/inbox`, {
      method: "POST",
      headers: { "Content-Type": "application/ld+json" },
      body: new Blob([big]).stream(),
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(413);
  });

  it("answers 404 for the inbox of an unknown actor", async () => {
    const response = await fetch(`${alice.origin}/users/nobody/inbox`, {
      method: "POST",
      headers: { "Content-Type": AP },
      body: "{}",
    });
    expect(response.status).toBe(404);
  });

  it("delivers a Follow signed by another instance to the personal and shared inboxes", async () => {
    const ctx = bob.federation.createContext(new URL(bob.origin), undefined);
    const aliceActor = await ctx.lookupObject(`${alice.origin}/users/alice`);
    const aliceId = aliceActor instanceof Person ? aliceActor.id?.href : undefined;
    if (!(aliceActor instanceof Person) || aliceId === undefined) throw new Error("no alice");
    await ctx.sendActivity({ identifier: "bob" }, aliceActor, follow(bob, aliceId, 2));
    await ctx.sendActivity({ identifier: "bob" }, aliceActor, follow(bob, aliceId, 3), {
      preferSharedInbox: true,
    });
    expect(alice.received).toEqual([
      { recipient: "alice", id: `${bob.origin}/follows/2`, actor: `${bob.origin}/users/bob` },
      { recipient: null, id: `${bob.origin}/follows/3`, actor: `${bob.origin}/users/bob` },
    ]);
  });

  it("checks the Digest against the exact bytes received", async () => {
    const ctx = bob.federation.createContext(new URL(bob.origin), undefined);
    const [rsa] = await ctx.getActorKeyPairs("bob");
    if (rsa === undefined) throw new Error("bob has no key");
    const activity = await follow(bob, `${alice.origin}/users/alice`, 4).toJsonLd({
      format: "compact",
    });
    // Unusual formatting: re-serialising the JSON anywhere on the way would break the Digest.
    const body = `${JSON.stringify(activity, null, "\t")}\n`;
    const signed = async () =>
      signRequest(
        new Request(inbox(), { method: "POST", headers: { "Content-Type": AP }, body }),
        bob.rsaPrivateKey,
        rsa.keyId,
        { spec: "draft-cavage-http-signatures-12" },
      );

    const tamperedRequest = await signed();
    const tampered = await fetch(inbox(), {
      method: "POST",
      headers: tamperedRequest.headers,
      body: body.replace("\t", "  "),
    });
    expect(tampered.status).toBe(401);
    expect(alice.received).toEqual([]);

    const intactRequest = await signed();
    expect(intactRequest.headers.get("digest")).toMatch(/^SHA-256=/);
    const intact = await fetch(intactRequest);
    expect(intact.status).toBe(202);
    expect(alice.received.map((r) => r.id)).toEqual([`${bob.origin}/follows/4`]);
  });
});
