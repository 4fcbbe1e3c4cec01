import {
  boolean,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { members } from "./accounts.ts";

/**
 * Every actor the instance knows: its own members (memberId set) and remote
 * actors met through federation. Follows point at rows of this table, so a
 * local-to-local follow and a remote one are the same thing.
 */
export const actors = pgTable(
  "actors",
  {
    id: uuid("id").primaryKey(),
    iri: text("iri").notNull(),
    memberId: uuid("member_id").references(() => members.id, { onDelete: "cascade" }),
    type: text("type").notNull().default("Person"),
    username: text("username").notNull(),
    host: text("host").notNull(),
    name: text("name").notNull().default(""),
    summary: text("summary").notNull().default(""),
    url: text("url"),
    inboxUrl: text("inbox_url").notNull(),
    sharedInboxUrl: text("shared_inbox_url"),
    followersUrl: text("followers_url"),
    avatarUrl: text("avatar_url"),
    manuallyApprovesFollowers: boolean("manually_approves_followers").notNull().default(false),
    /** A remote account that moved (its `Move`, checked): the account it moved to. */
    movedTo: text("moved_to"),
    fetchedAt: timestamp("fetched_at", { withTimezone: true, mode: "date" }),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    /**
     * Moderation of a remote actor (src/moderation/account-actions.ts): suspended, what we held
     * of it is gone and it is refused; silenced, it leaves the public tag page and its follows
     * wait for approval. The row stays to hold the mark.
     */
    suspendedAt: timestamp("suspended_at", { withTimezone: true, mode: "date" }),
    silencedAt: timestamp("silenced_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    uniqueIndex("actors_iri_idx").on(t.iri),
    uniqueIndex("actors_member_idx").on(t.memberId),
    index("actors_handle_idx").on(t.username, t.host),
  ],
);

/** A follow between two actors; `pending` until the followed side accepts. */
export const follows = pgTable(
  "follows",
  {
    id: uuid("id").primaryKey(),
    followerId: uuid("follower_id")
      .notNull()
      .references(() => actors.id, { onDelete: "cascade" }),
    followingId: uuid("following_id")
      .notNull()
      .references(() => actors.id, { onDelete: "cascade" }),
    state: text("state", { enum: ["pending", "accepted"] }).notNull(),
    activityIri: text("activity_iri").notNull(),
    /** Milliseconds, as a JavaScript Date holds them: the exact key of keyset paging. */
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date", precision: 3 })
      .notNull()
      .defaultNow(),
    acceptedAt: timestamp("accepted_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    uniqueIndex("follows_pair_idx").on(t.followerId, t.followingId),
    // Followers and following, keyset-paged by (created_at, id): see src/follows/follows-service.ts.
    index("follows_following_idx").on(t.followingId, t.state, t.createdAt, t.id),
    index("follows_follower_idx").on(t.followerId, t.state, t.createdAt, t.id),
  ],
);

/**
 * An actor's counts, kept by triggers on `follows` and `encounters` in the transaction of each
 * change (migrations/…_actor_counters.sql), so a profile never counts rows: accepted followers,
 * accepted following, and encounters not deleted that are public (the outbox) or unlisted (with
 * the public ones: Mastodon's `statuses_count`).
 * No row yet means zero.
 */
export const actorCounters = pgTable("actor_counters", {
  actorId: uuid("actor_id")
    .primaryKey()
    .references(() => actors.id, { onDelete: "cascade" }),
  followersCount: integer("followers_count").notNull().default(0),
  followingCount: integer("following_count").notNull().default(0),
  publicEncountersCount: integer("public_encounters_count").notNull().default(0),
  unlistedEncountersCount: integer("unlisted_encounters_count").notNull().default(0),
});
