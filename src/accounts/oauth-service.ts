import { randomUUID, timingSafeEqual } from "node:crypto";
import { and, desc, eq, isNotNull, lte, or, sql } from "drizzle-orm";
import type { Db } from "../db/database.ts";
import { accessTokens, oauthApps, oauthAuthorizationCodes } from "../db/schema.ts";
import { DomainError } from "../shared/errors.ts";
import { isKnownScope, parseScopes } from "./scopes.ts";
import { generateToken, hashToken } from "./tokens.ts";

/*
 * The OAuth side of accounts: registered apps, authorization codes and the tokens the OAuth
 * flow issues. Tokens live in the same `access_tokens` table as the CLI's, so one check
 * (`MembersService.authenticateBearer`) serves both. Every secret is stored as a digest.
 */

export type OAuthApp = typeof oauthApps.$inferSelect;
export type AuthorizationCode = typeof oauthAuthorizationCodes.$inferSelect;

/** The redirect URI of apps that cannot receive a redirect: the code is shown to copy. */
export const OOB_REDIRECT_URI = "urn:ietf:wg:oauth:2.0:oob";

/** How long an authorization code may wait to be exchanged. */
export const AUTHORIZATION_CODE_SECONDS = 600;

export interface RegisterAppInput {
  name: string;
  redirectUris: string[];
  scopes: string[];
  website?: string | null;
}

export interface IssuedToken {
  accessToken: string;
  refreshToken?: string;
  scopes: string[];
  createdAt: Date;
}

export interface AuthorizedApp {
  app: OAuthApp;
  /** Every scope the member granted this app, over all its live tokens. */
  scopes: string[];
  /** When the member first authorized it (its oldest live token). */
  authorizedAt: Date;
  lastUsedAt: Date | null;
}

export interface OAuthService {
  /** A new app and its client secret, returned once in clear. */
  registerApp(input: RegisterAppInput): Promise<{ app: OAuthApp; clientSecret: string }>;
  findApp(clientId: string): Promise<OAuthApp | undefined>;
  findAppById(id: string): Promise<OAuthApp | undefined>;
  /** The app whose client id and secret these are, or undefined (in the same time either way). */
  authenticateClient(clientId: string, clientSecret: string): Promise<OAuthApp | undefined>;
  /** Stores a code the member granted; the code itself is never stored. */
  saveCode(input: {
    code: string;
    appId: string;
    memberId: string;
    redirectUri: string;
    scopes: string[];
    codeChallenge?: string;
    codeChallengeMethod?: string;
    expiresAt: Date;
  }): Promise<void>;
  /** A stored code (live or expired), or undefined. */
  findCode(code: string): Promise<AuthorizationCode | undefined>;
  /** Deletes the code; true only for the one caller that deleted it (codes are single use). */
  consumeCode(code: string): Promise<boolean>;
  /** Stores a token (and its refresh token) for an app, for a member or for the app alone. */
  saveToken(input: {
    appId: string;
    memberId: string | null;
    scopes: string[];
    accessToken: string;
    refreshToken?: string;
    expiresAt?: Date | null;
    refreshExpiresAt?: Date | null;
  }): Promise<IssuedToken>;
  /** The token row a refresh token belongs to. */
  findRefreshToken(refreshToken: string): Promise<typeof accessTokens.$inferSelect | undefined>;
  /** Deletes the token a refresh token belongs to (its access token goes with it). */
  revokeRefreshToken(refreshToken: string): Promise<boolean>;
  /** Deletes the app's token whose access or refresh token this is; nothing for another app's. */
  revokeToken(appId: string, token: string): Promise<void>;
  /** The apps a member authorized and still holds a token for, most recent first. */
  authorizedApps(memberId: string): Promise<AuthorizedApp[]>;
  /** Withdraws every token and pending code of one app for one member; false if there was none. */
  revokeAuthorization(memberId: string, appId: string): Promise<boolean>;
}

const NAME_MAX = 200;
const URI_MAX = 2000;
const REDIRECT_URIS_MAX = 10;

/** A redirect URI an app may register: absolute, no fragment (RFC 6749 §3.1.2), any scheme. */
export function isValidRedirectUri(uri: string): boolean {
  if (uri === OOB_REDIRECT_URI) return true;
  if (uri.length > URI_MAX) return false;
  const url = URL.parse(uri);
  if (url === null || url.hash.length > 0) return false;
  // `javascript:` and `data:` would run in the consent page's origin if ever followed.
  return !["javascript:", "data:", "vbscript:", "file:"].includes(url.protocol);
}

const digestsEqual = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

export function createOAuthService(deps: { db: Db; now?: () => Date }): OAuthService {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());

  async function findApp(clientId: string) {
    if (clientId.length > 200) return undefined;
    const [app] = await db.select().from(oauthApps).where(eq(oauthApps.clientId, clientId));
    return app;
  }

  return {
    async registerApp(input) {
      const name = input.name.trim();
      if (name.length === 0 || name.length > NAME_MAX) {
        throw new DomainError("invalid", `client_name must be 1 to ${NAME_MAX} characters.`);
      }
      if (input.redirectUris.length === 0 || input.redirectUris.length > REDIRECT_URIS_MAX) {
        throw new DomainError(
          "invalid",
          `redirect_uris must hold 1 to ${REDIRECT_URIS_MAX} URIs (use ${OOB_REDIRECT_URI} for an app that shows the code).`,
        );
      }
      const bad = input.redirectUris.find((uri) => !isValidRedirectUri(uri));
      if (bad !== undefined) {
        throw new DomainError(
          "invalid",
          `redirect_uris: "${bad.slice(0, 100)}" is not an absolute URI without a fragment.`,
        );
      }
      const scopes = input.scopes.length > 0 ? input.scopes : ["read"];
      const unknown = scopes.find((scope) => !isKnownScope(scope));
      if (unknown !== undefined) {
        throw new DomainError(
          "invalid",
          `scopes: "${unknown.slice(0, 50)}" is not a scope; use read, write, follow, push, profile or their granular forms (read:statuses…).`,
        );
      }
      const website = input.website?.trim() || null;
      if (website !== null && (website.length > URI_MAX || !/^https?:\/\//i.test(website))) {
        throw new DomainError("invalid", "website must be an http(s) URL.");
      }
      const clientSecret = generateToken();
      const [app] = await db
        .insert(oauthApps)
        .values({
          id: randomUUID(),
          clientId: generateToken(),
          clientSecretHash: hashToken(clientSecret),
          name,
          website,
          redirectUris: [...new Set(input.redirectUris)],
          scopes: scopes.join(" "),
        })
        .returning();
      if (!app) throw new Error("the app was not stored");
      return { app, clientSecret };
    },

    findApp,

    async findAppById(id) {
      const [app] = await db.select().from(oauthApps).where(eq(oauthApps.id, id));
      return app;
    },

    async authenticateClient(clientId, clientSecret) {
      const app = await findApp(clientId);
      const given = hashToken(clientSecret);
      // Compare a digest even for an unknown client: the answer takes the same time.
      const ok = digestsEqual(app?.clientSecretHash ?? hashToken(""), given);
      return app && ok ? app : undefined;
    },

    async saveCode(input) {
      // Expired codes go when new ones are made: the table stays small.
      await db.delete(oauthAuthorizationCodes).where(lte(oauthAuthorizationCodes.expiresAt, now()));
      await db.insert(oauthAuthorizationCodes).values({
        codeHash: hashToken(input.code),
        appId: input.appId,
        memberId: input.memberId,
        redirectUri: input.redirectUri,
        scopes: input.scopes.join(" "),
        codeChallenge: input.codeChallenge ?? null,
        codeChallengeMethod: input.codeChallengeMethod ?? null,
        expiresAt: input.expiresAt,
      });
    },

    async findCode(code) {
      if (code.length > 200) return undefined;
      const [row] = await db
        .select()
        .from(oauthAuthorizationCodes)
        .where(eq(oauthAuthorizationCodes.codeHash, hashToken(code)));
      return row;
    },

    async consumeCode(code) {
      const deleted = await db
        .delete(oauthAuthorizationCodes)
        .where(eq(oauthAuthorizationCodes.codeHash, hashToken(code)))
        .returning({ codeHash: oauthAuthorizationCodes.codeHash });
      return deleted.length === 1;
    },

    async saveToken(input) {
      const [row] = await db
        .insert(accessTokens)
        .values({
          id: randomUUID(),
          memberId: input.memberId,
          appId: input.appId,
          tokenHash: hashToken(input.accessToken),
          refreshTokenHash: input.refreshToken ? hashToken(input.refreshToken) : null,
          scopes: input.scopes.join(" "),
          expiresAt: input.expiresAt ?? null,
          refreshExpiresAt: input.refreshExpiresAt ?? null,
        })
        .returning({ createdAt: accessTokens.createdAt });
      return {
        accessToken: input.accessToken,
        refreshToken: input.refreshToken,
        scopes: input.scopes,
        createdAt: row?.createdAt ?? now(),
      };
    },

    async findRefreshToken(refreshToken) {
      if (refreshToken.length > 200) return undefined;
      const [row] = await db
        .select()
        .from(accessTokens)
        .where(eq(accessTokens.refreshTokenHash, hashToken(refreshToken)));
      return row;
    },

    async revokeRefreshToken(refreshToken) {
      const deleted = await db
        .delete(accessTokens)
        .where(eq(accessTokens.refreshTokenHash, hashToken(refreshToken)))
        .returning({ id: accessTokens.id });
      return deleted.length === 1;
    },

    async revokeToken(appId, token) {
      if (token.length > 200) return;
      const digest = hashToken(token);
      await db
        .delete(accessTokens)
        .where(
          and(
            eq(accessTokens.appId, appId),
            or(eq(accessTokens.tokenHash, digest), eq(accessTokens.refreshTokenHash, digest)),
          ),
        );
    },

    async authorizedApps(memberId) {
      const rows = await db
        .select({
          app: oauthApps,
          scopes: sql<string>`string_agg(${accessTokens.scopes}, ' ')`,
          authorizedAt: sql<Date>`min(${accessTokens.createdAt})`.mapWith(accessTokens.createdAt),
          lastUsedAt: sql<Date | null>`max(${accessTokens.lastUsedAt})`.mapWith(
            accessTokens.lastUsedAt,
          ),
        })
        .from(accessTokens)
        .innerJoin(oauthApps, eq(oauthApps.id, accessTokens.appId))
        .where(and(eq(accessTokens.memberId, memberId), isNotNull(accessTokens.appId)))
        .groupBy(oauthApps.id)
        .orderBy(desc(sql`min(${accessTokens.createdAt})`));
      return rows.map((row) => ({
        app: row.app,
        scopes: parseScopes(row.scopes ?? ""),
        authorizedAt: row.authorizedAt,
        lastUsedAt: row.lastUsedAt ?? null,
      }));
    },

    async revokeAuthorization(memberId, appId) {
      const deleted = await db
        .delete(accessTokens)
        .where(and(eq(accessTokens.memberId, memberId), eq(accessTokens.appId, appId)))
        .returning({ id: accessTokens.id });
      await db
        .delete(oauthAuthorizationCodes)
        .where(
          and(
            eq(oauthAuthorizationCodes.memberId, memberId),
            eq(oauthAuthorizationCodes.appId, appId),
          ),
        );
      return deleted.length > 0;
    },
  };
}
