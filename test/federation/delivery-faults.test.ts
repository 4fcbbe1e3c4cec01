import { Temporal } from "@js-temporal/polyfill";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listDeadJobs } from "../../src/federation/dead-letters.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { capturingLogger } from "../support/captured-logs.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { drainQueue } from "../support/queue.ts";
import { type Fault, type Recorder, startRecorder } from "../support/recording-server.ts";

/**
 * Deliveries to misbehaving peers on loopback: a peer that answers 500, 410 or 429 with
 * Retry-After, one that never answers, one that keeps failing. Each case says what
 * arrived, how many times, and in which order. The waits are short (a request timeout of
 * 5 s, retries after 100–300 ms, a circuit breaker that probes again after 1 s). The timeout
 * is what the healthy peer's deliveries must beat while the silent peer holds its request:
 * long enough for a loaded 2-core machine running both test runs at once.
 */
const REQUEST_TIMEOUT_MS = 5_000;
const MAX_ATTEMPTS = 3;

const duration = (milliseconds: number) =>
  Temporal.Duration.from({ milliseconds }) as unknown as globalThis.Temporal.Duration;

/** A peer whose fault can be changed from test to test, while its rita follows `username`. */
interface Peer {
  recorder: Recorder;
  fault: (post: { id: string | undefined; type: string }) => Fault | undefined;
}

const CONTENT = new Set(["Create", "Update", "Delete"]);

describe(`delivery to misbehaving peers (${databaseLabel})`, () => {
  let a: TestApp;
  const { logger, logs } = capturingLogger("warn");
  const failedAttempts = () =>
    logs.filter((line) => line.includes('"msg":"Job failed; retrying later"')).length;
  const peers: Peer[] = [];
  let members = 0;

  /** Two peers serve every test (a peer's keys take a while to make): each starts afresh. */
  let healthy: Peer;
  let faulty: Peer;

  async function peer(): Promise<Peer> {
    const state: Peer = { recorder: undefined as unknown as Recorder, fault: () => undefined };
    state.recorder = await startRecorder({ fault: (post) => state.fault(post) });
    peers.push(state);
    return state;
  }

  function afresh(): void {
    for (const { recorder } of peers) {
      recorder.posts.length = 0;
      recorder.received.length = 0;
      recorder.deliveries.length = 0;
    }
    for (const state of peers) state.fault = () => undefined;
    // A failed test must not leave a request hanging into the next one.
    for (const { recorder } of peers) recorder.releaseHanging();
  }

  /** A new member followed by these peers' rita (accepted, the Accept delivered). */
  async function memberFollowedBy(...followers: Peer[]): Promise<string> {
    const username = `m${++members}`;
    await a.app.members.create({ username });
    for (const { recorder } of followers) {
      const follower = await a.app.remoteLookup.lookupActor(recorder.actorIri);
      await a.app.follows.receiveFollow({
        username,
        follower,
        activityIri: `${recorder.origin}/follows/${username}`,
      });
    }
    await drainQueue(a.app);
    return username;
  }

  const content = (recorder: Recorder) => recorder.posts.filter((p) => CONTENT.has(p.type));
  const received = (recorder: Recorder) =>
    recorder.received.filter((r) => CONTENT.has(r.type)).map((r) => `${r.type} ${r.id}`);

  beforeAll(async () => {
    a = await buildTestApp({
      listen: true,
      logger,
      delivery: {
        connectTimeoutMs: 500,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        concurrency: 2,
        perHostConcurrency: 1,
      },
      queue: {
        retryBaseDelayMs: 100,
        retryMaxDelayMs: 300,
        maxAttempts: MAX_ATTEMPTS,
        maxRescheduleDelayMs: 1_500,
        pollIntervalMs: 50,
      },
      circuitBreaker: { failureThreshold: 3, recoveryDelay: duration(1_000) },
    });
    [healthy, faulty] = await Promise.all([peer(), peer()]);
  });
  afterAll(async () => {
    await a?.close();
    for (const { recorder } of peers) await recorder.app.close();
  });

  it("retries a peer's 500 in place, one signature per attempt, then sends Create before Update", async () => {
    afresh();
    const failing = faulty;
    const username = await memberFollowedBy(healthy, failing);
    let errors = 0;
    failing.fault = (post) =>
      CONTENT.has(post.type) && errors++ < 2 ? { status: 500 } : undefined;

    const encounter = await a.app.encounters.create(username, {
      text: "Au marché",
      participants: ["Léa"],
    });
    await a.app.encounters.update(username, encounter.id, { text: "Au marché couvert" });
    await eventually(() => received(failing.recorder).length === 2, {
      what: "the failing peer to recover",
    });
    await drainQueue(a.app);

    const sent = content(failing.recorder);
    expect(sent.map((p) => `${p.type} ${p.status}`)).toEqual([
      "Create 500",
      "Create 500",
      "Create 202",
      "Update 202",
    ]);
    // One POST per attempt: Fedify's second knock (the other signature format) would have
    // followed the first 500 at once, and the job would have failed only once.
    expect(failedAttempts()).toBe(2);
    // Fedify remembers the format of a knock it did not get to make: the retry uses the other.
    expect(sent.map((p) => p.signature).slice(0, 3)).toEqual(["cavage", "rfc9421", "cavage"]);
    expect(received(failing.recorder).map((r) => r.split(" ")[0])).toEqual(["Create", "Update"]);
    expect(received(healthy.recorder).map((r) => r.split(" ")[0])).toEqual(["Create", "Update"]);
    expect(content(healthy.recorder)).toHaveLength(2);
  });

  it("waits as long as a 429's Retry-After says, without using up the attempts", async () => {
    afresh();
    const limited = faulty;
    const username = await memberFollowedBy(limited);
    let refusals = 0;
    // More refusals than the job has attempts: each one must be a wait, not a failure.
    limited.fault = (post) =>
      CONTENT.has(post.type) && refusals++ < MAX_ATTEMPTS + 1
        ? { status: 429, headers: { "retry-after": "1" } }
        : undefined;

    await a.app.encounters.create(username, { text: "Au café", participants: ["Max"] });
    await eventually(() => received(limited.recorder).length === 1, {
      what: "the Create to get through",
      timeoutMs: 20_000,
    });
    await drainQueue(a.app);

    const sent = content(limited.recorder);
    expect(sent.map((p) => p.status)).toEqual([429, 429, 429, 429, 202]);
    for (let i = 1; i < sent.length; i++) {
      expect((sent[i]?.at ?? 0) - (sent[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(950);
    }
    expect(await listDeadJobs(a.app.database)).toEqual([]);
  });

  it("forgets a follower whose server answers 410 Gone and sends it nothing more", async () => {
    afresh();
    const gone = faulty;
    const username = await memberFollowedBy(healthy, gone);
    gone.fault = (post) => (CONTENT.has(post.type) ? { status: 410 } : undefined);

    await a.app.encounters.create(username, { text: "Au parc", participants: ["Zoé"] });
    await drainQueue(a.app);
    expect(content(gone.recorder).map((p) => `${p.type} ${p.status}`)).toEqual(["Create 410"]);
    const followers = await a.app.follows.followers(username, { limit: 10 });
    expect(followers.items.map((actor) => actor.iri)).toEqual([healthy.recorder.actorIri]);

    await a.app.encounters.create(username, { text: "À la gare", participants: ["Zoé"] });
    await drainQueue(a.app);
    expect(content(gone.recorder)).toHaveLength(1);
    expect(received(healthy.recorder)).toHaveLength(2);
    expect(await listDeadJobs(a.app.database)).toEqual([]);
  });

  it("keeps a follower whose server answers 404 at its shared inbox, and does not retry", async () => {
    afresh();
    const username = await memberFollowedBy(faulty);
    faulty.fault = (post) => (CONTENT.has(post.type) ? { status: 404 } : undefined);

    await a.app.encounters.create(username, { text: "Au lac", participants: ["Zoé"] });
    await drainQueue(a.app);
    // A 404 from a shared inbox says nothing of one actor: only a 410, or a 404 from the
    // actor's own inbox, does.
    expect(content(faulty.recorder).map((p) => `${p.type} ${p.status}`)).toEqual(["Create 404"]);
    const followers = await a.app.follows.followers(username, { limit: 10 });
    expect(followers.items.map((actor) => actor.iri)).toEqual([faulty.recorder.actorIri]);
    // No retry waiting either: the job is gone.
    const [left] = await a.app.database.rows<{ n: number }>(
      sql`select count(*)::int as n from queue_jobs`,
    );
    expect(left?.n).toBe(0);
  });

  it("lets a peer that never answers hold one slot: the healthy peer gets everything meanwhile", async () => {
    afresh();
    const silent = faulty;
    const username = await memberFollowedBy(healthy, silent);
    silent.fault = (post) => (CONTENT.has(post.type) ? "hang" : undefined);

    const startedAt = Date.now();
    // Each encounter its own ordering key: without a per-host cap the silent peer's four
    // deliveries would fill both slots for a whole timeout.
    for (const text of ["Un", "Deux", "Trois", "Quatre"]) {
      await a.app.encounters.create(username, { text, participants: ["Max"] });
    }
    await eventually(() => received(healthy.recorder).length === 4, {
      what: "the healthy peer's four Creates",
    });
    const healthyDoneAt = Date.now();
    // The silent peer never had two requests at once, and none has timed out yet.
    const waiting = content(silent.recorder);
    expect(waiting.filter((p) => p.status === "pending")).toHaveLength(1);
    expect(waiting.filter((p) => p.status === "abandoned")).toEqual([]);

    // The request times out: the sender gives up after REQUEST_TIMEOUT_MS.
    await eventually(() => content(silent.recorder).some((p) => p.status === "abandoned"), {
      what: "the request to the silent peer to time out",
    });
    const abandonedAfter = Date.now() - (content(silent.recorder)[0]?.at ?? 0);
    expect(abandonedAfter).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);

    // It comes back: every Create reaches it, once.
    silent.fault = () => undefined;
    silent.recorder.releaseHanging();
    await eventually(() => received(silent.recorder).length === 4, {
      what: "the silent peer to get its four Creates",
      timeoutMs: 20_000,
    });
    await drainQueue(a.app);
    expect(new Set(received(silent.recorder))).toEqual(new Set(received(healthy.recorder)));
    expect(content(silent.recorder).filter((p) => p.status === 202)).toHaveLength(4);
    expect(content(healthy.recorder)).toHaveLength(4);
    console.info(
      `healthy peer: 4 Creates in ${healthyDoneAt - startedAt} ms with a silent peer (timeout ${REQUEST_TIMEOUT_MS} ms)`,
    );
  });

  it("pauses a host that keeps failing and keeps its deliveries until it is back, in order", async () => {
    afresh();
    const flaky = faulty;
    const username = await memberFollowedBy(flaky);
    let errors = 0;
    // Twice the attempts a job has: the circuit breaker holds the rest, at no attempt's cost.
    const failures = MAX_ATTEMPTS * 2;
    flaky.fault = (post) =>
      CONTENT.has(post.type) && errors++ < failures ? { status: 503 } : undefined;

    const encounter = await a.app.encounters.create(username, {
      text: "Au port",
      participants: ["Léa"],
    });
    await a.app.encounters.update(username, encounter.id, { text: "Au vieux port" });
    await eventually(() => received(flaky.recorder).length === 2, {
      what: "the paused host to get both activities",
      timeoutMs: 30_000,
    });
    await drainQueue(a.app);
    const sent = content(flaky.recorder);
    expect(sent.map((p) => `${p.type} ${p.status}`)).toEqual([
      ...Array(failures).fill("Create 503"),
      "Create 202",
      "Update 202",
    ]);
    expect(received(flaky.recorder).map((r) => r.split(" ")[0])).toEqual(["Create", "Update"]);
    expect(await listDeadJobs(a.app.database)).toEqual([]);
  });
});
