import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { BearerGrant, Member, MembersService } from "../accounts/members-service.ts";
import { grantsScope } from "../accounts/scopes.ts";
import type { FailedAttemptLimiter } from "../shared/failed-attempt-limiter.ts";

export interface BearerAuth {
  /**
   * An `onRequest` hook for a member's routes: runs before the body is read, so a stranger's
   * upload is never parsed. An app-only token (`client_credentials`) gets a 422, as on Mastodon.
   */
  hook(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** An `onRequest` hook that also lets an app-only token through (apps and instance routes). */
  appHook(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** The member the request authenticated as; only call it behind `hook`. */
  memberOf(request: FastifyRequest): Member;
  /** The whole grant (member or none, scopes, app); behind `hook` or `appHook`. */
  grantOf(request: FastifyRequest): BearerGrant;
  /** The scopes the request's token was granted; only call it behind `hook` or `appHook`. */
  scopesOf(request: FastifyRequest): readonly string[];
  /** A `preHandler` hook answering 403 when the token lacks `scope` (after `hook`). */
  requireScope(scope: string): (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** `Authorization: Bearer <token>` → `members.authenticateBearer`; 401/429 otherwise. */
export function createBearerAuth(deps: {
  members: Pick<MembersService, "authenticateBearer">;
  limiter: FailedAttemptLimiter;
}): BearerAuth {
  // Per instance, keyed by the request object itself: nothing outlives the request.
  const authenticated = new WeakMap<FastifyRequest, BearerGrant>();

  const grantOf = (request: FastifyRequest) => {
    const grant = authenticated.get(request);
    if (!grant) throw new Error("called on a route without the bearer auth hook");
    return grant;
  };

  const unauthorized = (reply: FastifyReply, error: string, challenge: string) =>
    reply.status(401).header("WWW-Authenticate", challenge).send({ error });

  async function authenticate(request: FastifyRequest, reply: FastifyReply, memberOnly: boolean) {
    const header = request.headers.authorization;
    if (header === undefined) {
      return unauthorized(
        reply,
        "Authentication required: send your access token as `Authorization: Bearer <token>` (log in through your app, or create one with `npm run cli -- token create <username>`).",
        'Bearer realm="socialdapres"',
      );
    }
    const waitSeconds = await deps.limiter.retryAfter(request.ip);
    if (waitSeconds > 0) {
      return reply
        .status(429)
        .header("Retry-After", String(waitSeconds))
        .send({
          error: `Too many wrong access tokens from your address: try again in ${waitSeconds} seconds.`,
        });
    }
    const token = BEARER.exec(header)?.[1];
    const grant = token ? await deps.members.authenticateBearer(token) : undefined;
    if (!grant) {
      await deps.limiter.recordFailure(request.ip);
      return unauthorized(
        reply,
        token
          ? "This access token is not valid (revoked, expired, mistyped or from another instance): log in again or create a new one."
          : "The Authorization header must be `Bearer <token>`.",
        'Bearer realm="socialdapres", error="invalid_token"',
      );
    }
    if (memberOnly && !grant.member) {
      return reply.status(422).send({
        error:
          "This method requires an authenticated user: this token belongs to an app alone (client_credentials); log a member in with the authorization code flow.",
      });
    }
    authenticated.set(request, grant);
  }

  return {
    hook: (request, reply) => authenticate(request, reply, true),
    appHook: (request, reply) => authenticate(request, reply, false),

    memberOf(request) {
      const member = grantOf(request).member;
      if (!member) throw new Error("memberOf called on a route behind appHook");
      return member;
    },

    grantOf,

    scopesOf(request) {
      return grantOf(request).scopes;
    },

    requireScope(scope) {
      return async (request, reply) => {
        if (grantsScope(grantOf(request).scopes, scope)) return;
        return reply.status(403).send({
          error: `This action needs the \`${scope}\` scope, which your access token was not granted: authorize the app again with that scope.`,
        });
      };
    },
  };
}

/**
 * The own API's rule for scopes: reading (GET, HEAD) needs `read`, anything else `write`.
 * A `preHandler` hook, after `auth.hook`. CLI tokens hold both.
 */
export function scopeByMethod(
  auth: BearerAuth,
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const read = auth.requireScope("read");
  const write = auth.requireScope("write");
  return (request, reply) =>
    request.method === "GET" || request.method === "HEAD"
      ? read(request, reply)
      : write(request, reply);
}

/**
 * A route scope for the member's private data: bearer token required, JSON or
 * multipart only (no text/plain), and answers no shared cache may keep.
 */
export function privateApiScope(api: FastifyInstance, auth: BearerAuth): void {
  api.removeContentTypeParser("text/plain");
  api.addHook("onRequest", auth.hook);
  api.addHook("preHandler", scopeByMethod(auth));
  api.addHook("onSend", async (_request, reply) => {
    reply.header("cache-control", "private, no-store");
  });
}
