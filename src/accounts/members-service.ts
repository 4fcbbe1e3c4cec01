import { randomUUID } from "node:crypto";
import { and, asc, eq, gt, isNull, or, sql } from "drizzle-orm";
import type { Db } from "../db/database.ts";
import { isUniqueViolation } from "../db/database-errors.ts";
import { accessTokens, actors, type MemberRole, members } from "../db/schema.ts";
import { DomainError } from "../shared/errors.ts";
import type { LocalUrls } from "../shared/local-urls.ts";
import { ensureKeyPairs, type JwkPair } from "./key-pairs.ts";
import {
  assertAcceptablePassword,
  generatePassword,
  type PasswordHashing,
  UNMATCHABLE_HASH,
} from "./passwords.ts";
import { createPioneers, type PioneerRank } from "./pioneers.ts";
import { BIO_MAX, DISPLAY_NAME_MAX } from "./profile-input.ts";
import { parseScopes } from "./scopes.ts";
import { generateToken, hashToken } from "./tokens.ts";
import { normalizeUsername } from "./usernames.ts";

export type Member = typeof members.$inferSelect;

/** The languages a member may choose: those of the pages and of the weekly question. */
export const MEMBER_LANGUAGES = ["fr", "en"] as const;
type ActorRow = typeof actors.$inferSelect;

/** A member and the actor that speaks for them. */
export interface MemberAndActor {
  member: Member;
  actor: ActorRow;
}

/** What a bearer token grants: its member (none for an app-only token), scopes and app. */
export interface BearerGrant {
  member: Member | undefined;
  scopes: string[];
  /** The OAuth app that holds the token; null for a token made by the CLI. */
  appId: string | null;
}

export interface CreateMemberInput {
  username: string;
  password?: string;
  /** A password already hashed (an approved application's): used instead of `password`. */
  passwordHash?: string;
  displayName?: string;
  bio?: string;
  manuallyApprovesFollowers?: boolean;
  /** Stored lowercased; an address another member has is a conflict (`EMAIL_TAKEN`). */
  email?: string;
  role?: MemberRole;
}

/** Why a name cannot be taken again: it was a member's, who deleted their account. */
export function deletedNameMessage(username: string): string {
  return `The name "${username}" belonged to an account that was deleted: it stays reserved, so nobody can pass for that member. Choose another one.`;
}

/** The message of the conflict raised when another member has the e-mail address. */
export const EMAIL_TAKEN = "This e-mail address belongs to another member.";

export interface MembersService {
  create(input: CreateMemberInput): Promise<{ member: Member; generatedPassword?: string }>;
  /** The member with this username, whatever its case and with or without `@`. */
  findByUsername(username: string): Promise<Member | undefined>;
  /** The member with this username and their actor, or undefined. */
  findWithActor(username: string): Promise<MemberAndActor | undefined>;
  /**
   * The member with this username and their actor, to act as them; a DomainError "not_found"
   * otherwise, deleted accounts included (`findWithActor` still finds those).
   */
  requireByUsername(username: string): Promise<MemberAndActor>;
  /**
   * The member whose password this is, or undefined (unknown username or wrong password,
   * in the same time). Throws `PasswordHashingBusyError` when too many checks are running.
   */
  checkPassword(username: string, password: string): Promise<Member | undefined>;
  findById(id: string): Promise<Member | undefined>;
  /** The member's place among the first members (« pionnier·e »), or undefined past them. */
  pioneerRank(memberId: string): Promise<PioneerRank | undefined>;
  count(): Promise<number>;
  /** Every member, oldest first: for the admin, whatever each one chose to show (deleted accounts aside). */
  list(limit: number): Promise<Member[]>;
  /** Members who chose to be listed, oldest first. */
  listDiscoverable(limit: number): Promise<Member[]>;
  /**
   * The member's language (`fr` or `en`): the pages' when the browser chose none, and the
   * weekly question's messages.
   */
  setLanguage(memberId: string, language: string): Promise<void>;
  /** Whether the member co-signs, by themselves, encounters that name them from people they follow. */
  setAutoCosignFromFollowed(memberId: string, value: boolean): Promise<void>;
  keyPairs(member: Member): Promise<JwkPair[]>;
  instanceKeyPairs(): Promise<JwkPair[]>;
  /** A new bearer token, returned once in clear and stored only as a digest. */
  createToken(username: string, label?: string): Promise<string>;
  /** The member a bearer token belongs to, with the scopes the token was granted. */
  authenticateToken(token: string): Promise<{ member: Member; scopes: string[] } | undefined>;
  /**
   * Any live bearer token: a member's (CLI or OAuth), or an app's own (`client_credentials`,
   * no member). Undefined for an unknown or expired token.
   */
  authenticateBearer(token: string): Promise<BearerGrant | undefined>;
}

export function createMembersService(deps: {
  db: Db;
  urls: LocalUrls;
  passwords: PasswordHashing;
}): MembersService {
  const { db, urls, passwords } = deps;
  const pioneers = createPioneers(db);

  const byUsername = (username: string) =>
    eq(sql`lower(${members.username})`, username.trim().replace(/^@/, "").toLowerCase());

  async function authenticateBearer(token: string): Promise<BearerGrant | undefined> {
    if (token.length < 20 || token.length > 200) return undefined;
    const [row] = await db
      .select({
        member: members,
        scopes: accessTokens.scopes,
        appId: accessTokens.appId,
        memberId: accessTokens.memberId,
        id: accessTokens.id,
        lastUsedAt: accessTokens.lastUsedAt,
      })
      .from(accessTokens)
      .leftJoin(members, eq(accessTokens.memberId, members.id))
      .where(
        and(
          eq(accessTokens.tokenHash, hashToken(token)),
          or(isNull(accessTokens.expiresAt), gt(accessTokens.expiresAt, new Date())),
        ),
      );
    // A member's token whose member is gone (deleted their account, or is suspended) grants nothing.
    if (
      !row ||
      (row.memberId !== null && (!row.member || row.member.deletedAt || row.member.suspendedAt))
    ) {
      return undefined;
    }
    // When it was last used, to the hour: what the member's list of authorized apps shows.
    const at = new Date();
    if (!row.lastUsedAt || at.getTime() - row.lastUsedAt.getTime() > 3_600_000) {
      await db.update(accessTokens).set({ lastUsedAt: at }).where(eq(accessTokens.id, row.id));
    }
    return { member: row.member ?? undefined, scopes: parseScopes(row.scopes), appId: row.appId };
  }

  async function findByUsername(username: string) {
    const [member] = await db.select().from(members).where(byUsername(username));
    return member;
  }

  async function findWithActor(username: string): Promise<MemberAndActor | undefined> {
    const [row] = await db
      .select({ member: members, actor: actors })
      .from(members)
      .innerJoin(actors, eq(actors.memberId, members.id))
      .where(byUsername(username));
    return row;
  }

  return {
    async create(input) {
      const username = normalizeUsername(input.username);
      const displayName = (input.displayName ?? "").trim();
      const bio = (input.bio ?? "").trim();
      if (displayName.length > DISPLAY_NAME_MAX) {
        throw new DomainError(
          "invalid",
          `Display name is too long: at most ${DISPLAY_NAME_MAX} characters.`,
        );
      }
      if (bio.length > BIO_MAX) {
        throw new DomainError("invalid", `Bio is too long: at most ${BIO_MAX} characters.`);
      }
      const generatedPassword =
        input.password === undefined && input.passwordHash === undefined
          ? generatePassword()
          : undefined;
      const password = input.password ?? generatedPassword;
      if (password !== undefined) assertAcceptablePassword(password);
      const existing = await findByUsername(username);
      if (existing?.deletedAt) throw new DomainError("conflict", deletedNameMessage(username));
      if (existing) {
        throw new DomainError("conflict", `Username "${username}" is already taken.`);
      }
      const passwordHash =
        password === undefined ? (input.passwordHash as string) : await passwords.hash(password);
      const email = input.email?.trim().toLowerCase() || null;
      const id = randomUUID();
      try {
        await db.transaction(async (tx) => {
          await tx.insert(members).values({
            id,
            username,
            displayName,
            bio,
            passwordHash,
            manuallyApprovesFollowers: input.manuallyApprovesFollowers ?? false,
            email,
            role: input.role ?? "member",
          });
          await tx.insert(actors).values({
            id: randomUUID(),
            iri: urls.actor(username).href,
            memberId: id,
            type: "Person",
            username,
            host: urls.origin.host,
            name: displayName,
            summary: bio,
            url: urls.profile(username).href,
            inboxUrl: urls.inbox(username).href,
            sharedInboxUrl: urls.sharedInbox().href,
            followersUrl: urls.followers(username).href,
            manuallyApprovesFollowers: input.manuallyApprovesFollowers ?? false,
          });
        });
      } catch (error) {
        if (isUniqueViolation(error, "members_email_idx")) {
          throw new DomainError("conflict", EMAIL_TAKEN);
        }
        if (isUniqueViolation(error)) {
          throw new DomainError("conflict", `Username "${username}" is already taken.`);
        }
        throw error;
      }
      const [member] = await db.select().from(members).where(eq(members.id, id));
      if (!member) throw new Error("member vanished after insert");
      await ensureKeyPairs(db, member.id);
      return { member, generatedPassword };
    },

    findByUsername,

    findWithActor,

    async requireByUsername(username) {
      const found = await findWithActor(username);
      // A deleted account acts no more: whatever asks to act as it is told it is not here.
      if (!found || found.member.deletedAt) {
        throw new DomainError("not_found", `No member named "${username}".`);
      }
      return found;
    },

    async checkPassword(username, password) {
      const member = await findByUsername(username);
      const ok = await passwords.verify(password, member?.passwordHash ?? UNMATCHABLE_HASH);
      return ok ? member : undefined;
    },

    async findById(id) {
      const [member] = await db.select().from(members).where(eq(members.id, id));
      return member;
    },

    pioneerRank: (memberId) => pioneers.rankOf(memberId),

    async count() {
      const [row] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(members)
        .where(isNull(members.deletedAt));
      return row?.n ?? 0;
    },

    list: (limit) =>
      db
        .select()
        .from(members)
        .where(isNull(members.deletedAt))
        .orderBy(asc(members.createdAt))
        .limit(limit),

    listDiscoverable: (limit) =>
      db
        .select()
        .from(members)
        .where(and(eq(members.discoverable, true), isNull(members.deletedAt)))
        .orderBy(asc(members.createdAt))
        .limit(limit),

    async setLanguage(memberId, language) {
      if (!(MEMBER_LANGUAGES as readonly string[]).includes(language)) {
        throw new DomainError(
          "invalid",
          `language must be one of ${MEMBER_LANGUAGES.join(", ")}.`,
          { field: "language" },
        );
      }
      await db.update(members).set({ language }).where(eq(members.id, memberId));
    },

    async setAutoCosignFromFollowed(memberId, value) {
      await db
        .update(members)
        .set({ autoCosignFromFollowed: value })
        .where(eq(members.id, memberId));
    },

    keyPairs: (member) => ensureKeyPairs(db, member.id),
    instanceKeyPairs: () => ensureKeyPairs(db, "instance"),

    async createToken(username, label = "") {
      const member = await findByUsername(username);
      if (!member || member.deletedAt) {
        throw new DomainError("not_found", `No member named "${username}".`);
      }
      const token = generateToken();
      await db
        .insert(accessTokens)
        .values({ id: randomUUID(), memberId: member.id, tokenHash: hashToken(token), label });
      return token;
    },

    async authenticateToken(token) {
      const grant = await authenticateBearer(token);
      return grant?.member ? { member: grant.member, scopes: grant.scopes } : undefined;
    },

    authenticateBearer,
  };
}
