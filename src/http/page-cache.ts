import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { DocumentCache } from "./document-cache.ts";

/**
 * The public HTML pages as a visitor (no session) gets them, kept by this process in the
 * document cache (src/http/document-cache.ts): the same generation guarantee as the
 * ActivityPub documents, so a page is never older than the last committed change to what it
 * is made of (every table these pages read raises the generation: migrations
 * `document_generation_triggers` and `page_generation_triggers`).
 *
 * Only a GET whose `keyOf` gives a key is looked up or kept, and only a 200 that sets no
 * cookie is kept. What is the visitor's own in a page (the CSRF token of the remote-follow
 * form) is rendered as a placeholder for a kept page and filled in by `personalize` on every
 * answer, from the cache or not: the kept bytes are the same for every visitor. Compression
 * (@fastify/compress, a route-level onSend hook, so after this one) applies to each answer.
 */
export interface PageCacheOptions {
  cache: DocumentCache;
  /**
   * The key of a GET whose page is the same for every visitor it may be served to (path and
   * query, language…), or undefined: not kept, not looked up (e.g. a request with a session).
   */
  keyOf(request: FastifyRequest): string | undefined;
  /**
   * Fills in what is this visitor's own in a kept page (may set a header: its cookie); the
   * page itself when it holds nothing of the kind.
   */
  personalize(request: FastifyRequest, reply: FastifyReply, page: Buffer): Buffer;
}

export interface PageCache {
  /** True while the page of this request is made to be kept: the same for every visitor. */
  isShared(request: FastifyRequest): boolean;
  /** Adds the hooks to a scope: the lookup before its routes run, the keeping after. */
  register(scope: FastifyInstance): void;
}

/** The headers a page's route sets that a kept page carries again (the hooks set the rest). */
const KEPT_HEADERS = ["content-type", "content-language", "vary", "cache-control"] as const;

export function createPageCache(options: PageCacheOptions): PageCache {
  const { cache } = options;
  /** The requests whose page is being made to be kept, with its key and generation. */
  const pending = new WeakMap<FastifyRequest, { key: string; generation: number }>();

  async function lookUp(request: FastifyRequest, reply: FastifyReply) {
    if (request.method !== "GET") return;
    const key = options.keyOf(request);
    if (key === undefined) return;
    let generation: number;
    try {
      generation = await cache.generation();
    } catch {
      return; // The database's trouble: the route's own answer says it.
    }
    const hit = cache.get(key, generation);
    if (!hit) {
      pending.set(request, { key, generation });
      return;
    }
    reply.code(hit.status);
    for (const [name, value] of hit.headers) reply.header(name, value);
    return reply.send(options.personalize(request, reply, hit.body));
  }

  function keep(request: FastifyRequest, reply: FastifyReply, payload: unknown): unknown {
    const made = pending.get(request);
    if (!made || typeof payload !== "string") return payload;
    pending.delete(request);
    const page = Buffer.from(payload, "utf8");
    // A page that sets a cookie, or that says it must not be stored, is someone's own.
    const own =
      reply.hasHeader("set-cookie") ||
      /no-store|private/.test(String(reply.getHeader("cache-control") ?? ""));
    if (reply.statusCode === 200 && !own) {
      const headers: Array<[string, string]> = [];
      for (const name of KEPT_HEADERS) {
        const value = reply.getHeader(name);
        if (value !== undefined) headers.push([name, String(value)]);
      }
      cache.set(made.key, made.generation, { status: 200, headers, body: page });
    }
    return options.personalize(request, reply, page);
  }

  return {
    isShared: (request) => pending.has(request),
    register(scope) {
      scope.addHook("onRequest", lookUp);
      scope.addHook("onSend", async (request, reply, payload) => keep(request, reply, payload));
    },
  };
}
