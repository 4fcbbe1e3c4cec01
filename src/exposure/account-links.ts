import { randomUUID } from "node:crypto";
import { and, eq, gte } from "drizzle-orm";
import { trackerLinkRequests } from "../db/schema.ts";
import { DomainError } from "../shared/errors.ts";
import type { ParsedAnswer } from "./model/answer-parser.ts";
import type { TrackerSettingsService } from "./tracker-settings-service.ts";
import { languageOf, type MessageLanguage, texts } from "./weekly-question-texts.ts";
import type { DirectMessenger, ReplyOutcome, WeeklyQuestionDeps } from "./weekly-question-types.ts";

export const LINK_REQUESTS_PER_DAY = 3;

/** Too many link requests: the route answers 429. */
export class LinkRateLimitedError extends Error {}

/**
 * Linking a member's main fediverse account. The account is asked ONCE per
 * request, by one direct message, and only its own reply "oui"/"yes" to that
 * message confirms the link: nobody can make the instance write to a stranger
 * more than a few times a day.
 */
export function createAccountLinks(
  deps: Pick<
    WeeklyQuestionDeps,
    | "db"
    | "newNoteIri"
    | "lookupAccount"
    | "isLocalIri"
    | "formUrl"
    | "handleOf"
    | "senderHandle"
    | "senderUsername"
  > & {
    messenger: DirectMessenger;
    clock: () => Date;
    settings: Pick<TrackerSettingsService, "read" | "setLinkedAccount">;
    languageOfMember(memberId: string): Promise<MessageLanguage>;
  },
) {
  const { db, messenger, clock, settings: trackerSettingsOf } = deps;
  const settingsRow = (memberId: string) => trackerSettingsOf.read(memberId);

  return {
    /** A reply to a link request: "oui"/"yes" from the account asked confirms, "non"/"no" drops it. */
    async receiveReply(
      reply: { actorIri: string; inReplyTo: string; noteIri: string; private: boolean },
      parsed: ParsedAnswer | null,
    ): Promise<ReplyOutcome> {
      const [request] = await db
        .select()
        .from(trackerLinkRequests)
        .where(eq(trackerLinkRequests.noteIri, reply.inReplyTo));
      if (!request) return "not_ours";
      const settings = await settingsRow(request.memberId);
      if (request.actorIri !== reply.actorIri || settings?.linkedAccountIri !== reply.actorIri)
        return "ignored";
      if (settings.linkedAccountConfirmedAt || !parsed) return "ignored";
      const confirmed = parsed.answer === "yes";
      await trackerSettingsOf.setLinkedAccount(request.memberId, {
        iri: confirmed ? reply.actorIri : null,
        confirmedAt: confirmed ? clock() : null,
        // Only a private Note starts a thread Mastodon's notification policy lets through.
        threadIri: reply.private ? reply.noteIri : null,
      });
      // A « non » gets nothing more, as the request promised.
      if (!confirmed) return "refused";
      const language = await deps.languageOfMember(request.memberId);
      const t = texts(language);
      await messenger.send({
        kind: "answer",
        noteIri: deps.newNoteIri("answer"),
        memberId: request.memberId,
        toActorIri: reply.actorIri,
        language,
        paragraphs: [t.linked(deps.senderHandle)],
        mentions: [{ handle: deps.senderHandle, username: deps.senderUsername }],
        link: { label: t.linkFormLabel, href: `${deps.formUrl}#linked-account` },
        inReplyTo: reply.noteIri,
      });
      return "confirmed";
    },

    /** Sends ONE direct message asking `account` to confirm; the link stays unconfirmed until it does. */
    async requestLink(member: { id: string; username: string; language: string }, account: string) {
      const now = clock();
      const [recent] = await db
        .select({ id: trackerLinkRequests.id })
        .from(trackerLinkRequests)
        .where(
          and(
            eq(trackerLinkRequests.memberId, member.id),
            gte(trackerLinkRequests.requestedAt, new Date(now.getTime() - 86_400_000)),
          ),
        )
        .offset(LINK_REQUESTS_PER_DAY - 1)
        .limit(1);
      if (recent) {
        throw new LinkRateLimitedError(
          `At most ${LINK_REQUESTS_PER_DAY} link requests a day: try again tomorrow, or answer the message already sent.`,
        );
      }
      if (/^https?:/i.test(account.trim()) && deps.isLocalIri(account.trim())) {
        throw new DomainError(
          "invalid",
          "Link an account on another server: this one is already yours.",
        );
      }
      const { iri } = await deps.lookupAccount(account);
      if (deps.isLocalIri(iri)) {
        throw new DomainError(
          "invalid",
          "Link an account on another server: this one is already yours.",
        );
      }
      const noteIri = deps.newNoteIri("link-request");
      await db.insert(trackerLinkRequests).values({
        id: randomUUID(),
        memberId: member.id,
        actorIri: iri,
        noteIri,
        requestedAt: now,
      });
      await trackerSettingsOf.setLinkedAccount(member.id, { iri, confirmedAt: null });
      const language = languageOf(member.language);
      const t = texts(language);
      const handle = deps.handleOf(member.username);
      await messenger.send({
        kind: "link-request",
        noteIri,
        memberId: member.id,
        toActorIri: iri,
        language,
        paragraphs: [t.linkRequest(handle)],
        mentions: [{ handle, username: member.username }],
        link: { label: t.linkFormLabel, href: `${deps.formUrl}#linked-account` },
      });
      return { linkedAccountIri: iri, confirmed: false };
    },

    async unlink(memberId: string): Promise<void> {
      await trackerSettingsOf.setLinkedAccount(memberId, { iri: null, confirmedAt: null });
    },
  };
}
