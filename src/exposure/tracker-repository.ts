import { and, asc, eq, gte, inArray, isNull, lte, sql } from "drizzle-orm";
import type { Db } from "../db/database.ts";
import {
  actors,
  encounterParticipants,
  encounterPrivate,
  encounters,
  trackerSettings,
  weeklyCheckins,
} from "../db/schema.ts";
import { DEFAULT_BAND } from "./model/status.ts";

/*
 * The reads the weekly series needs, always scoped by one member's id: every query
 * below has `member_id = $member` (or the member's own actor as author) in its WHERE,
 * so no caller can reach another member's tracker through it.
 */

export type PrivateFields = Omit<typeof encounterPrivate.$inferSelect, "encounterId" | "memberId">;

export interface TrackedParticipant {
  participantId: string;
  actorIri: string | null;
  plainName: string | null;
  /** What to show: the actor's name or handle, or the plain name. */
  name: string;
  circle: "intimate" | "close" | "friends" | "weak_tie" | null;
}

export interface TrackedEncounter {
  id: string;
  /** The day the author gave (YYYY-MM-DD), or null: then it counts on the day it was posted. */
  occurredOn: string | null;
  publishedAt: Date;
  visibility: string;
  /** null: no private row at all (every field empty). */
  private: PrivateFields | null;
  participants: TrackedParticipant[];
}

export type TrackerSettings = Omit<typeof trackerSettings.$inferSelect, "memberId" | "updatedAt">;

/** The defaults of DESIGN.md, for a member who never saved settings. */
export const DEFAULT_TRACKER_SETTINGS: TrackerSettings = {
  ...DEFAULT_BAND,
  questionEnabled: true,
  questionDay: 0,
  questionHour: 18,
  timeZone: "Europe/Paris",
  linkedAccountIri: null,
  linkedAccountConfirmedAt: null,
  linkedAccountThreadIri: null,
  acknowledgeWithStatus: false,
};

/** A settings row as the member's settings: the defaults where there is no row. */
export function settingsFromRow(
  row: typeof trackerSettings.$inferSelect | null | undefined,
): TrackerSettings {
  if (!row) return { ...DEFAULT_TRACKER_SETTINGS };
  const { memberId: _m, updatedAt: _u, ...settings } = row;
  return settings;
}

/** A member's tracker settings, or the defaults when they never saved any. */
export async function readTrackerSettings(db: Db, memberId: string): Promise<TrackerSettings> {
  const [row] = await db
    .select()
    .from(trackerSettings)
    .where(eq(trackerSettings.memberId, memberId));
  return settingsFromRow(row);
}

export interface TrackerRepository {
  /**
   * The member's own encounters (public, restricted or private-only) whose day, in UTC, is in
   * `from … to`; callers widen the range by a day and place each one in the member's time zone.
   */
  encountersBetween(memberId: string, from: string, to: string): Promise<TrackedEncounter[]>;
  settings(memberId: string): Promise<TrackerSettings>;
  checkins(
    memberId: string,
    from: string,
    to: string,
  ): Promise<Array<typeof weeklyCheckins.$inferSelect>>;
}

export function createTrackerRepository(db: Db): TrackerRepository {
  // The day an encounter counts for: the one the author gave, else the day it was posted.
  const day = sql<string>`coalesce(${encounters.occurredOn}, (${encounters.publishedAt} at time zone 'UTC')::date)::text`;

  return {
    async encountersBetween(memberId, from, to) {
      const rows = await db
        .select({
          id: encounters.id,
          occurredOn: encounters.occurredOn,
          publishedAt: encounters.publishedAt,
          visibility: encounters.visibility,
          private: encounterPrivate,
        })
        .from(encounters)
        .innerJoin(actors, eq(actors.id, encounters.authorId))
        .leftJoin(
          encounterPrivate,
          and(
            eq(encounterPrivate.encounterId, encounters.id),
            eq(encounterPrivate.memberId, memberId),
          ),
        )
        .where(
          and(
            eq(actors.memberId, memberId),
            isNull(encounters.deletedAt),
            gte(day, from),
            lte(day, to),
          ),
        )
        .orderBy(asc(day), asc(encounters.publishedAt));
      if (rows.length === 0) return [];

      const ids = rows.map((r) => r.id);
      const people = await db
        .select({
          encounterId: encounterParticipants.encounterId,
          participantId: encounterParticipants.id,
          actorId: encounterParticipants.actorId,
          plainName: encounterParticipants.plainName,
          actorIri: actors.iri,
          actorName: actors.name,
          username: actors.username,
          host: actors.host,
          circle: sql<
            TrackedParticipant["circle"]
          >`(select pc.circle from participant_circles pc where pc.participant_id = ${encounterParticipants.id} and pc.member_id = ${memberId})`,
        })
        .from(encounterParticipants)
        .leftJoin(actors, eq(actors.id, encounterParticipants.actorId))
        .where(inArray(encounterParticipants.encounterId, ids))
        .orderBy(asc(encounterParticipants.position));

      const byEncounter = new Map<string, TrackedParticipant[]>();
      for (const p of people) {
        const name = p.actorId
          ? p.actorName || `@${p.username ?? ""}@${p.host ?? ""}`
          : (p.plainName ?? "");
        const list = byEncounter.get(p.encounterId) ?? [];
        list.push({
          participantId: p.participantId,
          actorIri: p.actorIri ?? null,
          plainName: p.plainName ?? null,
          name,
          circle: p.circle ?? null,
        });
        byEncounter.set(p.encounterId, list);
      }
      return rows.map((r) => {
        const {
          encounterId: _e,
          memberId: _m,
          ...fields
        } = r.private ?? {
          encounterId: "",
          memberId: "",
        };
        return {
          id: r.id,
          occurredOn: r.occurredOn,
          publishedAt: r.publishedAt,
          visibility: r.visibility,
          private: r.private ? (fields as PrivateFields) : null,
          participants: byEncounter.get(r.id) ?? [],
        };
      });
    },

    settings: (memberId) => readTrackerSettings(db, memberId),

    async checkins(memberId, from, to) {
      return db
        .select()
        .from(weeklyCheckins)
        .where(
          and(
            eq(weeklyCheckins.memberId, memberId),
            gte(weeklyCheckins.weekStart, from),
            lte(weeklyCheckins.weekStart, to),
          ),
        )
        .orderBy(asc(weeklyCheckins.weekStart));
    },
  };
}
