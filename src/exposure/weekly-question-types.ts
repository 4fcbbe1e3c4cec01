import type { Db } from "../db/database.ts";
import type { NotificationsService } from "../encounters/notifications-service.ts";
import type { Outbox } from "../outbox/outbox.ts";
import type { Logger } from "../shared/logger.ts";
import type { DirectMessagesRepository } from "./direct-messages-repository.ts";
import type { Status } from "./model/status.ts";
import type { TrackerSettingsService } from "./tracker-settings-service.ts";
import type { MessageLanguage } from "./weekly-question-texts.ts";

/** What a direct message is for; its `url` (a page of this instance) follows from it. */
export type DirectMessageKind = "weekly-question" | "link-request" | "answer";

/** One direct message from the instance actor; the federation layer signs, keeps and sends it. */
export interface DirectMessage {
  kind: DirectMessageKind;
  noteIri: string;
  /** The member the conversation is about (the message goes with their account). */
  memberId: string;
  toActorIri: string;
  language: MessageLanguage;
  /** Paragraphs of plain text. */
  paragraphs: string[];
  /** Local actors the text names by handle ("@bea@example.org"): shown as mentions. */
  mentions?: Array<{ handle: string; username: string }>;
  /** The last paragraph: a label and a link to a page of this instance. */
  link: { label: string; href: string };
  /** The Note this one answers: the member's own Note, so the thread is theirs. */
  inReplyTo?: string;
}

export interface DirectMessenger {
  send(message: DirectMessage): Promise<void>;
}

export interface WeeklyQuestionDeps {
  db: Db;
  messenger: DirectMessenger;
  /** The outbox: the question's direct message is recorded with the question's row. */
  events: Pick<Outbox, "record" | "dispatch">;
  /** The in-app notification of the question. */
  notifications: Pick<NotificationsService, "notifyWeeklyQuestion">;
  /** The one reader (and writer of the linked account) of tracker settings. */
  settings: Pick<TrackerSettingsService, "read" | "setLinkedAccount" | "setThread">;
  /** The direct messages sent, as kept: a reply to any of them is in the member's thread. */
  directMessages: Pick<DirectMessagesRepository, "find">;
  /** This week's status of the member's tracker, for an acknowledgement that may tell it. */
  statusOf(memberId: string, weekStart: string): Promise<Status | undefined>;
  /** A fresh IRI for a Note the instance actor writes. */
  newNoteIri(kind: DirectMessageKind): string;
  /** `@user@host` or an actor URL → the remote actor, stored; throws DomainError when not found. */
  lookupAccount(query: string): Promise<{ iri: string }>;
  isLocalIri(iri: string): boolean;
  /**
   * The member's tracker page (ORIGIN + "/tracker"), behind the web log-in, which comes back
   * to it: its `#question` form answers the question, its `#linked-account` section shows the link.
   */
  formUrl: string;
  /** "@bea@example.org": how a linked account is told who asks. */
  handleOf(username: string): string;
  /** "@instance@example.org": whom a linked account follows to see the messages. */
  senderHandle: string;
  senderUsername: string;
  logger: Logger;
  now?: () => Date;
}

export type CheckinSource = "direct_message" | "web" | "api";
export type ReplyOutcome =
  | "not_ours"
  | "not_private"
  | "ignored"
  | "recorded"
  | "answered"
  | "confirmed"
  | "refused";

export interface Checkin {
  weekStart: string;
  answer: "yes" | "no";
  count: number | null;
  source: CheckinSource;
  answeredAt: Date;
}
