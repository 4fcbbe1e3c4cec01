import { lookup as dnsLookup } from "node:dns";
import { Follow, isActor } from "@fedify/vocab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { PUBLIC_STAND_IN, standInPolicy, startHost, type TestHost } from "../support/hosts.ts";
import { drainQueue } from "../support/queue.ts";
import { type Recorder, startRecorder } from "../support/recording-server.ts";

/** internal.example stands for a name in the operator's own DNS. */
const lookup = ((hostname: string, options: object, callback: (...args: unknown[]) => void) =>
  hostname === "internal.example"
    ? callback(null, [{ address: "127.0.0.1", family: 4 }])
    : dnsLookup(hostname, options as never, callback as never)) as never;

/**
 * An instance run as in production (private addresses refused), on loopback: 127.0.0.2
 * plays the public internet, 127.0.0.1 the operator's network, where `internal` listens
 * and must never receive anything.
 */
describe(`no request to a private address outside test mode (${databaseLabel})`, () => {
  let a: TestApp;
  let internal: TestHost;
  let bouncer: TestHost;
  const strangers: Recorder[] = [];

  /** A public-looking server whose actor names `inbox` as where to deliver, and follows bea. */
  async function followedBy(inbox?: string): Promise<Recorder> {
    const stranger = await startRecorder({ address: PUBLIC_STAND_IN, inbox });
    strangers.push(stranger);
    const ctx = stranger.federation.createContext(new URL(stranger.origin), undefined);
    const bea = await ctx.lookupObject(a.app.urls.actor("bea").href);
    if (!isActor(bea) || !bea.id) throw new Error("bea not found");
    await ctx.sendActivity(
      { identifier: "rita" },
      bea,
      new Follow({
        id: new URL("/follows/1", stranger.origin),
        actor: new URL(stranger.actorIri),
        object: bea.id,
      }),
    );
    await drainQueue(a.app);
    return stranger;
  }

  beforeAll(async () => {
    internal = await startHost("127.0.0.1", (_request, response) => response.writeHead(202).end());
    bouncer = await startHost(PUBLIC_STAND_IN, (request, response) => {
      response.writeHead(307, { location: `${internal.origin}${request.url}` }).end();
    });
    a = await buildTestApp({
      listen: true,
      allowPrivateAddress: false,
      egress: { isPublicAddress: standInPolicy, lookup },
    });
    await a.app.members.create({ username: "bea", password: "bea-password-123" });
  });

  afterAll(async () => {
    await Promise.all([
      a?.close(),
      internal?.close(),
      bouncer?.close(),
      ...strangers.map((s) => s.app.close()),
    ]);
  });

  it("accepts a follower whose inbox is public, and delivers the Accept there", async () => {
    const stranger = await followedBy();
    expect(await a.app.follows.followState(stranger.actorIri, "bea")).toBe("accepted");
    await eventually(() => stranger.received.some((r) => r.type === "Accept"), {
      what: "the Accept at the public inbox",
    });
  });

  it("never stores a follower whose inbox is a private address, and sends it nothing", async () => {
    for (const inbox of [
      `${internal.origin}/inbox`,
      `http://internal.example:${internal.port}/inbox`,
    ]) {
      const stranger = await followedBy(inbox);
      expect(await a.app.follows.followState(stranger.actorIri, "bea"), inbox).toBeUndefined();
      expect(await a.app.actors.findByIri(stranger.actorIri), inbox).toBeUndefined();
    }
    expect(internal.requests).toEqual([]);
  });

  it("follows no redirect from a public inbox into the private network", async () => {
    const stranger = await followedBy(`${bouncer.origin}/inbox`);
    // Stored (its inbox looks public) and answered: the Accept goes out…
    expect(await a.app.follows.followState(stranger.actorIri, "bea")).toBe("accepted");
    await eventually(() => bouncer.requests.some((r) => r.method === "POST"), {
      what: "the Accept to reach the public inbox",
    });
    await drainQueue(a.app);
    // …and the redirect towards 127.0.0.1 is refused when connecting.
    expect(internal.requests).toEqual([]);
  });

  it("refuses a participant named by a private URL, without fetching it", async () => {
    const token = await a.app.members.createToken("bea");
    const response = await a.app.http.inject({
      method: "POST",
      url: "/api/socialdapres/v1/encounters",
      headers: { authorization: `Bearer ${token}` },
      payload: { text: "Un café", participants: [`${internal.origin}/users/x`] },
    });
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toContain(`${internal.origin}/users/x`);
    expect(internal.requests).toEqual([]);
  });
});
