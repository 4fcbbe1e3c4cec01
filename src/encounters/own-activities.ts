import { and, eq } from "drizzle-orm";
import type { Db } from "../db/database.ts";
import {
  actors,
  encounterParticipants,
  encounters,
  follows,
  memberLikes,
  members,
} from "../db/schema.ts";

/** An activity a member sent, found by its IRI: what an `Undo` naming only that IRI undoes. */
export type OwnActivity =
  | { kind: "follow"; activityIri: string; targetIri: string }
  | { kind: "announce"; activityIri: string; encounterId: string; objectIri: string }
  | { kind: "like"; activityIri: string; objectIri: string };

export interface OwnActivities {
  /** The member's Follow, co-signing Announce or Like with this IRI; undefined for anything else. */
  find(username: string, activityIri: string): Promise<OwnActivity | undefined>;
}

export function createOwnActivities(deps: { db: Db }): OwnActivities {
  const { db } = deps;

  async function memberOf(username: string) {
    const [row] = await db
      .select({ memberId: members.id, actorId: actors.id })
      .from(members)
      .innerJoin(actors, eq(actors.memberId, members.id))
      .where(eq(members.username, username.toLowerCase()));
    return row;
  }

  return {
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
  };
}
