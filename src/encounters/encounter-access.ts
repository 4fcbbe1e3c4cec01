import { and, eq } from "drizzle-orm";
import type { ActorRow, ActorsRepository } from "../actors/actors-repository.ts";
import type { Db } from "../db/database.ts";
import { follows, members, VISIBILITIES } from "../db/schema.ts";
import { DomainError } from "../shared/errors.ts";
import type { EncountersRepository, EncounterView } from "./encounters-repository.ts";

/** What one member may read of encounters: their own, and others' by their visibility. */
export interface EncounterAccess {
  /** The encounter if this member may see it; 404 otherwise (never 403: its existence is private too). */
  visibleTo(username: string, id: string): Promise<EncounterView>;
  /** The member's own encounters, whatever their visibility, newest first. */
  listOwn(username: string, options: { limit: number; before?: Date }): Promise<EncounterView[]>;
}

/**
 * The visibility rules, as Mastodon applies them to a status: public and unlisted for
 * anyone, followers-only for accepted followers of the author, participants-only for
 * the people named. The author always sees their own.
 */
export function canSee(
  encounter: EncounterView,
  viewer: { actorId: string; followsAuthor: boolean },
): boolean {
  if (encounter.deletedAt) return false;
  if (encounter.authorId === viewer.actorId) return true;
  const named = encounter.participants.some((p) => p.actorId === viewer.actorId);
  switch (encounter.visibility) {
    case "public":
    case "unlisted":
      return true;
    case "followers":
      return viewer.followsAuthor || named;
    case "participants":
      return named;
    case "private":
      return false; // The author's tracker only.
  }
}

export function createEncounterAccess(deps: {
  db: Db;
  repository: EncountersRepository;
  actors: ActorsRepository;
}): EncounterAccess {
  const { db, repository } = deps;

  async function actorOf(username: string): Promise<ActorRow> {
    const [member] = await db.select().from(members).where(eq(members.username, username));
    const actor = member && (await deps.actors.findByMemberId(member.id));
    if (!actor) throw new DomainError("not_found", `No member named "${username}".`);
    return actor;
  }

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

  return {
    async visibleTo(username, id) {
      const actor = await actorOf(username);
      const encounter = await repository.findById(id);
      const followsAuthor =
        encounter?.visibility === "followers" && encounter.authorId !== actor.id
          ? await followsAccepted(actor.id, encounter.authorId)
          : false;
      if (!encounter || !canSee(encounter, { actorId: actor.id, followsAuthor })) {
        throw new DomainError("not_found", `No encounter ${id} that you can see.`);
      }
      return encounter;
    },

    async listOwn(username, { limit, before }) {
      const actor = await actorOf(username);
      return repository.listByAuthor(actor.id, { limit, before, visibilities: VISIBILITIES });
    },
  };
}
