import { randomUUID } from "node:crypto";
import { and, desc, eq, gte, isNull, lte, or, sql } from "drizzle-orm";
import type { Db, DbExecutor } from "../db/database.ts";
import { members, trackerSettings, weeklyCheckins, weeklyQuestions } from "../db/schema.ts";
import type { RecordedEvent } from "../outbox/outbox.ts";
import { recordDirectMessage } from "./direct-messages.ts";
import { weekStartOf } from "./model/weeks.ts";
import { settingsFromRow } from "./tracker-repository.ts";
import { languageOf, texts } from "./weekly-question-texts.ts";
import { questionTimeOf } from "./weekly-question-time.ts";
import type { DirectMessage, WeeklyQuestionDeps } from "./weekly-question-types.ts";

/** A member may ask for the question again once an hour (counting the question itself). */
export const ASK_AGAIN_AFTER_MS = 3_600_000;

/** The member asked for the question again too soon: the route answers 429. */
export class AskAgainTooSoonError extends Error {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super(
      `The question was sent less than an hour ago: ask again in ${Math.ceil(retryAfterSeconds / 60)} minutes. / La question a été envoyée il y a moins d’une heure : redemande-la dans ${Math.ceil(retryAfterSeconds / 60)} minutes.`,
    );
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The question asked in the 7 days before `now`, the one an answer without a week is for. */
export async function lastQuestion(db: Db, memberId: string, now: Date) {
  const [last] = await db
    .select()
    .from(weeklyQuestions)
    .where(
      and(
        eq(weeklyQuestions.memberId, memberId),
        gte(weeklyQuestions.askedAt, new Date(now.getTime() - 7 * 86_400_000)),
      ),
    )
    .orderBy(desc(weeklyQuestions.askedAt))
    .limit(1);
  return last;
}

/** Where the question went: the app, and the member's linked account if it is confirmed. */
export interface AskedAgain {
  weekStart: string;
  channels: Array<"app" | "linked_account">;
}

interface Member {
  id: string;
  language: string;
  /** The confirmed linked account, or null. */
  linkedAccountIri: string | null;
  /** That account's latest private Note to us: the question answers it (its thread). */
  linkedAccountThreadIri: string | null;
}

/**
 * Asking the weekly question, exactly once per week and channel. Each ask is ONE transaction:
 * the `weekly_questions` row (the lock: unique per member and week), the in-app notification,
 * and the direct message to the linked account, recorded in the outbox and sent after the
 * commit (src/exposure/direct-messages.ts). A crash before the commit leaves nothing, so the
 * next pass asks; a crash after it leaves the message to the outbox's relay, so the member is
 * never skipped nor asked twice. The row names the linked account asked: an account linked
 * after the question time is asked too, once.
 */
export function createQuestionAsking(
  deps: Pick<
    WeeklyQuestionDeps,
    "db" | "events" | "notifications" | "settings" | "newNoteIri" | "formUrl" | "logger"
  > & { clock: () => Date },
) {
  const { db, events, logger, clock } = deps;

  /** The question, as a direct message to the linked account. */
  function questionMessage(member: Member, toActorIri: string): DirectMessage {
    const language = languageOf(member.language);
    const t = texts(language);
    return {
      kind: "weekly-question",
      noteIri: deps.newNoteIri("weekly-question"),
      memberId: member.id,
      toActorIri,
      language,
      paragraphs: [t.question],
      link: { label: t.formLabel, href: `${deps.formUrl}#question` },
      // In the thread the member started: Mastodon then shows it as a reply to them.
      inReplyTo: member.linkedAccountThreadIri ?? undefined,
    };
  }

  /** Sends in `tx` what asking sends besides the row: the notification, and the DM. */
  async function sendQuestion(
    tx: DbExecutor,
    member: Member,
    message: DirectMessage | undefined,
  ): Promise<RecordedEvent | undefined> {
    await deps.notifications.notifyWeeklyQuestion(member.id, tx);
    return message ? recordDirectMessage(events, tx, message) : undefined;
  }

  /** Asks one member, unless another process or an earlier run already did: the row is the lock. */
  async function ask(member: Member, weekStart: string, now: Date): Promise<boolean> {
    // The member is local: the in-app notification is the delivery of the DM to their own actor.
    const localNote = deps.newNoteIri("weekly-question");
    const message = member.linkedAccountIri
      ? questionMessage(member, member.linkedAccountIri)
      : undefined;
    const recorded = await db.transaction(async (tx) => {
      const [inserted] = await tx
        .insert(weeklyQuestions)
        .values({
          id: randomUUID(),
          memberId: member.id,
          weekStart,
          noteIris: message ? [localNote, message.noteIri] : [localNote],
          linkedAccountIri: member.linkedAccountIri,
          askedAt: now,
        })
        .onConflictDoNothing()
        .returning({ id: weeklyQuestions.id });
      if (!inserted) return null;
      return { event: await sendQuestion(tx, member, message) };
    });
    if (!recorded) return false;
    await events.dispatch(recorded.event);
    return true;
  }

  /** This week's question, already asked, goes to a linked account it has not reached yet. */
  async function askLinkedAccount(member: Member & { linkedAccountIri: string }, id: string) {
    const message = questionMessage(member, member.linkedAccountIri);
    const event = await db.transaction(async (tx) => {
      const [updated] = await tx
        .update(weeklyQuestions)
        .set({
          noteIris: sql`array_append(${weeklyQuestions.noteIris}, ${message.noteIri})`,
          linkedAccountIri: member.linkedAccountIri,
        })
        .where(
          and(
            eq(weeklyQuestions.id, id),
            sql`${weeklyQuestions.linkedAccountIri} is distinct from ${member.linkedAccountIri}`,
          ),
        )
        .returning({ id: weeklyQuestions.id });
      return updated ? recordDirectMessage(events, tx, message) : undefined;
    });
    await events.dispatch(event);
    return event !== undefined;
  }

  async function answered(memberId: string, weekStart: string): Promise<boolean> {
    const [row] = await db
      .select({ weekStart: weeklyCheckins.weekStart })
      .from(weeklyCheckins)
      .where(and(eq(weeklyCheckins.memberId, memberId), eq(weeklyCheckins.weekStart, weekStart)));
    return row !== undefined;
  }

  return {
    /**
     * Asks every member whose question time has passed this week and who was not asked yet;
     * and, on a linked account confirmed after they were asked, those who have not answered.
     */
    async askDue(now: Date = clock()): Promise<{ asked: number }> {
      const rows = await db
        .select({ id: members.id, language: members.language, settings: trackerSettings })
        .from(members)
        .leftJoin(trackerSettings, eq(trackerSettings.memberId, members.id))
        // A deleted account is asked nothing, ever.
        .where(isNull(members.deletedAt));
      // Rows of the last two weeks are enough to skip who was already asked without a write.
      const recent = await db
        .select({
          id: weeklyQuestions.id,
          memberId: weeklyQuestions.memberId,
          weekStart: weeklyQuestions.weekStart,
          linkedAccountIri: weeklyQuestions.linkedAccountIri,
        })
        .from(weeklyQuestions)
        .where(gte(weeklyQuestions.askedAt, new Date(now.getTime() - 15 * 86_400_000)));
      const done = new Map(recent.map((r) => [`${r.memberId} ${r.weekStart}`, r]));
      let asked = 0;
      for (const row of rows) {
        const settings = settingsFromRow(row.settings);
        if (!settings.questionEnabled) continue;
        try {
          const { weekStart, askAt } = questionTimeOf(
            now,
            settings.timeZone,
            settings.questionDay,
            settings.questionHour,
          );
          if (now < askAt) continue;
          const linked = settings.linkedAccountConfirmedAt !== null;
          const member = {
            id: row.id,
            language: row.language,
            linkedAccountIri: linked ? settings.linkedAccountIri : null,
            linkedAccountThreadIri: linked ? settings.linkedAccountThreadIri : null,
          };
          const question = done.get(`${row.id} ${weekStart}`);
          if (!question) {
            if (await ask(member, weekStart, now)) asked++;
          } else if (
            member.linkedAccountIri &&
            question.linkedAccountIri !== member.linkedAccountIri &&
            !(await answered(row.id, weekStart)) &&
            (await askLinkedAccount(
              { ...member, linkedAccountIri: member.linkedAccountIri },
              question.id,
            ))
          ) {
            asked++;
          }
        } catch (error) {
          // One member's failure must not keep the others from being asked.
          logger.error({ err: error, memberId: row.id }, "weekly question failed");
        }
      }
      return { asked };
    },

    /**
     * The member asks for the question again (from the settings): the question of the last
     * 7 days (or this week's, asked now) goes again to the app and the linked account, at most
     * once an hour after it was last sent.
     */
    async askAgain(memberId: string): Promise<AskedAgain> {
      const now = clock();
      const settings = await deps.settings.read(memberId);
      const [row] = await db
        .select({ language: members.language })
        .from(members)
        .where(eq(members.id, memberId));
      const linked = settings.linkedAccountConfirmedAt !== null;
      const member: Member = {
        id: memberId,
        language: row?.language ?? "fr",
        linkedAccountIri: linked ? settings.linkedAccountIri : null,
        linkedAccountThreadIri: linked ? settings.linkedAccountThreadIri : null,
      };
      const channels: AskedAgain["channels"] = member.linkedAccountIri
        ? ["app", "linked_account"]
        : ["app"];
      const last = await lastQuestion(db, memberId, now);
      if (!last) {
        const weekStart = weekStartOf(now, settings.timeZone);
        if (await ask(member, weekStart, now)) return { weekStart, channels };
        // Asked in between by the scheduler: that counts as the last time it was sent.
        throw new AskAgainTooSoonError(ASK_AGAIN_AFTER_MS / 1000);
      }
      const since = new Date(now.getTime() - ASK_AGAIN_AFTER_MS);
      const message = member.linkedAccountIri
        ? questionMessage(member, member.linkedAccountIri)
        : undefined;
      const recorded = await db.transaction(async (tx) => {
        const [updated] = await tx
          .update(weeklyQuestions)
          .set({
            reaskedAt: now,
            ...(message
              ? {
                  noteIris: sql`array_append(${weeklyQuestions.noteIris}, ${message.noteIri})`,
                  linkedAccountIri: member.linkedAccountIri,
                }
              : {}),
          })
          .where(
            and(
              eq(weeklyQuestions.id, last.id),
              lte(weeklyQuestions.askedAt, since),
              or(isNull(weeklyQuestions.reaskedAt), lte(weeklyQuestions.reaskedAt, since)),
            ),
          )
          .returning({ id: weeklyQuestions.id });
        return updated ? { event: await sendQuestion(tx, member, message) } : null;
      });
      if (!recorded) {
        const lastSent = Math.max(last.askedAt.getTime(), last.reaskedAt?.getTime() ?? 0);
        const wait = Math.max(1, Math.ceil((lastSent + ASK_AGAIN_AFTER_MS - now.getTime()) / 1000));
        throw new AskAgainTooSoonError(wait);
      }
      await events.dispatch(recorded.event);
      return { weekStart: last.weekStart, channels };
    },
  };
}
