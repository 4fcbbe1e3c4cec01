import { sql } from "drizzle-orm";
import {
  check,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { members } from "./accounts.ts";

export const APPLICATION_STATUSES = ["pending", "approved", "refused"] as const;
export type ApplicationStatus = (typeof APPLICATION_STATUSES)[number];

/**
 * A request to join (registration mode `request`), waiting for an admin or moderator. The
 * password is kept as its scrypt hash until the member is made with it; the applicant follows
 * the decision at `/join/status/<token>`, whose token is stored as a SHA-256 digest.
 */
export const registrationApplications = pgTable(
  "registration_applications",
  {
    id: uuid("id").primaryKey(),
    /** Lowercase, as `normalizeUsername` made it. */
    username: text("username").notNull(),
    displayName: text("display_name").notNull().default(""),
    /** Lowercased; null when none was given. */
    email: text("email"),
    passwordHash: text("password_hash").notNull(),
    reason: text("reason").notNull(),
    charterAcceptedAt: timestamp("charter_accepted_at", {
      withTimezone: true,
      mode: "date",
    }).notNull(),
    status: text("status", { enum: APPLICATION_STATUSES }).notNull().default("pending"),
    decidedBy: uuid("decided_by").references(() => members.id, { onDelete: "set null" }),
    decidedAt: timestamp("decided_at", { withTimezone: true, mode: "date" }),
    refusalReason: text("refusal_reason"),
    statusTokenHash: text("status_token_hash").notNull(),
    /** The language of the form, for what the instance tells the applicant later. */
    language: text("language").notNull().default("fr"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("registration_applications_token_idx").on(t.statusTokenHash),
    // A name is reserved while its application waits: one pending application per name.
    uniqueIndex("registration_applications_pending_username_idx")
      .on(t.username)
      .where(sql`${t.status} = 'pending'`),
    index("registration_applications_status_idx").on(t.status, t.createdAt),
    check(
      "registration_applications_status_check",
      sql`${t.status} in ('pending', 'approved', 'refused')`,
    ),
  ],
);

/**
 * Invitation links made by admins (`/invite/<code>`): the code (256 random bits) is stored as
 * a SHA-256 digest; `max_uses` null means unlimited, `expires_at` null never.
 */
export const invitations = pgTable(
  "invitations",
  {
    id: uuid("id").primaryKey(),
    codeHash: text("code_hash").notNull(),
    createdBy: uuid("created_by").references(() => members.id, { onDelete: "set null" }),
    /** A word for the admins: who it was made for. */
    note: text("note").notNull().default(""),
    maxUses: integer("max_uses"),
    uses: integer("uses").notNull().default(0),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }),
    revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "date" }),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("invitations_code_idx").on(t.codeHash)],
);
