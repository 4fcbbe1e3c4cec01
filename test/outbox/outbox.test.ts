import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "../../src/db/database.ts";
import { createOutbox, type Outbox, type OutboxOptions } from "../../src/outbox/outbox.ts";
import type { DomainEvent } from "../../src/shared/events.ts";
import { databaseLabel, freshDatabaseConfig } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";

const created = (n: number): DomainEvent => ({ type: "encounter.created", encounterId: `e${n}` });
const encounterOf = (event: DomainEvent) => ("encounterId" in event ? event.encounterId : "");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe(`the outbox of domain events (${databaseLabel})`, () => {
  // Two handles on one database: on PostgreSQL two pools, as two processes would have;
  // PGlite is one connection, shared.
  let first: Database;
  let second: Database;
  let drop: () => Promise<void>;
  const relays: Array<{ stop: AbortController; running: Promise<void> }> = [];

  beforeAll(async () => {
    const fresh = await freshDatabaseConfig();
    drop = fresh.drop;
    first = await openDatabase(fresh.config);
    await first.migrate();
    second = fresh.config.kind === "postgres" ? await openDatabase(fresh.config) : first;
  });
  afterEach(async () => {
    await Promise.all(
      relays.splice(0).map((relay) => {
        relay.stop.abort();
        return relay.running;
      }),
    );
    await first.rows(sql`delete from outbox_events`);
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
    await drop?.();
  });

  const rowCount = async () =>
    (await first.rows<{ n: number }>(sql`select count(*)::int as n from outbox_events`))[0]?.n;

  function outboxOn(database: Database, options: OutboxOptions = {}) {
    const outbox = createOutbox(database, { pollIntervalMs: 20, ...options });
    const seen: DomainEvent[] = [];
    const barriers: string[] = [];
    outbox.subscribe((event) => {
      const id = encounterOf(event);
      if (id.startsWith("barrier-")) barriers.push(id);
      else seen.push(event);
    });
    return { outbox, seen, barriers };
  }

  let barrierCount = 0;
  /**
   * Waits until `relay` has replayed, and finished with, an event left now by a dead
   * writer. A relay replays one event at a time, oldest first: by then it has replayed
   * every event it could have replayed before, so what it has not is a fact, not a race.
   */
  async function relayPassed(relay: ReturnType<typeof outboxOn>) {
    const barrier = `barrier-${++barrierCount}`;
    await first.rows(sql`
      insert into outbox_events (type, payload, locked_until)
      values ('encounter.created', ${JSON.stringify({ encounterId: barrier })}::jsonb,
              now() - interval '1 second')`);
    await eventually(
      async () =>
        relay.barriers.includes(barrier) &&
        (
          await first.rows<{ n: number }>(
            sql`select count(*)::int as n from outbox_events where payload->>'encounterId' = ${barrier}`,
          )
        )[0]?.n === 0,
      { what: "the relay to replay an event left after these" },
    );
  }

  function startRelay(outbox: Outbox) {
    const stop = new AbortController();
    const running = outbox.relay(stop.signal);
    relays.push({ stop, running });
    return running;
  }

  it("writes nothing when the transaction rolls back, and nothing is dispatched", async () => {
    const writer = outboxOn(first, { leaseMs: 50 });
    await expect(
      first.db.transaction(async (tx) => {
        await writer.outbox.record(tx, created(1));
        throw new Error("the change failed");
      }),
    ).rejects.toThrow("the change failed");
    startRelay(writer.outbox);
    await relayPassed(writer);
    expect(writer.seen).toEqual([]);
    expect(await rowCount()).toBe(0);
  });

  it("dispatches after the commit to every subscriber, in order (first ones first), then deletes it", async () => {
    const { outbox, seen } = outboxOn(first);
    const order: string[] = [];
    outbox.subscribe(() => {
      order.push("last");
    });
    outbox.subscribe(
      () => {
        order.push("first");
        throw new Error("a failing handler does not stop the others");
      },
      { first: true },
    );
    const recorded = await first.db.transaction((tx) => outbox.record(tx, created(2)));
    expect(await rowCount()).toBe(1);
    await outbox.dispatch(recorded);
    expect(order).toEqual(["first", "last"]);
    expect(seen).toEqual([created(2)]);
    expect(await rowCount()).toBe(0);
  });

  it("replays, once its lease ran out, an event its writer never dispatched: it died", async () => {
    const writer = outboxOn(first, { leaseMs: 1_500 });
    await first.db.transaction((tx) => writer.outbox.record(tx, created(3)));
    const relay = outboxOn(second);
    startRelay(relay.outbox);
    await relayPassed(relay);
    expect(relay.seen).toEqual([]); // the writer's lease still runs
    await eventually(() => relay.seen.length === 1, { what: "the relay to replay the event" });
    expect(relay.seen).toEqual([created(3)]);
    await eventually(async () => (await rowCount()) === 0, { what: "the event to be done" });
    await relayPassed(relay);
    expect(relay.seen).toHaveLength(1);
    expect(writer.seen).toEqual([]);
  });

  it("a writer whose lease a relay took over does not dispatch too", async () => {
    const writer = outboxOn(first, { leaseMs: 30 });
    const recorded = await first.db.transaction((tx) => writer.outbox.record(tx, created(4)));
    const relay = outboxOn(second);
    startRelay(relay.outbox);
    await eventually(() => relay.seen.length === 1, { what: "the relay to replay the event" });
    await writer.outbox.dispatch(recorded); // a writer that was only slow, not dead
    expect(writer.seen).toEqual([]);
    expect(relay.seen).toEqual([created(4)]);
  });

  it("keeps its lease while slow subscribers run: no relay replays it meanwhile", async () => {
    const writer = outboxOn(first, { leaseMs: 600 });
    writer.outbox.subscribe(async () => {
      await sleep(2_000);
    });
    const recorded = await first.db.transaction((tx) => writer.outbox.record(tx, created(5)));
    const relay = outboxOn(second);
    startRelay(relay.outbox);
    await writer.outbox.dispatch(recorded);
    await relayPassed(relay);
    expect(writer.seen).toEqual([created(5)]);
    expect(relay.seen).toEqual([]);
    expect(await rowCount()).toBe(0);
  });

  it("two relays on one database replay each event once, oldest first", async () => {
    const writer = outboxOn(first, { leaseMs: 1 });
    const events = Array.from({ length: 40 }, (_, i) => created(100 + i));
    await first.db.transaction(async (tx) => {
      for (const event of events) await writer.outbox.record(tx, event);
    });
    await sleep(20);
    const [one, two] = [outboxOn(first), outboxOn(second)];
    for (const relay of [one, two]) {
      relay.outbox.subscribe(async () => {
        await sleep(Math.random() * 10);
      });
      startRelay(relay.outbox);
    }
    await eventually(async () => (await rowCount()) === 0, { what: "every event to be replayed" });
    const replayed = [...one.seen, ...two.seen].map(encounterOf);
    expect(replayed.toSorted()).toEqual(events.map(encounterOf).toSorted());
    // Each relay takes them oldest first.
    for (const relay of [one, two]) {
      const mine = relay.seen.map(encounterOf);
      expect(mine).toEqual(mine.toSorted());
    }
    if (second !== first) expect(Math.min(one.seen.length, two.seen.length)).toBeGreaterThan(0);
  });

  it("drops an event whose relays kept dying", async () => {
    await first.rows(sql`
      insert into outbox_events (type, payload, locked_until, attempts)
      values ('encounter.created', '{"encounterId":"e6"}'::jsonb, now() - interval '1 second', 5)`);
    const relay = outboxOn(first, { maxAttempts: 5 });
    startRelay(relay.outbox);
    await eventually(async () => (await rowCount()) === 0, { what: "the event to be dropped" });
    expect(relay.seen).toEqual([]);
  });

  it("never drops an event for the database's trouble: a replay that met it does not count", async () => {
    await first.rows(sql`
      insert into outbox_events (type, payload, locked_until, attempts)
      values ('encounter.created', '{"encounterId":"e7"}'::jsonb, now() - interval '1 second', 0)`);
    const outbox = createOutbox(first, { pollIntervalMs: 20, leaseMs: 60, maxAttempts: 2 });
    // Five replays meet a full disk (SQLSTATE 53100, as drizzle wraps it), the sixth succeeds.
    let failures = 0;
    const seen: DomainEvent[] = [];
    outbox.subscribe((event) => {
      if (failures < 5) {
        failures++;
        throw new Error("Failed query: insert into …", {
          cause: Object.assign(new Error("could not extend file: No space left on device"), {
            code: "53100",
            severity: "ERROR",
          }),
        });
      }
      seen.push(event);
    });
    startRelay(outbox);
    await eventually(() => seen.length === 1, { what: "the event dispatched after the trouble" });
    expect(failures).toBe(5);
    expect(seen).toEqual([created(7)]);
    await eventually(async () => (await rowCount()) === 0, { what: "the event removed" });
  });

  it("stops relaying when its signal aborts", async () => {
    const relay = outboxOn(first);
    const stop = new AbortController();
    const running = relay.outbox.relay(stop.signal);
    await sleep(50);
    stop.abort();
    await expect(running).resolves.toBeUndefined();
  });
});
