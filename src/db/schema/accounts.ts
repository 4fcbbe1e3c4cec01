import { sql } from "drizzle-orm";
import {
  boolean,
  index,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

/** One profile field as the member wrote it: plain text, shown as a link when the value is a URL. */
export interface ProfileField {
  name: string;
  value: string;
}

/** A local member of the instance. Their fediverse identity lives in `actors`. */
export const members = pgTable(
  "members",
  {
    id: uuid("id").primaryKey(),
    username: text("username").notNull(),
    displayName: text("display_name").notNull().default(""),
    bio: text("bio").notNull().default(""),
    passwordHash: text("password_hash").notNull(),
    manuallyApprovesFollowers: boolean("manually_approves_followers").notNull().default(false),
    discoverable: boolean("discoverable").notNull().default(true),
    indexable: boolean("indexable").notNull().default(true),
    language: text("language").notNull().default("fr"),
    avatarUrl: text("avatar_url"),
    /** The media key of the avatar (`profiles/<uuid>.webp`), to delete it when replaced. */
    avatarMediaKey: text("avatar_media_key"),
    /** The header image (banner), and its media key. */
    headerUrl: text("header_url"),
    headerMediaKey: text("header_media_key"),
    /** Profile fields (Mastodon's `PropertyValue`): at most 4 name/value pairs, plain text. */
    fields: jsonb("fields").$type<ProfileField[]>().notNull().default([]),
    /** When the profile was last changed (null: never edited since the account was created). */
    profileUpdatedAt: timestamp("profile_updated_at", { withTimezone: true, mode: "date" }),
    /** Co-sign at once the encounters that name me, when their author is someone I follow. */
    autoCosignFromFollowed: boolean("auto_cosign_from_followed").notNull().default(false),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("members_username_lower_idx").on(sql`lower(${t.username})`)],
);

/**
 * Key pairs of an actor, created once and never rotated silently.
 * `owner` is a member id, or "instance" for the instance actor.
 */
export const actorKeys = pgTable(
  "actor_keys",
  {
    owner: text("owner").notNull(),
    algorithm: text("algorithm", { enum: ["RSASSA-PKCS1-v1_5", "Ed25519"] }).notNull(),
    publicKey: jsonb("public_key").notNull(),
    privateKey: jsonb("private_key").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.owner, t.algorithm] })],
);

/** Bearer tokens, stored as SHA-256 digests: a leaked table reveals no usable token. */
export const accessTokens = pgTable(
  "access_tokens",
  {
    id: uuid("id").primaryKey(),
    memberId: uuid("member_id")
      .notNull()
      .references(() => members.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull(),
    label: text("label").notNull().default(""),
    scopes: text("scopes").notNull().default("read write follow"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    uniqueIndex("access_tokens_hash_idx").on(t.tokenHash),
    index("access_tokens_member_idx").on(t.memberId),
  ],
);
