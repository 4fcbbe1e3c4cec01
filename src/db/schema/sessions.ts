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
  },
  (t) => [
    uniqueIndex("web_sessions_token_idx").on(t.tokenHash),
    index("web_sessions_member_idx").on(t.memberId),
  ],
);
