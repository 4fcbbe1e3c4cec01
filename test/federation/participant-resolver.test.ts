import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ParticipantResolver } from "../../src/encounters/participants.ts";
import { createParticipantResolver } from "../../src/federation/participant-resolver.ts";
import { API, membersWithTokens } from "../api/helpers.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { freePort } from "../support/free-port.ts";

interface LogLine {
  level: number;
  msg: string;
  participant?: string;
  reason?: string;
  explanation?: string;
}

/** The resolver of `t`'s instance, with every log line it writes kept in `logs`. */
function resolverOf(t: TestApp): { resolver: ParticipantResolver; logs: LogLine[] } {
  const logs: LogLine[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const resolver = createParticipantResolver({
    lookup: t.app.remoteLookup,
    urls: t.app.urls,
    members: t.app.members,
    actors: t.app.actors,
    logger: pino({ level: "trace" }, stream),
  });
  return { resolver, logs };
}

/** Resolves `reference`, expecting a refusal; returns its message and what was logged. */
async function refusal(t: TestApp, reference: string) {
  const { resolver, logs } = resolverOf(t);
  const error = await resolver.resolve(reference).then(
    () => {
      throw new Error(`${reference} was resolved`);
    },
    (e: Error) => e,
  );
  return { message: error.message, logs };
}

/** One info line with the reason; nothing at warn or above: the author's mistake, not ours. */
function expectLoggedAtInfo(logs: LogLine[], reference: string, reason: string) {
  expect(logs).toEqual([
    expect.objectContaining({
      level: 30,
      msg: "participant could not be resolved",
      participant: reference,
      reason,
    }),
  ]);
}

describe(`participants nobody answers to (${databaseLabel})`, () => {
  let t: TestApp;
  let strict: TestApp;
  let remote: Server;
  let remoteOrigin: string;

  beforeAll(async () => {
    // A fediverse server that knows no accounts but has one Note.
    remote = createServer((request, response) => {
      if (request.url === "/notes/1") {
        response.writeHead(200, { "content-type": "application/activity+json" });
        response.end(
          JSON.stringify({
            "@context": "https://www.w3.org/ns/activitystreams",
            id: `${remoteOrigin}/notes/1`,
            type: "Note",
            content: "Hello",
          }),
        );
        return;
      }
      response.writeHead(404, { "content-type": "application/json" });
      response.end("{}");
    });
    await new Promise<void>((resolve) => remote.listen(0, "127.0.0.1", resolve));
    remoteOrigin = `http://127.0.0.1:${(remote.address() as AddressInfo).port}`;
    [t, strict] = await Promise.all([buildTestApp(), buildTestApp({ allowPrivateAddress: false })]);
  });
  afterAll(async () => {
    await Promise.all([t?.close(), strict?.close()]);
    await new Promise((resolve) => remote?.close(resolve));
  });

  it("a handle whose host does not resolve", async () => {
    const reference = "@antoine@social.invalid";
    const { message, logs } = await refusal(t, reference);
    expect(message).toBe(
      "participant @antoine@social.invalid could not be found on the fediverse (host social.invalid does not resolve): check the address, or write their name without @.",
    );
    expectLoggedAtInfo(logs, reference, "unreachable");
  });

  it("an actor URL whose server refuses connections", async () => {
    const reference = `http://127.0.0.1:${await freePort()}/users/antoine`;
    const { message, logs } = await refusal(t, reference);
    expect(message).toMatch(/cannot be reached: connection refused\): check the address/);
    expectLoggedAtInfo(logs, reference, "unreachable");
  });

  it("an actor URL its server does not know", async () => {
    const reference = `${remoteOrigin}/users/nobody`;
    const { message, logs } = await refusal(t, reference);
    expect(message).toContain(`(${new URL(remoteOrigin).host} has no such account (HTTP 404))`);
    expectLoggedAtInfo(logs, reference, "not_found");
  });

  it("a URL that is not an account", async () => {
    const reference = `${remoteOrigin}/notes/1`;
    const { message, logs } = await refusal(t, reference);
    expect(message).toContain("(it is a Note, not an account)");
    expectLoggedAtInfo(logs, reference, "not_an_actor");
  });

  it("a private address, refused by an instance that does not contact them", async () => {
    const reference = `${remoteOrigin}/users/antoine`;
    const { message, logs } = await refusal(strict, reference);
    expect(message).toContain(
      `(${new URL(remoteOrigin).host} is on a private or local address, which this server does not contact)`,
    );
    expectLoggedAtInfo(logs, reference, "private_address");
  });

  it("the member posting it gets a 422 that names the participant and the reason", async () => {
    const token = (await membersWithTokens(t.app, ["bea"])).bea as string;
    const response = await t.app.http.inject({
      method: "POST",
      url: `${API}/encounters`,
      headers: { authorization: `Bearer ${token}` },
      payload: { text: "Ravie d’avoir croisé Antoine", participants: ["@antoine@social.invalid"] },
    });
    expect(response.statusCode).toBe(422);
    expect(response.json()).toEqual({
      error:
        "participant @antoine@social.invalid could not be found on the fediverse (host social.invalid does not resolve): check the address, or write their name without @.",
    });
  });
});
