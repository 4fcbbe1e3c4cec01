import type { FastifyInstance } from "fastify";

/**
 * What browser apps (Elk, Phanpy) need to call the Mastodon API and the OAuth endpoints from
 * their own origin. Bearer tokens, not cookies, authenticate these calls, so any origin may
 * make them: no credentials are allowed.
 */
const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
  "access-control-allow-headers":
    "Authorization, Content-Type, Idempotency-Key, Accept, X-Requested-With",
  "access-control-expose-headers":
    "Link, X-RateLimit-Reset, X-RateLimit-Limit, X-RateLimit-Remaining, X-Request-Id, Idempotency-Key",
  "access-control-max-age": "86400",
};

/** Adds the CORS headers to every answer of `scope` and answers preflights under `prefixes`. */
export function allowBrowserApps(scope: FastifyInstance, prefixes: readonly string[]): void {
  scope.addHook("onRequest", async (_request, reply) => {
    reply.headers(CORS_HEADERS);
  });
  for (const prefix of prefixes) {
    scope.options(prefix, async (_request, reply) => reply.status(204).send());
  }
}
