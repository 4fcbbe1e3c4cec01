import { aliasedTable, and, desc, eq, inArray, isNotNull, lt, ne } from "drizzle-orm";
import type { Db } from "../db/database.ts";
import {
  actors,
  encounterParticipants,
  encounterReactions,
  encounterReplies,
  encounters,
  follows,
  notifications,
} from "../db/schema.ts";

/*
 * What a member received, as the database keeps it, for the ActivityPub C2S inbox
 * (`GET /users/<name>/inbox`): the encounters that name them and the posts that mention them
 * (their notifications), replies to their encounters, likes and boosts of their encounters
 * (`encounter_reactions`), co-signs by the people they named (`encounter_participants`), and
 * follows of them. Read only: each table keeps its owner.
 */

export interface ReceivedActivity {
  type: "Create" | "Like" | "Announce" | "Follow";
  /** The activity's own id when it was kept (Like, Announce, Follow, our own Creates). */
  id: string | null;
  actor: string;
  object: string;
  published: Date;
}

export interface ReceivedActivities {
  /** Newest first, `limit` at most, all older than `before` when given. */
  list(memberId: string, options: { limit: number; before?: Date }): Promise<ReceivedActivity[]>;
}

export function createReceivedActivities(deps: {
  db: Db;
  /** The id of the `Create` of a local encounter (`<note>/activity`), when the IRI is ours. */
  localCreateId: (noteIri: string) => string | null;
}): ReceivedActivities {
  const { db } = deps;
  const author = aliasedTable(actors, "author");

  return {
    async list(memberId, { limit, before }) {
      const [me] = await db
        .select({ id: actors.id, iri: actors.iri })
        .from(actors)
        .where(eq(actors.memberId, memberId));
      if (!me) return [];

      // Named in an encounter, mentioned in a post, a reply to one of theirs: the notifications.
      const told = await db
        .select({
          kind: notifications.kind,
          createdAt: notifications.createdAt,
          objectIri: notifications.objectIri,
          mentionAuthor: actors.iri,
          encounterIri: encounters.iri,
          encounterAuthor: author.iri,
          replyIri: encounterReplies.iri,
          replyAuthorId: encounterReplies.authorId,
        })
        .from(notifications)
        .leftJoin(actors, eq(actors.id, notifications.actorId))
        .leftJoin(encounters, eq(encounters.id, notifications.encounterId))
        .leftJoin(author, eq(author.id, encounters.authorId))
        .leftJoin(encounterReplies, eq(encounterReplies.id, notifications.replyId))
        .where(
          and(
            eq(notifications.memberId, memberId),
            inArray(notifications.kind, ["named_in_encounter", "mentioned", "encounter_reply"]),
            before ? lt(notifications.createdAt, before) : undefined,
          ),
        )
        .orderBy(desc(notifications.createdAt))
        .limit(limit);
      const replyAuthors = new Map(
        (told.some((row) => row.replyAuthorId)
          ? await db
              .select({ id: actors.id, iri: actors.iri })
              .from(actors)
              .where(
                inArray(
                  actors.id,
                  told.flatMap((row) => (row.replyAuthorId ? [row.replyAuthorId] : [])),
                ),
              )
          : []
        ).map((row) => [row.id, row.iri]),
      );
      const creates: ReceivedActivity[] = told.flatMap((row) => {
        const [actor, object] =
          row.kind === "mentioned"
            ? [row.mentionAuthor, row.objectIri]
            : row.kind === "encounter_reply"
              ? [row.replyAuthorId ? replyAuthors.get(row.replyAuthorId) : null, row.replyIri]
              : [row.encounterAuthor, row.encounterIri];
        if (!actor || !object) return [];
        return [
          {
            type: "Create" as const,
            id: deps.localCreateId(object),
            actor,
            object,
            published: row.createdAt,
          },
        ];
      });

      // Likes and co-signs (boosts) of their encounters, by others.
      const reactions = await db
        .select({
          kind: encounterReactions.kind,
          id: encounterReactions.activityIri,
          actor: encounterReactions.actorIri,
          object: encounters.iri,
          published: encounterReactions.createdAt,
        })
        .from(encounterReactions)
        .innerJoin(encounters, eq(encounters.id, encounterReactions.encounterId))
        .where(
          and(
            eq(encounters.authorId, me.id),
            ne(encounterReactions.actorIri, me.iri),
            before ? lt(encounterReactions.createdAt, before) : undefined,
          ),
        )
        .orderBy(desc(encounterReactions.createdAt))
        .limit(limit);

      // Co-signs by the people their encounters name (an Announce each).
      const cosigns = await db
        .select({
          id: encounterParticipants.cosignActivityIri,
          actor: actors.iri,
          object: encounters.iri,
          published: encounterParticipants.cosignedAt,
        })
        .from(encounterParticipants)
        .innerJoin(encounters, eq(encounters.id, encounterParticipants.encounterId))
        .innerJoin(actors, eq(actors.id, encounterParticipants.actorId))
        .where(
          and(
            eq(encounters.authorId, me.id),
            eq(encounterParticipants.cosignState, "cosigned"),
            isNotNull(encounterParticipants.cosignedAt),
            before ? lt(encounterParticipants.cosignedAt, before) : undefined,
          ),
        )
        .orderBy(desc(encounterParticipants.cosignedAt))
        .limit(limit);

      // Follows of them (accepted or waiting for their approval).
      const followed = await db
        .select({ id: follows.activityIri, actor: actors.iri, published: follows.createdAt })
        .from(follows)
        .innerJoin(actors, eq(actors.id, follows.followerId))
        .where(
          and(eq(follows.followingId, me.id), before ? lt(follows.createdAt, before) : undefined),
        )
        .orderBy(desc(follows.createdAt))
        .limit(limit);

      return [
        ...creates,
        ...reactions.map((row) => ({
          type: row.kind === "like" ? ("Like" as const) : ("Announce" as const),
          id: row.id,
          actor: row.actor,
          object: row.object,
          published: row.published,
        })),
        ...cosigns.flatMap((row) =>
          row.published
            ? [
                {
                  type: "Announce" as const,
                  id: row.id,
                  actor: row.actor,
                  object: row.object,
                  published: row.published,
                },
              ]
            : [],
        ),
        ...followed.map((row) => ({
          type: "Follow" as const,
          id: row.id,
          actor: row.actor,
          object: me.iri,
          published: row.published,
        })),
      ]
        .sort((a, b) => b.published.getTime() - a.published.getTime())
        .slice(0, limit);
    },
  };
}
