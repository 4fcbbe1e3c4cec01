import { randomUUID } from "node:crypto";
import { and, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { MembersService } from "../accounts/members-service.ts";
import type { ActorsRepository } from "../actors/actors-repository.ts";
import type { Db } from "../db/database.ts";
import {
  encounterParticipants,
  encounterReactions,
  encounters,
  follows,
  members,
} from "../db/schema.ts";
import type { Outbox } from "../outbox/outbox.ts";
import { DomainError } from "../shared/errors.ts";
import type { EncountersRepository, EncounterView } from "./encounters-repository.ts";
import type { NotificationsService } from "./notifications-service.ts";
import { isCosignable, isPrivateOnly } from "./visibility.ts";

/**
 * Witnessing: a participant co-signs an encounter with an Announce, so their
 * own followers see it. Nobody's followers see it without that consent.
 */
export interface CosignService {
  cosign(username: string, encounterId: string): Promise<EncounterView>;
  /**
   * Declines, or withdraws a co-signature already given. `hide`: the member does not want to
   * be in it at all — it leaves their home and profile (encounters-repository.ts reads it).
   */
  decline(
    username: string,
    encounterId: string,
    options?: { hide?: boolean },
  ): Promise<EncounterView>;
  /** The encounter naming the member at this IRI (what ActivityPub clients name), to co-sign or decline. */
  namingMember(username: string, iri: string): Promise<EncounterView>;
  /** Co-signs for the local participants who asked to, when they follow the author. */
  autoCosign(encounterId: string): Promise<void>;
  /**
   * True (as SQL) when one of these members asked to co-sign automatically: for a caller that
   * reads it in a statement it runs anyway, then calls `autoCosign` only when it holds.
   */
  autoCosignAskedSql(namedMemberIds: readonly string[]): SQL;
  /** A remote Announce or Like of an encounter we know. Repeats change nothing. */
  recordReaction(input: {
    kind: "announce" | "like";
    actorIri: string;
    objectIri: string;
    activityIri: string;
  }): Promise<boolean>;
  /** Undo of an Announce or Like, by the actor who sent it. */
  undoReaction(input: { actorIri: string; activityIri: string }): Promise<boolean>;
}

/** Whether one of these members asked to co-sign automatically what names them. */
function autoCosignAskedSql(namedMemberIds: readonly string[]): SQL {
  if (namedMemberIds.length === 0) return sql`false`;
  const asked = and(
    inArray(members.id, [...namedMemberIds]),
    eq(members.autoCosignFromFollowed, true),
  );
  return sql`exists (select 1 from ${members} where ${asked})`;
}

export function createCosignService(deps: {
  db: Db;
  members: Pick<MembersService, "findWithActor">;
  notifications: Pick<NotificationsService, "markEncounterRead">;
  repository: EncountersRepository;
  actors: ActorsRepository;
  /** Each event is recorded in the transaction of the change it reports. */
  events: Pick<Outbox, "record" | "dispatch">;
  newActivityIri: (kind: string) => string;
}): CosignService {
  const { db, repository, events } = deps;

  async function participantOf(username: string, encounterId: string) {
    const found = await deps.members.findWithActor(username);
    const member = found?.member;
    const actor = found?.actor;
    const encounter = await repository.findById(encounterId);
    const participant = encounter?.participants.find((p) => actor && p.actorId === actor.id);
    // A private encounter is its author's alone: those it names do not learn of it.
    if (!member || !encounter || encounter.deletedAt || isPrivateOnly(encounter) || !participant) {
      throw new DomainError("not_found", `No encounter ${encounterId} names ${username}.`);
    }
    return { member, encounter, participant };
  }

  const markNotificationRead = (memberId: string, encounterId: string) =>
    deps.notifications.markEncounterRead(memberId, encounterId);

  async function cosign(username: string, encounterId: string) {
    const { member, encounter, participant } = await participantOf(username, encounterId);
    if (!isCosignable(encounter)) {
      throw new DomainError(
        "invalid",
        "Only public or unlisted encounters can be co-signed: co-signing shows it to your followers.",
      );
    }
    if (participant.cosignState !== "cosigned") {
      const activityIri = deps.newActivityIri("announce");
      const recorded = await db.transaction(async (tx) => {
        await tx
          .update(encounterParticipants)
          .set({ cosignState: "cosigned", cosignActivityIri: activityIri, cosignedAt: new Date() })
          .where(eq(encounterParticipants.id, participant.id));
        return events.record(tx, {
          type: "encounter.cosigned",
          encounterId,
          username: member.username,
          activityIri,
        });
      });
      await events.dispatch(recorded);
    }
    await markNotificationRead(member.id, encounterId);
    return (await repository.findById(encounterId)) as EncounterView;
  }

  return {
    cosign,

    async namingMember(username, iri) {
      const found = await deps.members.findWithActor(username);
      const encounter = await repository.findByIri(iri);
      const named = encounter?.participants.some((p) => p.actorId === found?.actor.id);
      if (!found || !encounter || encounter.deletedAt || isPrivateOnly(encounter) || !named) {
        throw new DomainError(
          "invalid",
          `Announce co-signs an encounter that names you; ${iri} is not one here. Boosting other posts is not supported yet.`,
        );
      }
      return encounter;
    },

    async decline(username, encounterId, options = {}) {
      const { member, participant } = await participantOf(username, encounterId);
      const withdrawn = participant.cosignState === "cosigned" && participant.cosignActivityIri;
      const recorded = await db.transaction(async (tx) => {
        await tx
          .update(encounterParticipants)
          .set({
            cosignState: "declined",
            cosignedAt: null,
            ...(options.hide ? { hidden: true } : {}),
          })
          .where(eq(encounterParticipants.id, participant.id));
        if (!withdrawn) return undefined;
        return events.record(tx, {
          type: "encounter.cosign_withdrawn",
          encounterId,
          username: member.username,
          activityIri: withdrawn,
          undoActivityIri: deps.newActivityIri("undo"),
        });
      });
      await events.dispatch(recorded);
      await markNotificationRead(member.id, encounterId);
      return (await repository.findById(encounterId)) as EncounterView;
    },

    autoCosignAskedSql,

    async autoCosign(encounterId) {
      const encounter = await repository.findById(encounterId);
      if (!encounter || !isCosignable(encounter)) return;
      for (const participant of encounter.participants) {
        const memberId = participant.actor?.memberId;
        if (!memberId || participant.cosignState !== "pending" || !participant.actorId) continue;
        const [member] = await db.select().from(members).where(eq(members.id, memberId));
        if (!member?.autoCosignFromFollowed) continue;
        const [follow] = await db
          .select()
          .from(follows)
          .where(
            and(
              eq(follows.followerId, participant.actorId),
              eq(follows.followingId, encounter.authorId),
              eq(follows.state, "accepted"),
            ),
          );
        if (follow) await cosign(member.username, encounterId);
      }
    },

    async recordReaction({ kind, actorIri, objectIri, activityIri }) {
      const encounter = await repository.findByIri(objectIri);
      if (!encounter || encounter.deletedAt || isPrivateOnly(encounter)) return false;
      // Boosting shows it to the booster's followers: what is not public stays where it was sent.
      if (kind === "announce" && !isCosignable(encounter)) return false;
      const participant =
        kind === "announce"
          ? encounter.participants.find((p) => p.actor?.iri === actorIri)
          : undefined;
      if (participant) {
        // A participant's boost is their co-signature.
        if (participant.cosignState === "cosigned") return false;
        await db
          .update(encounterParticipants)
          .set({ cosignState: "cosigned", cosignActivityIri: activityIri, cosignedAt: new Date() })
          .where(eq(encounterParticipants.id, participant.id));
        return true;
      }
      const inserted = await db
        .insert(encounterReactions)
        .values({ id: randomUUID(), encounterId: encounter.id, actorIri, kind, activityIri })
        .onConflictDoNothing()
        .returning({ id: encounterReactions.id });
      if (inserted.length === 0) return false;
      await adjustCount(encounter.id, kind, 1);
      return true;
    },

    async undoReaction({ actorIri, activityIri }) {
      const [participant] = await db
        .select({ participant: encounterParticipants })
        .from(encounterParticipants)
        .where(eq(encounterParticipants.cosignActivityIri, activityIri));
      if (participant) {
        const actor = participant.participant.actorId
          ? await deps.actors.findByIri(actorIri)
          : undefined;
        if (!actor || actor.id !== participant.participant.actorId) return false;
        await db
          .update(encounterParticipants)
          .set({ cosignState: "pending", cosignActivityIri: null, cosignedAt: null })
          .where(eq(encounterParticipants.id, participant.participant.id));
        return true;
      }
      const deleted = await db
        .delete(encounterReactions)
        .where(
          and(
            eq(encounterReactions.activityIri, activityIri),
            eq(encounterReactions.actorIri, actorIri),
          ),
        )
        .returning();
      const [reaction] = deleted;
      if (!reaction) return false;
      await adjustCount(reaction.encounterId, reaction.kind, -1);
      return true;
    },
  };

  async function adjustCount(encounterId: string, kind: "announce" | "like", delta: number) {
    const column = kind === "like" ? encounters.likesCount : encounters.announcesCount;
    await db
      .update(encounters)
      .set({
        [kind === "like" ? "likesCount" : "announcesCount"]: sql`greatest(${column} + ${delta}, 0)`,
      })
      .where(eq(encounters.id, encounterId));
  }
}
