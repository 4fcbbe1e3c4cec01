import { and, eq, sql } from "drizzle-orm";
import type { MembersService } from "../accounts/members-service.ts";
import type { ActorsRepository } from "../actors/actors-repository.ts";
import type { Db } from "../db/database.ts";
import type { Keyset } from "../db/keyset.ts";
import { actors, follows, VISIBILITIES } from "../db/schema.ts";
import { DomainError } from "../shared/errors.ts";
import type { EncountersRepository, EncounterView } from "./encounters-repository.ts";
import { ANYONE, mayRead, type Reader } from "./visibility.ts";

/** What an actor may read of encounters, by the one rule of src/encounters/visibility.ts. */
export interface EncounterAccess {
  /** The encounter if this member may see it; 404 otherwise (never 403: its existence is private too). */
  visibleTo(username: string, id: string): Promise<EncounterView>;
  /**
   * Whether the actor with this IRI (a member here, or a remote actor) may read it.
   * `instanceActor`: the actor is a server's own (an `Application`, whose signature speaks
   * for the server), which may read what the server's followers of the author may.
   */
  mayActorRead(
    encounter: EncounterView,
    actorIri: string,
    options?: { instanceActor?: boolean },
  ): Promise<boolean>;
  /** The member's own encounters, whatever their visibility, newest first. */
  listOwn(username: string, options: { limit: number; before?: Keyset }): Promise<EncounterView[]>;
  /**
   * A member's home timeline, newest first: their own encounters, those of the actors they
   * follow (accepted) that followers may read, and those naming them (not private). The one
   * rule for every home: the web page, the Mastodon API's timeline and its stream.
   */
  home(actorId: string, options: HomeOptions): Promise<EncounterView[]>;
}

export interface HomeOptions {
  limit: number;
  /** Only encounters before this key (keyset paging, src/db/keyset.ts). */
  before?: Keyset;
  /** Only encounters after this key (an app asking for what is new). */
  after?: Keyset;
}

/** What a follower reads of those they follow, in their home. */
const HOME_VISIBILITIES = ["public", "unlisted", "followers"] as const;

export function createEncounterAccess(deps: {
  db: Db;
  members: Pick<MembersService, "requireByUsername">;
  repository: EncountersRepository;
  actors: ActorsRepository;
}): EncounterAccess {
  const { db, repository } = deps;

  async function followsAccepted(followerId: string, followingId: string): Promise<boolean> {
    const [row] = await db
      .select({ id: follows.id })
      .from(follows)
      .where(
        and(
          eq(follows.followerId, followerId),
          eq(follows.followingId, followingId),
          eq(follows.state, "accepted"),
        ),
      );
    return row !== undefined;
  }

  /** Whether an accepted follower of the author has its actor on the server at `origin`. */
  async function serverFollows(origin: string, followingId: string): Promise<boolean> {
    const prefix = `${origin}/`;
    const [row] = await db
      .select({ id: follows.id })
      .from(follows)
      .innerJoin(actors, eq(actors.id, follows.followerId))
      .where(
        and(
          eq(follows.followingId, followingId),
          eq(follows.state, "accepted"),
          sql`left(${actors.iri}, ${prefix.length}) = ${prefix}`,
        ),
      )
      .limit(1);
    return row !== undefined;
  }

  /** A server speaking as itself: what the rule needs to know of it. */
  async function serverReader(encounter: EncounterView, actorIri: string): Promise<Reader> {
    const origin = URL.parse(actorIri)?.origin;
    const asks = encounter.visibility === "followers" && origin !== undefined && origin !== "null";
    return {
      ...ANYONE,
      hostsFollowerOfAuthor: asks ? await serverFollows(origin, encounter.authorId) : false,
    };
  }

  /** What the rule needs to know of an actor, asking about the follow only when it matters. */
  async function readerOf(encounter: EncounterView, actorId: string | undefined): Promise<Reader> {
    if (!actorId) return ANYONE;
    const isAuthor = encounter.authorId === actorId;
    return {
      isAuthor,
      isNamed: encounter.participants.some((p) => p.actorId === actorId),
      followsAuthor:
        encounter.visibility === "followers" && !isAuthor
          ? await followsAccepted(actorId, encounter.authorId)
          : false,
    };
  }

  return {
    async visibleTo(username, id) {
      const { actor } = await deps.members.requireByUsername(username);
      const encounter = await repository.findById(id);
      if (!encounter || !mayRead(encounter, await readerOf(encounter, actor.id))) {
        throw new DomainError("not_found", `No encounter ${id} that you can see.`);
      }
      return encounter;
    },

    async mayActorRead(encounter, actorIri, options = {}) {
      const actor = await deps.actors.findByIri(actorIri);
      // A member's actor is never a remote server's: it reads as itself.
      if (options.instanceActor && !actor?.memberId) {
        return mayRead(encounter, await serverReader(encounter, actorIri));
      }
      return mayRead(encounter, await readerOf(encounter, actor?.id));
    },

    async listOwn(username, { limit, before }) {
      const { actor } = await deps.members.requireByUsername(username);
      return repository.listByAuthor(actor.id, { limit, before, visibilities: VISIBILITIES });
    },

    home(actorId, options) {
      return repository.listHome(actorId, { ...options, visibilities: HOME_VISIBILITIES });
    },
  };
}
