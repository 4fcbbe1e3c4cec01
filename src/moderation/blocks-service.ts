import { randomUUID } from "node:crypto";
import { and, asc, eq } from "drizzle-orm";
import type { MembersService } from "../accounts/members-service.ts";
import type { ActorRow, ActorsRepository } from "../actors/actors-repository.ts";
import type { Db } from "../db/database.ts";
import { accountBlocks, accountMutes, actors, memberDomainBlocks } from "../db/schema.ts";
import type { FollowsService } from "../follows/follows-service.ts";
import type { Outbox } from "../outbox/outbox.ts";
import { DomainError } from "../shared/errors.ts";

/**
 * Blocks and mutes between people (the reads: src/moderation/relations.ts). A member blocks
 * or mutes an account, local or remote, or blocks a whole server for themself. Blocking
 * removes the follows both ways and, for a remote account, sends it a `Block` (an
 * `Undo(Block)` when lifted) through the outbox. A `Block` received from elsewhere against a
 * member is kept the same way (its sender is the blocker), so the same rules apply.
 */
export interface BlocksService {
  block(username: string, targetActorId: string): Promise<ActorRow>;
  unblock(username: string, targetActorId: string): Promise<ActorRow>;
  mute(username: string, targetActorId: string): Promise<ActorRow>;
  unmute(username: string, targetActorId: string): Promise<ActorRow>;
  blockDomain(username: string, domain: string): Promise<string>;
  unblockDomain(username: string, domain: string): Promise<string>;
  blocked(username: string): Promise<ActorRow[]>;
  muted(username: string): Promise<ActorRow[]>;
  blockedDomains(username: string): Promise<string[]>;
  /** A remote actor's `Block` of a member: follows both ways go, its content is no longer shown. */
  receiveBlock(input: {
    actorIri: string;
    username: string;
    activityIri: string;
  }): Promise<boolean>;
  /** Its `Undo(Block)`: only the blocker lifts its block. */
  receiveUndoBlock(input: { actorIri: string; activityIri: string }): Promise<boolean>;
}

/** A host as people type it: `Example.org`, `https://example.org/`, `@example.org`. */
export function normalizeDomain(input: string): string {
  const trimmed = input.trim().toLowerCase().replace(/^@/, "");
  const host = URL.parse(/^[a-z]+:\/\//.test(trimmed) ? trimmed : `https://${trimmed}`)?.host;
  if (!host || !/^[a-z0-9.-]+(:\d+)?$/.test(host) || host.length > 253) {
    throw new DomainError(
      "invalid",
      `"${input.slice(0, 100)}" is not a server's domain: give one such as example.org.`,
      { field: "domain" },
    );
  }
  return host;
}

export function createBlocksService(deps: {
  db: Db;
  members: Pick<MembersService, "requireByUsername">;
  actors: Pick<ActorsRepository, "findById" | "findByIri">;
  follows: Pick<FollowsService, "sever">;
  events: Pick<Outbox, "record" | "dispatch">;
  newActivityIri: (kind: string) => string;
  /** This instance's host: a member cannot block it as a domain. */
  localHost: string;
}): BlocksService {
  const { db, events } = deps;

  async function pair(username: string, targetActorId: string) {
    const { actor } = await deps.members.requireByUsername(username);
    const target = await deps.actors.findById(targetActorId);
    if (!target) throw new DomainError("not_found", `No account ${targetActorId} known here.`);
    if (target.id === actor.id) {
      throw new DomainError("invalid", "You cannot block or mute yourself.");
    }
    return { actor, target };
  }

  const isRemote = (target: ActorRow) => !target.memberId;

  return {
    async block(username, targetActorId) {
      const { actor, target } = await pair(username, targetActorId);
      const activityIri = deps.newActivityIri("block");
      const recorded = await db.transaction(async (tx) => {
        const inserted = await tx
          .insert(accountBlocks)
          .values({ id: randomUUID(), blockerId: actor.id, targetId: target.id, activityIri })
          .onConflictDoNothing()
          .returning({ id: accountBlocks.id });
        if (inserted.length === 0) return undefined;
        await deps.follows.sever(actor.id, { actorId: target.id }, tx);
        if (!isRemote(target)) return undefined;
        return events.record(tx, {
          type: "account.blocked",
          username: actor.username,
          targetIri: target.iri,
          activityIri,
        });
      });
      await events.dispatch(recorded);
      return target;
    },

    async unblock(username, targetActorId) {
      const { actor, target } = await pair(username, targetActorId);
      const recorded = await db.transaction(async (tx) => {
        const [removed] = await tx
          .delete(accountBlocks)
          .where(and(eq(accountBlocks.blockerId, actor.id), eq(accountBlocks.targetId, target.id)))
          .returning();
        if (!removed || !isRemote(target)) return undefined;
        return events.record(tx, {
          type: "account.unblocked",
          username: actor.username,
          targetIri: target.iri,
          activityIri: removed.activityIri,
          undoActivityIri: deps.newActivityIri("undo"),
        });
      });
      await events.dispatch(recorded);
      return target;
    },

    async mute(username, targetActorId) {
      const { actor, target } = await pair(username, targetActorId);
      await db
        .insert(accountMutes)
        .values({ id: randomUUID(), memberActorId: actor.id, targetId: target.id })
        .onConflictDoNothing();
      return target;
    },

    async unmute(username, targetActorId) {
      const { actor, target } = await pair(username, targetActorId);
      await db
        .delete(accountMutes)
        .where(and(eq(accountMutes.memberActorId, actor.id), eq(accountMutes.targetId, target.id)));
      return target;
    },

    async blockDomain(username, input) {
      const { actor } = await deps.members.requireByUsername(username);
      const domain = normalizeDomain(input);
      if (domain === deps.localHost) {
        throw new DomainError("invalid", "This is our own server: block its accounts one by one.", {
          field: "domain",
        });
      }
      await db.transaction(async (tx) => {
        await tx
          .insert(memberDomainBlocks)
          .values({ id: randomUUID(), memberActorId: actor.id, domain })
          .onConflictDoNothing();
        await deps.follows.sever(actor.id, { host: domain }, tx);
      });
      return domain;
    },

    async unblockDomain(username, input) {
      const { actor } = await deps.members.requireByUsername(username);
      const domain = normalizeDomain(input);
      await db
        .delete(memberDomainBlocks)
        .where(
          and(
            eq(memberDomainBlocks.memberActorId, actor.id),
            eq(memberDomainBlocks.domain, domain),
          ),
        );
      return domain;
    },

    async blocked(username) {
      const { actor } = await deps.members.requireByUsername(username);
      const rows = await db
        .select({ actor: actors })
        .from(accountBlocks)
        .innerJoin(actors, eq(actors.id, accountBlocks.targetId))
        .where(eq(accountBlocks.blockerId, actor.id))
        .orderBy(asc(accountBlocks.createdAt))
        .limit(1000);
      return rows.map((r) => r.actor);
    },

    async muted(username) {
      const { actor } = await deps.members.requireByUsername(username);
      const rows = await db
        .select({ actor: actors })
        .from(accountMutes)
        .innerJoin(actors, eq(actors.id, accountMutes.targetId))
        .where(eq(accountMutes.memberActorId, actor.id))
        .orderBy(asc(accountMutes.createdAt))
        .limit(1000);
      return rows.map((r) => r.actor);
    },

    async blockedDomains(username) {
      const { actor } = await deps.members.requireByUsername(username);
      const rows = await db
        .select({ domain: memberDomainBlocks.domain })
        .from(memberDomainBlocks)
        .where(eq(memberDomainBlocks.memberActorId, actor.id))
        .orderBy(asc(memberDomainBlocks.domain))
        .limit(1000);
      return rows.map((r) => r.domain);
    },

    async receiveBlock({ actorIri, username, activityIri }) {
      const blocker = await deps.actors.findByIri(actorIri);
      const { actor } = await deps.members.requireByUsername(username);
      // An actor we never met has nothing of ours to stop: no row to keep.
      if (!blocker || blocker.memberId) return false;
      await db.transaction(async (tx) => {
        await tx
          .insert(accountBlocks)
          .values({ id: randomUUID(), blockerId: blocker.id, targetId: actor.id, activityIri })
          .onConflictDoNothing();
        await deps.follows.sever(actor.id, { actorId: blocker.id }, tx);
      });
      return true;
    },

    async receiveUndoBlock({ actorIri, activityIri }) {
      const blocker = await deps.actors.findByIri(actorIri);
      if (!blocker || blocker.memberId) return false;
      const removed = await db
        .delete(accountBlocks)
        .where(
          and(eq(accountBlocks.blockerId, blocker.id), eq(accountBlocks.activityIri, activityIri)),
        )
        .returning({ id: accountBlocks.id });
      return removed.length > 0;
    },
  };
}
