import { index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { members } from "./accounts.ts";

/** Where a moderation action came from: a web page, the CLI (or admin console), the API. */
export const MODERATION_VIAS = ["web", "cli", "api"] as const;
export type ModerationVia = (typeof MODERATION_VIAS)[number];

/**
 * The audit log: every moderation action, who took it (null: the CLI or the admin console),
 * on what, and why. Written in the transaction of the change (src/moderation/audit-log.ts);
 * `details` never holds private data (no tracker field, no e-mail address).
 */
export const moderationActions = pgTable(
  "moderation_actions",
  {
    id: uuid("id").primaryKey(),
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    moderatorId: uuid("moderator_id").references(() => members.id, { onDelete: "set null" }),
    via: text("via", { enum: MODERATION_VIAS }).notNull(),
    action: text("action").notNull(),
    /** What kind of thing the action is about: `domain`, `member`, `account` (remote), `report`… */
    subjectKind: text("subject_kind").notNull(),
    /** The thing itself: a host, a username, `user@host`, a report id. */
    subject: text("subject").notNull(),
    reason: text("reason"),
    details: jsonb("details").$type<Record<string, unknown>>(),
  },
  (t) => [
    index("moderation_actions_at_idx").on(t.at, t.id),
    index("moderation_actions_subject_idx").on(t.subjectKind, t.subject),
  ],
);

/** What an instance does with a whole domain: `block` (suspend) or `limit` (silence). */
export const DOMAIN_SEVERITIES = ["block", "limit"] as const;
export type DomainSeverity = (typeof DOMAIN_SEVERITIES)[number];

/** The admin's policy for a remote domain (and its subdomains): src/moderation/domain-policies.ts. */
export const domainPolicies = pgTable(
  "domain_policies",
  {
    id: uuid("id").primaryKey(),
    /** Lowercased, without port or trailing dot; covers its subdomains. */
    host: text("host").notNull(),
    severity: text("severity", { enum: DOMAIN_SEVERITIES }).notNull(),
    /** Shown to anyone when the list is published. */
    publicReason: text("public_reason"),
    /** For the moderators only. */
    privateComment: text("private_comment"),
    createdBy: uuid("created_by").references(() => members.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("domain_policies_host_idx").on(t.host)],
);
