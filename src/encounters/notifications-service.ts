import { randomUUID } from "node:crypto";
import { and, desc, eq, inArray, isNull, type SQL, sql } from "drizzle-orm";
import type { MembersService } from "../accounts/members-service.ts";
import type { ActorRow } from "../actors/actors-repository.ts";
import type { Db, DbExecutor } from "../db/database.ts";
import { type Keyset, newerThan, olderThan } from "../db/keyset.ts";
import {
  actors,
  encounterReplies,
  encounters,
  type NotificationKind,
  notifications,
} from "../db/schema.ts";
import { audienceSql, type Relations, shownToMemberSql } from "../moderation/relations.ts";
import { DomainError } from "../shared/errors.ts";
import { isUuid } from "../shared/input.ts";
import type { EncountersRepository, EncounterView } from "./encounters-repository.ts";
import type { RepliesRepository, ReplyView } from "./replies-repository.ts";

export type NotificationRow = typeof notifications.$inferSelect;

/** How far unread notifications are counted: the badge says "99+" from there on. */
export const UNREAD_COUNT_CAP = 100;

/** A notification with the encounter it is about (null once that encounter is gone). */
export interface NotificationView extends NotificationRow {
  encounter: EncounterView | null;
  /** `mentioned`: who wrote the post (null for other kinds). */
  actor: ActorRow | null;
  /** The reply an `encounter_reply` notification tells of (null for other kinds, or once deleted). */
  reply: ReplyView | null;
}

/** A post from elsewhere that names members without being an encounter. */
export interface Mention {
  actorId: string;
  objectIri: string;
  objectUrl: string | null;
  /** Plain text. */
  excerpt: string;
}

/** How a member answers being named in encounters. */
export interface NamedSettings {
  autoCosignFromFollowed: boolean;
}

/**
 * In-app notifications ("you were named in an encounter") and the member's
 * settings about them. Plain TypeScript: routes, pages and the Mastodon API
 * all read notifications through here.
 */
export interface NotificationsService {
  /** Newest first; `before` pages by creation time. */
  list(
    username: string,
    options: {
      limit: number;
      /** Keyset paging on (created_at, id), newest first (src/db/keyset.ts). */
      before?: Keyset;
      after?: Keyset;
      unreadOnly?: boolean;
      /** Only these kinds (all of them without it). */
      kinds?: readonly NotificationKind[];
    },
  ): Promise<NotificationView[]>;
  /** Where the member's notification `id` stands in their list; undefined if not theirs. */
  keyOf(username: string, id: string): Promise<Required<Keyset> | undefined>;
  /** How many of the member's notifications are unread (the count in the pages' header). */
  /** Unread notifications, counted up to UNREAD_COUNT_CAP (the badge shows "99+" beyond). */
  unreadCount(memberId: string): Promise<number>;
  /** Marks one of the member's notifications read; 404 for anyone else's. */
  markRead(username: string, id: string): Promise<NotificationView>;
  /** Marks these notifications of the member read (others' ids change nothing); how many were unread. */
  markSeen(username: string, ids: readonly string[]): Promise<number>;
  /** Removes one of the member's notifications (an app's "dismiss"); 404 for anyone else's. */
  dismiss(username: string, id: string): Promise<void>;
  /** Removes all of the member's notifications (an app's "clear"). */
  clear(username: string): Promise<void>;
  settings(username: string): Promise<NamedSettings>;
  updateSettings(username: string, patch: Partial<NamedSettings>): Promise<NamedSettings>;

  // Writes: the only place notifications are created or removed. `executor` lets a service
  // write them inside its own transaction.
  /** Tells these members they were named in an encounter; twice is once. */
  notifyNamed(
    memberIds: readonly string[],
    encounterId: string,
    options?: {
      executor?: DbExecutor /** The encounter's author, when the caller knows it. */;
      authorId?: string;
    },
  ): Promise<void>;
  /**
   * notifyNamed's statement, for a writer that stores the encounter in the same statement (a
   * data-modifying CTE) and passes `onlyIf` so nobody is told of an encounter it did not store.
   */
  namedNotificationsSql(
    memberIds: readonly string[],
    encounterId: string,
    options?: { authorId?: string; onlyIf?: SQL },
  ): SQL;
  /** Tells these members a post from elsewhere names them; the same post twice is once. */
  notifyMentioned(memberIds: readonly string[], mention: Mention): Promise<void>;
  /** Tells these members of a reply under an encounter (theirs, or answering them); twice is once. */
  notifyReply(
    memberIds: readonly string[],
    reply: { id: string; encounterId: string },
    executor?: DbExecutor,
  ): Promise<void>;
  /** The weekly question, in the app. */
  notifyWeeklyQuestion(memberId: string, executor?: DbExecutor): Promise<void>;
  /** The member answered being named (co-signed or declined): that notification is read. */
  markEncounterRead(memberId: string, encounterId: string): Promise<void>;
  /** An encounter is gone: nobody is told of it any more. */
  forgetEncounter(encounterId: string, executor?: DbExecutor): Promise<void>;
  /** A reply is gone: nobody is told of it any more. */
  forgetReply(replyId: string, executor?: DbExecutor): Promise<void>;
}

/**
 * The insert that tells members they were named: who may hear from the author is read as the
 * notifications are written. `onlyIf` holds it back unless a condition holds (the encounter
 * was stored by the same statement).
 */
function namedNotificationsSql(
  named: readonly string[],
  encounterId: string,
  options: { authorId?: string; onlyIf?: SQL } = {},
): SQL {
  const author = options.authorId
    ? sql`${options.authorId}::uuid`
    : sql`(select ${encounters.authorId} from ${encounters} where ${encounters.id} = ${encounterId}::uuid)`;
  const kind: NotificationKind = "named_in_encounter";
  return sql`insert into ${notifications} (id, member_id, kind, encounter_id)
    select gen_random_uuid(), heard.member_id, ${kind}::text, ${encounterId}::uuid
    from (${audienceSql(named, author)}) as heard
    ${options.onlyIf ? sql`where ${options.onlyIf}` : sql``}
    on conflict do nothing`;
}

export function createNotificationsService(deps: {
  db: Db;
  members: Pick<MembersService, "requireByUsername" | "setAutoCosignFromFollowed">;
  repository: EncountersRepository;
  replies: Pick<RepliesRepository, "findByIds">;
  /** Nobody hears from an account they blocked or muted, or that blocked them. */
  relations: Pick<Relations, "audienceOf">;
  now?: () => Date;
}): NotificationsService {
  const { db, repository } = deps;

  /** Of these members, those who may hear from the author of this encounter or reply. */
  async function audience(
    memberIds: readonly string[],
    authorOf: { encounterId: string } | { replyId: string } | { actorId: string },
    executor: DbExecutor,
  ): Promise<string[]> {
    if (memberIds.length === 0) return [];
    let authorId: string | undefined;
    if ("actorId" in authorOf) authorId = authorOf.actorId;
    else if ("replyId" in authorOf) {
      [{ authorId } = { authorId: undefined }] = await executor
        .select({ authorId: encounterReplies.authorId })
        .from(encounterReplies)
        .where(eq(encounterReplies.id, authorOf.replyId));
    } else {
      [{ authorId } = { authorId: undefined }] = await executor
        .select({ authorId: encounters.authorId })
        .from(encounters)
        .where(eq(encounters.id, authorOf.encounterId));
    }
    return authorId ? deps.relations.audienceOf(memberIds, authorId, executor) : [];
  }
  const now = deps.now ?? (() => new Date());

  const memberOf = async (username: string) =>
    (await deps.members.requireByUsername(username)).member;

  /**
   * Nothing from an account the member blocked or muted, or that blocked them — whenever the
   * notification was made: unmuting shows it again. Its author: who wrote the mention, the
   * reply, or the encounter.
   */
  const shownTo = (memberId: string) =>
    shownToMemberSql(
      sql`(select id from actors where member_id = ${memberId})`,
      sql`coalesce(${notifications.actorId},
        (select r.author_id from encounter_replies r where r.id = ${notifications.replyId}),
        (select e.author_id from encounters e where e.id = ${notifications.encounterId}))`,
    );

  /**
   * A page of notifications with what they link to: one query per kind of linked row for the
   * whole page (encounters, actors, replies), never one per notification.
   */
  async function withLinked(rows: NotificationRow[]): Promise<NotificationView[]> {
    const ids = (key: "encounterId" | "actorId" | "replyId") =>
      rows.flatMap((r) => (r[key] ? [r[key]] : []));
    const actorIds = [...new Set(ids("actorId"))];
    const [encounterRows, actorRows, replyRows] = await Promise.all([
      repository.findByIds(ids("encounterId")),
      actorIds.length > 0 ? db.select().from(actors).where(inArray(actors.id, actorIds)) : [],
      deps.replies.findByIds(ids("replyId")),
    ]);
    // A deleted encounter (or reply) is a tombstone: nothing of it is worth showing.
    const shown = <T extends { id: string; deletedAt: Date | null }>(list: T[]) =>
      new Map(list.filter((x) => !x.deletedAt).map((x) => [x.id, x]));
    const encountersById = shown(encounterRows);
    const repliesById = shown(replyRows);
    const actorsById = new Map(actorRows.map((a) => [a.id, a]));
    return rows.map((row) => ({
      ...row,
      encounter: (row.encounterId && encountersById.get(row.encounterId)) || null,
      actor: (row.actorId && actorsById.get(row.actorId)) || null,
      reply: (row.replyId && repliesById.get(row.replyId)) || null,
    }));
  }
  const withEncounter = async (row: NotificationRow) =>
    (await withLinked([row]))[0] as NotificationView;

  return {
    async list(username, { limit, before, after, unreadOnly, kinds }) {
      const member = await memberOf(username);
      const rows = await db
        .select()
        .from(notifications)
        .where(
          and(
            eq(notifications.memberId, member.id),
            shownTo(member.id),
            unreadOnly ? isNull(notifications.readAt) : undefined,
            kinds ? inArray(notifications.kind, [...kinds]) : undefined,
            olderThan(notifications.createdAt, notifications.id, before),
            newerThan(notifications.createdAt, notifications.id, after),
          ),
        )
        .orderBy(desc(notifications.createdAt), desc(notifications.id))
        .limit(limit);
      return withLinked(rows);
    },

    async keyOf(username, id) {
      if (!isUuid(id)) return undefined;
      const member = await memberOf(username);
      const [row] = await db
        .select({ at: notifications.createdAt, id: notifications.id })
        .from(notifications)
        .where(and(eq(notifications.id, id), eq(notifications.memberId, member.id)));
      return row;
    },

    async unreadCount(memberId) {
      // Every member page shows it: a bounded count on notifications_unread_idx, never a scan
      // of all the member's notifications.
      const unread = db
        .select({ one: sql`1` })
        .from(notifications)
        .where(
          and(
            eq(notifications.memberId, memberId),
            isNull(notifications.readAt),
            shownTo(memberId),
          ),
        )
        .limit(UNREAD_COUNT_CAP)
        .as("unread");
      const [row] = await db.select({ count: sql<number>`count(*)::int` }).from(unread);
      return Number(row?.count ?? 0);
    },

    async dismiss(username, id) {
      const member = await memberOf(username);
      const removed = isUuid(id)
        ? await db
            .delete(notifications)
            .where(and(eq(notifications.id, id), eq(notifications.memberId, member.id)))
            .returning({ id: notifications.id })
        : [];
      if (removed.length === 0) {
        throw new DomainError("not_found", `No notification ${id} for ${member.username}.`);
      }
    },

    async clear(username) {
      const member = await memberOf(username);
      await db.delete(notifications).where(eq(notifications.memberId, member.id));
    },

    async markRead(username, id) {
      const member = await memberOf(username);
      const [row] = isUuid(id)
        ? await db
            .select()
            .from(notifications)
            .where(and(eq(notifications.id, id), eq(notifications.memberId, member.id)))
        : [];
      if (!row) throw new DomainError("not_found", `No notification ${id} for ${member.username}.`);
      if (row.readAt) return withEncounter(row);
      const [updated] = await db
        .update(notifications)
        .set({ readAt: now() })
        .where(eq(notifications.id, id))
        .returning();
      return withEncounter(updated ?? row);
    },

    async markSeen(username, ids) {
      const member = await memberOf(username);
      const valid = ids.filter(isUuid);
      if (valid.length === 0) return 0;
      const updated = await db
        .update(notifications)
        .set({ readAt: now() })
        .where(
          and(
            eq(notifications.memberId, member.id),
            inArray(notifications.id, valid),
            isNull(notifications.readAt),
          ),
        )
        .returning({ id: notifications.id });
      return updated.length;
    },

    async settings(username) {
      const member = await memberOf(username);
      return { autoCosignFromFollowed: member.autoCosignFromFollowed };
    },

    async updateSettings(username, patch) {
      const member = await memberOf(username);
      if (patch.autoCosignFromFollowed !== undefined) {
        await deps.members.setAutoCosignFromFollowed(member.id, patch.autoCosignFromFollowed);
      }
      return {
        autoCosignFromFollowed: patch.autoCosignFromFollowed ?? member.autoCosignFromFollowed,
      };
    },

    async notifyNamed(named, encounterId, { executor = db, authorId } = {}) {
      if (named.length === 0) return;
      await executor.execute(namedNotificationsSql(named, encounterId, { authorId }));
    },

    namedNotificationsSql,

    async notifyReply(told, reply, executor = db) {
      const memberIds = await audience(told, { replyId: reply.id }, executor);
      if (memberIds.length === 0) return;
      await executor
        .insert(notifications)
        .values(
          [...new Set(memberIds)].map((memberId) => ({
            id: randomUUID(),
            memberId,
            kind: "encounter_reply" as const,
            encounterId: reply.encounterId,
            replyId: reply.id,
          })),
        )
        .onConflictDoNothing();
    },

    async notifyMentioned(named, mention) {
      const memberIds = await audience(named, { actorId: mention.actorId }, db);
      if (memberIds.length === 0) return;
      await db
        .insert(notifications)
        .values(
          [...new Set(memberIds)].map((memberId) => ({
            id: randomUUID(),
            memberId,
            kind: "mentioned" as const,
            actorId: mention.actorId,
            objectIri: mention.objectIri,
            objectUrl: mention.objectUrl,
            excerpt: mention.excerpt,
          })),
        )
        .onConflictDoNothing();
    },

    async notifyWeeklyQuestion(memberId, executor = db) {
      await executor
        .insert(notifications)
        .values({ id: randomUUID(), memberId, kind: "weekly_question" });
    },

    async markEncounterRead(memberId, encounterId) {
      await db
        .update(notifications)
        .set({ readAt: now() })
        .where(
          and(
            eq(notifications.memberId, memberId),
            eq(notifications.encounterId, encounterId),
            // Replies under it are news of their own, read one by one.
            eq(notifications.kind, "named_in_encounter"),
          ),
        );
    },

    async forgetEncounter(encounterId, executor = db) {
      await executor.delete(notifications).where(eq(notifications.encounterId, encounterId));
    },

    async forgetReply(replyId, executor = db) {
      await executor.delete(notifications).where(eq(notifications.replyId, replyId));
    },
  };
}
