import { and, asc, desc, eq, inArray, isNull, ne, type SQL, sql } from "drizzle-orm";
import type { ActorRow } from "../actors/actors-repository.ts";
import { actorCountsOf } from "../db/actor-counters.ts";
import type { Db } from "../db/database.ts";
import { type Keyset, newerThan, newestFirst, olderThan } from "../db/keyset.ts";
import {
  actors,
  encounterKeywords,
  encounterParticipants,
  encounters,
  follows,
} from "../db/schema.ts";
import { publiclyListedAuthor } from "../moderation/policy.ts";
import { shownToMemberSql } from "../moderation/relations.ts";
import { isUuid } from "../shared/input.ts";

export type EncounterRow = typeof encounters.$inferSelect;

/** Where a list of encounters stands: (published_at, id). */
export const encounterKey = (row: EncounterRow): Required<Keyset> => ({
  at: row.publishedAt,
  id: row.id,
});
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
  /**
   * Only encounters before this key in the order (published_at, id), newest first: keyset
   * paging (src/db/keyset.ts).
   */
  before?: Keyset;
  /** Only encounters after this key (an app asking for what is new). */
  after?: Keyset;
  visibilities: readonly EncounterRow["visibility"][];
}

export interface PublicListOptions extends EncounterListOptions {
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
  listAll(options: PublicListOptions): Promise<EncounterView[]>;
  /** Encounters by id, in no particular order; unknown ids are left out. */
  findByIds(ids: readonly string[]): Promise<EncounterView[]>;
  /**
   * A member's home: their own encounters (all of them), those of the actors they follow
   * (accepted) with one of `visibilities`, and those naming them that are not private —
   * unless they said they do not want to be in it (`hidden`); never from an account blocked
   * either way or muted (src/moderation/relations.ts).
   */
  listHome(actorId: string, options: EncounterListOptions): Promise<EncounterView[]>;
  /** This author's public and unlisted encounters, not deleted: kept in `actor_counters`. */
  countsByAuthor(authorId: string): Promise<{ public: number; unlisted: number }>;
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

  const newestFirstOrder = [desc(encounters.publishedAt), desc(encounters.id)];
  const page = (options: EncounterListOptions) =>
    and(
      olderThan(encounters.publishedAt, encounters.id, options.before),
      newerThan(encounters.publishedAt, encounters.id, options.after),
    );
  const shown = (options: EncounterListOptions) =>
    and(isNull(encounters.deletedAt), inArray(encounters.visibility, [...options.visibilities]));
  const listed = (options: EncounterListOptions) => and(shown(options), page(options));

  const select = (where: SQL | undefined, limit: number) =>
    db
      .select()
      .from(encounters)
      .where(where)
      .orderBy(...newestFirstOrder)
      .limit(limit);
  /** Encounters naming this actor as a participant, one keyset page. */
  const naming = async (actorId: string, where: SQL | undefined, limit: number) =>
    (
      await db
        .select({ encounter: encounters })
        .from(encounterParticipants)
        .innerJoin(encounters, eq(encounters.id, encounterParticipants.encounterId))
        .where(and(eq(encounterParticipants.actorId, actorId), where))
        .orderBy(...newestFirstOrder)
        .limit(limit)
    ).map((r) => r.encounter);

  /**
   * One keyset page of a keyword's encounters, walked on encounter_keywords_list_idx
   * (keyword, published_at, encounter_id): the same few rows read whether the keyword is in
   * every encounter or in one of 100,000, as `encounter_keywords` holds that keyword's rows
   * alone (kept by triggers, migration …_encounter_keywords_triggers.sql).
   */
  const carrying = async (
    options: PublicListOptions & { keyword: string },
    where: SQL | undefined,
  ) =>
    (
      await db
        .select({ encounter: encounters })
        .from(encounterKeywords)
        .innerJoin(encounters, eq(encounters.id, encounterKeywords.encounterId))
        .where(
          and(
            eq(encounterKeywords.keyword, sql`lower(${options.keyword})`),
            olderThan(encounterKeywords.publishedAt, encounterKeywords.encounterId, options.before),
            newerThan(encounterKeywords.publishedAt, encounterKeywords.encounterId, options.after),
            where,
          ),
        )
        .orderBy(desc(encounterKeywords.publishedAt), desc(encounterKeywords.encounterId))
        .limit(options.limit)
    ).map((r) => r.encounter);

  /**
   * One keyset page of the encounters (matching `where`) of the actors this member follows
   * (accepted), none blocked either way or muted. Two walks, each bounded whatever the mix of
   * authors: first the newest FOLLOWED_WINDOW encounters of the instance after the cursor
   * (encounters_published_idx), keeping the followed actors' — enough when they write a fair
   * part of what arrives; if that does not fill the page, one keyset page per followed actor
   * (encounters_author_idx, a lateral join), merged: its cost grows with the number of
   * actors followed, never with the number of encounters.
   */
  async function followedPage(actorId: string, where: SQL | undefined, limit: number) {
    const followedHere = and(
      eq(follows.followerId, actorId),
      eq(follows.state, "accepted"),
      shownToMemberSql(actorId, follows.followingId),
    );
    // The window, and how many rows it holds: fewer than FOLLOWED_WINDOW when it reached the
    // end of the list, and then what it kept is the whole answer.
    const recent = db.$with("recent").as(select(where, FOLLOWED_WINDOW));
    const inWindow = await db
      .with(recent)
      .select({
        ...recent._.selectedFields,
        windowSize: sql<number>`(select count(*) from recent)`.mapWith(Number),
      })
      .from(recent)
      .where(
        inArray(
          recent.authorId,
          db.select({ id: follows.followingId }).from(follows).where(followedHere),
        ),
      )
      .orderBy(desc(recent.publishedAt), desc(recent.id))
      .limit(limit);
    const whole = (inWindow[0]?.windowSize ?? FOLLOWED_WINDOW) < FOLLOWED_WINDOW;
    if (inWindow.length === limit || whole) return inWindow.map(({ windowSize, ...row }) => row);
    const ofAuthor = select(and(eq(encounters.authorId, follows.followingId), where), limit).as(
      "of_author",
    );
    const rows = await db
      .select()
      .from(follows)
      .innerJoinLateral(ofAuthor, sql`true`)
      .where(followedHere)
      .orderBy(desc(ofAuthor.publishedAt), desc(ofAuthor.id))
      .limit(limit);
    return rows.map((r) => r.of_author);
  }

  return {
    async findById(id) {
      // Not found, rather than PostgreSQL's "invalid input syntax for type uuid".
      if (!isUuid(id)) return undefined;
      const rows = await db.select().from(encounters).where(eq(encounters.id, id));
      return (await hydrate(rows))[0];
    },
    async findByIds(ids) {
      const valid = [...new Set(ids.filter(isUuid))];
      if (valid.length === 0) return [];
      return hydrate(await db.select().from(encounters).where(inArray(encounters.id, valid)));
    },
    async findByIri(iri) {
      const rows = await db.select().from(encounters).where(eq(encounters.iri, iri));
      return (await hydrate(rows))[0];
    },
    async listByAuthor(authorId, options) {
      return hydrate(
        await select(and(eq(encounters.authorId, authorId), listed(options)), options.limit),
      );
    },
    async listWitnessedBy(actorId, options) {
      // Two keyset pages, each on its own index, merged: never an OR that scans everything.
      // Not those the member said they do not want to be in (`hidden`).
      const [written, cosigned] = await Promise.all([
        select(and(eq(encounters.authorId, actorId), listed(options)), options.limit),
        naming(
          actorId,
          and(
            eq(encounterParticipants.cosignState, "cosigned"),
            eq(encounterParticipants.hidden, false),
            listed(options),
          ),
          options.limit,
        ),
      ]);
      return hydrate(mergePages([written, cosigned], options.limit));
    },
    async listAll(options) {
      // Limited domains and silenced or suspended accounts stay off the public pages.
      const publicly = and(shown(options), publiclyListedAuthor(encounters.authorId));
      const { keyword } = options;
      return hydrate(
        keyword
          ? await carrying({ ...options, keyword }, publicly)
          : await select(and(publicly, page(options)), options.limit),
      );
    },
    async listHome(actorId, options) {
      const live = and(isNull(encounters.deletedAt), page(options));
      // The member's own (all of them), the followed actors' (those visibilities), and those
      // naming the member (not private, not hidden by them): three keyset pages merged.
      // Nothing from those the member blocked or muted, or who blocked them: the rule is asked
      // of each source's authors — the member, each followed actor, each naming author — so
      // that it costs one test per author, not one per encounter walked, and its guessed
      // selectivity does not make the planner expect to read every encounter.
      const [own, ofFollowed, named] = await Promise.all([
        select(
          and(
            eq(encounters.authorId, actorId),
            live,
            shownToMemberSql(actorId, sql`${actorId}::uuid`),
          ),
          options.limit,
        ),
        followedPage(
          actorId,
          and(live, inArray(encounters.visibility, [...options.visibilities])),
          options.limit,
        ),
        naming(
          actorId,
          and(
            ne(encounters.visibility, "private"),
            eq(encounterParticipants.hidden, false),
            live,
            shownToMemberSql(actorId, encounters.authorId),
          ),
          options.limit,
        ),
      ]);
      return hydrate(mergePages([own, ofFollowed, named], options.limit));
    },
    async countsByAuthor(authorId) {
      const counts = await actorCountsOf(db, authorId);
      return { public: counts.publicEncountersCount, unlisted: counts.unlistedEncountersCount };
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

/**
 * How many of the instance's newest encounters the home timeline looks through for those of
 * the actors a member follows before asking each followed actor for its own page.
 */
const FOLLOWED_WINDOW = 1_000;

/** Several pages in the same order, merged: the first `limit` distinct rows. */
function mergePages(pages: EncounterRow[][], limit: number): EncounterRow[] {
  const seen = new Set<string>();
  return pages
    .flat()
    .sort((a, b) => newestFirst(encounterKey(a), encounterKey(b)))
    .filter((row) => !seen.has(row.id) && seen.add(row.id))
    .slice(0, limit);
}
