import { bigserial, index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Fedify's key-value store. `key` is the JSON text of the key array (exact
 * lookups); `keyPath` keeps its parts so a prefix can be listed with an index.
 */
export const kvEntries = pgTable(
  "kv_entries",
  {
    key: text("key").primaryKey(),
    keyPath: text("key_path").array().notNull(),
    value: jsonb("value").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [index("kv_entries_expires_idx").on(t.expiresAt)],
);

/**
 * Fedify's durable message queue. A job is claimed by setting `lockedUntil`
 * (a lease), run, then deleted; a failed job stays in its row with a later
 * `runAt` (retried in place) until it runs out of attempts and gets a
 * `deadAt`; a crashed worker's lease runs out and the job is claimed again.
 */
export const queueJobs = pgTable(
  "queue_jobs",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    queue: text("queue").notNull().default("fedify"),
    message: jsonb("message").notNull(),
    orderingKey: text("ordering_key"),
    runAt: timestamp("run_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    lockedUntil: timestamp("locked_until", { withTimezone: true, mode: "date" }),
    attempts: integer("attempts").notNull().default(0),
    /** The host a delivery goes to: at most a few of its jobs run at once. */
    host: text("host"),
    /** Set when the job ran out of attempts: kept for the admin to look at and retry. */
    deadAt: timestamp("dead_at", { withTimezone: true, mode: "date" }),
    /** Why its last run failed (an error message, never a payload). */
    lastError: text("last_error"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    index("queue_jobs_ready_idx").on(t.queue, t.runAt),
    // The claim looks for an older or leased job of the same key for every candidate:
    // without this index that check scans the table (quadratic as the queue grows).
    index("queue_jobs_ordering_idx").on(t.queue, t.orderingKey, t.id),
    // The per-host cap counts a host's leased jobs for every candidate.
    index("queue_jobs_host_idx").on(t.queue, t.host, t.lockedUntil),
  ],
);
