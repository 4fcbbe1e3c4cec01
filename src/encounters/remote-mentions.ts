import { and, inArray, isNotNull } from "drizzle-orm";
import type { ActorRow, ActorsRepository } from "../actors/actors-repository.ts";
import type { Db } from "../db/database.ts";
import { actors } from "../db/schema.ts";
import type { NotifiedFilter } from "../moderation/notified.ts";
import type { NotificationsService } from "./notifications-service.ts";
import type { ValidRemoteEncounterRecord } from "./remote-encounter-record.ts";

/** The most of a mentioning post a notification keeps: enough to know what it is about. */
export const MENTION_EXCERPT_MAX = 500;

export type MentionOutcome =
  | { status: "mentioned"; memberIds: string[] }
  | { status: "ignored"; reason: string };

/**
 * A remote post that names members without being an encounter (no #Socialdapres tag): a
 * mention is a mention, so each member it names is notified — who wrote it, where it is,
 * its first words — and nothing else is kept: it is not stored, listed or shown as an
 * encounter. The record was validated by RemoteEncountersService (the sender is its author,
 * its id on the author's server).
 */
export interface RemoteMentions {
  receive(record: ValidRemoteEncounterRecord): Promise<MentionOutcome>;
}

export function createRemoteMentions(deps: {
  db: Db;
  actors: Pick<ActorsRepository, "findByIri">;
  /** Finds the author by IRI when it is not known yet (a fediverse look-up). */
  lookUp: (actorIri: string) => Promise<ActorRow | undefined>;
  notifications: Pick<NotificationsService, "notifyMentioned">;
  /** Who may hear of a silenced author's mentions: its followers only (src/moderation/). */
  notified?: NotifiedFilter;
}): RemoteMentions {
  return {
    async receive(record) {
      const iris = [...new Set(record.mentions.map((m) => m.iri))];
      if (iris.length === 0) return { status: "ignored", reason: "not tagged #Socialdapres" };
      const named = await deps.db
        .select({ memberId: actors.memberId })
        .from(actors)
        .where(and(inArray(actors.iri, iris), isNotNull(actors.memberId)));
      const memberIds = named.flatMap((row) => (row.memberId ? [row.memberId] : []));
      if (memberIds.length === 0) {
        return { status: "ignored", reason: "not tagged #Socialdapres, naming no member" };
      }
      const author =
        (await deps.actors.findByIri(record.authorIri)) ?? (await deps.lookUp(record.authorIri));
      if (!author) return { status: "ignored", reason: "its author could not be found" };
      if (author.memberId) return { status: "ignored", reason: "a member's post is not received" };
      // Behind a content warning, the warning is what the notification shows.
      const excerpt = record.contentWarning ?? record.text;
      const told = deps.notified ? await deps.notified(author, memberIds) : memberIds;
      await deps.notifications.notifyMentioned(told, {
        actorId: author.id,
        objectIri: record.iri,
        objectUrl: record.url,
        excerpt: excerpt.slice(0, MENTION_EXCERPT_MAX),
      });
      return { status: "mentioned", memberIds };
    },
  };
}
