import { randomUUID } from "node:crypto";
import { Temporal } from "@js-temporal/polyfill";
import { and, arrayContains, desc, eq, gte } from "drizzle-orm";
import { members, trackerSettings, weeklyCheckins, weeklyQuestions } from "../db/schema.ts";
import { DomainError } from "../shared/errors.ts";
import { htmlToPlainText } from "../shared/sanitize-html.ts";
import { createAccountLinks } from "./account-links.ts";
import { type ParsedAnswer, parseAnswer } from "./model/answer-parser.ts";
import { weekStartOf } from "./model/weeks.ts";
import { settingsFromRow } from "./tracker-repository.ts";
import { languageOf, texts } from "./weekly-question-texts.ts";
import type {
  Checkin,
  CheckinSource,
  ReplyOutcome,
  WeeklyQuestionDeps,
} from "./weekly-question-types.ts";

export { LINK_REQUESTS_PER_DAY, LinkRateLimitedError } from "./account-links.ts";

/**
 * When this week's question is due: the Monday of the local week and the local
 * `day` (0 = Sunday … 6 = Saturday) at `hour` in it. An hour skipped by DST
 * moves forward (02:00 → 03:00), as Temporal's "compatible" disambiguation does.
 */
export function questionTimeOf(
  now: Date,
  timeZone: string,
  day: number,
  hour: number,
): { weekStart: string; askAt: Date } {
  const weekStart = weekStartOf(now, timeZone);
  const askDay = Temporal.PlainDate.from(weekStart).add({ days: (day + 6) % 7 });
  const askAt = askDay.toZonedDateTime({ timeZone, plainTime: new Temporal.PlainTime(hour) });
  return { weekStart, askAt: new Date(askAt.epochMilliseconds) };
}

export type WeeklyQuestionService = ReturnType<typeof createWeeklyQuestionService>;

export function createWeeklyQuestionService(deps: WeeklyQuestionDeps) {
  const { db, messenger, logger } = deps;
  const clock = deps.now ?? (() => new Date());
  const links = createAccountLinks({ ...deps, clock });

  const settingsRow = (memberId: string) => deps.settings.read(memberId);

  async function languageOfMember(memberId: string) {
    const [row] = await db
      .select({ language: members.language })
      .from(members)
      .where(eq(members.id, memberId));
    return languageOf(row?.language);
  }

  async function upsertCheckin(
    memberId: string,
    weekStart: string,
    parsed: ParsedAnswer,
    source: CheckinSource,
  ) {
    const values = {
      answer: parsed.answer,
      count: parsed.answer === "yes" ? (parsed.count ?? null) : null,
      source,
      answeredAt: clock(),
    };
    const [row] = await db
      .insert(weeklyCheckins)
      .values({ memberId, weekStart, ...values })
      .onConflictDoUpdate({
        target: [weeklyCheckins.memberId, weeklyCheckins.weekStart],
        set: values,
      })
      .returning();
    return row as Checkin & { memberId: string };
  }

  /** Asks one member, unless another process or an earlier run already did: the row is the lock. */
  async function ask(
    member: { id: string; language: string; linkedAccountIri: string | null },
    weekStart: string,
    now: Date,
  ): Promise<boolean> {
    // The member is local: the in-app notification is the delivery of the DM to their own actor.
    const localNote = deps.newNoteIri("weekly-question");
    const remoteNote = member.linkedAccountIri ? deps.newNoteIri("weekly-question") : undefined;
    const [inserted] = await db
      .insert(weeklyQuestions)
      .values({
        id: randomUUID(),
        memberId: member.id,
        weekStart,
        noteIris: remoteNote ? [localNote, remoteNote] : [localNote],
        askedAt: now,
      })
      .onConflictDoNothing()
      .returning({ id: weeklyQuestions.id });
    if (!inserted) return false;
    await deps.notifications.notifyWeeklyQuestion(member.id);
    if (remoteNote && member.linkedAccountIri) {
      const t = texts(languageOf(member.language));
      await messenger.send({
        noteIri: remoteNote,
        toActorIri: member.linkedAccountIri,
        text: t.question,
        linkLabel: t.formLabel,
        link: deps.formUrl,
      });
    }
    return true;
  }

  const service = {
    /** Asks every member whose question time has passed this week and who was not asked yet. */
    async askDue(now: Date = clock()): Promise<{ asked: number }> {
      const rows = await db
        .select({ id: members.id, language: members.language, settings: trackerSettings })
        .from(members)
        .leftJoin(trackerSettings, eq(trackerSettings.memberId, members.id));
      // Rows of the last two weeks are enough to skip who was already asked without a write.
      const recent = await db
        .select({ memberId: weeklyQuestions.memberId, weekStart: weeklyQuestions.weekStart })
        .from(weeklyQuestions)
        .where(gte(weeklyQuestions.askedAt, new Date(now.getTime() - 15 * 86_400_000)));
      const done = new Set(recent.map((r) => `${r.memberId} ${r.weekStart}`));
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
          if (now < askAt || done.has(`${row.id} ${weekStart}`)) continue;
          const linkedAccountIri = settings.linkedAccountConfirmedAt
            ? settings.linkedAccountIri
            : null;
          if (await ask({ id: row.id, language: row.language, linkedAccountIri }, weekStart, now))
            asked++;
        } catch (error) {
          // One member's failure must not keep the others from being asked.
          logger.error({ err: error, memberId: row.id }, "weekly question failed");
        }
      }
      return { asked };
    },

    /**
     * A Note replying to one of ours. Only the member's confirmed linked account is
     * heard; "not_ours" tells the caller the Note answers none of our messages.
     */
    async receiveReply(reply: {
      actorIri: string;
      inReplyTo: string;
      noteIri: string;
      content: string;
    }): Promise<ReplyOutcome> {
      const parsed = parseAnswer(htmlToPlainText(reply.content));
      const [question] = await db
        .select()
        .from(weeklyQuestions)
        .where(arrayContains(weeklyQuestions.noteIris, [reply.inReplyTo]));
      if (question) {
        const settings = await settingsRow(question.memberId);
        if (!settings?.linkedAccountConfirmedAt || settings.linkedAccountIri !== reply.actorIri)
          return "ignored";
        if (parsed) {
          await upsertCheckin(question.memberId, question.weekStart, parsed, "direct_message");
          return "recorded";
        }
        const t = texts(await languageOfMember(question.memberId));
        await messenger.send({
          noteIri: deps.newNoteIri("answer"),
          toActorIri: reply.actorIri,
          text: t.notUnderstood,
          linkLabel: "",
          link: deps.formUrl,
          inReplyTo: reply.noteIri,
        });
        return "answered";
      }
      return links.receiveReply(reply, parsed);
    },

    /**
     * An answer typed in an app (« oui 2 », « non »), read as a direct message's is, for the
     * week last asked about; a text that is not understood is refused with what to write.
     */
    async answerText(memberId: string, text: string): Promise<Checkin> {
      const parsed = parseAnswer(text);
      if (!parsed) {
        const t = texts(await languageOfMember(memberId));
        throw new DomainError("invalid", `${t.notUnderstood} ${deps.formUrl}`);
      }
      return service.checkIn(memberId, parsed, "api");
    },

    /** An answer from the web form or the API, for `weekStart` or the week last asked about. */
    async checkIn(
      memberId: string,
      input: { answer: "yes" | "no"; count?: number; weekStart?: string },
      source: CheckinSource,
    ): Promise<Checkin> {
      const now = clock();
      const { timeZone } = await settingsRow(memberId);
      const current = weekStartOf(now, timeZone);
      let weekStart = input.weekStart;
      if (weekStart !== undefined) {
        if (
          Temporal.PlainDate.compare(
            Temporal.PlainDate.from(weekStart),
            Temporal.PlainDate.from(current),
          ) > 0
        ) {
          throw new DomainError(
            "invalid",
            `weekStart ${weekStart} is in the future: answer for ${current} or earlier.`,
          );
        }
      } else {
        const [last] = await db
          .select({ weekStart: weeklyQuestions.weekStart })
          .from(weeklyQuestions)
          .where(
            and(
              eq(weeklyQuestions.memberId, memberId),
              gte(weeklyQuestions.askedAt, new Date(now.getTime() - 7 * 86_400_000)),
            ),
          )
          .orderBy(desc(weeklyQuestions.askedAt))
          .limit(1);
        weekStart = last?.weekStart ?? current;
      }
      const parsed: ParsedAnswer =
        input.answer === "yes" ? { answer: "yes", count: input.count } : { answer: "no" };
      const { memberId: _, ...checkin } = await upsertCheckin(memberId, weekStart, parsed, source);
      return checkin;
    },

    async checkins(memberId: string, limit: number): Promise<Checkin[]> {
      return db
        .select({
          weekStart: weeklyCheckins.weekStart,
          answer: weeklyCheckins.answer,
          count: weeklyCheckins.count,
          source: weeklyCheckins.source,
          answeredAt: weeklyCheckins.answeredAt,
        })
        .from(weeklyCheckins)
        .where(eq(weeklyCheckins.memberId, memberId))
        .orderBy(desc(weeklyCheckins.weekStart))
        .limit(limit);
    },

    requestLink: links.requestLink,
    unlink: links.unlink,
  };
  return service;
}
