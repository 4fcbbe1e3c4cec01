import { and, asc, eq, lt, sql } from "drizzle-orm";
import type { MembersService } from "../accounts/members-service.ts";
import type { ActorsRepository } from "../actors/actors-repository.ts";
import type { Db } from "../db/database.ts";
import type { Keyset } from "../db/keyset.ts";
import {
  directMessages,
  encounterPrivate,
  encounters,
  participantCircles,
  trackerSettings,
  weeklyCheckins,
  weeklyQuestions,
} from "../db/schema.ts";
import {
  type EncountersRepository,
  type EncounterView,
  encounterKey,
} from "../encounters/encounters-repository.ts";
import type { Outbox } from "../outbox/outbox.ts";
import { participantName } from "./private-fields-service.ts";
import { PRIVATE_FIELD_NAMES } from "./private-input.ts";

/** Everything the tracker holds about one member, as they download it. */
export interface TrackerExport {
  username: string;
  exportedAt: string;
  /** null: the defaults apply (never changed, or reset). */
  settings: Omit<typeof trackerSettings.$inferSelect, "memberId"> | null;
  encounters: Array<{
    id: string;
    occurredOn: string | null;
    publishedAt: string;
    visibility: string;
    text: string;
    private: Omit<typeof encounterPrivate.$inferSelect, "encounterId" | "memberId"> | null;
    participants: Array<{
      participantId: string;
      position: number;
      name: string;
      circle: string | null;
    }>;
  }>;
  checkins: Array<Omit<typeof weeklyCheckins.$inferSelect, "memberId">>;
  questions: Array<{ weekStart: string; askedAt: Date; noteIris: string[] }>;
}

export interface TrackerDeletion {
  privateFields: number;
  circles: number;
  checkins: number;
  questions: number;
  /** Questions of the last 15 days: kept, without their messages, so nobody is asked twice a week. */
  questionsKept: number;
  /** The instance actor's direct messages about the tracker, kept to serve them at their ids. */
  directMessages: number;
  settingsReset: boolean;
  privateEncounters: number;
}

export interface TrackerDataService {
  exportData(username: string): Promise<TrackerExport>;
  /**
   * Deletes all tracker data of the member: private fields, circles, check-ins, weekly
   * questions, settings (back to the defaults) and private-only encounters. Published
   * encounters stay.
   */
  deleteAll(username: string): Promise<TrackerDeletion>;
}

const PAGE = 500;
/** How far back the weekly question scheduler looks for "already asked" (weekly-question-service.ts). */
const QUESTION_LOCK_MS = 15 * 86_400_000;

export function createTrackerDataService(deps: {
  db: Db;
  members: Pick<MembersService, "requireByUsername">;
  repository: EncountersRepository;
  actors: ActorsRepository;
  /** tracker.erased: the encounters service erases the member's private-only encounters. */
  events: Pick<Outbox, "record" | "dispatch">;
  now?: () => Date;
}): TrackerDataService {
  const { db, repository } = deps;
  const now = deps.now ?? (() => new Date());

  async function memberOf(username: string) {
    const { member, actor } = await deps.members.requireByUsername(username);
    return { id: member.id, username: member.username, actorId: actor.id };
  }

  /** Every encounter the member wrote here, all visibilities, oldest first. */
  async function ownEncounters(actorId: string): Promise<EncounterView[]> {
    const all: EncounterView[] = [];
    let before: Keyset | undefined;
    for (;;) {
      const page = await repository.listByAuthor(actorId, {
        limit: PAGE,
        before,
        visibilities: ["public", "unlisted", "followers", "participants", "private"],
      });
      all.push(...page);
      if (page.length < PAGE) break;
      const last = page.at(-1);
      before = last && encounterKey(last);
    }
    return all.reverse();
  }

  return {
    async exportData(username) {
      const member = await memberOf(username);
      const own = await ownEncounters(member.actorId);
      const privateRows = await db
        .select()
        .from(encounterPrivate)
        .where(eq(encounterPrivate.memberId, member.id));
      const circles = await db
        .select()
        .from(participantCircles)
        .where(eq(participantCircles.memberId, member.id));
      const [settings] = await db
        .select()
        .from(trackerSettings)
        .where(eq(trackerSettings.memberId, member.id));
      const checkins = await db
        .select()
        .from(weeklyCheckins)
        .where(eq(weeklyCheckins.memberId, member.id))
        .orderBy(asc(weeklyCheckins.weekStart));
      const questions = await db
        .select()
        .from(weeklyQuestions)
        .where(eq(weeklyQuestions.memberId, member.id))
        .orderBy(asc(weeklyQuestions.weekStart));
      return {
        username: member.username,
        exportedAt: now().toISOString(),
        settings: settings ? without(settings, "memberId") : null,
        encounters: own.map((e) => {
          const row = privateRows.find((p) => p.encounterId === e.id);
          return {
            id: e.id,
            occurredOn: e.occurredOn,
            publishedAt: e.publishedAt.toISOString(),
            visibility: e.visibility,
            text: e.text,
            private: row ? without(without(row, "memberId"), "encounterId") : null,
            participants: e.participants.map((p) => ({
              participantId: p.id,
              position: p.position,
              name: participantName(p),
              circle: circles.find((c) => c.participantId === p.id)?.circle ?? null,
            })),
          };
        }),
        checkins: checkins.map((c) => without(c, "memberId")),
        questions: questions.map((q) => ({
          weekStart: q.weekStart,
          askedAt: q.askedAt,
          noteIris: q.noteIris,
        })),
      };
    },

    async deleteAll(username) {
      const member = await memberOf(username);
      const [privateOnly] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(encounters)
        .where(and(eq(encounters.authorId, member.actorId), eq(encounters.visibility, "private")));
      const result = await db.transaction(async (tx) => {
        const count = async (rows: Promise<unknown[]>) => (await rows).length;
        return {
          privateFields: await count(
            tx.delete(encounterPrivate).where(eq(encounterPrivate.memberId, member.id)).returning(),
          ),
          circles: await count(
            tx
              .delete(participantCircles)
              .where(eq(participantCircles.memberId, member.id))
              .returning(),
          ),
          checkins: await count(
            tx.delete(weeklyCheckins).where(eq(weeklyCheckins.memberId, member.id)).returning(),
          ),
          // A question row is also the lock that asks once a week: without the recent ones the
          // scheduler would ask again at once. They stay, emptied of the messages they name.
          questions: await count(
            tx
              .delete(weeklyQuestions)
              .where(
                and(
                  eq(weeklyQuestions.memberId, member.id),
                  lt(weeklyQuestions.askedAt, new Date(now().getTime() - QUESTION_LOCK_MS)),
                ),
              )
              .returning(),
          ),
          questionsKept: await count(
            tx
              .update(weeklyQuestions)
              .set({ noteIris: [] })
              .where(eq(weeklyQuestions.memberId, member.id))
              .returning(),
          ),
          // The instance actor's messages to the linked account repeat the answers.
          directMessages: await count(
            tx.delete(directMessages).where(eq(directMessages.memberId, member.id)).returning(),
          ),
          settingsReset:
            (await count(
              tx.delete(trackerSettings).where(eq(trackerSettings.memberId, member.id)).returning(),
            )) > 0,
          // Erased by the encounters service, which reacts to tracker.erased.
          privateEncounters: privateOnly?.n ?? 0,
          recorded: await deps.events.record(tx, {
            type: "tracker.erased",
            memberId: member.id,
            actorId: member.actorId,
          }),
        };
      });
      const { recorded, ...deletion } = result;
      await deps.events.dispatch(recorded);
      return deletion;
    },
  };
}

const CSV_COLUMNS = [
  "id",
  "occurredOn",
  "publishedAt",
  "visibility",
  "text",
  "participants",
  "circles",
  ...PRIVATE_FIELD_NAMES,
] as const;

/**
 * RFC 4180 CSV, one line per encounter: every cell quoted, quotes doubled, CRLF line
 * ends. A cell starting with = + - @ (or a tab/CR) gets a leading apostrophe, so that a
 * spreadsheet shows it instead of running it as a formula (OWASP "CSV injection").
 */
export function trackerExportToCsv(data: TrackerExport): string {
  const cell = (value: unknown) => {
    let text = value === null || value === undefined ? "" : String(value);
    if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return `"${text.replaceAll('"', '""')}"`;
  };
  const lines = data.encounters.map((e) => {
    const values: Record<(typeof CSV_COLUMNS)[number], unknown> = {
      id: e.id,
      occurredOn: e.occurredOn,
      publishedAt: e.publishedAt,
      visibility: e.visibility,
      text: e.text,
      participants: e.participants.map((p) => p.name).join("; "),
      circles: e.participants.map((p) => p.circle ?? "").join("; "),
      othersPresent: e.private?.othersPresent,
      setting: e.private?.setting,
      durationMinutes: e.private?.durationMinutes,
      distance: e.private?.distance,
      theirMask: e.private?.theirMask,
      myMask: e.private?.myMask,
      voice: e.private?.voice,
      satisfying: e.private?.satisfying,
    };
    return CSV_COLUMNS.map((c) => cell(values[c])).join(",");
  });
  return [CSV_COLUMNS.join(","), ...lines].map((l) => `${l}\r\n`).join("");
}

function without<T extends object, K extends keyof T>(row: T, key: K): Omit<T, K> {
  const { [key]: _, ...rest } = row;
  return rest;
}
