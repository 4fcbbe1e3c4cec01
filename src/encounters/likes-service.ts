import { randomUUID } from "node:crypto";
import { and, asc, eq, inArray, or } from "drizzle-orm";
import type { MembersService } from "../accounts/members-service.ts";
import type { ActorRow, ActorsRepository } from "../actors/actors-repository.ts";
import type { Db } from "../db/database.ts";
import { actors, encounterReactions, encounters, memberLikes } from "../db/schema.ts";
import type { Outbox } from "../outbox/outbox.ts";
import { DomainError } from "../shared/errors.ts";
import type { CosignService } from "./cosign-service.ts";
import type { EncounterAccess } from "./encounter-access.ts";
import type { EncountersRepository, EncounterView } from "./encounters-repository.ts";

export interface UnlikeOutcome {
  /** The IRI of the encounter liked (as stored: its canonical IRI). */
  objectIri: string;
  /**
   * The encounter as it is now, if the member may still see it (a like of an encounter
   * since deleted, or made private, can still be taken back).
   */
  encounter: EncounterView | undefined;
  /** The Like's IRI; null when there was no like to undo. */
  activityIri: string | null;
  /** False when nothing changed: already liked, or not liked. */
  changed: boolean;
}

export interface LikeOutcome extends UnlikeOutcome {
  encounter: EncounterView;
  activityIri: string;
}

/**
 * Likes by our own members, of encounters we know (ours or stored remote ones). A like of
 * a local encounter is counted here like any other reaction; a like of a remote one is
 * federated to its author (outbox bridge), whose server counts it.
 */
export interface LikesService {
  /** Likes the encounter at this IRI; liking twice keeps the first Like. */
  like(username: string, objectIri: string): Promise<LikeOutcome>;
  /**
   * Takes back the member's like, given the encounter's IRI or the Like's own IRI.
   * Unliking a visible encounter that was not liked changes nothing and is no error.
   */
  unlike(username: string, iri: string): Promise<UnlikeOutcome>;
  likeEncounter(username: string, encounterId: string): Promise<LikeOutcome>;
  unlikeEncounter(username: string, encounterId: string): Promise<UnlikeOutcome>;
  /** Which of these object IRIs the member liked (what an app shows as a filled star). */
  likedAmong(memberId: string, objectIris: readonly string[]): Promise<Set<string>>;
  /** Who liked the encounter, as far as this instance knows them, first likes first. */
  likersOf(encounterId: string, limit: number): Promise<ActorRow[]>;
}

export function createLikesService(deps: {
  db: Db;
  members: Pick<MembersService, "requireByUsername">;
  repository: EncountersRepository;
  access: EncounterAccess;
  actors: ActorsRepository;
  cosign: Pick<CosignService, "recordReaction" | "undoReaction">;
  /** Each event is recorded in the transaction of the change it reports. */
  events: Pick<Outbox, "record" | "dispatch">;
  newActivityIri: (kind: string) => string;
}): LikesService {
  const { db, repository, access, cosign, events } = deps;

  async function memberOf(username: string): Promise<{ id: string; actor: ActorRow }> {
    const { member, actor } = await deps.members.requireByUsername(username);
    return { id: member.id, actor };
  }

  const notVisible = (iri: string) =>
    new DomainError("not_found", `No encounter at ${iri} that you can see.`);

  async function like(username: string, objectIri: string): Promise<LikeOutcome> {
    const member = await memberOf(username);
    const found = await repository.findByIri(objectIri);
    if (!found) throw notVisible(objectIri);
    // Throws not_found when the member may not see it (its existence is private too).
    const encounter = await access.visibleTo(member.actor.username, found.id);
    const { inserted, recorded } = await db.transaction(async (tx) => {
      const inserted = await tx
        .insert(memberLikes)
        .values({
          id: randomUUID(),
          memberId: member.id,
          objectIri: encounter.iri,
          activityIri: deps.newActivityIri("like"),
        })
        .onConflictDoNothing()
        .returning();
      const [like] = inserted;
      const recorded =
        like &&
        (await events.record(tx, {
          type: "encounter.liked",
          encounterId: encounter.id,
          username: member.actor.username,
          activityIri: like.activityIri,
        }));
      return { inserted, recorded };
    });
    const [row] = inserted.length
      ? inserted
      : await db
          .select()
          .from(memberLikes)
          .where(
            and(eq(memberLikes.memberId, member.id), eq(memberLikes.objectIri, encounter.iri)),
          );
    if (!row) throw new Error(`like of ${encounter.iri} neither inserted nor found`);
    const changed = inserted.length > 0;
    if (changed) {
      if (encounter.isLocal) {
        await cosign.recordReaction({
          kind: "like",
          actorIri: member.actor.iri,
          objectIri: encounter.iri,
          activityIri: row.activityIri,
        });
      }
      await events.dispatch(recorded);
    }
    return {
      objectIri: encounter.iri,
      encounter: (changed && (await repository.findById(encounter.id))) || encounter,
      activityIri: row.activityIri,
      changed,
    };
  }

  async function unlike(username: string, iri: string): Promise<UnlikeOutcome> {
    const member = await memberOf(username);
    const { row, recorded } = await db.transaction(async (tx) => {
      const [row] = await tx
        .delete(memberLikes)
        .where(
          and(
            eq(memberLikes.memberId, member.id),
            or(eq(memberLikes.activityIri, iri), eq(memberLikes.objectIri, iri)),
          ),
        )
        .returning();
      // A like of an encounter since deleted can still be taken back; its tombstone row stays.
      const [liked] = row
        ? await tx
            .select({ id: encounters.id })
            .from(encounters)
            .where(eq(encounters.iri, row.objectIri))
        : [];
      const recorded =
        row &&
        liked &&
        (await events.record(tx, {
          type: "encounter.unliked",
          encounterId: liked.id,
          username: member.actor.username,
          activityIri: row.activityIri,
          undoActivityIri: deps.newActivityIri("undo"),
        }));
      return { row, recorded };
    });
    if (!row) {
      // Nothing to undo: fine for an encounter the member can see, unknown otherwise.
      const found = await repository.findByIri(iri);
      if (!found) throw new DomainError("not_found", `No like of yours at ${iri}.`);
      const encounter = await access.visibleTo(member.actor.username, found.id);
      return { objectIri: encounter.iri, encounter, activityIri: null, changed: false };
    }
    const encounter = await repository.findByIri(row.objectIri);
    if (encounter?.isLocal) {
      await cosign.undoReaction({ actorIri: member.actor.iri, activityIri: row.activityIri });
    }
    await events.dispatch(recorded);
    const visible = encounter
      ? await access.visibleTo(member.actor.username, encounter.id).catch((error: unknown) => {
          if (error instanceof DomainError && error.code === "not_found") return undefined;
          throw error;
        })
      : undefined;
    return {
      objectIri: row.objectIri,
      encounter: visible,
      activityIri: row.activityIri,
      changed: true,
    };
  }

  return {
    like,
    unlike,
    async likeEncounter(username, encounterId) {
      const encounter = await access.visibleTo(username.toLowerCase(), encounterId);
      return like(username, encounter.iri);
    },
    async unlikeEncounter(username, encounterId) {
      const encounter = await repository.findById(encounterId);
      if (!encounter)
        throw new DomainError("not_found", `No encounter ${encounterId} that you can see.`);
      return unlike(username, encounter.iri);
    },

    async likedAmong(memberId, objectIris) {
      if (objectIris.length === 0) return new Set();
      const rows = await db
        .select({ objectIri: memberLikes.objectIri })
        .from(memberLikes)
        .where(
          and(eq(memberLikes.memberId, memberId), inArray(memberLikes.objectIri, [...objectIris])),
        );
      return new Set(rows.map((r) => r.objectIri));
    },

    async likersOf(encounterId, limit) {
      const rows = await db
        .select({ actor: actors })
        .from(encounterReactions)
        .innerJoin(actors, eq(actors.iri, encounterReactions.actorIri))
        .where(
          and(eq(encounterReactions.encounterId, encounterId), eq(encounterReactions.kind, "like")),
        )
        .orderBy(asc(encounterReactions.createdAt))
        .limit(limit);
      return rows.map((r) => r.actor);
    },
  };
}
