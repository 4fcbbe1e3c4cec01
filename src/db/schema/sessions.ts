import { index, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { members } from "./accounts.ts";

/**
 * Web sessions of members logged in with their password. The cookie holds a random
 * token; only its SHA-256 digest is stored, so a leaked table opens no session.
 */
export const webSessions = pgTable(
  "web_sessions",
  {
    id: uuid("id").primaryKey(),
    memberId: uuid("member_id")
      .notNull()
      .references(() => members.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
    /** The browser's User-Agent, cut short: what the member's list of sessions shows. */
    userAgent: text("user_agent"),
    /** When the session was last used, to a few minutes (not written on every request). */
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    uniqueIndex("web_sessions_token_idx").on(t.tokenHash),
    index("web_sessions_member_idx").on(t.memberId),
  ],
);

/**
 * Single-use links mailed to a member: a password reset, or the check of a new e-mail
 * address (`email` is the address the link was sent to). Only the SHA-256 digest of the
 * token (256 random bits) is stored; a member has at most one live token per purpose.
 */
export const accountTokens = pgTable(
  "account_tokens",
  {
    tokenHash: text("token_hash").primaryKey(),
    memberId: uuid("member_id")
      .notNull()
      .references(() => members.id, { onDelete: "cascade" }),
    purpose: text("purpose", { enum: ["password_reset", "email_verification"] }).notNull(),
    email: text("email"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [index("account_tokens_member_idx").on(t.memberId, t.purpose)],
);
