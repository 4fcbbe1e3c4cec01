import { randomUUID } from "node:crypto";
import { and, asc, desc, eq, sql } from "drizzle-orm";
import type { MembersService } from "../accounts/members-service.ts";
import {
  type ActorRow,
  type ActorsRepository,
  actorRowToRecord,
  type RemoteActorRecord,
} from "../actors/actors-repository.ts";
import { actorCountsOf } from "../db/actor-counters.ts";
import type { Db, DbExecutor } from "../db/database.ts";
import { type Keyset, newerThan, olderThan } from "../db/keyset.ts";
import { actors, follows } from "../db/schema.ts";
import type { Relations } from "../moderation/relations.ts";
import type { Outbox } from "../outbox/outbox.ts";
import { DomainError } from "../shared/errors.ts";
import type { DomainEvent } from "../shared/events.ts";
import { isUuid } from "../shared/input.ts";

export type FollowState = "pending" | "accepted";

/**
 * A keyset page of followers or following, newest follow first (src/db/keyset.ts): `next` is
 * where the following page starts (none on the last), `first` and `last` the keys of its
 * newest and oldest items (Mastodon's `prev` and `next` links). A key is the follow's
 * (created_at, id).
 */
export interface FollowPage {
  items: ActorRow[];
  next: Required<Keyset> | undefined;
  first: Required<Keyset> | undefined;
  last: Required<Keyset> | undefined;
}

export interface FollowPageOptions {
  limit: number;
  /** Follows older than this one (the next page). */
  before?: Keyset;
  /** Follows newer than this one (Mastodon's `min_id` / `since_id`). */
  after?: Keyset;
}

export interface FollowsService {
  /** An incoming Follow of a member; answered at once unless the member approves followers by hand. */
  receiveFollow(input: {
    follower: RemoteActorRecord;
    username: string;
    activityIri: string;
  }): Promise<FollowState | "rejected">;
  receiveUndoFollow(input: { followerIri: string; username: string }): Promise<boolean>;
  /** The remote side accepted or rejected one of our members' follows. */
  receiveAnswer(input: {
    targetIri: string;
    /** The id of our Follow, when the answer names it. */
    followActivityIri?: string;
    /** Our member who followed, when the answer embeds our Follow. */
    followerUsername?: string;
    accepted: boolean;
  }): Promise<boolean>;
  approveFollower(username: string, followerIri: string): Promise<void>;
  rejectFollower(username: string, followerIri: string): Promise<void>;
  follow(username: string, target: RemoteActorRecord): Promise<{ activityIri: string }>;
  /** Follows the actor at this IRI: one we know, or one looked up on its server. */
  followIri(username: string, iri: string): Promise<{ activityIri: string }>;
  unfollow(username: string, targetIri: string): Promise<void>;
  /** A remote actor was deleted: forget it and every follow it had. */
  forgetActor(iri: string): Promise<boolean>;
  followers(username: string, page: FollowPageOptions): Promise<FollowPage>;
  following(username: string, page: FollowPageOptions): Promise<FollowPage>;
  /** Accepted followers and following, from `actor_counters` (never a count of rows). */
  counts(username: string): Promise<{ followers: number; following: number }>;
  /** The key of a follow by its id, for a page that starts after it; undefined if unknown. */
  keyOf(followId: string): Promise<Required<Keyset> | undefined>;
  pendingFollowers(username: string): Promise<ActorRow[]>;
  /** The follow's state from `followerIri` to the member, if any. */
  followState(followerIri: string, username: string): Promise<FollowState | undefined>;
  /** The follow's state between two actors (by their row ids), local or remote, if any. */
  stateBetween(followerId: string, followingId: string): Promise<FollowState | undefined>;
  /**
   * A block between two actors: their follows, both ways, are gone (the `Block` sent or
   * received tells the other server to do the same). `host`: every actor of that server.
   */
  sever(
    actorId: string,
    other: { actorId: string } | { host: string },
    executor?: DbExecutor,
  ): Promise<void>;
}

export function createFollowsService(deps: {
  db: Db;
  members: Pick<MembersService, "requireByUsername">;
  actors: ActorsRepository;
  /** Each event is recorded in the transaction of the change it reports. */
  events: Pick<Outbox, "record" | "dispatch">;
  newActivityIri: (kind: string) => string;
  /** Finds an actor on its server (src/federation/remote-lookup.ts). */
  lookupActor: (iri: string) => Promise<RemoteActorRecord>;
  /** Blocks, either way: no follow between those (src/moderation/relations.ts). */
  relations: Pick<Relations, "blockedEitherWay">;
  /**
   * Whether a follower's Follow waits for the member's approval whatever the member chose: a
   * limited domain or a silenced account (src/moderation/policy.ts).
   */
  mustApprove?: (followerIri: string) => Promise<boolean>;
}): FollowsService {
  const { db, events } = deps;

  const memberActor = async (username: string): Promise<ActorRow> =>
    (await deps.members.requireByUsername(username)).actor;

  async function findFollow(followerId: string, followingId: string) {
    const [row] = await db
      .select()
      .from(follows)
      .where(and(eq(follows.followerId, followerId), eq(follows.followingId, followingId)));
    return row;
  }

  async function settleFollower(username: string, followerIri: string, accept: boolean) {
    const member = await memberActor(username);
    const follower = await deps.actors.findByIri(followerIri);
    const follow = follower && (await findFollow(follower.id, member.id));
    if (!follower || !follow) {
      throw new DomainError("not_found", `${followerIri} has not asked to follow ${username}.`);
    }
    const recorded = await db.transaction(async (tx) => {
      if (accept) {
        await tx
          .update(follows)
          .set({ state: "accepted", acceptedAt: new Date() })
          .where(eq(follows.id, follow.id));
      } else {
        await tx.delete(follows).where(eq(follows.id, follow.id));
      }
      return events.record(tx, {
        type: accept ? "follower.accepted" : "follower.rejected",
        username: member.username,
        followerIri,
        followActivityIri: follow.activityIri,
        activityIri: deps.newActivityIri(accept ? "accept" : "reject"),
      });
    });
    await events.dispatch(recorded);
  }

  async function listActors(
    username: string,
    side: "followers" | "following",
    page: FollowPageOptions,
  ): Promise<FollowPage> {
    const member = await memberActor(username);
    // Followers are the actors on the follower side of follows pointing at the member.
    const [mine, other] =
      side === "followers"
        ? [follows.followingId, follows.followerId]
        : [follows.followerId, follows.followingId];
    // On follows_following_idx / follows_follower_idx: (mine, state, created_at, id).
    const rows = await db
      .select({ actor: actors, at: follows.createdAt, id: follows.id })
      .from(follows)
      .innerJoin(actors, eq(actors.id, other))
      .where(
        and(
          eq(mine, member.id),
          eq(follows.state, "accepted"),
          olderThan(follows.createdAt, follows.id, page.before),
          newerThan(follows.createdAt, follows.id, page.after),
        ),
      )
      .orderBy(desc(follows.createdAt), desc(follows.id))
      .limit(page.limit + 1);
    const shown = rows.slice(0, page.limit);
    const keyOfRow = (row: (typeof rows)[number] | undefined) =>
      row ? { at: row.at, id: row.id } : undefined;
    return {
      items: shown.map((r) => r.actor),
      next: rows.length > page.limit ? keyOfRow(shown.at(-1)) : undefined,
      first: keyOfRow(shown[0]),
      last: keyOfRow(shown.at(-1)),
    };
  }

  const service: FollowsService = {
    async stateBetween(followerId, followingId) {
      const [row] = await db
        .select({ state: follows.state })
        .from(follows)
        .where(and(eq(follows.followerId, followerId), eq(follows.followingId, followingId)));
      return row?.state;
    },

    async receiveFollow({ follower, username, activityIri }) {
      const member = await memberActor(username);
      const followerRow = await deps.actors.upsertRemote(follower);
      if (await deps.relations.blockedEitherWay(member.id, followerRow.id)) {
        // A blocked account does not follow: its Follow is answered with a Reject.
        await events.dispatch(
          await events.record(db, {
            type: "follower.rejected",
            username: member.username,
            followerIri: followerRow.iri,
            followActivityIri: activityIri,
            activityIri: deps.newActivityIri("reject"),
          }),
        );
        return "rejected";
      }
      const existing = await findFollow(followerRow.id, member.id);
      const state: FollowState =
        member.manuallyApprovesFollowers || (await deps.mustApprove?.(followerRow.iri))
          ? "pending"
          : "accepted";
      const accepted = (): DomainEvent => ({
        type: "follower.accepted",
        username: member.username,
        followerIri: followerRow.iri,
        followActivityIri: activityIri,
        activityIri: deps.newActivityIri("accept"),
      });
      if (existing) {
        // A repeated Follow changes nothing, but a lost Accept is worth sending again.
        if (existing.state === "accepted") {
          await events.dispatch(await events.record(db, accepted()));
        }
        return existing.state;
      }
      const recorded = await db.transaction(async (tx) => {
        await tx
          .insert(follows)
          .values({
            id: randomUUID(),
            followerId: followerRow.id,
            followingId: member.id,
            state,
            activityIri,
            acceptedAt: state === "accepted" ? new Date() : null,
          })
          .onConflictDoNothing();
        return state === "accepted" ? events.record(tx, accepted()) : undefined;
      });
      await events.dispatch(recorded);
      return state;
    },

    async receiveUndoFollow({ followerIri, username }) {
      const member = await memberActor(username);
      const follower = await deps.actors.findByIri(followerIri);
      if (!follower) return false;
      const deleted = await db
        .delete(follows)
        .where(and(eq(follows.followerId, follower.id), eq(follows.followingId, member.id)))
        .returning({ id: follows.id });
      return deleted.length > 0;
    },

    async receiveAnswer({ targetIri, followActivityIri, followerUsername, accepted }) {
      const target = await deps.actors.findByIri(targetIri);
      if (!target) return false;
      const [byIri] = followActivityIri
        ? await db
            .select()
            .from(follows)
            .where(
              and(eq(follows.followingId, target.id), eq(follows.activityIri, followActivityIri)),
            )
        : [];
      const follow =
        byIri ??
        (followerUsername
          ? await findFollow((await memberActor(followerUsername)).id, target.id)
          : undefined);
      if (!follow) return false;
      if (accepted) {
        if (follow.state === "accepted") return false;
        await db
          .update(follows)
          .set({ state: "accepted", acceptedAt: new Date() })
          .where(eq(follows.id, follow.id));
      } else {
        await db.delete(follows).where(eq(follows.id, follow.id));
      }
      return true;
    },

    approveFollower: (username, followerIri) => settleFollower(username, followerIri, true),
    rejectFollower: (username, followerIri) => settleFollower(username, followerIri, false),

    async followIri(username, iri) {
      const known = await deps.actors.findByIri(iri);
      return service.follow(
        username,
        known ? actorRowToRecord(known) : await deps.lookupActor(iri),
      );
    },

    async follow(username, target) {
      const member = await memberActor(username);
      if (target.iri === member.iri)
        throw new DomainError("invalid", "A member cannot follow themself.");
      const targetRow = await deps.actors.upsertRemote(target);
      if (await deps.relations.blockedEitherWay(member.id, targetRow.id)) {
        throw new DomainError(
          "forbidden",
          `${username} cannot follow ${targetRow.iri}: one of you blocks the other. Unblock first (Settings → Blocks).`,
        );
      }
      const existing = await findFollow(member.id, targetRow.id);
      if (existing) return { activityIri: existing.activityIri };
      const activityIri = deps.newActivityIri("follow");
      const recorded = await db.transaction(async (tx) => {
        await tx.insert(follows).values({
          id: randomUUID(),
          followerId: member.id,
          followingId: targetRow.id,
          state: "pending",
          activityIri,
        });
        return events.record(tx, {
          type: "follow.requested",
          followerUsername: member.username,
          targetIri: targetRow.iri,
          activityIri,
        });
      });
      await events.dispatch(recorded);
      return { activityIri };
    },

    async unfollow(username, targetIri) {
      const member = await memberActor(username);
      const target = await deps.actors.findByIri(targetIri);
      const follow = target && (await findFollow(member.id, target.id));
      if (!target || !follow) {
        throw new DomainError("not_found", `${username} does not follow ${targetIri}.`);
      }
      const recorded = await db.transaction(async (tx) => {
        await tx.delete(follows).where(eq(follows.id, follow.id));
        return events.record(tx, {
          type: "follow.undone",
          followerUsername: member.username,
          targetIri: target.iri,
          activityIri: follow.activityIri,
          undoActivityIri: deps.newActivityIri("undo"),
        });
      });
      await events.dispatch(recorded);
    },

    forgetActor: (iri) => deps.actors.deleteRemote(iri),

    async sever(actorId, other, executor = db) {
      const others =
        "actorId" in other
          ? sql`(${other.actorId}::uuid)`
          : sql`(select id from ${actors} where ${actors.host} = ${other.host})`;
      await executor.delete(follows).where(
        sql`(${follows.followerId} = ${actorId} and ${follows.followingId} in ${others})
            or (${follows.followingId} = ${actorId} and ${follows.followerId} in ${others})`,
      );
    },

    followers: (username, page) => listActors(username, "followers", page),
    following: (username, page) => listActors(username, "following", page),

    async counts(username) {
      const counts = await actorCountsOf(db, (await memberActor(username)).id);
      return { followers: counts.followersCount, following: counts.followingCount };
    },

    async keyOf(followId) {
      if (!isUuid(followId)) return undefined;
      const [row] = await db
        .select({ at: follows.createdAt, id: follows.id })
        .from(follows)
        .where(eq(follows.id, followId));
      return row;
    },

    async pendingFollowers(username) {
      const member = await memberActor(username);
      const rows = await db
        .select({ actor: actors })
        .from(follows)
        .innerJoin(actors, eq(actors.id, follows.followerId))
        .where(and(eq(follows.followingId, member.id), eq(follows.state, "pending")))
        .orderBy(asc(follows.createdAt));
      return rows.map((r) => r.actor);
    },

    async followState(followerIri, username) {
      const member = await memberActor(username);
      const follower = await deps.actors.findByIri(followerIri);
      return follower ? (await findFollow(follower.id, member.id))?.state : undefined;
    },
  };
  return service;
}
