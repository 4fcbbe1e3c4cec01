import { createHash } from "node:crypto";
import { and, eq, gt, lte, sql } from "drizzle-orm";
import type { AttemptCounters } from "../shared/failed-attempt-limiter.ts";
import type { Db } from "./database.ts";
import { attemptCounters } from "./schema.ts";

/** Expired windows are deleted after this many counts made by one process. */
const SWEEP_EVERY = 500;

export interface StoredAttemptCounters extends AttemptCounters {
  /** Deletes the windows ended by `now`; returns how many. */
  sweep(now: number): Promise<number>;
}

const digest = (key: string) => createHash("sha256").update(key).digest("base64url");

/**
 * Attempt counts in the `attempt_counters` table: one row per (scope, key digest), counted by
 * one atomic upsert, so processes counting the same key at once never lose a count. No
 * address or account name is stored, only its digest.
 */
export function createStoredAttemptCounters(db: Db): StoredAttemptCounters {
  let counted = 0;
  async function sweep(now: number) {
    const gone = await db
      .delete(attemptCounters)
      .where(lte(attemptCounters.resetAt, new Date(now)))
      .returning({ scope: attemptCounters.scope });
    return gone.length;
  }
  return {
    async read(scope, key, now) {
      const [row] = await db
        .select({ failures: attemptCounters.failures, resetAt: attemptCounters.resetAt })
        .from(attemptCounters)
        .where(
          and(
            eq(attemptCounters.scope, scope),
            eq(attemptCounters.keyHash, digest(key)),
            gt(attemptCounters.resetAt, new Date(now)),
          ),
        );
      return row && { failures: row.failures, resetAt: row.resetAt.getTime() };
    },
    async add(scope, key, windowMs, now) {
      const at = new Date(now);
      const resetAt = new Date(now + windowMs);
      // A window that ended starts again at 1, in the same statement.
      const ended = sql`${attemptCounters.resetAt} <= ${at.toISOString()}::timestamptz`;
      await db
        .insert(attemptCounters)
        .values({ scope, keyHash: digest(key), failures: 1, resetAt })
        .onConflictDoUpdate({
          target: [attemptCounters.scope, attemptCounters.keyHash],
          set: {
            failures: sql`case when ${ended} then 1 else ${attemptCounters.failures} + 1 end`,
            resetAt: sql`case when ${ended} then excluded.reset_at else ${attemptCounters.resetAt} end`,
          },
        });
      if (++counted % SWEEP_EVERY === 0) await sweep(now).catch(() => {});
    },
    sweep,
  };
}
