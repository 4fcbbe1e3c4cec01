import { sql } from "drizzle-orm";
import {
  boolean,
  check,
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

/** What a member may do on the instance: `admin` runs it, `moderator` decides applications. */
export const MEMBER_ROLES = ["admin", "moderator", "member"] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

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
    role: text("role", { enum: MEMBER_ROLES }).notNull().default("member"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    /** The member's e-mail address, lowercased; optional (null: none given); never shown to
     * anyone but its member. */
    email: text("email"),
    /** When the member proved they read `email` (a link mailed to it); null: not verified. */
    emailVerifiedAt: timestamp("email_verified_at", { withTimezone: true, mode: "date" }),
    /**
     * When the member deleted their account (src/accounts/account-deletion-service.ts): the row
     * stays, blanked, so the name stays reserved and the keys sign the `Delete(Person)`.
     */
    deletedAt: timestamp("deleted_at", { withTimezone: true, mode: "date" }),
    /**
     * The member's other accounts (`alsoKnownAs` on their actor): actor IRIs of accounts that
     * may move here (src/accounts/account-move-service.ts); at most 5.
     */
    alsoKnownAs: jsonb("also_known_as").$type<string[]>().notNull().default([]),
    /** The account the member moved to (`movedTo` on their actor); null: not moved. */
    movedTo: text("moved_to"),
    movedAt: timestamp("moved_at", { withTimezone: true, mode: "date" }),
    /**
     * Moderation (src/moderation/member-actions.ts): a suspended member cannot log in and their
     * actor answers 410; a frozen one reads but cannot post. The reason is shown to them.
     */
    suspendedAt: timestamp("suspended_at", { withTimezone: true, mode: "date" }),
    suspensionReason: text("suspension_reason"),
    frozenAt: timestamp("frozen_at", { withTimezone: true, mode: "date" }),
    frozenReason: text("frozen_reason"),
  },
  (t) => [
    uniqueIndex("members_username_lower_idx").on(sql`lower(${t.username})`),
    check("members_role_check", sql`${t.role} in ('admin', 'moderator', 'member')`),
    // One member per address, whatever its case (members without one are many).
    uniqueIndex("members_email_idx").on(sql`lower(${t.email})`).where(sql`${t.email} is not null`),
    // Creation order: the pioneers' ranks (src/accounts/pioneers.ts).
    index("members_created_at_idx").on(t.createdAt, t.id),
  ],
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

/**
 * Applications registered through `POST /api/v1/apps` (OAuth clients). The client secret is
 * stored as a SHA-256 digest, like tokens: it carries 256 random bits.
 */
export const oauthApps = pgTable(
  "oauth_apps",
  {
    id: uuid("id").primaryKey(),
    clientId: text("client_id").notNull(),
    clientSecretHash: text("client_secret_hash").notNull(),
    name: text("name").notNull(),
    website: text("website"),
    /** Every redirect URI the app registered (custom schemes and the oob URN included). */
    redirectUris: jsonb("redirect_uris").$type<string[]>().notNull(),
    /** The scopes the app may ask for, space-separated. */
    scopes: text("scopes").notNull().default("read"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("oauth_apps_client_id_idx").on(t.clientId)],
);

/**
 * Authorization codes, single use (the row is deleted when exchanged), short-lived, bound to
 * the app, the redirect URI and the PKCE challenge. Stored as digests.
 */
export const oauthAuthorizationCodes = pgTable(
  "oauth_authorization_codes",
  {
    codeHash: text("code_hash").primaryKey(),
    appId: uuid("app_id")
      .notNull()
      .references(() => oauthApps.id, { onDelete: "cascade" }),
    memberId: uuid("member_id")
      .notNull()
      .references(() => members.id, { onDelete: "cascade" }),
    redirectUri: text("redirect_uri").notNull(),
    scopes: text("scopes").notNull(),
    codeChallenge: text("code_challenge"),
    codeChallengeMethod: text("code_challenge_method"),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [index("oauth_codes_expiry_idx").on(t.expiresAt)],
);

/**
 * Bearer tokens, stored as SHA-256 digests: a leaked table reveals no usable token. A token
 * made by the CLI has no app; an OAuth token has its app, and a refresh token (also a digest);
 * an app-only token (`client_credentials`) has no member.
 */
export const accessTokens = pgTable(
  "access_tokens",
  {
    id: uuid("id").primaryKey(),
    memberId: uuid("member_id").references(() => members.id, { onDelete: "cascade" }),
    appId: uuid("app_id").references(() => oauthApps.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull(),
    refreshTokenHash: text("refresh_token_hash"),
    label: text("label").notNull().default(""),
    scopes: text("scopes").notNull().default("read write follow"),
    /** Null: the token lasts until revoked (Mastodon's tokens do not expire either). */
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }),
    refreshExpiresAt: timestamp("refresh_expires_at", { withTimezone: true, mode: "date" }),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    uniqueIndex("access_tokens_hash_idx").on(t.tokenHash),
    uniqueIndex("access_tokens_refresh_hash_idx").on(t.refreshTokenHash),
    index("access_tokens_member_idx").on(t.memberId),
    index("access_tokens_app_idx").on(t.appId),
  ],
);
