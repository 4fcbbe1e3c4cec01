import { randomUUID } from "node:crypto";
import { and, desc, eq, lt, or } from "drizzle-orm";
import type { Db, DbExecutor } from "../db/database.ts";
import { type ModerationVia, members, moderationActions } from "../db/schema.ts";
import { DomainError } from "../shared/errors.ts";
import { isUuid } from "../shared/input.ts";

/** Who acts: a moderator from a page or the API, or the CLI / admin console (no member). */
export interface Moderator {
  /** The member who acted; null for the CLI or the admin console. */
  memberId: string | null;
  via: ModerationVia;
}

/** The CLI, or the admin console: no member, `via` "cli". */
export const CLI_MODERATOR: Moderator = { memberId: null, via: "cli" };

export interface AuditEntry {
  moderator: Moderator;
  /** What was done, e.g. `domain.block`, `account.suspend`, `report.resolve`. */
  action: string;
  /** What kind of thing it was done to: `domain`, `member`, `account`, `report`… */
  subjectKind: string;
  /** The thing: a host, a username, `user@host`, a report id. */
  subject: string;
  reason?: string | null;
  /** Plain facts about the action (counts, the severity…); never private data. */
  details?: Record<string, unknown> | null;
}

export interface AuditRecord {
  id: string;
  at: Date;
  moderatorId: string | null;
  /** The moderator's username, when a member acted and still exists. */
  moderatorUsername: string | null;
  via: ModerationVia;
  action: string;
  subjectKind: string;
  subject: string;
  reason: string | null;
  details: Record<string, unknown> | null;
}

export interface AuditLog {
  /** Records an action; pass the transaction of the change so both commit or neither does. */
  record(entry: AuditEntry, tx?: DbExecutor): Promise<void>;
  /** Newest first; `before` is the id of the last record of the previous page (keyset). */
  list(options: { limit: number; before?: string }): Promise<AuditRecord[]>;
  /** Every record about one subject, newest first (a member's warnings, a domain's history). */
  listFor(subjectKind: string, subject: string, limit: number): Promise<AuditRecord[]>;
}

export const AUDIT_PAGE_MAX = 200;
/** The longest reason a moderator may give. */
export const REASON_LIMIT = 1000;

/** A moderator's reason, trimmed (null when empty); too long is a 4xx saying the limit. */
export function moderationReason(reason: string | null | undefined): string | null {
  const text = reason?.trim() ?? "";
  if (text.length > REASON_LIMIT) {
    throw new DomainError("invalid", `A reason is at most ${REASON_LIMIT} characters.`, {
      field: "reason",
    });
  }
  return text || null;
}

export function createAuditLog(db: Db): AuditLog {
  const select = () =>
    db
      .select({ action: moderationActions, moderatorUsername: members.username })
      .from(moderationActions)
      .leftJoin(members, eq(members.id, moderationActions.moderatorId));
  const toRecord = (row: {
    action: typeof moderationActions.$inferSelect;
    moderatorUsername: string | null;
  }): AuditRecord => ({ ...row.action, moderatorUsername: row.moderatorUsername });
  const bounded = (limit: number) => Math.max(1, Math.min(AUDIT_PAGE_MAX, Math.trunc(limit) || 1));

  return {
    async record(entry, tx) {
      await (tx ?? db).insert(moderationActions).values({
        id: randomUUID(),
        moderatorId: entry.moderator.memberId,
        via: entry.moderator.via,
        action: entry.action,
        subjectKind: entry.subjectKind,
        subject: entry.subject,
        reason: entry.reason?.trim() || null,
        details: entry.details ?? null,
      });
    },

    async list({ limit, before }) {
      let cursor: { at: Date; id: string } | undefined;
      if (before !== undefined) {
        if (!isUuid(before)) return [];
        const [row] = await db
          .select({ at: moderationActions.at, id: moderationActions.id })
          .from(moderationActions)
          .where(eq(moderationActions.id, before));
        // An unknown cursor is an empty page, not the first one again.
        if (!row) return [];
        cursor = row;
      }
      const rows = await select()
        .where(
          cursor
            ? or(
                lt(moderationActions.at, cursor.at),
                and(eq(moderationActions.at, cursor.at), lt(moderationActions.id, cursor.id)),
              )
            : undefined,
        )
        .orderBy(desc(moderationActions.at), desc(moderationActions.id))
        .limit(bounded(limit));
      return rows.map(toRecord);
    },

    async listFor(subjectKind, subject, limit) {
      const rows = await select()
        .where(
          and(
            eq(moderationActions.subjectKind, subjectKind),
            eq(moderationActions.subject, subject),
          ),
        )
        .orderBy(desc(moderationActions.at), desc(moderationActions.id))
        .limit(bounded(limit));
      return rows.map(toRecord);
    },
  };
}
