import type { KvKey, KvStoreListEntry } from "@fedify/fedify";
import { Temporal } from "@js-temporal/polyfill";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "../../src/db/database.ts";
import { createKvStore, type DatabaseKvStore } from "../../src/federation/kv-store.ts";
import { databaseLabel, freshDatabaseConfig } from "../support/database.ts";

async function collect(iterable: AsyncIterable<KvStoreListEntry>): Promise<KvStoreListEntry[]> {
  const entries: KvStoreListEntry[] = [];
  for await (const entry of iterable) entries.push(entry);
  return entries;
}

async function waitFor(predicate: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error("condition not met before the deadline");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// Fedify hands over polyfill durations typed as the global Temporal ones.
const duration = (like: Temporal.DurationLike) =>
  Temporal.Duration.from(like) as unknown as globalThis.Temporal.Duration;
const ms = (milliseconds: number) => duration({ milliseconds });

describe(`kv store (${databaseLabel})`, () => {
  let database: Database;
  let drop: () => Promise<void>;
  let kv: DatabaseKvStore;
  let counter = 0;
  // Every test works under its own first key part, so they cannot see each other.
  const ns = (...parts: string[]): KvKey => [`t${counter}`, ...parts];

  beforeAll(async () => {
    const fresh = await freshDatabaseConfig();
    drop = fresh.drop;
    database = await openDatabase(fresh.config);
    await database.migrate();
    kv = createKvStore(database);
  });
  afterAll(async () => {
    await database?.close();
    await drop?.();
  });

  it("returns undefined for a missing key", async () => {
    counter++;
    expect(await kv.get(ns("missing"))).toBeUndefined();
  });

  it.each([
    ["object", { a: 1, nested: { b: [true, null, "x"] } }],
    ["array", [1, "two", { three: 3 }, [4]]],
    ["string", 'hello "world" \\ ü'],
    ["empty string", ""],
    ["number", 42.5],
    ["zero", 0],
    ["boolean true", true],
    ["boolean false", false],
    ["null", null],
  ])("round-trips a JSON %s", async (_label, value) => {
    counter++;
    await kv.set(ns("value"), value);
    expect(await kv.get(ns("value"))).toEqual(value);
  });

  it("overwrites and deletes", async () => {
    counter++;
    await kv.set(ns("k"), 1);
    await kv.set(ns("k"), { now: 2 });
    expect(await kv.get(ns("k"))).toEqual({ now: 2 });
    await kv.delete(ns("k"));
    expect(await kv.get(ns("k"))).toBeUndefined();
    await kv.delete(ns("k"));
  });

  it("keeps keys with awkward parts apart", async () => {
    counter++;
    const keys: KvKey[] = [ns("a,b"), ns("a", "b"), ns('"q"'), ns("NULL"), ns("back\\slash")];
    for (const [i, key] of keys.entries()) await kv.set(key, i);
    for (const [i, key] of keys.entries()) expect(await kv.get(key)).toBe(i);
    expect((await collect(kv.list(ns("a")))).map((e) => e.key)).toEqual([ns("a", "b")]);
    expect((await collect(kv.list(ns("NULL")))).map((e) => e.key)).toEqual([ns("NULL")]);
  });

  it("lets an entry expire after its ttl", async () => {
    counter++;
    await kv.set(ns("short"), "soon gone", { ttl: ms(400) });
    await kv.set(ns("long"), "stays", { ttl: duration({ hours: 1 }) });
    expect(await kv.get(ns("short"))).toBe("soon gone");
    await waitFor(async () => (await kv.get(ns("short"))) === undefined);
    expect((await collect(kv.list(ns()))).map((e) => e.key)).toEqual([ns("long")]);
    // An expired entry counts as absent for cas, and set revives the key.
    expect(await kv.cas(ns("short"), "soon gone", "x")).toBe(false);
    expect(await kv.purgeExpired()).toBeGreaterThanOrEqual(1);
    expect(await kv.get(ns("long"))).toBe("stays");
    await kv.set(ns("short"), "again");
    expect(await kv.get(ns("short"))).toBe("again");
  });

  it("treats an expired entry as absent for cas(key, undefined, v)", async () => {
    counter++;
    await kv.set(ns("k"), "old", { ttl: ms(200) });
    expect(await kv.cas(ns("k"), undefined, "new")).toBe(false);
    await waitFor(async () => (await kv.get(ns("k"))) === undefined);
    expect(await kv.cas(ns("k"), undefined, "new")).toBe(true);
    expect(await kv.get(ns("k"))).toBe("new");
  });

  it("lists everything, or exactly the keys under a prefix", async () => {
    counter++;
    await kv.set(ns("a"), 1);
    await kv.set(ns("a", "x"), 2);
    await kv.set(ns("a", "x", "deep"), 3);
    await kv.set(ns("ab"), 4);
    await kv.set(ns("b", "a"), 5);
    const under = async (...parts: string[]) =>
      (await collect(kv.list(ns(...parts))))
        .map((e) => [e.key, e.value])
        .sort(([x], [y]) => (String(x) < String(y) ? -1 : 1));
    expect(await under("a")).toEqual([
      [ns("a"), 1],
      [ns("a", "x"), 2],
      [ns("a", "x", "deep"), 3],
    ]);
    expect(await under("a", "x")).toEqual([
      [ns("a", "x"), 2],
      [ns("a", "x", "deep"), 3],
    ]);
    expect(await under("ab")).toEqual([[ns("ab"), 4]]);
    expect(await under("c")).toEqual([]);
    expect(await under()).toHaveLength(5);
    const all = await collect(kv.list());
    expect(all.length).toBeGreaterThanOrEqual(5);
    expect(all).toContainEqual({ key: ns("b", "a"), value: 5 });
  });

  it("compares and swaps", async () => {
    counter++;
    expect(await kv.cas(ns("c"), undefined, { v: 1 })).toBe(true);
    expect(await kv.cas(ns("c"), undefined, { v: 9 })).toBe(false);
    expect(await kv.cas(ns("c"), { v: 2 }, { v: 3 })).toBe(false);
    expect(await kv.get(ns("c"))).toEqual({ v: 1 });
    expect(await kv.cas(ns("c"), { v: 1 }, { v: 2 })).toBe(true);
    expect(await kv.get(ns("c"))).toEqual({ v: 2 });
    expect(await kv.cas(ns("missing"), "x", "y")).toBe(false);
    expect(await kv.get(ns("missing"))).toBeUndefined();
    // Swapping to undefined removes the entry.
    expect(await kv.cas(ns("c"), { v: 2 }, undefined)).toBe(true);
    expect(await kv.get(ns("c"))).toBeUndefined();
    expect(await kv.cas(ns("c"), null, 1)).toBe(false);
  });

  it("sets a ttl through cas", async () => {
    counter++;
    expect(await kv.cas(ns("c"), undefined, 1, { ttl: ms(200) })).toBe(true);
    await waitFor(async () => (await kv.get(ns("c"))) === undefined);
  });

  it("lets exactly one of many concurrent cas calls win", async () => {
    counter++;
    const racers = 12;
    const fromAbsent = await Promise.all(
      Array.from({ length: racers }, (_, i) => kv.cas(ns("absent"), undefined, i)),
    );
    expect(fromAbsent.filter(Boolean)).toHaveLength(1);
    expect(await kv.get(ns("absent"))).toBe(fromAbsent.indexOf(true));

    await kv.set(ns("n"), 0);
    const fromZero = await Promise.all(Array.from({ length: racers }, () => kv.cas(ns("n"), 0, 1)));
    expect(fromZero.filter(Boolean)).toHaveLength(1);
    expect(await kv.get(ns("n"))).toBe(1);
  });

  it("counts correctly when concurrent writers retry cas increments", async () => {
    counter++;
    await kv.set(ns("counter"), 0);
    const writers = 8;
    await Promise.all(
      Array.from({ length: writers }, async () => {
        for (;;) {
          const current = (await kv.get<number>(ns("counter"))) ?? 0;
          if (await kv.cas(ns("counter"), current, current + 1)) return;
        }
      }),
    );
    expect(await kv.get(ns("counter"))).toBe(writers);
  });

  it("keeps a public key it read for a while, and forgets it when written or deleted through it", async () => {
    counter++;
    const keyId = `https://t${counter}.example/users/a#main-key`;
    const publicKey: KvKey = ["_fedify", "publicKey", keyId];
    const other = ns("plain");
    await kv.set(publicKey, { id: keyId, v: 1 });
    await kv.set(other, { v: 1 });
    expect(await kv.get(publicKey)).toEqual({ id: keyId, v: 1 });
    expect(await kv.get(other)).toEqual({ v: 1 });
    // Changed behind this store's back (as another process would): the kept key is served,
    // any other entry is read afresh.
    await database.rows(sql`update kv_entries set value = '{"v": 2}'::jsonb
      where key_path[1] in ('_fedify', ${`t${counter}`})`);
    expect(await kv.get(publicKey)).toEqual({ id: keyId, v: 1 });
    expect(await kv.get(other)).toEqual({ v: 2 });
    // Written or deleted through this store: seen at once.
    await kv.set(publicKey, { id: keyId, v: 3 });
    expect(await kv.get(publicKey)).toEqual({ id: keyId, v: 3 });
    await kv.delete(publicKey);
    expect(await kv.get(publicKey)).toBeUndefined();
    // A key known to be unavailable (null, with an expiry) is not kept.
    await kv.set(publicKey, null, { ttl: ms(60_000) });
    expect(await kv.get(publicKey)).toBeNull();
    await database.rows(sql`update kv_entries set value = '{"v": 4}'::jsonb
      where key_path[1] = '_fedify' and key_path[3] = ${keyId}`);
    expect(await kv.get(publicKey)).toEqual({ v: 4 });
  });
});
