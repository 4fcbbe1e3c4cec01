import type { Db } from "../db/database.ts";
import type { NotificationsService } from "../encounters/notifications-service.ts";
import type { Outbox } from "../outbox/outbox.ts";
import type { Logger } from "../shared/logger.ts";
import type { TrackerSettingsService } from "./tracker-settings-service.ts";

/** One direct message from the instance actor; the federation layer signs and sends it. */
export interface DirectMessage {
  noteIri: string;
  toActorIri: string;
  text: string;
  linkLabel: string;
  link: string;
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
  settings: Pick<TrackerSettingsService, "read" | "setLinkedAccount">;
  /** A fresh IRI for a Note the instance actor writes. */
  newNoteIri(kind: "weekly-question" | "link-request" | "answer"): string;
  /** `@user@host` or an actor URL → the remote actor, stored; throws DomainError when not found. */
  lookupAccount(query: string): Promise<{ iri: string }>;
  isLocalIri(iri: string): boolean;
  /** The check-in form (ORIGIN + "/tracker") and the settings page. */
  formUrl: string;
  /** "bea@example.org": how a linked account is told who asks. */
  handleOf(username: string): string;
  logger: Logger;
  now?: () => Date;
}

export type CheckinSource = "direct_message" | "web" | "api";
export type ReplyOutcome =
  | "not_ours"
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
