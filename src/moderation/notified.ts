import { and, eq, inArray } from "drizzle-orm";
import type { Db } from "../db/database.ts";
import { actors, follows } from "../db/schema.ts";
import type { ModerationPolicy } from "./policy.ts";

/**
 * Who hears of what a remote author did (named them, mentioned them, replied): everyone, unless
 * the author is silenced or its domain limited; then only the members who follow it.
 */
export type NotifiedFilter = (
  authorActorId: string,
  memberIds: readonly string[],
) => Promise<string[]>;

export function createNotifiedFilter(deps: {
  db: Db;
  policy: Pick<ModerationPolicy, "decide">;
}): NotifiedFilter {
  const { db } = deps;
  return async (authorActorId, memberIds) => {
    if (memberIds.length === 0) return [];
    const [author] = await db
      .select({ iri: actors.iri, memberId: actors.memberId })
      .from(actors)
      .where(eq(actors.id, authorActorId));
    if (!author || author.memberId || !(await deps.policy.decide(author.iri)).limited) {
      return [...memberIds];
    }
    const following = await db
      .select({ memberId: actors.memberId })
      .from(follows)
      .innerJoin(actors, eq(actors.id, follows.followerId))
      .where(
        and(
          eq(follows.followingId, authorActorId),
          eq(follows.state, "accepted"),
          inArray(actors.memberId, [...memberIds]),
        ),
      );
    const kept = new Set(following.map((row) => row.memberId));
    return memberIds.filter((id) => kept.has(id));
  };
}
