import { and, eq, isNotNull } from "drizzle-orm";
import type { LookedUpAccount } from "../accounts/account-move-service.ts";
import type { ActorsRepository } from "../actors/actors-repository.ts";
import type { Db } from "../db/database.ts";
import { actors, follows } from "../db/schema.ts";
import type { Logger } from "../shared/logger.ts";
import type { FollowsService } from "./follows-service.ts";

export type MoveOutcome =
  | { status: "moved"; followersMoved: number }
  /** The target does not name the origin in its `alsoKnownAs`: nothing is done. */
  | { status: "not_aliased" }
  /** We keep no such remote account (nobody here follows it): nothing to move. */
  | { status: "unknown_origin" };

export interface FollowMoves {
  /**
   * A remote account we know moved to `target` (looked up fresh by the caller, never read
   * from the activity alone). When `target` names the origin in its `alsoKnownAs`, the origin
   * is marked as moved and each member following it follows the target instead (an `Undo`
   * of the old `Follow`, a new `Follow`), as Mastodon does.
   */
  receiveMove(originIri: string, target: LookedUpAccount): Promise<MoveOutcome>;
}

export function createFollowMoves(deps: {
  db: Db;
  actors: Pick<ActorsRepository, "findByIri" | "markMoved">;
  follows: Pick<FollowsService, "follow" | "unfollow">;
  logger: Logger;
}): FollowMoves {
  const { db } = deps;
  return {
    async receiveMove(originIri, target) {
      const origin = await deps.actors.findByIri(originIri);
      if (!origin || origin.memberId) return { status: "unknown_origin" };
      if (!(target.alsoKnownAs ?? []).includes(originIri) || target.iri === originIri) {
        return { status: "not_aliased" };
      }
      await deps.actors.markMoved(originIri, target.iri);
      // The members following the origin, accepted or still pending.
      const followers = await db
        .select({ username: actors.username })
        .from(follows)
        .innerJoin(actors, eq(actors.id, follows.followerId))
        .where(and(eq(follows.followingId, origin.id), isNotNull(actors.memberId)));
      let moved = 0;
      for (const { username } of followers) {
        try {
          await deps.follows.follow(username, target);
          await deps.follows.unfollow(username, originIri);
          moved++;
        } catch (error) {
          deps.logger.warn({ err: error, username }, "a follow could not move with its account");
        }
      }
      return { status: "moved", followersMoved: moved };
    },
  };
}
