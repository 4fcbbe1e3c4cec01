import { sql } from "drizzle-orm";
import type { App } from "../../src/app.ts";
import { eventually } from "./eventually.ts";

/**
 * Work an instance still has to do now: jobs due or running (a retry planned for later
 * is not pending yet, a dead-lettered job never is), and domain events not yet dispatched (dispatching one queues its
 * activities). An event whose writer died waits for the relay of a worker: with role
 * web alone it stays pending.
 */
const pending = async (app: App) =>
  (
    await app.database.rows<{ n: number }>(
      sql`select (select count(*)::int from queue_jobs
                  where dead_at is null and (run_at <= now() or locked_until > now()))
               + (select count(*)::int from outbox_events) as n`,
    )
  )[0]?.n ?? 0;

/**
 * Waits until every job due in these instances' queues has run, including the jobs that
 * running jobs queue (a fan-out queues deliveries; a received activity may queue an
 * answer), and every domain event they recorded was dispatched. Only then is "nothing
 * arrived" a fact rather than a race. Retries planned for later (a failed delivery) are
 * left waiting.
 */
export async function drainQueue(...apps: App[]): Promise<void> {
  // Two empty looks in a row: a job handed from one instance to the other is seen in between.
  for (let emptyLooks = 0; emptyLooks < 2; ) {
    await eventually(
      async () => {
        for (const app of apps) if ((await pending(app)) > 0) return false;
        return true;
      },
      { what: "the queues to drain", timeoutMs: 30_000 },
    );
    emptyLooks++;
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (const app of apps) if ((await pending(app)) > 0) emptyLooks = 0;
  }
}
