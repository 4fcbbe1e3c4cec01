import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createFailedAttemptLimiter,
  createMemoryAttemptCounters,
} from "../../src/shared/failed-attempt-limiter.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { API, membersWithTokens } from "./helpers.ts";

describe("failed-attempt limiter", () => {
  it("blocks an address after too many failures, until its window ends", async () => {
    let now = 1_000_000;
    const limiter = createFailedAttemptLimiter({
      counters: createMemoryAttemptCounters(),
      scope: "test",
      maxFailures: 3,
      windowMs: 60_000,
      now: () => now,
    });
    for (let i = 0; i < 3; i++) {
      expect(await limiter.retryAfter("10.0.0.1")).toBe(0);
      await limiter.recordFailure("10.0.0.1");
    }
    expect(await limiter.retryAfter("10.0.0.1")).toBe(60);
    expect(await limiter.retryAfter("10.0.0.2")).toBe(0);
    now += 59_500;
    expect(await limiter.retryAfter("10.0.0.1")).toBe(1);
    now += 500;
    expect(await limiter.retryAfter("10.0.0.1")).toBe(0);
  });

  it("keeps a bounded number of addresses in memory", async () => {
    const counters = createMemoryAttemptCounters({ maxTracked: 2 });
    const limiter = createFailedAttemptLimiter({ counters, scope: "test", maxFailures: 1 });
    await limiter.recordFailure("a");
    await limiter.recordFailure("b");
    await limiter.recordFailure("c"); // evicts the oldest, "a"
    expect(await limiter.retryAfter("a")).toBe(0);
    expect(await limiter.retryAfter("b")).toBeGreaterThan(0);
    expect(await limiter.retryAfter("c")).toBeGreaterThan(0);
  });

  it("two scopes on one store, or two stores, share nothing", async () => {
    const counters = createMemoryAttemptCounters();
    const one = createFailedAttemptLimiter({ counters, scope: "one", maxFailures: 1 });
    const two = createFailedAttemptLimiter({ counters, scope: "two", maxFailures: 1 });
    const elsewhere = createFailedAttemptLimiter({
      counters: createMemoryAttemptCounters(),
      scope: "one",
      maxFailures: 1,
    });
    await one.recordFailure("x");
    expect(await one.retryAfter("x")).toBeGreaterThan(0);
    expect(await two.retryAfter("x")).toBe(0);
    expect(await elsewhere.retryAfter("x")).toBe(0);
  });
});

const meOn = (t: TestApp, headers: Record<string, string>, remoteAddress: string) =>
  t.app.http.inject({ method: "GET", url: `${API}/me`, headers, remoteAddress });

/** Sends wrong tokens until a 429 (at most `max`); the last answer and how many were sent. */
async function guessUntilRefused(
  send: (i: number) => ReturnType<typeof meOn>,
  max = 30,
): Promise<{ last: Awaited<ReturnType<typeof meOn>>; sent: number }> {
  let last = await send(0);
  let sent = 1;
  while (last.statusCode === 401 && sent < max) last = await send(sent++);
  return { last, sent };
}

const WRONG = { authorization: "Bearer wrong-token-wrong-token-1" };

describe(`bearer authentication of the API (${databaseLabel})`, () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await buildTestApp();
    token = (await membersWithTokens(t.app, ["bea"])).bea as string;
  });
  afterAll(() => t?.close());

  const me = (headers: Record<string, string>, remoteAddress = "127.0.0.1") =>
    meOn(t, headers, remoteAddress);

  it("answers 401 with a JSON error and WWW-Authenticate: Bearer", async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{}, /Authentication required/],
      [{ authorization: "Basic YmVhOnB3" }, /must be `Bearer <token>`/],
      [{ authorization: "Bearer" }, /must be `Bearer <token>`/],
      [{ authorization: `Bearer ${"x".repeat(43)}` }, /not valid/],
      [{ authorization: `Bearer ${token}x` }, /not valid/],
      [{ authorization: `Bearer ${token} extra` }, /must be `Bearer <token>`/],
    ];
    for (const [headers, message] of cases) {
      const response = await me(headers, "192.0.2.1");
      expect(response.statusCode, JSON.stringify(headers)).toBe(401);
      expect(response.headers["www-authenticate"]).toMatch(/^Bearer realm="socialdapres"/);
      expect(response.json()).toEqual({ error: expect.stringMatching(message) });
    }
    const ok = await me({ authorization: `bearer ${token}` });
    expect(ok.statusCode).toBe(200);
  });

  it("an address that keeps guessing gets 429 with Retry-After, even with a right token; others do not", async () => {
    const guesser = "198.51.100.7";
    let last = await me({ authorization: "Bearer wrong-token-wrong-token-1" }, guesser);
    for (let i = 0; i < 25 && last.statusCode === 401; i++) {
      last = await me({ authorization: "Bearer wrong-token-wrong-token-1" }, guesser);
    }
    expect(last.statusCode).toBe(429);
    expect(Number(last.headers["retry-after"])).toBeGreaterThan(0);
    expect(last.json()).toEqual({ error: expect.stringMatching(/Too many wrong access tokens/) });
    expect((await me({ authorization: `Bearer ${token}` }, guesser)).statusCode).toBe(429);
    // Without any token it is not a guess: still the plain 401.
    expect((await me({}, guesser)).statusCode).toBe(401);
    expect((await me({ authorization: `Bearer ${token}` }, "203.0.113.9")).statusCode).toBe(200);
  });

  it("invented X-Forwarded-For headers do not reset the limit (no TRUST_PROXY)", async () => {
    const { last, sent } = await guessUntilRefused((i) =>
      me({ ...WRONG, "x-forwarded-for": `203.0.113.${i}` }, "192.0.2.50"),
    );
    expect(last.statusCode).toBe(429);
    expect(sent).toBe(21);
    // The limit is on the real address: another one is served.
    expect((await me({ authorization: `Bearer ${token}` }, "192.0.2.51")).statusCode).toBe(200);
  });

  it("the token never unlocks the C2S outbox before the content type is checked", async () => {
    const response = await t.app.http.inject({
      method: "POST",
      url: "/users/bea/outbox",
      headers: { "content-type": "text/plain" },
      payload: "hi",
    });
    expect(response.statusCode).toBe(401);
  });
});

describe(`bearer authentication behind a trusted proxy (${databaseLabel})`, () => {
  let t: TestApp;
  let token: string;
  const proxy = "127.0.0.1";

  beforeAll(async () => {
    t = await buildTestApp({ trustProxy: [proxy] });
    token = (await membersWithTokens(t.app, ["bea"])).bea as string;
  });
  afterAll(() => t?.close());

  it("counts failures per forwarded client address when the request comes from TRUST_PROXY", async () => {
    const { last, sent } = await guessUntilRefused(() =>
      meOn(t, { ...WRONG, "x-forwarded-for": "198.51.100.7" }, proxy),
    );
    expect(last.statusCode).toBe(429);
    expect(sent).toBe(21);
    // Another client behind the same proxy is not held by it.
    const other = await meOn(
      t,
      { authorization: `Bearer ${token}`, "x-forwarded-for": "203.0.113.9" },
      proxy,
    );
    expect(other.statusCode).toBe(200);
  });

  it("ignores X-Forwarded-For from an address that is not the proxy", async () => {
    const { last, sent } = await guessUntilRefused((i) =>
      meOn(t, { ...WRONG, "x-forwarded-for": `203.0.113.${i}` }, "192.0.2.60"),
    );
    expect(last.statusCode).toBe(429);
    expect(sent).toBe(21);
  });
});
