import { and, eq, inArray } from "drizzle-orm";
import type { MembersService } from "../accounts/members-service.ts";
import type { ActorsRepository } from "../actors/actors-repository.ts";
import type { Db } from "../db/database.ts";
import {
  type CIRCLES,
  encounterParticipants,
  encounterPrivate,
  participantCircles,
} from "../db/schema.ts";
import type { EncountersRepository, EncounterView } from "../encounters/encounters-repository.ts";
import { DomainError } from "../shared/errors.ts";
import { parseOrThrow } from "../shared/validation.ts";
import {
  PRIVATE_FIELD_NAMES,
  type PrivateFieldsInput,
  privateFieldsInputSchema,
  type ValidPrivateFieldsInput,
} from "./private-input.ts";

type Circle = (typeof CIRCLES)[number];
type PrivateRow = typeof encounterPrivate.$inferSelect;

const FIELDS = PRIVATE_FIELD_NAMES;
type FieldName = (typeof FIELDS)[number];

/** The private side of one encounter, as its author alone reads it. */
export type PrivateFieldsView = { encounterId: string; updatedAt: Date | null } & {
  [K in FieldName]: PrivateRow[K];
} & {
  participants: Array<{
    participantId: string;
    position: number;
    /** The plain name, or @username@host. */
    name: string;
    circle: Circle | null;
  }>;
};

export interface PrivateFieldsService {
  /**
   * Sets the fields sent (null clears one; the others keep their value) and the circles
   * named. The encounter's author only, whatever client posted it; 404 for anyone else.
   */
  setPrivateFields(
    username: string,
    encounterId: string,
    input: PrivateFieldsInput,
  ): Promise<PrivateFieldsView>;
  getPrivateFields(username: string, encounterId: string): Promise<PrivateFieldsView>;
  deletePrivateFields(username: string, encounterId: string): Promise<void>;
  /** An encounter is gone: its private fields and its participants' circles go with it. */
  forgetEncounter(encounterId: string): Promise<void>;
}

export function participantName(p: EncounterView["participants"][number]): string {
  return p.plainName ?? (p.actor ? `@${p.actor.username}@${p.actor.host}` : "");
}

export function createPrivateFieldsService(deps: {
  db: Db;
  members: Pick<MembersService, "findWithActor">;
  repository: EncountersRepository;
  actors: ActorsRepository;
}): PrivateFieldsService {
  const { db, repository } = deps;

  /** The encounter if this member wrote it; 404 otherwise (never 403: its existence is theirs). */
  async function ownEncounter(username: string, encounterId: string) {
    const notFound = new DomainError("not_found", `No encounter ${encounterId} of yours.`);
    const found = await deps.members.findWithActor(username);
    if (!found) throw notFound;
    const { member, actor } = found;
    const encounter = await repository.findById(encounterId);
    if (!encounter?.isLocal || encounter.deletedAt || encounter.authorId !== actor.id) {
      throw notFound;
    }
    return { memberId: member.id, encounter };
  }

  /** Each circle assignment as a participant row id; a 422 for one that names nobody. */
  function resolveCircles(
    encounter: EncounterView,
    circles: NonNullable<ValidPrivateFieldsInput["circles"]>,
  ) {
    const seen = new Set<string>();
    return circles.map((c, i) => {
      const participant = encounter.participants.find((p) =>
        c.participantId !== undefined ? p.id === c.participantId : p.position === c.position,
      );
      if (!participant) {
        const count = encounter.participants.length;
        throw new DomainError(
          "invalid",
          `circles.${i} names no participant of this encounter: use a participantId from GET …/private, or a position from 0 to ${count - 1}.`,
        );
      }
      if (seen.has(participant.id)) {
        throw new DomainError("invalid", `circles.${i} names a participant a second time.`);
      }
      seen.add(participant.id);
      return { participantId: participant.id, circle: c.circle ?? null };
    });
  }

  async function view(encounter: EncounterView): Promise<PrivateFieldsView> {
    const [row] = await db
      .select()
      .from(encounterPrivate)
      .where(eq(encounterPrivate.encounterId, encounter.id));
    const ids = encounter.participants.map((p) => p.id);
    const circles =
      ids.length === 0
        ? []
        : await db
            .select()
            .from(participantCircles)
            .where(inArray(participantCircles.participantId, ids));
    const fields = Object.fromEntries(FIELDS.map((f) => [f, row?.[f] ?? null])) as {
      [K in FieldName]: PrivateRow[K];
    };
    return {
      encounterId: encounter.id,
      ...fields,
      updatedAt: row?.updatedAt ?? null,
      participants: encounter.participants.map((p) => ({
        participantId: p.id,
        position: p.position,
        name: participantName(p),
        circle: circles.find((c) => c.participantId === p.id)?.circle ?? null,
      })),
    };
  }

  return {
    async setPrivateFields(username, encounterId, input) {
      // Validated before anything is read or written: bad input stores nothing.
      const valid = parseOrThrow(privateFieldsInputSchema, input ?? {});
      const { memberId, encounter } = await ownEncounter(username, encounterId);
      const circles = valid.circles ? resolveCircles(encounter, valid.circles) : [];
      // Only the fields sent: the others keep what an earlier call set.
      const sent = Object.fromEntries(
        FIELDS.filter((f) => valid[f] !== undefined).map((f) => [f, valid[f]]),
      ) as Partial<Pick<PrivateRow, FieldName>>;
      await db.transaction(async (tx) => {
        await tx
          .insert(encounterPrivate)
          .values({ encounterId, memberId, ...sent })
          .onConflictDoUpdate({
            target: encounterPrivate.encounterId,
            set: { ...sent, updatedAt: new Date() },
          });
        for (const { participantId, circle } of circles) {
          if (circle === null) {
            await tx
              .delete(participantCircles)
              .where(eq(participantCircles.participantId, participantId));
          } else {
            await tx
              .insert(participantCircles)
              .values({ participantId, memberId, circle })
              .onConflictDoUpdate({ target: participantCircles.participantId, set: { circle } });
          }
        }
      });
      return view(encounter);
    },

    async getPrivateFields(username, encounterId) {
      const { encounter } = await ownEncounter(username, encounterId);
      return view(encounter);
    },

    async deletePrivateFields(username, encounterId) {
      const { memberId, encounter } = await ownEncounter(username, encounterId);
      const ids = encounter.participants.map((p) => p.id);
      await db.transaction(async (tx) => {
        await tx.delete(encounterPrivate).where(eq(encounterPrivate.encounterId, encounterId));
        if (ids.length > 0) {
          await tx
            .delete(participantCircles)
            .where(
              and(
                eq(participantCircles.memberId, memberId),
                inArray(participantCircles.participantId, ids),
              ),
            );
        }
      });
    },

    async forgetEncounter(encounterId) {
      await db.transaction(async (tx) => {
        await tx.delete(encounterPrivate).where(eq(encounterPrivate.encounterId, encounterId));
        await tx
          .delete(participantCircles)
          .where(
            inArray(
              participantCircles.participantId,
              tx
                .select({ id: encounterParticipants.id })
                .from(encounterParticipants)
                .where(eq(encounterParticipants.encounterId, encounterId)),
            ),
          );
      });
    },
  };
}
