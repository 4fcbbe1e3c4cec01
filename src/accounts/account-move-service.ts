import { eq } from "drizzle-orm";
import type { ActorsRepository, RemoteActorRecord } from "../actors/actors-repository.ts";
import type { Db } from "../db/database.ts";
import { members } from "../db/schema.ts";
import type { Outbox } from "../outbox/outbox.ts";
import { DomainError } from "../shared/errors.ts";
import type { MembersService } from "./members-service.ts";

/** The most other accounts a member may name as theirs (Mastodon allows as many). */
export const MAX_ALIASES = 5;

/** A remote account as looked up just now, with the accounts it says are also its own. */
export type LookedUpAccount = RemoteActorRecord & { alsoKnownAs?: string[] };

export interface MoveStatus {
  alsoKnownAs: string[];
  movedTo: string | null;
  movedAt: Date | null;
}

export interface AccountMoveService {
  status(username: string): Promise<MoveStatus>;
  /**
   * Move in: the accounts (handles or URLs, at most 5) that may move to this member, each looked
   * up; published as the actor's `alsoKnownAs` (an `Update(Person)` tells the followers).
   */
  setAliases(username: string, queries: string[]): Promise<string[]>;
  /**
   * Move out: the target (looked up now, never taken on trust) must name the member in its
   * `alsoKnownAs`. Then the member's actor gets `movedTo` and their followers a `Move`.
   */
  moveTo(username: string, query: string): Promise<{ targetIri: string }>;
}

export function createAccountMoveService(deps: {
  db: Db;
  members: Pick<MembersService, "requireByUsername">;
  actors: Pick<ActorsRepository, "upsertRemote">;
  /** Looks an account up on its server, fresh (src/federation/remote-lookup.ts). */
  lookupAccount: (query: string) => Promise<LookedUpAccount>;
  events: Pick<Outbox, "record" | "dispatch">;
  newActivityIri: (kind: string) => string;
}): AccountMoveService {
  const { db, events } = deps;

  return {
    async status(username) {
      const { member } = await deps.members.requireByUsername(username);
      return {
        alsoKnownAs: member.alsoKnownAs,
        movedTo: member.movedTo,
        movedAt: member.movedAt,
      };
    },

    async setAliases(username, queries) {
      const { member, actor } = await deps.members.requireByUsername(username);
      const wanted = [...new Set(queries.map((q) => q.trim()).filter((q) => q !== ""))];
      if (wanted.length > MAX_ALIASES) {
        throw new DomainError("invalid", `At most ${MAX_ALIASES} other accounts: remove some.`, {
          field: "aliases",
        });
      }
      const iris: string[] = [];
      for (const query of wanted) {
        const found = await deps.lookupAccount(query).catch((error: Error) => {
          throw new DomainError("invalid", `${query}: ${error.message}`, { field: "aliases" });
        });
        if (found.iri === actor.iri) {
          throw new DomainError("invalid", "An account cannot be its own alias.", {
            field: "aliases",
          });
        }
        if (!iris.includes(found.iri)) iris.push(found.iri);
      }
      const recorded = await db.transaction(async (tx) => {
        await tx.update(members).set({ alsoKnownAs: iris }).where(eq(members.id, member.id));
        return events.record(tx, {
          type: "profile.updated",
          username: member.username,
          activityIri: deps.newActivityIri("update"),
        });
      });
      await events.dispatch(recorded);
      return iris;
    },

    async moveTo(username, query) {
      const { member, actor } = await deps.members.requireByUsername(username);
      const target = await deps.lookupAccount(query).catch((error: Error) => {
        throw new DomainError("invalid", `${query}: ${error.message}`, { field: "target" });
      });
      if (target.iri === actor.iri) {
        throw new DomainError("invalid", "An account cannot move to itself.", { field: "target" });
      }
      if (!(target.alsoKnownAs ?? []).includes(actor.iri)) {
        throw new DomainError(
          "invalid",
          `${query} does not name this account as its own: add this account (${actor.iri}) as an alias on the new server first, then try again.`,
          { field: "target" },
        );
      }
      await deps.actors.upsertRemote(target);
      const recorded = await db.transaction(async (tx) => {
        await tx
          .update(members)
          .set({ movedTo: target.iri, movedAt: new Date() })
          .where(eq(members.id, member.id));
        return events.record(tx, {
          type: "member.moved",
          username: member.username,
          targetIri: target.iri,
          activityIri: deps.newActivityIri("move"),
        });
      });
      await events.dispatch(recorded);
      return { targetIri: target.iri };
    },
  };
}
