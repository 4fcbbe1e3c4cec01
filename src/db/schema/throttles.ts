import {
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";
import { members } from "./accounts.ts";

/**
 * Counts of failed attempts (wrong tokens, log-ins, sign-ups, mails…) in a fixed window, shared
 * by every process of the instance (src/shared/attempt-counters.ts). `scope` names the use;
 * only the SHA-256 digest of the key (an address, an account) is stored.
 */
export const attemptCounters = pgTable(
  "attempt_counters",
  {
    scope: text("scope").notNull(),
    keyHash: text("key_hash").notNull(),
    failures: integer("failures").notNull(),
    resetAt: timestamp("reset_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.scope, t.keyHash] }),
    index("attempt_counters_reset_idx").on(t.resetAt),
  ],
);

/**
 * `Idempotency-Key` of a member's posts (src/api/mastodon/idempotency.ts): the first request's
 * answer, kept an hour, whatever process answers the retry. `response` is null while the
 * first request runs.
 */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    memberId: uuid("member_id")
      .notNull()
      .references(() => members.id, { onDelete: "cascade" }),
    keyHash: text("key_hash").notNull(),
    response: jsonb("response"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.memberId, t.keyHash] }),
    index("idempotency_keys_created_idx").on(t.createdAt),
  ],
);
