import { sql } from "drizzle-orm";
import {
  boolean,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { members } from "./accounts.ts";
import { actors } from "./actors.ts";

/**
 * `private`: logged in the author's tracker only, never published (no activity, no page,
 * no outbox, nobody notified). A TS-level enum over a text column: no migration.
 */
export const VISIBILITIES = ["public", "unlisted", "followers", "participants", "private"] as const;
export type Visibility = (typeof VISIBILITIES)[number];

/** The public details a member may add to an encounter; each is short text. */
export interface EncounterDetails {
  emotion?: string;
  learned?: string;
  lookingFor?: string;
  canOffer?: string;
  howTheyAre?: string;
}

/** A processed, stored photo (see src/media) with the author's alt text. */
export interface EncounterPhoto {
  url: string;
  key: string;
  thumbnailUrl: string;
  thumbnailKey: string;
  mediaType: string;
  width: number;
  height: number;
  blurhash: string | null;
  alt: string;
}

/**
 * An encounter: written by a local member, or received from another server
 * (a remote Note tagged #Socialdapres). `authorId` points at the author's actor.
 */
export const encounters = pgTable(
  "encounters",
  {
    id: uuid("id").primaryKey(),
    iri: text("iri").notNull(),
    url: text("url"),
    authorId: uuid("author_id")
      .notNull()
      .references(() => actors.id, { onDelete: "cascade" }),
    isLocal: boolean("is_local").notNull(),
    occurredOn: date("occurred_on", { mode: "string" }),
    /** Plain text as the author typed it (local), or the text extracted from remote HTML. */
    text: text("text").notNull(),
    /** Sanitized HTML as received, for remote encounters; local HTML is rendered from `text`. */
    remoteContentHtml: text("remote_content_html"),
    keywords: text("keywords").array().notNull().default([]),
    visibility: text("visibility", { enum: VISIBILITIES }).notNull(),
    details: jsonb("details").$type<EncounterDetails>().notNull().default({}),
    photo: jsonb("photo").$type<EncounterPhoto | null>(),
    inReplyTo: text("in_reply_to"),
    /** A content warning (Mastodon's `summary`), plain text: the encounter is shown collapsed. */
    contentWarning: text("content_warning"),
    /** Marked sensitive (Mastodon's `sensitive`): shown collapsed, even without a warning. */
    sensitive: boolean("sensitive").notNull().default(false),
    likesCount: integer("likes_count").notNull().default(0),
    announcesCount: integer("announces_count").notNull().default(0),
    publishedAt: timestamp("published_at", { withTimezone: true, mode: "date" }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }),
    deletedAt: timestamp("deleted_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    uniqueIndex("encounters_iri_idx").on(t.iri),
    // Keyset paging: newest first by (published_at, id), per author or for everyone.
    index("encounters_author_idx").on(t.authorId, t.publishedAt, t.id),
    index("encounters_published_idx").on(t.publishedAt, t.id),
  ],
);

/**
 * The keyword pages' index: one row per keyword (lowercased) of each encounter not deleted,
 * with its `published_at`, so that a keyword's list is a keyset walk of
 * `encounter_keywords_list_idx` whether the keyword is in every encounter or in 3 of 100,000.
 * Kept by triggers on `encounters` (migration …_encounter_keywords_triggers.sql), in the
 * transaction of each write: no service writes it.
 */
export const encounterKeywords = pgTable(
  "encounter_keywords",
  {
    encounterId: uuid("encounter_id")
      .notNull()
      .references(() => encounters.id, { onDelete: "cascade" }),
    keyword: text("keyword").notNull(),
    publishedAt: timestamp("published_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.encounterId, t.keyword] }),
    index("encounter_keywords_list_idx").on(t.keyword, t.publishedAt, t.encounterId),
  ],
);

export const COSIGN_STATES = ["pending", "cosigned", "declined"] as const;
export type CosignState = (typeof COSIGN_STATES)[number];

/**
 * Who was met: a fediverse actor (who may co-sign), or a plain name for
 * someone without an account.
 */
export const encounterParticipants = pgTable(
  "encounter_participants",
  {
    id: uuid("id").primaryKey(),
    encounterId: uuid("encounter_id")
      .notNull()
      .references(() => encounters.id, { onDelete: "cascade" }),
    position: integer("position").notNull(),
    actorId: uuid("actor_id").references(() => actors.id, { onDelete: "set null" }),
    plainName: text("plain_name"),
    cosignState: text("cosign_state", { enum: COSIGN_STATES }).notNull().default("pending"),
    /** The Announce that co-signs: ours for a local participant, theirs for a remote one. */
    cosignActivityIri: text("cosign_activity_iri"),
    cosignedAt: timestamp("cosigned_at", { withTimezone: true, mode: "date" }),
    /** The member named said "I don't want to be in this": off their home and profile. */
    hidden: boolean("hidden").notNull().default(false),
  },
  (t) => [
    index("encounter_participants_encounter_idx").on(t.encounterId, t.position),
    index("encounter_participants_actor_idx").on(t.actorId),
  ],
);

/** Likes and boosts of an encounter by anyone who is not a participant. */
export const encounterReactions = pgTable(
  "encounter_reactions",
  {
    id: uuid("id").primaryKey(),
    encounterId: uuid("encounter_id")
      .notNull()
      .references(() => encounters.id, { onDelete: "cascade" }),
    actorIri: text("actor_iri").notNull(),
    kind: text("kind", { enum: ["like", "announce"] }).notNull(),
    activityIri: text("activity_iri").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("encounter_reactions_activity_idx").on(t.activityIri),
    uniqueIndex("encounter_reactions_once_idx").on(t.encounterId, t.actorIri, t.kind),
  ],
);

/**
 * A reply to an encounter: a witness speaking under it, written here by a member or received
 * from any server (a Note whose `inReplyTo` is the encounter, or one of its replies: a thread
 * belongs to its encounter). Its visibility is never wider than the encounter's. A deleted
 * reply stays as a tombstone (words erased) to address its Delete and refuse a late Create;
 * deleting the encounter removes its replies.
 */
export const encounterReplies = pgTable(
  "encounter_replies",
  {
    id: uuid("id").primaryKey(),
    /** The Note's id: ours (`/users/<replier>/replies/<id>`) or the remote server's. */
    iri: text("iri").notNull(),
    /** Where a person reads it (the remote `url`, or the anchor under our encounter page). */
    url: text("url"),
    encounterId: uuid("encounter_id")
      .notNull()
      .references(() => encounters.id, { onDelete: "cascade" }),
    /** What it answers: the encounter's IRI, or that of another reply in its thread. */
    inReplyToIri: text("in_reply_to_iri").notNull(),
    authorId: uuid("author_id")
      .notNull()
      .references(() => actors.id, { onDelete: "cascade" }),
    isLocal: boolean("is_local").notNull(),
    /** Plain text as the member typed it (local), or the text of the remote HTML. */
    text: text("text").notNull(),
    /** Sanitized HTML as received, for remote replies; local HTML is rendered from `text`. */
    remoteContentHtml: text("remote_content_html"),
    visibility: text("visibility", { enum: VISIBILITIES }).notNull(),
    /** The actors it addresses (Mention tags): who may read it beyond the public. */
    mentions: text("mentions").array().notNull().default([]),
    publishedAt: timestamp("published_at", { withTimezone: true, mode: "date" }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }),
    deletedAt: timestamp("deleted_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    uniqueIndex("encounter_replies_iri_idx").on(t.iri),
    index("encounter_replies_encounter_idx").on(t.encounterId, t.publishedAt),
    index("encounter_replies_author_idx").on(t.authorId),
  ],
);

/**
 * `mentioned`: a post from elsewhere names the member without being an encounter (no
 * #Socialdapres tag): the notification keeps who wrote it, where it is and a few words of it.
 * `encounter_reply`: someone replied under the member's encounter.
 */
export const NOTIFICATION_KINDS = [
  "named_in_encounter",
  "weekly_question",
  "mentioned",
  "encounter_reply",
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** In-app notifications of a member. */
export const notifications = pgTable(
  "notifications",
  {
    id: uuid("id").primaryKey(),
    memberId: uuid("member_id")
      .notNull()
      .references(() => members.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: NOTIFICATION_KINDS }).notNull(),
    encounterId: uuid("encounter_id").references(() => encounters.id, { onDelete: "cascade" }),
    /** `mentioned`: who wrote the post. */
    actorId: uuid("actor_id").references(() => actors.id, { onDelete: "cascade" }),
    /** `mentioned`: the post's id and its page, as its server gave them. */
    objectIri: text("object_iri"),
    objectUrl: text("object_url"),
    /** `mentioned`: the beginning of the post, plain text. */
    excerpt: text("excerpt"),
    /** The reply an `encounter_reply` notification is about (its encounter is `encounterId`). */
    replyId: uuid("reply_id").references(() => encounterReplies.id, { onDelete: "cascade" }),
    /** Milliseconds, as a JavaScript Date holds them: the exact key of keyset paging. */
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date", precision: 3 })
      .notNull()
      .defaultNow(),
    readAt: timestamp("read_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    index("notifications_member_idx").on(t.memberId, t.createdAt, t.id),
    // The unread badge of every member page (a bounded count).
    index("notifications_unread_idx").on(t.memberId).where(sql`${t.readAt} is null`),
    // Named in an encounter once; told of each reply once (many replies, one encounter).
    uniqueIndex("notifications_once_idx")
      .on(t.memberId, t.kind, t.encounterId)
      .where(sql`${t.replyId} is null`),
    uniqueIndex("notifications_reply_once_idx")
      .on(t.memberId, t.replyId)
      .where(sql`${t.replyId} is not null`),
    // One notification per post that mentions the member, however often it is delivered.
    uniqueIndex("notifications_object_once_idx").on(t.memberId, t.kind, t.objectIri),
  ],
);
