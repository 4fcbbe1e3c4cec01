import { boolean, index, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { members } from "./accounts.ts";
import { actors } from "./actors.ts";
import { encounterReplies, encounters } from "./encounters.ts";

/** Why something was reported; Mastodon's categories map onto these (src/moderation/reports-input.ts). */
export const REPORT_CATEGORIES = ["spam", "abuse", "unwanted-naming", "other"] as const;
export type ReportCategory = (typeof REPORT_CATEGORIES)[number];

/**
 * A report: a member here (or a remote server, through a `Flag`) tells the moderators about an
 * account, and optionally one of its encounters or replies. `reporterId` is the actor of the
 * member who reported, or the remote actor that sent the Flag (usually its instance actor).
 */
export const reports = pgTable(
  "reports",
  {
    id: uuid("id").primaryKey(),
    reporterId: uuid("reporter_id")
      .notNull()
      .references(() => actors.id, { onDelete: "cascade" }),
    targetId: uuid("target_id")
      .notNull()
      .references(() => actors.id, { onDelete: "cascade" }),
    encounterId: uuid("encounter_id").references(() => encounters.id, { onDelete: "set null" }),
    replyId: uuid("reply_id").references(() => encounterReplies.id, { onDelete: "set null" }),
    category: text("category", { enum: REPORT_CATEGORIES }).notNull(),
    /** Plain text, 1,000 characters at most. */
    comment: text("comment").notNull().default(""),
    /** Sent on to the target's server as a `Flag` (ours), or received as one (theirs). */
    forwarded: boolean("forwarded").notNull().default(false),
    /** The received Flag's id (a repeated Flag is one report), or the id of the one we sent. */
    flagActivityIri: text("flag_activity_iri"),
    state: text("state", { enum: ["open", "resolved"] })
      .notNull()
      .default("open"),
    resolvedBy: uuid("resolved_by").references(() => members.id, { onDelete: "set null" }),
    resolvedAt: timestamp("resolved_at", { withTimezone: true, mode: "date" }),
    resolutionNote: text("resolution_note"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    index("reports_state_idx").on(t.state, t.createdAt),
    uniqueIndex("reports_flag_idx").on(t.flagActivityIri),
  ],
);

/**
 * `blocker` blocks `target`: a member here blocking anyone, or a remote actor that sent us a
 * `Block` against a member. `activityIri` is the Block's id (ours, to undo it; theirs, to match
 * their Undo).
 */
export const accountBlocks = pgTable(
  "account_blocks",
  {
    id: uuid("id").primaryKey(),
    blockerId: uuid("blocker_id")
      .notNull()
      .references(() => actors.id, { onDelete: "cascade" }),
    targetId: uuid("target_id")
      .notNull()
      .references(() => actors.id, { onDelete: "cascade" }),
    activityIri: text("activity_iri").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("account_blocks_pair_idx").on(t.blockerId, t.targetId),
    index("account_blocks_target_idx").on(t.targetId),
  ],
);

/** A member mutes an account: its encounters and notifications are hidden; nothing is sent. */
export const accountMutes = pgTable(
  "account_mutes",
  {
    id: uuid("id").primaryKey(),
    memberActorId: uuid("member_actor_id")
      .notNull()
      .references(() => actors.id, { onDelete: "cascade" }),
    targetId: uuid("target_id")
      .notNull()
      .references(() => actors.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("account_mutes_pair_idx").on(t.memberActorId, t.targetId)],
);

/** A member blocks every account of a server (their own choice; not the admins' domain policy). */
export const memberDomainBlocks = pgTable(
  "member_domain_blocks",
  {
    id: uuid("id").primaryKey(),
    memberActorId: uuid("member_actor_id")
      .notNull()
      .references(() => actors.id, { onDelete: "cascade" }),
    /** Lowercased host, as actors.host stores it. */
    domain: text("domain").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("member_domain_blocks_pair_idx").on(t.memberActorId, t.domain)],
);
