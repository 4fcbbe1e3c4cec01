import { and, asc, eq, inArray, isNull, sql } from "drizzle-orm";
import type { ActorRow } from "../actors/actors-repository.ts";
import type { Db } from "../db/database.ts";
import { actors, encounterReplies, follows, type Visibility } from "../db/schema.ts";
import { isUuid } from "../shared/input.ts";

export type ReplyRow = typeof encounterReplies.$inferSelect;

/** A reply with its author: what pages, APIs and mappers need. */
export interface ReplyView extends ReplyRow {
  author: ActorRow;
}

/** The most replies of one encounter that are read to decide who sees which. */
export const THREAD_MAX = 5_000;

/** Reads of `encounter_replies`; its only writer is the replies service. */
export interface RepliesRepository {
  findById(id: string): Promise<ReplyView | undefined>;
  /** Replies by id, in no particular order; unknown ids are left out. */
  findByIds(ids: readonly string[]): Promise<ReplyView[]>;
  findByIri(iri: string): Promise<ReplyView | undefined>;
  /** The replies of an encounter still there (not deleted), oldest first. */
  listByEncounter(encounterId: string): Promise<ReplyView[]>;
  /** The same for a page of encounters at once (one query, THREAD_MAX each at most). */
  listByEncounters(encounterIds: readonly string[]): Promise<ReplyView[]>;
  /** For each encounter, how many of its replies are of these visibilities (deleted ones aside). */
  countByEncounter(
    encounterIds: readonly string[],
    visibilities: readonly Visibility[],
  ): Promise<Map<string, number>>;
  /** Which of these actors the reader follows, and was accepted by. */
  followedBy(readerId: string, actorIds: readonly string[]): Promise<Set<string>>;
}

export function createRepliesRepository(db: Db): RepliesRepository {
  async function hydrate(rows: ReplyRow[]): Promise<ReplyView[]> {
    if (rows.length === 0) return [];
    const authorIds = [...new Set(rows.map((r) => r.authorId))];
    const authors = await db.select().from(actors).where(inArray(actors.id, authorIds));
    const byId = new Map(authors.map((a) => [a.id, a]));
    return rows.flatMap((row) => {
      const author = byId.get(row.authorId);
      return author ? [{ ...row, author }] : [];
    });
  }

  return {
    async findById(id) {
      if (!isUuid(id)) return undefined;
      const rows = await db.select().from(encounterReplies).where(eq(encounterReplies.id, id));
      return (await hydrate(rows))[0];
    },

    async findByIds(ids) {
      const valid = [...new Set(ids.filter(isUuid))];
      if (valid.length === 0) return [];
      return hydrate(
        await db.select().from(encounterReplies).where(inArray(encounterReplies.id, valid)),
      );
    },

    async findByIri(iri) {
      const rows = await db.select().from(encounterReplies).where(eq(encounterReplies.iri, iri));
      return (await hydrate(rows))[0];
    },

    async listByEncounters(encounterIds) {
      if (encounterIds.length === 0) return [];
      const rows = await db
        .select()
        .from(encounterReplies)
        .where(
          and(
            inArray(encounterReplies.encounterId, [...encounterIds]),
            isNull(encounterReplies.deletedAt),
          ),
        )
        .orderBy(asc(encounterReplies.publishedAt), asc(encounterReplies.id))
        .limit(THREAD_MAX * encounterIds.length);
      return hydrate(rows);
    },

    async listByEncounter(encounterId) {
      const rows = await db
        .select()
        .from(encounterReplies)
        .where(
          and(eq(encounterReplies.encounterId, encounterId), isNull(encounterReplies.deletedAt)),
        )
        .orderBy(asc(encounterReplies.publishedAt), asc(encounterReplies.id))
        .limit(THREAD_MAX);
      return hydrate(rows);
    },

    async countByEncounter(encounterIds, visibilities) {
      const counts = new Map(encounterIds.map((id) => [id, 0]));
      if (encounterIds.length === 0) return counts;
      const rows = await db
        .select({ id: encounterReplies.encounterId, n: sql<number>`count(*)::int` })
        .from(encounterReplies)
        .where(
          and(
            inArray(encounterReplies.encounterId, [...encounterIds]),
            inArray(encounterReplies.visibility, [...visibilities]),
            isNull(encounterReplies.deletedAt),
          ),
        )
        .groupBy(encounterReplies.encounterId);
      for (const row of rows) counts.set(row.id, row.n);
      return counts;
    },

    async followedBy(readerId, actorIds) {
      if (actorIds.length === 0) return new Set();
      const rows = await db
        .select({ id: follows.followingId })
        .from(follows)
        .where(
          and(
            eq(follows.followerId, readerId),
            inArray(follows.followingId, [...actorIds]),
            eq(follows.state, "accepted"),
          ),
        );
      return new Set(rows.map((r) => r.id));
    },
  };
}
