import { sql } from "drizzle-orm";
import type { Database } from "../db/database.ts";

/** A job that ran out of attempts, as the admin sees it: where it went and why, no payload. */
export interface DeadJob {
  id: number;
  /** Fedify's kind of job: outbox (a delivery), fanout, inbox. */
  kind: string;
  activityType: string | null;
  activityId: string | null;
  inbox: string | null;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  deadAt: Date;
}

/** The dead-lettered jobs, oldest first. */
export async function listDeadJobs(database: Database, limit = 1_000): Promise<DeadJob[]> {
  const rows = await database.rows<{
    id: string | number;
    kind: string | null;
    activity_type: string | null;
    activity_id: string | null;
    inbox: string | null;
    attempts: number;
    last_error: string | null;
    created_at: string | Date;
    dead_at: string | Date;
  }>(sql`
    select id, message->>'type' as kind, message->>'activityType' as activity_type,
           message->>'activityId' as activity_id, message->>'inbox' as inbox,
           attempts, last_error, created_at, dead_at
    from queue_jobs where dead_at is not null
    order by id limit ${limit}`);
  return rows.map((row) => ({
    id: Number(row.id),
    kind: row.kind ?? "unknown",
    activityType: row.activity_type,
    activityId: row.activity_id,
    inbox: row.inbox,
    attempts: row.attempts,
    lastError: row.last_error,
    createdAt: new Date(row.created_at),
    deadAt: new Date(row.dead_at),
  }));
}

/**
 * Gives dead-lettered jobs (one by id, or all) a fresh set of attempts, to run now, in
 * their old place among the jobs of their ordering key. Returns how many were revived.
 */
export async function retryDeadJobs(database: Database, which: number | "all"): Promise<number> {
  const only = which === "all" ? sql`` : sql`and id = ${which}`;
  const rows = await database.rows<{ id: string | number }>(sql`
    update queue_jobs set dead_at = null, attempts = 0, run_at = now(), locked_until = null
    where dead_at is not null ${only}
    returning id`);
  return rows.length;
}
