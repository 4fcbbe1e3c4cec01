import { describe, expect, it } from "vitest";
import { createLoginThrottle, type LoginOutcome } from "../../src/http/login-throttle.ts";
import { createMemoryAttemptCounters } from "../../src/shared/failed-attempt-limiter.ts";
import { eventually } from "../support/eventually.ts";

/** A password check the test finishes by hand, counting how many run at once. */
function checks() {
  let running = 0;
  let peak = 0;
  const pending: Array<(member: string | undefined) => void> = [];
  return {
    check: () =>
      new Promise<string | undefined>((resolve) => {
        running++;
        peak = Math.max(peak, running);
        pending.push((member) => {
          running--;
          resolve(member);
        });
      }),
    /** Answers the oldest running check. */
    answer(member: string | undefined) {
      const next = pending.shift();
      if (!next) throw new Error("no check is running");
      next(member);
    },
    get running() {
      return running;
    },
    get peak() {
      return peak;
    },
  };
}

/** The lane's hold after a failure is a short timer: wait for the next check to start. */
const oneRunning = (lane: { running: number }) =>
  eventually(() => lane.running === 1, { intervalMs: 1, what: "the next check in the lane" });

const wrong = async (): Promise<string | undefined> => undefined;
const right = async () => "bea";
/** Lets every pending promise callback run (no timers). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

async function failMany(
  throttle: ReturnType<typeof createLoginThrottle>,
  account: string,
  count: number,
) {
  const outcomes: Array<LoginOutcome<string>> = [];
  for (let i = 0; i < count; i++) {
    outcomes.push(await throttle.attempt(account, `203.0.113.${i}`, wrong));
  }
  return outcomes;
}

describe("log-in throttle", () => {
  it("makes an address that keeps failing wait, whatever the accounts; other addresses go on", async () => {
    const throttle = createLoginThrottle(createMemoryAttemptCounters(), {
      maxFailuresPerAddress: 3,
    });
    for (const account of ["a", "b", "c"]) {
      expect(await throttle.attempt(account, "192.0.2.1", wrong)).toEqual({ kind: "wrong" });
    }
    const blocked = await throttle.attempt("bea", "192.0.2.1", right);
    expect(blocked).toMatchObject({ kind: "wait", scope: "address" });
    expect((blocked as { retryAfter: number }).retryAfter).toBeGreaterThan(60);
    expect(await throttle.attempt("bea", "192.0.2.2", right)).toEqual({
      kind: "ok",
      value: "bea",
    });
  });

  it("never refuses an account's own password because strangers failed against it from many addresses", async () => {
    const throttle = createLoginThrottle(createMemoryAttemptCounters(), {
      accountBudget: 5,
      failureDelayMs: 1,
    });
    const outcomes = await failMany(throttle, "bea", 30);
    expect(outcomes.every((o) => o.kind === "wrong")).toBe(true);
    expect(await throttle.attempt("bea", "198.51.100.1", right)).toEqual({
      kind: "ok",
      value: "bea",
    });
  });

  it("runs an attacked account's checks one at a time; before its budget is spent they run side by side", async () => {
    const throttle = createLoginThrottle(createMemoryAttemptCounters(), {
      accountBudget: 3,
      failureDelayMs: 1,
    });
    const side = checks();
    const parallel = [1, 2, 3].map((i) => throttle.attempt("bea", `203.0.113.${i}`, side.check));
    await settle();
    expect(side.running).toBe(3);
    for (let i = 0; i < 3; i++) side.answer(undefined);
    await Promise.all(parallel);

    // Now under attack: five attempts from five addresses, one check at a time.
    const lane = checks();
    const queued = [1, 2, 3, 4, 5].map((i) =>
      throttle.attempt("bea", `198.51.100.${i}`, lane.check),
    );
    for (let answered = 0; answered < 4; answered++) {
      await oneRunning(lane);
      lane.answer(undefined);
    }
    await oneRunning(lane);
    lane.answer("bea"); // the member's turn came: she is in
    const results = await Promise.all(queued);
    expect(lane.peak).toBe(1);
    expect(results.slice(0, 4).every((r) => r.kind === "wrong")).toBe(true);
    expect(results[4]).toEqual({ kind: "ok", value: "bea" });
    // Another account is not slowed.
    const other = checks();
    const carl = [1, 2].map((i) => throttle.attempt("carl", `198.51.100.${i}`, other.check));
    await settle();
    expect(other.running).toBe(2);
    other.answer("carl");
    other.answer("carl");
    await Promise.all(carl);
  });

  it("a full lane answers a short wait, not a lock-out, and serves again once it drains", async () => {
    const throttle = createLoginThrottle(createMemoryAttemptCounters(), {
      accountBudget: 1,
      failureDelayMs: 1,
      maxLaneWaiting: 2,
    });
    await failMany(throttle, "bea", 1);
    const lane = checks();
    const admitted = [1, 2, 3].map((i) => throttle.attempt("bea", `198.51.100.${i}`, lane.check));
    await settle();
    const refused = await throttle.attempt("bea", "198.51.100.9", right);
    expect(refused).toEqual({ kind: "wait", scope: "account", retryAfter: 1 });
    for (let i = 0; i < 3; i++) {
      await oneRunning(lane);
      lane.answer(undefined);
    }
    await Promise.all(admitted);
    expect(await throttle.attempt("bea", "198.51.100.9", right)).toEqual({
      kind: "ok",
      value: "bea",
    });
  });

  it("an address that logged in to the account skips its lane while strangers fill it", async () => {
    const throttle = createLoginThrottle(createMemoryAttemptCounters(), {
      accountBudget: 2,
      failureDelayMs: 1,
    });
    expect(await throttle.attempt("bea", "198.51.100.1", right)).toMatchObject({ kind: "ok" });
    await failMany(throttle, "bea", 2);
    const lane = checks();
    const strangers = [1, 2, 3].map((i) => throttle.attempt("bea", `203.0.113.${i}`, lane.check));
    await settle();
    expect(lane.running).toBe(1);
    // Her own address does not wait behind them.
    expect(await throttle.attempt("bea", "198.51.100.1", right)).toEqual({
      kind: "ok",
      value: "bea",
    });
    expect(lane.running).toBe(1);
    for (let i = 0; i < 3; i++) {
      await oneRunning(lane);
      lane.answer(undefined);
    }
    await Promise.all(strangers);
  });

  it("a check that throws releases the lane and counts no failure", async () => {
    const throttle = createLoginThrottle(createMemoryAttemptCounters(), {
      accountBudget: 1,
      maxFailuresPerAddress: 1,
    });
    await failMany(throttle, "bea", 1);
    const busy = () => Promise.reject(new Error("busy"));
    await expect(throttle.attempt("bea", "198.51.100.1", busy)).rejects.toThrow("busy");
    // Not counted against the address, and the lane is free.
    expect(await throttle.attempt("bea", "198.51.100.1", right)).toMatchObject({ kind: "ok" });
  });
});
