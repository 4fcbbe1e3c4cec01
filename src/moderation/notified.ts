import { and, eq, inArray } from "drizzle-orm";
import type { Db } from "../db/database.ts";
import { actors, follows } from "../db/schema.ts";
import type { ModerationPolicy } from "./policy.ts";

/**
 * Who hears of what a remote author did (named them, mentioned them, replied): everyone, unless
 * the author is silenced or its domain limited; then only the members who follow it.
 */
export type NotifiedFilter = (
  author: NotifiedAuthor,
  memberIds: readonly string[],
) => Promise<string[]>;

/** The author's actor row, as the caller already holds it (nothing is read again). */
export interface NotifiedAuthor {
  id: string;
  iri: string;
  memberId: string | null;
}

export function createNotifiedFilter(deps: {
  db: Db;
  policy: Pick<ModerationPolicy, "decide">;
}): NotifiedFilter {
  const { db } = deps;
  return async (author, memberIds) => {
    if (memberIds.length === 0) return [];
    if (author.memberId || !(await deps.policy.decide(author.iri)).limited) {
      return [...memberIds];
    }
    const following = await db
      .select({ memberId: actors.memberId })
      .from(follows)
      .innerJoin(actors, eq(actors.id, follows.followerId))
      .where(
        and(
          eq(follows.followingId, author.id),
          eq(follows.state, "accepted"),
          inArray(actors.memberId, [...memberIds]),
        ),
      );
    const kept = new Set(following.map((row) => row.memberId));
    return memberIds.filter((id) => kept.has(id));
  };
}
