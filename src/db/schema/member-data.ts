import { sql } from "drizzle-orm";
import { check, index, integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { members } from "./accounts.ts";

/** The states of an archive a member asked for (src/accounts/account-export-service.ts). */
export const EXPORT_STATES = ["pending", "ready", "failed"] as const;
export type ExportState = (typeof EXPORT_STATES)[number];

/**
 * An archive of a member's data, built in the background by the worker. `fileKey` is a random
 * name under `DATA_DIR/exports` (never under the public media folder); the file and the row
 * go once `expiresAt` has passed. `claimedUntil` is the lease of the worker building it: a
 * worker that died leaves it to the next one.
 */
export const accountExports = pgTable(
  "account_exports",
  {
    id: uuid("id").primaryKey(),
    memberId: uuid("member_id")
      .notNull()
      .references(() => members.id, { onDelete: "cascade" }),
    state: text("state", { enum: EXPORT_STATES }).notNull().default("pending"),
    fileKey: text("file_key"),
    sizeBytes: integer("size_bytes"),
    error: text("error"),
    claimedUntil: timestamp("claimed_until", { withTimezone: true, mode: "date" }),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    readyAt: timestamp("ready_at", { withTimezone: true, mode: "date" }),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [
    index("account_exports_member_idx").on(t.memberId, t.createdAt),
    index("account_exports_state_idx").on(t.state, t.expiresAt),
    check("account_exports_state_check", sql`${t.state} in ('pending', 'ready', 'failed')`),
  ],
);

export const IMPORT_STATES = ["pending", "done", "failed"] as const;
export type ImportState = (typeof IMPORT_STATES)[number];

/**
 * One account of a following list a member imported (Mastodon's CSV): looked up and followed
 * by the worker (src/follows/follow-import-service.ts), never in the request that uploaded it.
 */
export const followImports = pgTable(
  "follow_imports",
  {
    id: uuid("id").primaryKey(),
    memberId: uuid("member_id")
      .notNull()
      .references(() => members.id, { onDelete: "cascade" }),
    /** `user@host`, as the CSV line gave it (without a leading @). */
    handle: text("handle").notNull(),
    /** The line of the CSV it came from, to report it. */
    line: integer("line").notNull(),
    state: text("state", { enum: IMPORT_STATES }).notNull().default("pending"),
    error: text("error"),
    claimedUntil: timestamp("claimed_until", { withTimezone: true, mode: "date" }),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    index("follow_imports_member_idx").on(t.memberId, t.state),
    index("follow_imports_pending_idx").on(t.state, t.createdAt),
    check("follow_imports_state_check", sql`${t.state} in ('pending', 'done', 'failed')`),
  ],
);
