import { Temporal } from "@js-temporal/polyfill";
import { and, arrayContains, desc, eq } from "drizzle-orm";
import { members, weeklyCheckins, weeklyQuestions } from "../db/schema.ts";
import { DomainError } from "../shared/errors.ts";
import { htmlToPlainText } from "../shared/sanitize-html.ts";
import { createAccountLinks } from "./account-links.ts";
import { type ParsedAnswer, parseAnswer } from "./model/answer-parser.ts";
import { weekStartOf } from "./model/weeks.ts";
import { createQuestionAsking, lastQuestion } from "./weekly-question-asking.ts";
import { languageOf, type MessageLanguage, texts } from "./weekly-question-texts.ts";
import type {
  Checkin,
  CheckinSource,
  ReplyOutcome,
  WeeklyQuestionDeps,
} from "./weekly-question-types.ts";

export { LINK_REQUESTS_PER_DAY, LinkRateLimitedError } from "./account-links.ts";
export { AskAgainTooSoonError } from "./weekly-question-asking.ts";

export { questionTimeOf } from "./weekly-question-time.ts";

/** A check-in as the member sees it. */
const CHECKIN_COLUMNS = {
  weekStart: weeklyCheckins.weekStart,
  answer: weeklyCheckins.answer,
  count: weeklyCheckins.count,
  source: weeklyCheckins.source,
  answeredAt: weeklyCheckins.answeredAt,
};

export type WeeklyQuestionService = ReturnType<typeof createWeeklyQuestionService>;

export function createWeeklyQuestionService(deps: WeeklyQuestionDeps) {
  const { db, messenger } = deps;
  const clock = deps.now ?? (() => new Date());
  const asking = createQuestionAsking({ ...deps, clock });
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

  /** The week an answer without a week is for: the question of the last 7 days', else this week. */
  async function openWeek(memberId: string, now: Date, current: string): Promise<string> {
    return (await lastQuestion(db, memberId, now))?.weekStart ?? current;
  }

  const service = {
    /** Asks everyone due; an account linked after the question is asked too (weekly-question-asking.ts). */
    askDue: asking.askDue,
    /** The member asks for the question again, at most once an hour. */
    askAgain: asking.askAgain,

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

    /**
     * An answer typed in an app (« oui 2 », « non »), read as a direct message's is, for the
     * week last asked about; a text that is not understood is refused with what to write.
     */
    async answerText(memberId: string, text: string): Promise<Checkin> {
      const parsed = parseAnswer(text);
      if (!parsed) {
        const t = texts(await languageOfMember(memberId));
        throw new DomainError("invalid", `${t.notUnderstood} ${deps.formUrl}#question`);
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
        weekStart = await openWeek(memberId, now, current);
      }
      const parsed: ParsedAnswer =
        input.answer === "yes" ? { answer: "yes", count: input.count } : { answer: "no" };
      const { memberId: _, ...checkin } = await upsertCheckin(memberId, weekStart, parsed, source);
      return checkin;
    },

    /**
     * The week the web form answers (as `checkIn` without a week does) and the answer already
     * given for it, if any: the form shows it chosen.
     */
    async openCheckin(
      memberId: string,
    ): Promise<{ weekStart: string; checkin: Checkin | undefined }> {
      const now = clock();
      const { timeZone } = await settingsRow(memberId);
      const weekStart = await openWeek(memberId, now, weekStartOf(now, timeZone));
      const [checkin] = await db
        .select(CHECKIN_COLUMNS)
        .from(weeklyCheckins)
        .where(and(eq(weeklyCheckins.memberId, memberId), eq(weeklyCheckins.weekStart, weekStart)));
      return { weekStart, checkin };
    },

    async checkins(memberId: string, limit: number): Promise<Checkin[]> {
      return db
        .select(CHECKIN_COLUMNS)
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
