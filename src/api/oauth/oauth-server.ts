import OAuth2Server from "@node-oauth/oauth2-server";
import type { Member } from "../../accounts/members-service.ts";
import {
  AUTHORIZATION_CODE_SECONDS,
  type OAuthApp,
  type OAuthService,
} from "../../accounts/oauth-service.ts";
import { isKnownScope, parseScopes, scopesWithin } from "../../accounts/scopes.ts";
import { generateToken } from "../../accounts/tokens.ts";

/*
 * The authorization server is @node-oauth/oauth2-server (RFC 6749 grants, PKCE, client
 * authentication in the body or HTTP Basic); this file is its storage model over
 * `OAuthService` and the small adapter Mastodon clients need: the library reads only
 * urlencoded bodies, Mastodon apps also send JSON.
 */

const { Request, Response, OAuthError } = OAuth2Server;

/** Grants an app may use: Mastodon's three. */
const GRANTS = ["authorization_code", "refresh_token", "client_credentials"];

/** What the library calls a client: our app, with the fields it reads. */
interface Client {
  id: string;
  redirectUris: string[];
  grants: string[];
  app: OAuthApp;
}

/** The library's "user": a member, or the app itself for `client_credentials`. */
type User = { member: Member } | { appOnly: true };

export interface OAuthServer {
  /**
   * Runs a token request (`POST /oauth/token`) whose body Fastify already parsed (JSON or
   * form). Answers the status, headers and JSON body to send, errors in RFC 6749's shape.
   */
  token(request: HttpRequest): Promise<OAuthAnswer>;
  /**
   * Issues an authorization code for a consenting member (the request was checked by the
   * consent page). Answers where to redirect (with `code` and `state`), and the code.
   */
  authorize(request: HttpRequest, member: Member): Promise<OAuthAnswer & { code?: string }>;
}

export interface HttpRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, unknown>;
  body: Record<string, string>;
}

export interface OAuthAnswer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** The scopes an authorize or client-credentials request may get: known, within the app's; `read` by default. */
export function grantableScopes(app: OAuthApp, requested: readonly string[] | undefined) {
  const scopes = requested && requested.length > 0 ? [...new Set(requested)] : ["read"];
  return scopes.every(isKnownScope) && scopesWithin(scopes, parseScopes(app.scopes))
    ? scopes
    : undefined;
}

export function createOAuthServer(deps: { oauth: OAuthService }): OAuthServer {
  const { oauth } = deps;
  const clientOf = (app: OAuthApp): Client => ({
    id: app.id,
    redirectUris: app.redirectUris,
    grants: GRANTS,
    app,
  });
  const memberIdOf = (user: User) => ("member" in user ? user.member.id : null);

  const model = {
    async getClient(clientId: string, clientSecret: string | null | undefined) {
      // No secret: the authorize step, or a PKCE exchange (the verifier proves the client).
      const app =
        clientSecret == null
          ? await oauth.findApp(clientId)
          : await oauth.authenticateClient(clientId, clientSecret);
      return app ? clientOf(app) : false;
    },
    generateAccessToken: async () => generateToken(),
    generateRefreshToken: async () => generateToken(),
    generateAuthorizationCode: async () => generateToken(),

    async validateScope(_user: User, client: Client, scope: string[] | undefined) {
      return grantableScopes(client.app, scope) ?? false;
    },
    async validateRedirectUri(uri: string, client: Client) {
      return client.redirectUris.includes(uri);
    },

    async saveAuthorizationCode(
      code: {
        authorizationCode: string;
        expiresAt: Date;
        redirectUri: string;
        scope: string[];
        codeChallenge?: string;
        codeChallengeMethod?: string;
      },
      client: Client,
      user: User,
    ) {
      const memberId = memberIdOf(user);
      if (!memberId) return false;
      await oauth.saveCode({
        code: code.authorizationCode,
        appId: client.id,
        memberId,
        redirectUri: code.redirectUri,
        scopes: code.scope,
        codeChallenge: code.codeChallenge,
        codeChallengeMethod: code.codeChallengeMethod,
        expiresAt: code.expiresAt,
      });
      return { ...code, client, user };
    },
    async getAuthorizationCode(authorizationCode: string) {
      const row = await oauth.findCode(authorizationCode);
      if (!row) return false;
      return {
        authorizationCode,
        expiresAt: row.expiresAt,
        redirectUri: row.redirectUri,
        scope: parseScopes(row.scopes),
        codeChallenge: row.codeChallenge ?? undefined,
        codeChallengeMethod: row.codeChallengeMethod ?? undefined,
        client: { id: row.appId },
        user: { memberId: row.memberId },
      };
    },
    async revokeAuthorizationCode(code: { authorizationCode: string }) {
      return oauth.consumeCode(code.authorizationCode);
    },

    async saveToken(
      token: {
        accessToken: string;
        refreshToken?: string;
        refreshTokenExpiresAt?: Date;
        scope?: string[];
      },
      client: Client,
      user: User | { memberId: string },
    ) {
      const memberId = "memberId" in user ? user.memberId : memberIdOf(user);
      const issued = await oauth.saveToken({
        appId: client.id,
        memberId,
        scopes: token.scope ?? ["read"],
        accessToken: token.accessToken,
        // An app-only token is never refreshed: it asks for a new one with its credentials.
        refreshToken: memberId ? token.refreshToken : undefined,
        // Access tokens last until revoked, as Mastodon's do (its apps never refresh).
        expiresAt: null,
        refreshExpiresAt: null,
      });
      return {
        accessToken: issued.accessToken,
        refreshToken: issued.refreshToken,
        scope: issued.scopes,
        client,
        user,
        created_at: Math.floor(issued.createdAt.getTime() / 1000),
      };
    },
    async getRefreshToken(refreshToken: string) {
      const row = await oauth.findRefreshToken(refreshToken);
      if (!row?.appId || !row.memberId) return false;
      return {
        refreshToken,
        refreshTokenExpiresAt: row.refreshExpiresAt ?? undefined,
        scope: parseScopes(row.scopes),
        client: { id: row.appId },
        user: { memberId: row.memberId },
      };
    },
    async revokeToken(token: { refreshToken: string }) {
      return oauth.revokeRefreshToken(token.refreshToken);
    },
    async getUserFromClient(): Promise<User> {
      return { appOnly: true };
    },
    // Bearer tokens are checked by MembersService.authenticateBearer, never through the library.
    async getAccessToken() {
      return false;
    },
  };

  const server = new OAuth2Server({
    // biome-ignore lint/suspicious/noExplicitAny: the library's model type is a union of every grant's needs.
    model: model as any,
    // The library needs lifetimes; saveToken stores none for access tokens (see above).
    accessTokenLifetime: 3600,
    refreshTokenLifetime: 365 * 86_400,
    authorizationCodeLifetime: AUTHORIZATION_CODE_SECONDS,
    allowEmptyState: true,
    allowExtendedTokenAttributes: true,
    // Only S256: a `plain` challenge is refused, as Mastodon does (the typings lack this option).
    ...{ enablePlainPKCE: false },
  });

  /** The library reads urlencoded bodies only: the body is already parsed, so say it is one. */
  const libraryRequest = (request: HttpRequest) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === "string") headers[name] = value;
    }
    headers["content-type"] = "application/x-www-form-urlencoded";
    headers["content-length"] = String(JSON.stringify(request.body).length);
    delete headers["transfer-encoding"];
    return new Request({
      method: request.method,
      headers,
      query: request.query as Record<string, string>,
      body: request.body,
    });
  };

  const answerOf = (response: InstanceType<typeof Response>, fallback: number): OAuthAnswer => ({
    status: response.status ?? fallback,
    headers: Object.fromEntries(
      Object.entries(response.headers ?? {}).filter(
        (entry): entry is [string, string] => typeof entry[1] === "string",
      ),
    ),
    body: (response.body ?? {}) as Record<string, unknown>,
  });

  const errorAnswer = (error: unknown, response: InstanceType<typeof Response>): OAuthAnswer => {
    if (!(error instanceof OAuthError)) throw error;
    // A server error keeps its cause for the log, never for the client.
    if (error.code >= 500) throw error;
    return {
      ...answerOf(response, error.code),
      status: error.code,
      body: { error: error.name, error_description: error.message },
    };
  };

  return {
    async token(request) {
      const response = new Response();
      try {
        await server.token(libraryRequest(request), response);
        return answerOf(response, 200);
      } catch (error) {
        return errorAnswer(error, response);
      }
    },

    async authorize(request, member) {
      const response = new Response();
      try {
        const code = await server.authorize(libraryRequest(request), response, {
          authenticateHandler: { handle: async () => ({ member }) },
        });
        return { ...answerOf(response, 302), code: code.authorizationCode };
      } catch (error) {
        return errorAnswer(error, response);
      }
    },
  };
}
