import { and, asc, desc, eq, inArray, isNull, ne, or, sql } from "drizzle-orm";
import type { ActorRow } from "../actors/actors-repository.ts";
import type { Db } from "../db/database.ts";
import { actors, encounterParticipants, encounters, follows } from "../db/schema.ts";
import { publiclyListedAuthor } from "../moderation/policy.ts";
import { shownToMemberSql } from "../moderation/relations.ts";
import { isUuid } from "../shared/input.ts";

export type EncounterRow = typeof encounters.$inferSelect;
export type ParticipantRow = typeof encounterParticipants.$inferSelect;

export interface ParticipantView extends ParticipantRow {
  actor: ActorRow | null;
}

/** An encounter with its author and participants: what pages, APIs and mappers need. */
export interface EncounterView extends EncounterRow {
  author: ActorRow;
  participants: ParticipantView[];
}

export interface EncounterListOptions {
  limit: number;
  /** Only encounters published before this one (keyset paging). */
  before?: Date;
  /** Only encounters published after this one (an app asking for what is new). */
  after?: Date;
  visibilities: readonly EncounterRow["visibility"][];
  /** Only encounters carrying this keyword, compared case-insensitively (tag pages). */
  keyword?: string;
}

export interface EncountersRepository {
  findById(id: string): Promise<EncounterView | undefined>;
  findByIri(iri: string): Promise<EncounterView | undefined>;
  listByAuthor(authorId: string, options: EncounterListOptions): Promise<EncounterView[]>;
  /** Encounters where this actor is the author or a participant who co-signed. */
  listWitnessedBy(actorId: string, options: EncounterListOptions): Promise<EncounterView[]>;
  /**
   * The public listing: the #Socialdapres tag page and the public timelines. The moderation
   * rule lives here, once: no author of a limited or blocked domain, no silenced or suspended
   * account (src/moderation/policy.ts).
   */
  listAll(options: EncounterListOptions): Promise<EncounterView[]>;
  /**
   * A member's home: their own encounters (all of them), those of the actors they follow
   * (accepted) with one of `visibilities`, and those naming them that are not private —
   * unless they said they do not want to be in it (`hidden`); never from an account blocked
   * either way or muted (src/moderation/relations.ts).
   */
  listHome(actorId: string, options: EncounterListOptions): Promise<EncounterView[]>;
  countByAuthor(
    authorId: string,
    visibilities: readonly EncounterRow["visibility"][],
  ): Promise<number>;
  /** Encounters written here (not deleted) with one of these visibilities: NodeInfo's posts. */
  countLocal(visibilities: readonly EncounterRow["visibility"][]): Promise<number>;
}

export function createEncountersRepository(db: Db): EncountersRepository {
  async function hydrate(rows: EncounterRow[]): Promise<EncounterView[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const participantRows = await db
      .select({ participant: encounterParticipants, actor: actors })
      .from(encounterParticipants)
      .leftJoin(actors, eq(actors.id, encounterParticipants.actorId))
      .where(inArray(encounterParticipants.encounterId, ids))
      .orderBy(asc(encounterParticipants.position));
    const authorIds = [...new Set(rows.map((r) => r.authorId))];
    const authors = await db.select().from(actors).where(inArray(actors.id, authorIds));
    return rows.flatMap((row) => {
      const author = authors.find((a) => a.id === row.authorId);
      if (!author) return [];
      const participants = participantRows
        .filter((p) => p.participant.encounterId === row.id)
        .map((p) => ({ ...p.participant, actor: p.actor }));
      return [{ ...row, author, participants }];
    });
  }

  const listed = (options: EncounterListOptions) =>
    and(
      isNull(encounters.deletedAt),
      inArray(encounters.visibility, [...options.visibilities]),
      options.before ? sql`${encounters.publishedAt} < ${options.before.toISOString()}` : undefined,
      options.after ? sql`${encounters.publishedAt} > ${options.after.toISOString()}` : undefined,
      options.keyword
        ? sql`exists (select 1 from unnest(${encounters.keywords}) as k where lower(k) = lower(${options.keyword}))`
        : undefined,
    );

  return {
    async findById(id) {
      // Not found, rather than PostgreSQL's "invalid input syntax for type uuid".
      if (!isUuid(id)) return undefined;
      const rows = await db.select().from(encounters).where(eq(encounters.id, id));
      return (await hydrate(rows))[0];
    },
    async findByIri(iri) {
      const rows = await db.select().from(encounters).where(eq(encounters.iri, iri));
      return (await hydrate(rows))[0];
    },
    async listByAuthor(authorId, options) {
      const rows = await db
        .select()
        .from(encounters)
        .where(and(eq(encounters.authorId, authorId), listed(options)))
        .orderBy(desc(encounters.publishedAt))
        .limit(options.limit);
      return hydrate(rows);
    },
    async listWitnessedBy(actorId, options) {
      const cosigned = db
        .select({ id: encounterParticipants.encounterId })
        .from(encounterParticipants)
        .where(
          and(
            eq(encounterParticipants.actorId, actorId),
            eq(encounterParticipants.cosignState, "cosigned"),
            eq(encounterParticipants.hidden, false),
          ),
        );
      const rows = await db
        .select()
        .from(encounters)
        .where(
          and(
            sql`(${encounters.authorId} = ${actorId} or ${encounters.id} in ${cosigned})`,
            listed(options),
          ),
        )
        .orderBy(desc(encounters.publishedAt))
        .limit(options.limit);
      return hydrate(rows);
    },
    async listAll(options) {
      const rows = await db
        .select()
        .from(encounters)
        // Limited domains and silenced or suspended accounts stay off the public pages.
        .where(and(listed(options), publiclyListedAuthor(encounters.authorId)))
        .orderBy(desc(encounters.publishedAt))
        .limit(options.limit);
      return hydrate(rows);
    },
    async listHome(actorId, options) {
      const followed = db
        .select({ id: follows.followingId })
        .from(follows)
        .where(and(eq(follows.followerId, actorId), eq(follows.state, "accepted")));
      const naming = db
        .select({ id: encounterParticipants.encounterId })
        .from(encounterParticipants)
        .where(
          and(eq(encounterParticipants.actorId, actorId), eq(encounterParticipants.hidden, false)),
        );
      const rows = await db
        .select()
        .from(encounters)
        .where(
          and(
            isNull(encounters.deletedAt),
            // Nothing from those the member blocked or muted, or who blocked them.
            shownToMemberSql(actorId, encounters.authorId),
            options.before
              ? sql`${encounters.publishedAt} < ${options.before.toISOString()}`
              : undefined,
            options.after
              ? sql`${encounters.publishedAt} > ${options.after.toISOString()}`
              : undefined,
            or(
              eq(encounters.authorId, actorId),
              and(
                inArray(encounters.authorId, followed),
                inArray(encounters.visibility, [...options.visibilities]),
              ),
              and(inArray(encounters.id, naming), ne(encounters.visibility, "private")),
            ),
          ),
        )
        .orderBy(desc(encounters.publishedAt))
        .limit(options.limit);
      return hydrate(rows);
    },
    async countByAuthor(authorId, visibilities) {
      const [row] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(encounters)
        .where(
          and(
            eq(encounters.authorId, authorId),
            isNull(encounters.deletedAt),
            inArray(encounters.visibility, [...visibilities]),
          ),
        );
      return row?.n ?? 0;
    },
    async countLocal(visibilities) {
      const [row] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(encounters)
        .where(
          and(
            eq(encounters.isLocal, true),
            isNull(encounters.deletedAt),
            inArray(encounters.visibility, [...visibilities]),
          ),
        );
      return row?.n ?? 0;
    },
  };
}
