import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testMessageQueue } from "@fedify/testing";
import { Temporal } from "@js-temporal/polyfill";
import { type SQL, sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, describe, it } from "vitest";
import { type Database, type DatabaseConfig, openDatabase } from "../../src/db/database.ts";
import { listDeadJobs, retryDeadJobs } from "../../src/federation/dead-letters.ts";
import { activityIdempotencePrefetchSql, createKvStore } from "../../src/federation/kv-store.ts";
import {
  createMessageQueue,
  deliveryHost,
  type MessageQueueOptions,
  type QueueLogger,
} from "../../src/federation/message-queue.ts";
import { databaseLabel, freshDatabaseConfig } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";

const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

// Fedify hands over polyfill durations typed as the global Temporal ones.
const ms = (milliseconds: number) =>
  Temporal.Duration.from({ milliseconds }) as unknown as globalThis.Temporal.Duration;

async function waitFor(predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("condition not met before the deadline");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function recordingLogger() {
  const entries: { level: string; msg: string; obj: Record<string, unknown> }[] = [];
  const at =
    (level: string) =>
    (obj: Record<string, unknown>, msg: string): void => {
      entries.push({ level, msg, obj });
    };
  const logger: QueueLogger = {
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    debug: at("debug"),
  };
  return { logger, entries };
}

/** Resolves when `open()` is called: lets a handler wait for another to start. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

describe(`message queue (${databaseLabel})`, () => {
  let config: DatabaseConfig;
  let database: Database;
  let drop: () => Promise<void>;
  let queueCount = 0;
  // A queue name per test keeps the concurrent tests apart on one shared database.
  const freshQueueName = () => `q${++queueCount}`;
  const queueFactory =
    (name: string) =>
    (options: MessageQueueOptions = {}) =>
      createMessageQueue(database, { pollIntervalMs: 50, queueName: name, ...options });
  /** Waits until queue `name` holds no job, running or not: none is left to run again. */
  const emptied = (name: string) =>
    eventually(
      async () =>
        (
          await database.rows<{ n: number }>(
            sql`select count(*)::int as n from queue_jobs where queue = ${name}`,
          )
        )[0]?.n === 0,
      { what: `queue ${name} to empty` },
    );

  /** The database, with the claims counted once answered (while one is on its way, its slots are taken). */
  const countingClaims = () => {
    const dialect = new PgDialect();
    let claims = 0;
    const counting: Database = {
      ...database,
      rows: async <T extends Record<string, unknown>>(query: SQL) => {
        const rows = await database.rows<T>(query);
        // A claim is the statement that leases candidates.
        if (dialect.sqlToQuery(query).sql.includes("attempts = attempts + 1")) claims++;
        return rows;
      },
    };
    return { database: counting, claims: () => claims };
  };
  /** A listener whose handlers record their message and wait until released. */
  const listenHolding = (mq: ReturnType<ReturnType<typeof queueFactory>>) => {
    const controller = new AbortController();
    const released = gate();
    const started: unknown[] = [];
    const listening = mq.listen(
      async (message) => {
        started.push(message);
        await released.opened;
      },
      { signal: controller.signal },
    );
    return {
      started,
      release: released.open,
      stop: () => {
        controller.abort();
        return listening;
      },
    };
  };

  beforeAll(async () => {
    const fresh = await freshDatabaseConfig();
    config = fresh.config;
    drop = fresh.drop;
    database = await openDatabase(config);
    await database.migrate();
  });
  afterAll(async () => {
    await database?.close();
    await drop?.();
  });

  it.concurrent("passes Fedify's message queue contract", async () => {
    const name = freshQueueName();
    // On PostgreSQL the two queues get their own connection pools, like two processes.
    const extra: Database[] = [];
    await testMessageQueue(
      async () => {
        let db = database;
        if (onPostgres) {
          db = await openDatabase(config);
          extra.push(db);
        }
        return createMessageQueue(db, { pollIntervalMs: 100, queueName: name });
      },
      async ({ controller }) => {
        controller.abort();
        for (const db of extra) await db.close();
      },
      { testOrderingKey: true },
    );
  }, 40_000);

  it.concurrent("holds a delayed job until its time and reports it in the depth", async ({
    expect,
  }) => {
    const queue = queueFactory(freshQueueName());
    const mq = queue();
    const controller = new AbortController();
    const received: { message: unknown; at: number }[] = [];
    const enqueuedAt = Date.now();
    // Longer than two enqueues and a look at the depth take while the concurrent tests load
    // the database: "later" must still be delayed when the depth is read.
    await mq.enqueue("later", { delay: ms(2_000) });
    await mq.enqueue("now");
    expect(await mq.getDepth()).toEqual({ queued: 2, ready: 1, delayed: 1 });
    const listening = mq.listen(
      (message) => {
        received.push({ message, at: Date.now() });
      },
      { signal: controller.signal },
    );
    await waitFor(() => received.length === 2);
    controller.abort();
    await listening;
    expect(received.map((r) => r.message)).toEqual(["now", "later"]);
    expect((received[1]?.at ?? 0) - enqueuedAt).toBeGreaterThanOrEqual(1_990);
    expect(await mq.getDepth()).toEqual({ queued: 0, ready: 0, delayed: 0 });
  });

  it.concurrent("runs one job per ordering key at a time, in order, and different keys together", async ({
    expect,
  }) => {
    const queue = queueFactory(freshQueueName());
    const mq = queue({ concurrency: 4 });
    const controller = new AbortController();
    const bStarted = gate();
    const running = new Map<string, number>();
    const maxRunning = new Map<string, number>();
    const seen: Record<string, number[]> = { a: [], b: [], none: [] };
    let done = 0;
    const listening = mq.listen(
      async (message: { key: string; n: number }) => {
        const now = (running.get(message.key) ?? 0) + 1;
        running.set(message.key, now);
        maxRunning.set(message.key, Math.max(now, maxRunning.get(message.key) ?? 0));
        seen[message.key]?.push(message.n);
        if (message.key === "b" && message.n === 1) bStarted.open();
        // Key "a" cannot finish its first job until key "b" has started: this
        // only passes if different keys run concurrently.
        if (message.key === "a" && message.n === 1) await bStarted.opened;
        await new Promise((resolve) => setTimeout(resolve, 15));
        running.set(message.key, (running.get(message.key) ?? 1) - 1);
        done++;
      },
      { signal: controller.signal },
    );
    for (let n = 1; n <= 5; n++) {
      await mq.enqueue({ key: "a", n }, { orderingKey: "a" });
      await mq.enqueue({ key: "b", n }, { orderingKey: "b" });
    }
    await mq.enqueueMany(
      [6, 7, 8].map((n) => ({ key: "a", n })),
      { orderingKey: "a" },
    );
    await mq.enqueueMany([1, 2, 3].map((n) => ({ key: "none", n })));
    await waitFor(() => done === 16);
    controller.abort();
    await listening;
    expect(seen.a).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(seen.b).toEqual([1, 2, 3, 4, 5]);
    expect([...(seen.none ?? [])].sort()).toEqual([1, 2, 3]);
    expect(maxRunning.get("a")).toBe(1);
    expect(maxRunning.get("b")).toBe(1);
  });

  it.concurrent("keeps a later job of a key behind an earlier delayed one", async ({ expect }) => {
    const queue = queueFactory(freshQueueName());
    const mq = queue();
    const controller = new AbortController();
    const seen: string[] = [];
    // Longer than the three enqueues take while the concurrent tests load the database
    // (half a second is seen): "free" must be due before "first".
    await mq.enqueue("first", {
      orderingKey: "k",
      delay: ms(2_000),
    });
    await mq.enqueue("second", { orderingKey: "k" });
    await mq.enqueue("free");
    const listening = mq.listen(
      (message: string) => {
        seen.push(message);
      },
      { signal: controller.signal },
    );
    await waitFor(() => seen.length === 3);
    controller.abort();
    await listening;
    expect(seen).toEqual(["free", "first", "second"]);
  });

  it.concurrent("retries a failed job in its own row, ahead of the later jobs of its key", async ({
    expect,
  }) => {
    const name = freshQueueName();
    const { logger, entries } = recordingLogger();
    const mq = queueFactory(name)({ logger, retryBaseDelayMs: 50, retryMaxDelayMs: 100 });
    const controller = new AbortController();
    const seen: string[] = [];
    let failures = 0;
    await mq.enqueue("create", { orderingKey: "note" });
    await mq.enqueue("update", { orderingKey: "note" });
    await mq.enqueue("other");
    const [first] = await database.rows<{ id: string }>(
      sql`select min(id)::text as id from queue_jobs where queue = ${name}`,
    );
    const listening = mq.listen(
      async (message: string) => {
        seen.push(message);
        if (message === "create" && failures < 2) {
          failures++;
          // The row is still there, in its place, while the handler runs.
          throw new Error("peer answered 500");
        }
      },
      { signal: controller.signal },
    );
    await waitFor(() => seen.filter((m) => m === "update").length === 1);
    await emptied(name);
    controller.abort();
    await listening;
    expect(seen.filter((m) => m !== "other")).toEqual(["create", "create", "create", "update"]);
    // Both retries of "create" were of the first row, and the error was recorded there.
    const warnings = entries.filter((e) => e.msg === "Job failed; retrying later");
    expect(warnings.map((e) => e.obj.jobId)).toEqual([first?.id, first?.id]);
    expect(warnings.map((e) => e.obj.attempts)).toEqual([1, 2]);
    expect(warnings[0]?.obj.error).toBe("Error: peer answered 500");
  });

  it.concurrent("dead-letters a job out of attempts, lets its key go on, and runs it again on demand", async ({
    expect,
  }) => {
    const name = freshQueueName();
    const mq = queueFactory(name)({ maxAttempts: 3, retryBaseDelayMs: 20, retryMaxDelayMs: 40 });
    const controller = new AbortController();
    const runs = new Map<string, number>();
    let healed = false;
    await mq.enqueue(
      { id: "doomed", type: "outbox", inbox: "https://gone.example/inbox" },
      {
        orderingKey: "k",
      },
    );
    await mq.enqueue({ id: "next" }, { orderingKey: "k" });
    const listening = mq.listen(
      (message: { id: string }) => {
        runs.set(message.id, (runs.get(message.id) ?? 0) + 1);
        if (message.id === "doomed" && !healed) throw new Error("still failing");
      },
      { signal: controller.signal },
    );
    await waitFor(() => runs.get("next") === 1);
    expect(runs.get("doomed")).toBe(3);
    const dead = await listDeadJobs(database);
    const mine = dead.filter((job) => job.inbox === "https://gone.example/inbox");
    expect(mine).toMatchObject([
      { kind: "outbox", attempts: 3, lastError: "Error: still failing" },
    ]);
    expect(await mq.getDepth()).toMatchObject({ queued: 0 });

    healed = true;
    expect(await retryDeadJobs(database, mine[0]?.id as number)).toBe(1);
    await waitFor(() => runs.get("doomed") === 4);
    await emptied(name);
    controller.abort();
    await listening;
    expect(await retryDeadJobs(database, mine[0]?.id as number)).toBe(0);
  });

  it.concurrent("asks to run again later without using an attempt when the handler re-enqueues its own message", async ({
    expect,
  }) => {
    const name = freshQueueName();
    // One attempt only: a second failure-like run would dead-letter the job.
    const mq = queueFactory(name)({ maxAttempts: 1, maxRescheduleDelayMs: 150 });
    const controller = new AbortController();
    const runs: { attempt: number; at: number }[] = [];
    await mq.enqueue({ id: "m", attempt: 0 }, { orderingKey: "k" });
    await mq.enqueue({ id: "after", attempt: 0 }, { orderingKey: "k" });
    const listening = mq.listen(
      async (message: { id: string; attempt: number }) => {
        if (message.id !== "m") return void runs.push({ attempt: -1, at: Date.now() });
        runs.push({ attempt: message.attempt, at: Date.now() });
        // What Fedify does on a 429 with Retry-After: the same message (same id), later.
        // An hour is asked; the queue caps it at maxRescheduleDelayMs.
        if (message.attempt < 2) {
          await mq.enqueue(
            { ...message, attempt: message.attempt + 1 },
            {
              orderingKey: "k",
              delay: ms(3_600_000),
            },
          );
        }
      },
      { signal: controller.signal },
    );
    await waitFor(() => runs.length === 4);
    await emptied(name);
    controller.abort();
    await listening;
    expect(runs.map((r) => r.attempt)).toEqual([0, 1, 2, -1]);
    expect((runs[1]?.at ?? 0) - (runs[0]?.at ?? 0)).toBeGreaterThanOrEqual(140);
    expect(await listDeadJobs(database)).not.toContainEqual(
      expect.objectContaining({ activityId: "m" }),
    );
  });

  it.concurrent("inserts what a job queues only when it finishes, once, however often it failed before", async ({
    expect,
  }) => {
    const name = freshQueueName();
    const mq = queueFactory(name)({ retryBaseDelayMs: 20, retryMaxDelayMs: 40 });
    const controller = new AbortController();
    const delivered: number[] = [];
    let fanOuts = 0;
    await mq.enqueue({ kind: "fanout" });
    const listening = mq.listen(
      async (message: { kind: string; n?: number }) => {
        if (message.kind === "delivery") return void delivered.push(message.n as number);
        fanOuts++;
        for (let n = 0; n < 50; n++) {
          await mq.enqueue({ kind: "delivery", n }, { orderingKey: `inbox-${n % 5}` });
          // The first two expansions die half-way, as a crash would leave them.
          if (fanOuts <= 2 && n === 25) throw new Error("died during the fan-out");
        }
      },
      { signal: controller.signal },
    );
    await waitFor(() => delivered.length === 50);
    await emptied(name);
    controller.abort();
    await listening;
    expect(fanOuts).toBe(3);
    expect([...delivered].sort((x, y) => x - y)).toEqual([...Array(50).keys()]);
    // Each inbox's deliveries in the order they were queued.
    for (let inbox = 0; inbox < 5; inbox++) {
      const mine = delivered.filter((n) => n % 5 === inbox);
      expect(mine).toEqual([...mine].sort((x, y) => x - y));
    }
  });

  it.concurrent("writes Fedify's record of a processed activity with the job's completion, not when it fails", async ({
    expect,
  }) => {
    const name = freshQueueName();
    const mq = queueFactory(name)({ retryBaseDelayMs: 20, retryMaxDelayMs: 40 });
    const kv = createKvStore(database, { writeWithCurrentJob: mq.writeWithCurrentJob });
    const record = (id: string) => ["_fedify", "activityIdempotence", name, id] as const;
    const controller = new AbortController();
    const seen: unknown[] = [];
    let runs = 0;
    await mq.enqueue({ id: "a" });
    const listening = mq.listen(
      async (message: { id: string }) => {
        runs++;
        await kv.set(record(message.id), true);
        // Not yet written: it goes with the statement that removes the job.
        seen.push(await kv.get(record(message.id)));
        if (runs === 1) throw new Error("failed after setting it");
      },
      { signal: controller.signal },
    );
    await waitFor(() => runs === 2);
    await emptied(name);
    controller.abort();
    await listening;
    // The failed run wrote nothing (the second run did not find it); the done one did.
    expect(seen).toEqual([undefined, undefined]);
    expect(await kv.get(record("a"))).toBe(true);
    // Outside a job, a write is made at once.
    await kv.set(record("b"), true);
    expect(await kv.get(record("b"))).toBe(true);
    expect(mq.writeWithCurrentJob(sql`select 1`)).toBe(false);
  });

  it.concurrent("runs at most perHostConcurrency jobs of one host, the others meanwhile", async ({
    expect,
  }) => {
    const name = freshQueueName();
    const mq = queueFactory(name)({ concurrency: 3, perHostConcurrency: 1, hostOf: deliveryHost });
    const controller = new AbortController();
    const release = gate();
    const done: string[] = [];
    let slowRunning = 0;
    let slowMax = 0;
    const job = (host: string, n: number) => ({
      type: "outbox",
      id: `${host}-${n}`,
      inbox: `https://${host}/inbox`,
    });
    // The dead host's jobs come first, each with its own key (one Note each).
    for (let n = 0; n < 4; n++) await mq.enqueue(job("dead.example", n), { orderingKey: `n${n}` });
    for (let n = 0; n < 4; n++) await mq.enqueue(job("fine.example", n), { orderingKey: `f${n}` });
    const listening = mq.listen(
      async (message: { id: string; inbox: string }) => {
        if (message.inbox.includes("dead.example")) {
          slowRunning++;
          slowMax = Math.max(slowMax, slowRunning);
          await release.opened;
          slowRunning--;
        }
        done.push(message.id);
      },
      { signal: controller.signal },
    );
    // Every healthy delivery goes out while the dead host holds its one slot.
    await waitFor(() => done.filter((id) => id.startsWith("fine")).length === 4);
    expect(done.filter((id) => id.startsWith("dead"))).toEqual([]);
    release.open();
    await waitFor(() => done.length === 8);
    controller.abort();
    await listening;
    expect(slowMax).toBe(1);
  });

  it.concurrent("claims as many jobs as it has free slots in one statement", async ({ expect }) => {
    const name = freshQueueName();
    const counted = countingClaims();
    const mq = createMessageQueue(counted.database, {
      queueName: name,
      concurrency: 4,
      pollIntervalMs: 50,
    });
    await mq.enqueueMany(["a", "b", "c", "d", "e", "f"]);
    const held = listenHolding(mq);
    await waitFor(() => held.started.length === 4);
    // Four slots, four jobs, one statement; the other two wait for a free slot.
    expect(counted.claims()).toBe(1);
    expect(held.started).toEqual(["a", "b", "c", "d"]);
    held.release();
    await waitFor(() => held.started.length === 6);
    await held.stop();
    await emptied(name);
  });

  it.concurrent("runs a job enqueued in a listening process at once, leased, without a claim", async ({
    expect,
  }) => {
    const name = freshQueueName();
    const counted = countingClaims();
    const claims = counted.claims;
    // A long poll interval: after its first look the listener sleeps until rung.
    const mq = createMessageQueue(counted.database, {
      queueName: name,
      concurrency: 2,
      pollIntervalMs: 60_000,
    });
    const held = listenHolding(mq);
    const started = held.started;
    await waitFor(() => claims() === 1);
    await mq.enqueue({ n: 1 });
    await mq.enqueue({ n: 2 });
    // Both run (two slots), already leased with their first attempt, and nothing was claimed.
    await waitFor(() => started.length === 2);
    expect(claims()).toBe(1);
    const leased = await database.rows<{ attempts: number; leased: boolean }>(sql`
      select attempts, locked_until > now() as leased from queue_jobs where queue = ${name}`);
    expect(leased).toEqual([
      { attempts: 1, leased: true },
      { attempts: 1, leased: true },
    ]);
    // No free slot: the third is queued as usual and claimed once a slot frees.
    await mq.enqueue({ n: 3 });
    const [waiting] = await database.rows<{ locked: boolean }>(sql`
      select locked_until is not null as locked from queue_jobs
      where queue = ${name} and message = '{"n": 3}'::jsonb`);
    expect(waiting).toEqual({ locked: false });
    expect(started).toHaveLength(2);
    held.release();
    await waitFor(() => started.length === 3);
    expect(started).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(claims()).toBeGreaterThan(1);
    await emptied(name);
    // A stopped listener takes nothing more: the job waits in the table for a worker.
    await held.stop();
    await mq.enqueue({ n: 4 });
    expect(await mq.getDepth()).toMatchObject({ queued: 1, ready: 1 });
  });

  it.concurrent("answers Fedify's processed-activity check from the statement that claimed the job", async ({
    expect,
  }) => {
    const name = freshQueueName();
    const dialect = new PgDialect();
    const kvReads: string[] = [];
    const counting: Database = {
      ...database,
      rows: (query) => {
        const text = dialect.sqlToQuery(query);
        if (text.sql.startsWith("select value from kv_entries"))
          kvReads.push(String(text.params[0]));
        return database.rows(query);
      },
    };
    const mq = createMessageQueue(counting, {
      queueName: name,
      pollIntervalMs: 50,
      prefetch: activityIdempotencePrefetchSql,
    });
    const kv = createKvStore(counting, {
      writeWithCurrentJob: mq.writeWithCurrentJob,
      prefetchedWithCurrentJob: mq.prefetchedForCurrentJob,
    });
    const origin = `https://${name}.example`;
    const record = (id: string) => ["_fedify", "activityIdempotence", origin, id] as const;
    const inbox = (id: string) => ({
      type: "inbox",
      id: `job-${id}`,
      baseUrl: origin,
      activity: { id },
    });
    // Escaped alike by JSON.stringify and PostgreSQL's to_json: quotes, backslashes, accents.
    const processed = 'https://remote.example/déjà "vu" \\ \t';
    await kv.set(record(processed), true);
    await mq.enqueue(inbox(processed));
    await mq.enqueue(inbox("https://remote.example/new"));
    // Not an inbox job: nothing foreseen, the store reads the table.
    await mq.enqueue({ type: "outbox", id: "job-out", baseUrl: origin, activity: { id: "x" } });
    const seen = new Map<string, unknown>();
    const controller = new AbortController();
    const listening = mq.listen(
      async (message: { activity: { id: string } }) => {
        seen.set(message.activity.id, await kv.get(record(message.activity.id)));
        // Another key: read from the table.
        seen.set(
          `other ${message.activity.id}`,
          await kv.get(record(`${message.activity.id}#other`)),
        );
      },
      { signal: controller.signal },
    );
    await waitFor(() => seen.size === 6);
    // Enqueued while listening: inserted and run at once, the check read by the insert.
    await mq.enqueue(inbox("https://remote.example/later"));
    await waitFor(() => seen.size === 8);
    controller.abort();
    await listening;
    expect(seen.get(processed)).toBe(true);
    expect(seen.get("https://remote.example/new")).toBeUndefined();
    expect(seen.get("https://remote.example/later")).toBeUndefined();
    expect(kvReads.sort()).toEqual(
      [
        JSON.stringify(record("x")),
        ...["x", processed, "https://remote.example/new", "https://remote.example/later"].map(
          (id) => JSON.stringify(record(`${id}#other`)),
        ),
      ].sort(),
    );
    // Outside a job there is nothing foreseen.
    expect(mq.prefetchedForCurrentJob()).toBeUndefined();
  });

  it.concurrent("re-runs a job whose worker died holding its lease, once the lease expires", async ({
    expect,
  }) => {
    const name = freshQueueName();
    const queue = queueFactory(name);
    const { logger, entries } = recordingLogger();
    const mq = queue({ logger });
    await mq.enqueue({ job: "orphan" });
    const leasedAt = Date.now();
    // What a crashed worker leaves behind: a claimed job with a lease running out.
    await database.rows(sql`
      update queue_jobs set locked_until = now() + interval '400 milliseconds', attempts = 1
      where queue = ${name}`);
    expect(await mq.getDepth()).toMatchObject({ queued: 0 });
    const controller = new AbortController();
    const received: unknown[] = [];
    const listening = mq.listen(
      (message) => {
        received.push(message);
      },
      { signal: controller.signal },
    );
    await waitFor(() => received.length === 1);
    controller.abort();
    await listening;
    expect(Date.now() - leasedAt).toBeGreaterThanOrEqual(390);
    expect(received).toEqual([{ job: "orphan" }]);
    expect(entries.some((e) => e.level === "warn" && e.obj.attempts === 2)).toBe(true);
  });

  it.concurrent("renews the lease of a slow handler so nobody else claims its job", async ({
    expect,
  }) => {
    const queue = queueFactory(freshQueueName());
    // Generous next to the event-loop stalls PGlite causes while other tests boot databases.
    const leaseMs = 3_000;
    const mq1 = queue({ leaseMs });
    const mq2 = queue({ leaseMs });
    const controller = new AbortController();
    const release = gate();
    let runs = 0;
    let passed = false;
    const handler = async (message: string) => {
      if (message === "after") passed = true;
      if (message !== "slow") return;
      runs++;
      await release.opened;
    };
    await mq1.enqueue("slow");
    const listening = [
      mq1.listen(handler, { signal: controller.signal }),
      mq2.listen(handler, { signal: controller.signal }),
    ];
    await waitFor(() => runs === 1);
    // Well past the lease: without renewal the other queue would have taken the job.
    await new Promise((resolve) => setTimeout(resolve, leaseMs * 2.25));
    // Jobs are claimed oldest first: once a job queued now has run, the slow one, had it
    // been claimable again, would have been claimed before it.
    await mq2.enqueue("after");
    await waitFor(() => passed);
    const depthDuring = await mq1.getDepth();
    release.open();
    controller.abort();
    await Promise.all(listening);
    expect(depthDuring.queued).toBe(0);
    expect(runs).toBe(1);
  });

  it.concurrent("hands a stopping process's running job to another worker at once, attempt intact", async ({
    expect,
  }) => {
    const name = freshQueueName();
    const queue = queueFactory(name);
    // A lease far longer than the test: only the release lets the other worker have the job.
    const stopping = queue({ leaseMs: 600_000 });
    const other = queue({ leaseMs: 600_000 });
    const stopListening = new AbortController();
    const stuck = gate();
    const runs: string[] = [];
    await stopping.enqueue("job");
    const first = stopping.listen(
      async () => {
        runs.push("stopping");
        await stuck.opened;
      },
      { signal: stopListening.signal },
    );
    await waitFor(() => runs.length === 1);
    stopListening.abort();
    expect(await stopping.releaseRunning()).toBe(1);
    const [row] = await database.rows<{ attempts: number; locked: boolean }>(
      sql`select attempts, locked_until is not null as locked from queue_jobs where queue = ${name}`,
    );
    expect(row).toEqual({ attempts: 0, locked: false });

    const otherStop = new AbortController();
    const second = other.listen(
      () => {
        runs.push("other");
      },
      { signal: otherStop.signal },
    );
    await emptied(name);
    // The first worker's handler ends after the release: it neither completes nor fails the
    // row that is no longer its own.
    stuck.open();
    await first;
    otherStop.abort();
    await second;
    expect(runs).toEqual(["stopping", "other"]);
  });

  it.concurrent("stops listening on abort, after the running handlers finish", async ({
    expect,
  }) => {
    const queue = queueFactory(freshQueueName());
    // A long poll interval: abort must not wait for it.
    const mq = queue({ pollIntervalMs: 60_000 });
    const idle = new AbortController();
    const idleListening = mq.listen(() => {}, { signal: idle.signal });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const abortedAt = Date.now();
    idle.abort();
    await idleListening;
    expect(Date.now() - abortedAt).toBeLessThan(5_000);

    const busy = new AbortController();
    const release = gate();
    let started = false;
    const order: string[] = [];
    await mq.enqueue("long");
    const busyListening = mq.listen(
      async () => {
        started = true;
        await release.opened;
        // Still at work well after the abort: listen waits for it all the same.
        await new Promise((resolve) => setTimeout(resolve, 100));
        order.push("handler finished");
      },
      { signal: busy.signal },
    );
    void busyListening.then(() => {
      order.push("listen resolved");
    });
    await waitFor(() => started);
    busy.abort();
    release.open();
    await busyListening;
    expect(order).toEqual(["handler finished", "listen resolved"]);
    expect(await mq.getDepth()).toMatchObject({ queued: 0 });
  });

  // Booting PGlite blocks the event loop for a while, which would starve the
  // lease renewals of the concurrent tests above: this one runs on its own.
  it("keeps jobs across a restart of the database", async ({ expect }) => {
    // PGlite needs a data directory on disk to survive; PostgreSQL gets a fresh database.
    const fresh = await freshDatabaseConfig();
    const dataDir = onPostgres ? undefined : await mkdtemp(join(tmpdir(), "sdp-queue-"));
    const durable: DatabaseConfig =
      fresh.config.kind === "pglite" ? { ...fresh.config, dataDir } : fresh.config;
    try {
      const first = await openDatabase(durable);
      await first.migrate();
      const before = createMessageQueue(first, { pollIntervalMs: 50 });
      await before.enqueue({ n: 1 }, { orderingKey: "k" });
      await before.enqueueMany([{ n: 2 }, { n: 3 }], { orderingKey: "k" });
      await before.enqueue({ n: 4 }, { delay: ms(100) });
      await first.close();

      // Reopened from what is on disk alone, without the template.
      const second = await openDatabase(dataDir ? { kind: "pglite", dataDir } : durable);
      try {
        const after = createMessageQueue(second, { pollIntervalMs: 50 });
        expect((await after.getDepth()).queued).toBe(4);
        const controller = new AbortController();
        const received: unknown[] = [];
        const listening = after.listen(
          (message) => {
            received.push(message);
          },
          { signal: controller.signal },
        );
        await waitFor(() => received.length === 4);
        controller.abort();
        await listening;
        expect(received.filter((m) => (m as { n: number }).n <= 3)).toEqual([
          { n: 1 },
          { n: 2 },
          { n: 3 },
        ]);
        expect(received).toContainEqual({ n: 4 });
      } finally {
        await second.close();
      }
    } finally {
      await fresh.drop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    }
  }, 30_000);

  it.runIf(onPostgres)(
    "never runs a job twice across two workers sharing PostgreSQL",
    async ({ expect }) => {
      const name = freshQueueName();
      const other = await openDatabase(config);
      try {
        const workers = [
          createMessageQueue(database, { pollIntervalMs: 20, queueName: name, concurrency: 4 }),
          createMessageQueue(other, { pollIntervalMs: 20, queueName: name, concurrency: 4 }),
        ];
        const runs = new Map<number, number>();
        const byWorker = [0, 0];
        const controller = new AbortController();
        const listening = workers.map((worker, w) =>
          worker.listen(
            async (n: number) => {
              runs.set(n, (runs.get(n) ?? 0) + 1);
              byWorker[w] = (byWorker[w] ?? 0) + 1;
              await new Promise((resolve) => setTimeout(resolve, 2));
            },
            { signal: controller.signal },
          ),
        );
        const total = 300;
        await workers[0]?.enqueueMany(Array.from({ length: total }, (_, n) => n));
        await waitFor(() => runs.size === total, 15_000);
        // No job left, running or not: a duplicate delivery has happened or never will.
        await emptied(name);
        controller.abort();
        await Promise.all(listening);
        expect([...runs.values()].every((count) => count === 1)).toBe(true);
        expect(byWorker.every((count) => count > 0)).toBe(true);
      } finally {
        await other.close();
      }
    },
  );
});
