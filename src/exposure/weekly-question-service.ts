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
import { languageOf, type MessageLanguage, texts } from "./weekly-question-texts.ts";
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
  const settingsRow = (memberId: string) => deps.settings.read(memberId);

  async function languageOfMember(memberId: string) {
    const [row] = await db
      .select({ language: members.language })
      .from(members)
      .where(eq(members.id, memberId));
    return languageOf(row?.language);
  }

  const links = createAccountLinks({ ...deps, clock, languageOfMember });

  /**
   * The latest question of the member one of our other direct messages (an answer, the link
   * request) was about: undefined when `iri` is none of ours, null when that member was never asked.
   */
  async function latestQuestionOfThread(iri: string) {
    const message = await deps.directMessages.find(iri);
    if (!message) return undefined;
    const [latest] = await db
      .select()
      .from(weeklyQuestions)
      .where(eq(weeklyQuestions.memberId, message.memberId))
      .orderBy(desc(weeklyQuestions.askedAt))
      .limit(1);
    return latest ?? null;
  }

  /** A short direct answer to the member's Note `inReplyTo`, in the same thread. */
  async function answer(
    memberId: string,
    reply: { actorIri: string; noteIri: string },
    paragraphs: string[],
    link: { label: string; href: string },
    language: MessageLanguage,
  ) {
    await messenger.send({
      kind: "answer",
      noteIri: deps.newNoteIri("answer"),
      memberId,
      toActorIri: reply.actorIri,
      language,
      paragraphs,
      link,
      inReplyTo: reply.noteIri,
    });
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
    member: {
      id: string;
      language: string;
      linkedAccountIri: string | null;
      linkedAccountThreadIri: string | null;
    },
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
      const language = languageOf(member.language);
      const t = texts(language);
      await messenger.send({
        kind: "weekly-question",
        noteIri: remoteNote,
        memberId: member.id,
        toActorIri: member.linkedAccountIri,
        language,
        paragraphs: [t.question],
        link: { label: t.formLabel, href: `${deps.formUrl}#question` },
        // In the thread the member started: Mastodon then shows it as a reply to them.
        inReplyTo: member.linkedAccountThreadIri ?? undefined,
      });
    }
    return true;
  }

  return {
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
          const linked = settings.linkedAccountConfirmedAt !== null;
          const member = {
            id: row.id,
            language: row.language,
            linkedAccountIri: linked ? settings.linkedAccountIri : null,
            linkedAccountThreadIri: linked ? settings.linkedAccountThreadIri : null,
          };
          if (await ask(member, weekStart, now)) asked++;
        } catch (error) {
          // One member's failure must not keep the others from being asked.
          logger.error({ err: error, memberId: row.id }, "weekly question failed");
        }
      }
      return { asked };
    },

    /**
     * A Note replying to one of ours. Only the member's confirmed linked account is
     * heard; "not_ours" tells the caller the Note answers none of our messages. A Note
     * others could see (`private` false: public, unlisted or followers-only) is never
     * recorded, as keeping it would make a public post of the member's tracker.
     */
    async receiveReply(reply: {
      actorIri: string;
      inReplyTo: string;
      noteIri: string;
      content: string;
      private: boolean;
    }): Promise<ReplyOutcome> {
      const parsed = parseAnswer(htmlToPlainText(reply.content));
      const [asked] = await db
        .select()
        .from(weeklyQuestions)
        .where(arrayContains(weeklyQuestions.noteIris, [reply.inReplyTo]));
      const outcome = asked ? undefined : await links.receiveReply(reply, parsed);
      if (outcome && outcome !== "not_ours") return outcome;
      // In the thread, a member answers the latest message, often our answer to their last
      // one: that is an answer to the latest question they were asked.
      const question = asked ?? (await latestQuestionOfThread(reply.inReplyTo));
      if (question === null) return "ignored";
      if (!question) return "not_ours";
      const memberId = question.memberId;
      const settings = await settingsRow(memberId);
      if (!settings?.linkedAccountConfirmedAt || settings.linkedAccountIri !== reply.actorIri)
        return "ignored";
      const language = await languageOfMember(memberId);
      const t = texts(language);
      if (!reply.private) {
        await answer(
          memberId,
          reply,
          [t.notPrivate],
          { label: "", href: `${deps.formUrl}#question` },
          language,
        );
        return "not_private";
      }
      // The member's latest private Note to us: the next question answers it.
      await deps.settings.setThread(memberId, reply.noteIri);
      if (!parsed) {
        await answer(
          memberId,
          reply,
          [t.notUnderstood],
          { label: "", href: `${deps.formUrl}#question` },
          language,
        );
        return "answered";
      }
      const checkin = await upsertCheckin(memberId, question.weekStart, parsed, "direct_message");
      const paragraphs: string[] = [t.recorded(checkin)];
      if (settings.acknowledgeWithStatus) {
        const status = await deps.statusOf(memberId, question.weekStart);
        if (status) paragraphs.push(t.status(status));
      }
      await answer(
        memberId,
        reply,
        paragraphs,
        { label: t.changeLabel, href: `${deps.formUrl}#question` },
        language,
      );
      return "recorded";
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
}
