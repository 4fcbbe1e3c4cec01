import { and, eq } from "drizzle-orm";
import type { MembersService } from "../accounts/members-service.ts";
import type { Db } from "../db/database.ts";
import { actors, encounterParticipants, encounters, follows, memberLikes } from "../db/schema.ts";
import type { FollowsService } from "../follows/follows-service.ts";
import { DomainError } from "../shared/errors.ts";
import type { CosignService } from "./cosign-service.ts";
import type { LikesService } from "./likes-service.ts";

/** An activity a member sent, found by its IRI: what an `Undo` naming only that IRI undoes. */
export type OwnActivity =
  | { kind: "follow"; activityIri: string; targetIri: string }
  | { kind: "announce"; activityIri: string; encounterId: string; objectIri: string }
  | { kind: "like"; activityIri: string; objectIri: string };

export interface OwnActivities {
  /** The member's Follow, co-signing Announce or Like with this IRI; undefined for anything else. */
  find(username: string, activityIri: string): Promise<OwnActivity | undefined>;
  /** Takes back the member's Follow, co-signature or Like with this IRI; 404 for anything else. */
  undo(username: string, activityIri: string): Promise<OwnActivity>;
}

export function createOwnActivities(deps: {
  db: Db;
  members: Pick<MembersService, "findWithActor">;
  follows: Pick<FollowsService, "unfollow">;
  cosign: Pick<CosignService, "decline">;
  likes: Pick<LikesService, "unlike">;
}): OwnActivities {
  const { db } = deps;

  async function memberOf(username: string) {
    const found = await deps.members.findWithActor(username);
    return found && { memberId: found.member.id, actorId: found.actor.id };
  }

  const activities: OwnActivities = {
    async find(username, activityIri) {
      const member = await memberOf(username);
      // No such member: nothing of theirs to find either.
      if (!member) return undefined;
      const { memberId, actorId } = member;
      const [follow] = await db
        .select({ targetIri: actors.iri })
        .from(follows)
        .innerJoin(actors, eq(actors.id, follows.followingId))
        .where(and(eq(follows.activityIri, activityIri), eq(follows.followerId, actorId)));
      if (follow) return { kind: "follow", activityIri, targetIri: follow.targetIri };
      const [announce] = await db
        .select({ encounterId: encounters.id, objectIri: encounters.iri })
        .from(encounterParticipants)
        .innerJoin(encounters, eq(encounters.id, encounterParticipants.encounterId))
        .where(
          and(
            eq(encounterParticipants.cosignActivityIri, activityIri),
            eq(encounterParticipants.actorId, actorId),
          ),
        );
      if (announce) return { kind: "announce", activityIri, ...announce };
      const [like] = await db
        .select({ objectIri: memberLikes.objectIri })
        .from(memberLikes)
        .where(and(eq(memberLikes.activityIri, activityIri), eq(memberLikes.memberId, memberId)));
      return like ? { kind: "like", activityIri, objectIri: like.objectIri } : undefined;
    },

    async undo(username, activityIri) {
      const own = await activities.find(username, activityIri);
      switch (own?.kind) {
        case "follow":
          await deps.follows.unfollow(username, own.targetIri);
          return own;
        case "announce":
          await deps.cosign.decline(username, own.encounterId);
          return own;
        case "like":
          await deps.likes.unlike(username, activityIri);
          return own;
        case undefined:
          throw new DomainError(
            "not_found",
            `No Follow, Announce or Like of yours at ${activityIri} to undo: name one of your activities, or embed the activity.`,
          );
      }
    },
  };
  return activities;
}
