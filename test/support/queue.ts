import { sql } from "drizzle-orm";
import type { App } from "../../src/app.ts";
import { eventually } from "./eventually.ts";

/** Jobs due now or running; a retry planned for later is not pending yet. */
const pending = async (app: App) =>
  (
    await app.database.rows<{ n: number }>(
      sql`select count(*)::int as n from queue_jobs where run_at <= now() or locked_until > now()`,
    )
  )[0]?.n ?? 0;

/**
 * Waits until every job due in these instances' queues has run, including the jobs that
 * running jobs queue (a fan-out queues deliveries; a received activity may queue an
 * answer). Only then is "nothing arrived" a fact rather than a race. Retries planned for
 * later (a failed delivery) are left waiting.
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
