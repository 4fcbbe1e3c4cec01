import { Temporal } from "@js-temporal/polyfill";
import { arrayContains, desc, eq } from "drizzle-orm";
import { members, weeklyCheckins, weeklyQuestions } from "../db/schema.ts";
import { DomainError } from "../shared/errors.ts";
import { htmlToPlainText } from "../shared/sanitize-html.ts";
import { createAccountLinks } from "./account-links.ts";
import { type ParsedAnswer, parseAnswer } from "./model/answer-parser.ts";
import { weekStartOf } from "./model/weeks.ts";
import { createQuestionAsking, lastQuestion } from "./weekly-question-asking.ts";
import { languageOf, texts } from "./weekly-question-texts.ts";
import type {
  Checkin,
  CheckinSource,
  ReplyOutcome,
  WeeklyQuestionDeps,
} from "./weekly-question-types.ts";

export { LINK_REQUESTS_PER_DAY, LinkRateLimitedError } from "./account-links.ts";
export { AskAgainTooSoonError } from "./weekly-question-asking.ts";

export { questionTimeOf } from "./weekly-question-time.ts";

export type WeeklyQuestionService = ReturnType<typeof createWeeklyQuestionService>;

export function createWeeklyQuestionService(deps: WeeklyQuestionDeps) {
  const { db, messenger } = deps;
  const clock = deps.now ?? (() => new Date());
  const links = createAccountLinks({ ...deps, clock });
  const asking = createQuestionAsking({ ...deps, clock });

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

  return {
    /** Asks everyone due; an account linked after the question is asked too (weekly-question-asking.ts). */
    askDue: asking.askDue,
    /** The member asks for the question again, at most once an hour. */
    askAgain: asking.askAgain,

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
        weekStart = (await lastQuestion(db, memberId, now))?.weekStart ?? current;
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
