import { type SQL, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import { type Db, type DbExecutor, rowsOf } from "../db/database.ts";

/*
 * The one home of "may A and B interact": blocks (an account, either way, or a member's block
 * of a whole server) and mutes. Follows (src/follows/), naming and notifications
 * (src/encounters/) and the home timeline (encounters-repository.ts) all ask here; the
 * writes are BlocksService's (src/moderation/blocks-service.ts).
 */

/** True when `a` blocks `b` or `b` blocks `a`: by account, or by a member's block of the other's server. */
const blockedEitherWaySql = (a: SQL | AnyPgColumn, b: SQL | AnyPgColumn) => sql`(
  exists (select 1 from account_blocks ab
          where (ab.blocker_id = ${a} and ab.target_id = ${b})
             or (ab.blocker_id = ${b} and ab.target_id = ${a}))
  or exists (select 1 from member_domain_blocks mdb join actors x on x.id = ${b}
             where mdb.member_actor_id = ${a} and mdb.domain = x.host)
  or exists (select 1 from member_domain_blocks mdb join actors x on x.id = ${a}
             where mdb.member_actor_id = ${b} and mdb.domain = x.host))`;

/**
 * True when the actor (its id and host) is in any block: blocking or blocked by an account, or
 * its server blocked by a member. False means `blockedEitherWaySql(actor, anyone)` is false
 * (each of its three ways needs one of these rows), which lets `namable` skip its statement.
 */
export const inAnyBlockSql = (actorId: SQL, host: SQL) => sql`(
  exists (select 1 from account_blocks ab where ab.blocker_id = ${actorId} or ab.target_id = ${actorId})
  or exists (select 1 from member_domain_blocks mdb where mdb.domain = ${host})
  or exists (select 1 from member_domain_blocks mdb where mdb.member_actor_id = ${actorId}))`;

/** True when the member (actor `viewer`) muted `other`. */
const mutedSql = (viewer: SQL | AnyPgColumn, other: SQL | AnyPgColumn) =>
  sql`exists (select 1 from account_mutes am where am.member_actor_id = ${viewer} and am.target_id = ${other})`;

/**
 * A condition on a query over encounters (or anything with an author): the author is neither
 * blocked either way nor muted by the member whose actor is `viewerActorId`. What a member's
 * home and notifications leave out (an author that is null, as the weekly question's, passes).
 */
export function shownToMemberSql(viewerActorId: string | SQL, author: AnyPgColumn | SQL): SQL {
  const viewer = typeof viewerActorId === "string" ? sql`${viewerActorId}::uuid` : viewerActorId;
  return sql`not ${blockedEitherWaySql(viewer, author)} and not ${mutedSql(viewer, author)}`;
}

/**
 * Of these members (member ids), a query of the `member_id`s who may hear from the actor
 * `from` (an SQL expression): none who blocked or muted it, or whom it blocked; nobody when
 * `from` is null. Notifications go only to them; an insert may select from it directly.
 */
export function audienceSql(memberIds: readonly string[], from: SQL): SQL {
  const unique = [...new Set(memberIds)];
  // `in ()` is not SQL: nobody named, nobody to tell.
  if (unique.length === 0) return sql`select null::uuid as member_id where false`;
  return sql`select a.member_id from actors a
    where a.member_id in (${sql.join(
      unique.map((m) => sql`${m}::uuid`),
      sql`, `,
    )})
      and ${from} is not null
      and not ${blockedEitherWaySql(sql`a.id`, from)}
      and not ${mutedSql(sql`a.id`, from)}`;
}

export interface Relations {
  /** Whether either actor blocks the other (account or server): no follow, no naming. */
  blockedEitherWay(aActorId: string, bActorId: string, executor?: DbExecutor): Promise<boolean>;
  /**
   * Of these members (member ids), those who may hear from the actor `fromActorId`: none who
   * blocked or muted it, or whom it blocked. Notifications go only to them.
   */
  audienceOf(
    memberIds: readonly string[],
    fromActorId: string,
    executor?: DbExecutor,
  ): Promise<string[]>;
  /**
   * The participants an author may name: none blocked by them or blocking them, either way
   * (they are neither participants nor notified). Plain names stay. One statement, none when
   * the caller read that the author is in no block at all (`inAnyBlockSql` false).
   */
  namable<T extends { actor: { id: string } | null }>(
    authorId: string,
    participants: T[],
    authorInAnyBlock?: boolean,
  ): Promise<T[]>;
  /** What the member (actor) decided about `other`: for the Mastodon relationship and pages. */
  between(
    memberActorId: string,
    otherActorId: string,
  ): Promise<{ blocking: boolean; blockedBy: boolean; muting: boolean; domainBlocking: boolean }>;
}

export function createRelations(db: Db): Relations {
  const id = (value: string) => sql`${value}::uuid`;
  const relations: Relations = {
    async blockedEitherWay(a, b, executor = db) {
      const rows = await executor.execute(
        sql`select ${blockedEitherWaySql(id(a), id(b))} as blocked`,
      );
      return rowsOf<{ blocked: boolean }>(rows)[0]?.blocked === true;
    },

    async namable(authorId, participants, authorInAnyBlock) {
      const ids = [...new Set(participants.flatMap((p) => (p.actor ? [p.actor.id] : [])))];
      if (ids.length === 0 || authorInAnyBlock === false) return participants;
      const rows = await db.execute(
        sql`select p.id from (values ${sql.join(
          ids.map((actorId) => sql`(${id(actorId)})`),
          sql`, `,
        )}) as p (id) where ${blockedEitherWaySql(id(authorId), sql`p.id`)}`,
      );
      const blocked = new Set(rowsOf<{ id: string }>(rows).map((row) => row.id));
      return participants.filter((p) => !p.actor || !blocked.has(p.actor.id));
    },

    async audienceOf(memberIds, fromActorId, executor = db) {
      if (memberIds.length === 0) return [];
      const rows = await executor.execute(audienceSql(memberIds, id(fromActorId)));
      return rowsOf<{ member_id: string }>(rows).map((r) => r.member_id);
    },

    async between(member, other) {
      const rows = await db.execute(sql`select
        exists (select 1 from account_blocks where blocker_id = ${id(member)} and target_id = ${id(other)}) as blocking,
        exists (select 1 from account_blocks where blocker_id = ${id(other)} and target_id = ${id(member)}) as blocked_by,
        ${mutedSql(id(member), id(other))} as muting,
        exists (select 1 from member_domain_blocks mdb join actors x on x.id = ${id(other)}
                where mdb.member_actor_id = ${id(member)} and mdb.domain = x.host) as domain_blocking`);
      const row = rowsOf<{
        blocking: boolean;
        blocked_by: boolean;
        muting: boolean;
        domain_blocking: boolean;
      }>(rows)[0];
      return {
        blocking: row?.blocking === true,
        blockedBy: row?.blocked_by === true,
        muting: row?.muting === true,
        domainBlocking: row?.domain_blocking === true,
      };
    },
  };
  return relations;
}
