import type { KvKey, KvStore, KvStoreListEntry, KvStoreSetOptions } from "@fedify/fedify";
import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/database.ts";

/** Fedify's `KvStore` over the `kv_entries` table, plus an explicit purge of expired rows. */
export interface DatabaseKvStore extends KvStore {
  cas(
    key: KvKey,
    expectedValue: unknown,
    newValue: unknown,
    options?: KvStoreSetOptions,
  ): Promise<boolean>;
  /** Deletes every expired row; returns how many went. */
  purgeExpired(): Promise<number>;
}

export interface KvStoreOptions {
  /** Expired rows are purged by `set` at most this often (they are invisible meanwhile). */
  purgeIntervalMs?: number;
  /**
   * Hands a write to the queue job running it, to be made in the statement that completes
   * the job (`DatabaseMessageQueue.writeWithCurrentJob`); false when no job runs it.
   */
  writeWithCurrentJob?: (statement: SQL) => boolean;
  /**
   * What the statement that claimed the running queue job read for it
   * (`activityIdempotencePrefetchSql`); undefined when no job runs the caller.
   */
  prefetchedWithCurrentJob?: () => unknown;
}

/**
 * Fedify's record that an activity was processed, set by the worker as the last step of the
 * job that processed it. Written with the job's completion: one statement less per
 * activity, and the record exists exactly when the job is done.
 */
const ACTIVITY_IDEMPOTENCE: KvKey = ["_fedify", "activityIdempotence"];

function isActivityIdempotence(key: KvKey): boolean {
  return key[0] === ACTIVITY_IDEMPOTENCE[0] && key[1] === ACTIVITY_IDEMPOTENCE[1];
}

/**
 * For the queue's `prefetch`: the record that an inbox job's activity was processed, read by
 * the statement that claims the job, since the first thing Fedify's worker does with an
 * activity is ask for it (one statement less per activity). The key is foreseen from the
 * message (its `baseUrl` and the activity's `id`, as Fedify builds it) and given with what
 * was read, `[key, null]` when absent and `[key, [value]]` when present; `get` answers
 * from it only for that exact key and reads the table for any other.
 */
export function activityIdempotencePrefetchSql(message: SQL): SQL {
  const prefix = JSON.stringify(ACTIVITY_IDEMPOTENCE).slice(0, -1);
  return sql`(select jsonb_build_array(k.key, (
      select jsonb_build_array(e.value) from kv_entries e
      where e.key = k.key and (e.expires_at is null or e.expires_at > now())))
    from (select ${prefix} || ',' || to_json(${message}->>'baseUrl')::text || ','
                 || to_json(${message}->'activity'->>'id')::text || ']' as key) k
    where ${message}->>'type' = 'inbox' and k.key is not null)`;
}

/** What `activityIdempotencePrefetchSql` read for `encodedKey`; undefined when it read another. */
function prefetchedEntry(prefetched: unknown, encodedKey: string): { value: unknown } | undefined {
  if (!Array.isArray(prefetched) || prefetched[0] !== encodedKey) return undefined;
  const entry: unknown = prefetched[1];
  return { value: Array.isArray(entry) ? entry[0] : undefined };
}

/**
 * The remote public keys Fedify keeps (its `publicKey` prefix, stored without expiry) are read
 * on every signed request: this process also keeps each one it read for at most
 * PUBLIC_KEY_MEMO_MS. A write or delete through this store forgets it at once (an actor's
 * Update that drops a key, src/federation/actor-updates.ts); one made by another process is
 * seen here within that time. A signature that fails with a kept key makes Fedify fetch the
 * key afresh, so a rotated key is never refused for long; docs/SECURITY.md.
 */
const PUBLIC_KEY_MEMO_MS = 30_000;
const PUBLIC_KEY_MEMO_ENTRIES = 1_000;

function isPublicKey(key: KvKey): boolean {
  return key.length === 3 && key[0] === "_fedify" && key[1] === "publicKey";
}

// Expired rows are filtered by every read, so they can linger harmlessly until a purge.
const live = sql`(expires_at is null or expires_at > now())`;

export function createKvStore(database: Database, options: KvStoreOptions = {}): DatabaseKvStore {
  const purgeIntervalMs = options.purgeIntervalMs ?? 60_000;
  let lastPurge = Date.now();
  /** Public keys read lately, by encoded key (see PUBLIC_KEY_MEMO_MS). */
  const keptKeys = new Map<string, { value: unknown; until: number }>();
  /** Raised by every write of a key: a read begun before one must not keep what it read. */
  let keyWrites = 0;
  const forget = (key: KvKey) => {
    if (!isPublicKey(key)) return;
    keyWrites++;
    keptKeys.delete(encodeKey(key));
  };

  async function purgeExpired(): Promise<number> {
    lastPurge = Date.now();
    const rows = await database.rows<{ key: string }>(
      sql`delete from kv_entries where expires_at <= now() returning key`,
    );
    return rows.length;
  }

  function maybePurge(): void {
    if (Date.now() - lastPurge < purgeIntervalMs) return;
    // A failed purge only delays cleanup; it must not fail the caller's write.
    purgeExpired().catch(() => {});
  }

  async function upsert(key: KvKey, value: unknown, ttl?: Temporal.Duration): Promise<void> {
    forget(key);
    const statement = sql`
      insert into kv_entries (key, key_path, value, expires_at)
      values (${encodeKey(key)}, ${keyPathLiteral(key)}::text[], ${encodeValue(value)}::jsonb,
              ${expiresAt(ttl)})
      on conflict (key) do update
        set value = excluded.value, expires_at = excluded.expires_at`;
    if (isActivityIdempotence(key) && options.writeWithCurrentJob?.(statement)) return;
    await database.rows(statement);
  }

  async function remove(key: KvKey): Promise<void> {
    forget(key);
    await database.rows(sql`delete from kv_entries where key = ${encodeKey(key)}`);
  }

  return {
    async get<T = unknown>(key: KvKey): Promise<T | undefined> {
      const encoded = encodeKey(key);
      if (isActivityIdempotence(key)) {
        const entry = prefetchedEntry(options.prefetchedWithCurrentJob?.(), encoded);
        if (entry) return entry.value as T | undefined;
      }
      const kept = isPublicKey(key) ? keptKeys.get(encoded) : undefined;
      if (kept && kept.until > Date.now()) return kept.value as T;
      const writesBefore = keyWrites;
      const rows = await database.rows<{ value: unknown }>(
        sql`select value from kv_entries where key = ${encoded} and ${live}`,
      );
      const value = rows[0]?.value;
      // Only a key (an unavailable one is stored as null, with an expiry of its own).
      if (isPublicKey(key) && value !== undefined && value !== null && keyWrites === writesBefore) {
        keptKeys.delete(encoded);
        if (keptKeys.size >= PUBLIC_KEY_MEMO_ENTRIES) {
          keptKeys.delete(keptKeys.keys().next().value as string);
        }
        keptKeys.set(encoded, { value, until: Date.now() + PUBLIC_KEY_MEMO_MS });
      }
      return value as T | undefined;
    },

    async set(key, value, setOptions) {
      // JSON cannot hold `undefined`: storing it means the key is absent.
      if (value === undefined) await remove(key);
      else await upsert(key, value, setOptions?.ttl);
      maybePurge();
    },

    delete: remove,

    async cas(key, expectedValue, newValue, setOptions) {
      forget(key);
      const encoded = encodeKey(key);
      // Each branch is one statement, so PostgreSQL's row locks (and the unique
      // index for inserts) make it atomic against concurrent writers.
      let rows: unknown[];
      if (expectedValue === undefined) {
        if (newValue === undefined) {
          rows = await database.rows(
            sql`select 1 from kv_entries where key = ${encoded} and ${live}`,
          );
          return rows.length === 0;
        }
        rows = await database.rows(sql`
          insert into kv_entries (key, key_path, value, expires_at)
          values (${encoded}, ${keyPathLiteral(key)}::text[], ${encodeValue(newValue)}::jsonb,
                  ${expiresAt(setOptions?.ttl)})
          on conflict (key) do update
            set value = excluded.value, expires_at = excluded.expires_at
            where kv_entries.expires_at <= now()
          returning 1 as ok`);
      } else if (newValue === undefined) {
        rows = await database.rows(sql`
          delete from kv_entries
          where key = ${encoded} and value = ${encodeValue(expectedValue)}::jsonb and ${live}
          returning 1 as ok`);
      } else {
        rows = await database.rows(sql`
          update kv_entries
          set value = ${encodeValue(newValue)}::jsonb, expires_at = ${expiresAt(setOptions?.ttl)}
          where key = ${encoded} and value = ${encodeValue(expectedValue)}::jsonb and ${live}
          returning 1 as ok`);
      }
      return rows.length > 0;
    },

    async *list(prefix?: KvKey): AsyncIterable<KvStoreListEntry> {
      // Comparing whole array elements keeps ["a"] from matching ["ab"].
      const filter = prefix
        ? sql`and key_path[1:${prefix.length}] = ${keyPathLiteral(prefix)}::text[]`
        : sql``;
      const rows = await database.rows<{ key: string; value: unknown }>(
        sql`select key, value from kv_entries where ${live} ${filter} order by key`,
      );
      for (const row of rows) yield { key: JSON.parse(row.key) as KvKey, value: row.value };
    },

    purgeExpired,
  };
}

function encodeKey(key: KvKey): string {
  return JSON.stringify(key);
}

function encodeValue(value: unknown): string {
  return JSON.stringify(value);
}

/** A PostgreSQL array literal: quoting every element makes any string safe, even "NULL". */
function keyPathLiteral(key: KvKey): string {
  return `{${key.map((part) => `"${part.replace(/["\\]/g, "\\$&")}"`).join(",")}}`;
}

function expiresAt(ttl: Temporal.Duration | undefined): SQL {
  if (ttl == null) return sql`null`;
  const seconds = ttl.total({ unit: "millisecond" }) / 1000;
  // The database clock decides expiry, so several processes agree on it.
  return sql`now() + make_interval(secs => ${seconds}::double precision)`;
}
