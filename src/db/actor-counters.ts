import { eq } from "drizzle-orm";
import type { Db } from "./database.ts";
import { actorCounters } from "./schema.ts";

export type ActorCounts = Omit<typeof actorCounters.$inferSelect, "actorId">;

const ZERO: ActorCounts = {
  followersCount: 0,
  followingCount: 0,
  publicEncountersCount: 0,
  unlistedEncountersCount: 0,
};

/**
 * An actor's counts, as the triggers of `actor_counters` keep them (no row yet: zero). The
 * one read of that table: follows and encounters each show their part.
 */
export async function actorCountsOf(db: Db, actorId: string): Promise<ActorCounts> {
  const [row] = await db.select().from(actorCounters).where(eq(actorCounters.actorId, actorId));
  return row ?? ZERO;
}
