import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { createStoredAttemptCounters } from "../../src/db/attempt-counters.ts";
import { createIdempotencyKeys } from "../../src/db/idempotency-keys.ts";
import { members } from "../../src/db/schema.ts";
import { createFailedAttemptLimiter } from "../../src/shared/failed-attempt-limiter.ts";
import { databaseLabel, useMigratedDatabase } from "../support/database.ts";

/** The database stores behind the limits and Idempotency-Key, alone (one process's view). */
describe(`limits and idempotency keys in the database (${databaseLabel})`, () => {
  const database = useMigratedDatabase();
  let memberId: string;
  beforeAll(async () => {
    memberId = randomUUID();
    await database
      .current()
      .db.insert(members)
      .values({ id: memberId, username: "bea", passwordHash: "x" });
  });

  it("counts in a fixed window, starts again once it ended, and sweeps what ended", async () => {
    let now = 1_000_000;
    const counters = createStoredAttemptCounters(database.current().db);
    const limiter = createFailedAttemptLimiter({
      counters,
      scope: "test-window",
      maxFailures: 2,
      windowMs: 60_000,
      now: () => now,
    });
    await limiter.recordFailure("192.0.2.1");
    expect(await limiter.retryAfter("192.0.2.1")).toBe(0);
    await limiter.recordFailure("192.0.2.1");
    expect(await limiter.retryAfter("192.0.2.1")).toBe(60);
    now += 30_000;
    expect(await limiter.retryAfter("192.0.2.1")).toBe(30);
    now += 30_000;
    expect(await limiter.retryAfter("192.0.2.1")).toBe(0);
    // A failure after the window opens a new one at 1.
    await limiter.recordFailure("192.0.2.1");
    expect(await counters.read("test-window", "192.0.2.1", now)).toEqual({
      failures: 1,
      resetAt: now + 60_000,
    });
    expect(await counters.sweep(now + 60_000)).toBeGreaterThan(0);
    expect(await counters.read("test-window", "192.0.2.1", now)).toBeUndefined();
  });

  it("answers a repeated key with the first answer, and runs again once it expired", async () => {
    let now = Date.now();
    const keys = createIdempotencyKeys(database.current().db, { now: () => now });
    let runs = 0;
    const work = async () => ({ id: `status-${++runs}` });
    expect(await keys.run(memberId, "k1", work)).toEqual({ id: "status-1" });
    expect(await keys.run(memberId, "k1", work)).toEqual({ id: "status-1" });
    expect(await keys.run(memberId, undefined, work)).toEqual({ id: "status-2" });
    now += 3_600_001;
    expect(await keys.run(memberId, "k1", work)).toEqual({ id: "status-3" });
  });

  it("frees a key whose first attempt failed", async () => {
    const keys = createIdempotencyKeys(database.current().db);
    await expect(
      keys.run(memberId, "k2", async () => {
        throw new Error("the database went away");
      }),
    ).rejects.toThrow(/went away/);
    expect(await keys.run(memberId, "k2", async () => "second")).toBe("second");
  });

  it("makes a retry wait for the first request still running, or answers 409 past the wait", async () => {
    const keys = createIdempotencyKeys(database.current().db, { waitMs: 2_000 });
    let finish: (value: string) => void = () => {};
    const first = keys.run(
      memberId,
      "k3",
      () => new Promise<string>((resolve) => (finish = resolve)),
    );
    // The first request holds the key (its row is in) before the retry comes.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const retry = keys.run(memberId, "k3", async () => "ran twice");
    setTimeout(() => finish("first answer"), 300);
    expect(await Promise.all([first, retry])).toEqual(["first answer", "first answer"]);

    const impatient = createIdempotencyKeys(database.current().db, { waitMs: 200 });
    const slow = impatient.run(memberId, "k4", () => new Promise((r) => setTimeout(r, 1_000)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(impatient.run(memberId, "k4", async () => "no")).rejects.toMatchObject({
      code: "conflict",
    });
    await slow;
    const [row] = await database
      .current()
      .rows<{ n: number }>(sql`select count(*)::int as n from idempotency_keys`);
    expect(row?.n).toBeGreaterThan(0);
  });
});
