import type { Federation } from "@fedify/fedify";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { CachedDocument, DocumentCache } from "./document-cache.ts";
import { databaseTroubleOf, replyDatabaseTrouble } from "./errors.ts";
import type { InboxRefusal, InboxResult } from "./metrics.ts";

export interface FedifyBridgeOptions<T> {
  /** The instance's public origin (e.g. "https://our.instance"): Fedify derives every URI from it. */
  origin: string;
  contextData: (request: FastifyRequest) => T;
  /** Fastify route patterns of the inboxes, e.g. "/users/:identifier/inbox" and "/inbox". */
  inboxPaths: string[];
  /** Largest accepted inbox body in bytes; 1 MiB by default. */
  inboxBodyLimit?: number;
  /** Lets the app hand Fedify another URL for a GET/HEAD (e.g. "/@bea" → "/users/bea"). */
  rewriteUrl?: (url: URL, request: FastifyRequest) => URL | undefined;
  /**
   * Paths Fastify answers itself although Fedify has a built-in route for them, e.g.
   * "/.well-known/nodeinfo" (Fedify's lists no link unless its own NodeInfo dispatcher is set).
   */
  fastifyPaths?: string[];
  /**
   * Checks an inbox POST before Fedify reads it: returns why it is refused (a text: answered
   * 401; a moderation refusal: 403), or undefined to let Fedify verify its signature.
   */
  checkInbox?: (request: {
    headers: Headers;
    activity: Record<string, unknown>;
    /** The route's parameters, e.g. the inbox owner's `identifier`. */
    params: Record<string, string>;
  }) => Promise<InboxCheckRefusal | undefined> | InboxCheckRefusal | undefined;
  /**
   * True when the request's HTTP signature alone authenticates the activity's actor: Fedify
   * is then handed the activity without its Linked Data signature (`signature`) and
   * integrity proof (`proof`), so it verifies the HTTP signature instead of them (it tries
   * them first and skips the HTTP signature when one verifies). The bytes, which the
   * signed Digest covers, stay as received.
   */
  authenticatedByHttpSignature?: (request: {
    headers: Headers;
    activity: Record<string, unknown>;
  }) => boolean;
  /** Told whether each inbox POST was accepted or why it was refused (the metrics). */
  onInbox?: (result: InboxResult) => void;
  /**
   * Fedify's answers to kept and served again (src/http/document-cache.ts), for the GETs whose
   * target `cacheable` accepts: only public documents, the same for every reader.
   */
  documents?: { cache: DocumentCache; cacheable: (target: URL) => boolean };
}

/** Why an inbox POST is refused before Fedify: a sender problem (401) or moderation (403). */
export type InboxCheckRefusal = string | { moderation: string };

const DEFAULT_INBOX_BODY_LIMIT = 1024 * 1024;

/**
 * Serves Fedify's routes from Fastify. GET/HEAD go through `federation.fetch()` first and
 * fall through to Fastify's own routes when Fedify has no route or the client wants HTML;
 * inbox POSTs are explicit routes that hand Fedify the exact bytes received.
 */
export function registerFedifyBridge<T>(
  app: FastifyInstance,
  federation: Federation<T>,
  options: FedifyBridgeOptions<T>,
): void {
  const origin = new URL(options.origin).origin;
  const bodyLimit = options.inboxBodyLimit ?? DEFAULT_INBOX_BODY_LIMIT;
  const trimSlash = (path: string) => (path.length > 1 ? path.replace(/\/+$/, "") : path);
  const fastifyPaths = new Set((options.fastifyPaths ?? []).map(trimSlash));
  const onInbox = options.onInbox ?? (() => {});
  const refused = (reason: InboxRefusal) => onInbox({ result: "refused", reason });

  app.addHook("onRequest", async (request, reply) => {
    if (request.method !== "GET" && request.method !== "HEAD") return;
    const url = publicUrl(origin, request.url);
    if (fastifyPaths.has(trimSlash(url.pathname))) return;
    const target = options.rewriteUrl?.(url, request) ?? url;
    const cached = await cachedDocument(request, target);
    if (cached?.hit) return sendDocument(reply, cached.hit);
    // Set from Fedify's callbacks; the cast keeps TypeScript from narrowing it to undefined.
    let fallThrough = undefined as "notFound" | "notAcceptable" | undefined;
    const response = await federation.fetch(
      new Request(target, { method: request.method, headers: requestHeaders(request) }),
      {
        contextData: options.contextData(request),
        onNotFound: () => {
          fallThrough = "notFound";
          return new Response(null, { status: 404 });
        },
        onNotAcceptable: () => {
          fallThrough = "notAcceptable";
          return new Response(null, { status: 406 });
        },
      },
    );
    // The same URL answers JSON or HTML depending on Accept: caches must keep them apart.
    if (fallThrough === "notAcceptable") reply.header("vary", "Accept");
    if (fallThrough !== undefined) return; // Fastify's routing (HTML pages, 404) takes over.
    const document = await readResponse(response, withItemsArray);
    if (cached && document.status === 200 && !isSigned(request)) {
      options.documents?.cache.set(cached.key, cached.generation, document);
    }
    return sendDocument(reply, document);
  });

  /**
   * The document kept for this GET, if any, and where to keep it otherwise. The key holds the
   * Accept header: Fedify's content negotiation depends on it and on the URL alone. A document
   * is kept only from an unsigned request (so it is one that anyone may read) and served to
   * every request, signed or not: a signature grants more, never less.
   */
  async function cachedDocument(
    request: FastifyRequest,
    target: URL,
  ): Promise<{ key: string; generation: number; hit?: CachedDocument } | undefined> {
    const documents = options.documents;
    if (!documents || request.method !== "GET" || !documents.cacheable(target)) return undefined;
    const accept = request.headers.accept ?? "";
    // A browser's page is Fastify's: no query for it.
    if (/text\/html/i.test(accept) && !/json/i.test(accept)) return undefined;
    const key = `${target.href}\n${accept}`;
    let generation: number;
    try {
      generation = await documents.cache.generation();
    } catch {
      return undefined; // The database's trouble: Fedify's own answer says it.
    }
    return { key, generation, hit: documents.cache.get(key, generation) };
  }

  // Encapsulated so that the raw-body parser and error handler apply to the inbox routes only.
  app.register(async (inboxes) => {
    // Keep the exact bytes: Fedify checks Digest / Content-Digest against them, and any
    // re-serialisation of the JSON would break the signature.
    inboxes.removeAllContentTypeParsers();
    inboxes.addContentTypeParser("*", { parseAs: "buffer", bodyLimit }, (_request, body, done) =>
      done(null, body),
    );
    inboxes.setErrorHandler((error: FastifyError, request, reply) => {
      refused(
        error.statusCode === 413
          ? "too_large"
          : error.statusCode !== undefined && error.statusCode < 500
            ? "malformed"
            : "error",
      );
      if (error.statusCode === 413) {
        return reply.code(413).send({
          error: `The request body is larger than the inbox limit of ${bodyLimit} bytes.`,
        });
      }
      if (error.statusCode !== undefined && error.statusCode < 500) {
        return reply.code(error.statusCode).send({ error: error.message });
      }
      const trouble = databaseTroubleOf(error);
      if (trouble) return replyDatabaseTrouble(request, reply, trouble, error);
      request.log.error({ err: error }, "inbox request failed");
      return reply.code(500).send({ error: "Internal server error." });
    });

    for (const path of options.inboxPaths) {
      inboxes.post(path, { bodyLimit }, async (request, reply) => {
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        // Fedify 2.3.6 answers most bad bodies with a 400 but throws on some (a bare JSON
        // string); check here. TextDecoder drops a BOM as Fedify's `request.json()` does.
        let json: unknown;
        try {
          json = JSON.parse(new TextDecoder().decode(body));
        } catch {
          refused("malformed");
          return reply.code(400).send({ error: "The request body is not valid JSON." });
        }
        if (typeof json !== "object" || json === null || Array.isArray(json)) {
          refused("malformed");
          return reply.code(400).send({ error: "The request body must be a JSON object." });
        }
        const headers = requestHeaders(request);
        const refusal = await options.checkInbox?.({
          headers,
          activity: json as Record<string, unknown>,
          params: request.params as Record<string, string>,
        });
        if (typeof refusal === "object") {
          // Mastodon takes any 4xx but 429 as final: the peer stops sending, nothing is retried.
          refused("moderation");
          return reply.code(403).send({ error: refusal.moderation });
        }
        if (refusal) {
          refused("sender");
          return reply.code(401).send({ error: refusal });
        }
        const activity = json as Record<string, unknown>;
        const httpSignatureOnly =
          ("signature" in activity || "proof" in activity) &&
          options.authenticatedByHttpSignature?.({ headers, activity }) === true;
        const fedifyRequest = parsedInboxRequest(
          publicUrl(origin, request.url),
          headers,
          new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
          httpSignatureOnly ? withoutSignatures(activity) : activity,
        );
        let response: Response;
        try {
          response = await federation.fetch(fedifyRequest, {
            contextData: options.contextData(request),
          });
        } catch (error) {
          // The sender must try again later, not take it as refused.
          const trouble = databaseTroubleOf(error);
          if (trouble) {
            refused("error");
            return replyDatabaseTrouble(request, reply, trouble, error);
          }
          refused("malformed");
          // The JSON is well-formed, so what Fedify chokes on is the sender's activity
          // (e.g. an unloadable JSON-LD context): answer as bad input, never as a crash.
          request.log.warn({ err: error }, "Fedify could not process an inbox request");
          return reply.code(400).send({ error: "The activity could not be processed." });
        }
        onInbox(inboxResultOf(response.status));
        return sendDocument(reply, await readResponse(response));
      });
    }
  });
}

/**
 * An inbox POST as Fedify reads it: its bytes as received (Fedify checks the signed Digest
 * against them) and its JSON as parsed here, so that Fedify neither parses it again nor
 * sees what `withoutSignatures` took out. Fedify 2.3.6 reads the body only through `clone()`,
 * `json()` and `arrayBuffer()` (and looks at `bodyUsed` and `body?.locked`): the Request
 * carries no body of its own, these answer from what the route already read, and a clone is
 * the request itself (nothing is ever consumed) — no copy of the bytes and no new Request per
 * read. Pinned by test/http/inbox-signatures.test.ts.
 */
function parsedInboxRequest(
  url: URL,
  headers: Headers,
  bytes: Uint8Array,
  json: Record<string, unknown>,
): Request {
  const request = new Request(url, { method: "POST", headers });
  return Object.assign(request, {
    clone: () => request,
    json: async () => json,
    arrayBuffer: async () =>
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    text: async () => new TextDecoder().decode(bytes),
  });
}

/** The activity without its Linked Data signature and its (top-level) integrity proofs. */
function withoutSignatures(activity: Record<string, unknown>): Record<string, unknown> {
  const { signature: _signature, proof: _proof, ...rest } = activity;
  return rest;
}

/** What Fedify's answer to an inbox POST says of the activity. */
function inboxResultOf(status: number): InboxResult {
  if (status < 400) return { result: "accepted" };
  const reason: InboxRefusal =
    status === 401 || status === 403
      ? "signature"
      : status === 404 || status === 410
        ? "unknown_inbox"
        : status === 400 || status === 415 || status === 422
          ? "malformed"
          : status >= 500
            ? "error"
            : "other";
  return { result: "refused", reason };
}

/**
 * The public URL of a request. `request.url` is the raw request target: resolving it with
 * `new URL(target, origin)` would let a target like "//evil.example/x" change the host,
 * so only its path and query are put on the origin.
 */
function publicUrl(origin: string, target: string): URL {
  const url = new URL(origin);
  const query = target.indexOf("?");
  url.pathname = query < 0 ? target : target.slice(0, query);
  url.search = query < 0 ? "" : target.slice(query);
  return url;
}

/** Every header as received (rawHeaders keeps repeated ones); `Host` is signed, so it stays. */
function requestHeaders(request: FastifyRequest): Headers {
  const headers = new Headers();
  const raw = request.raw.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2)
    headers.append(raw[i] as string, raw[i + 1] as string);
  return headers;
}

/**
 * A collection page always says what it holds, even nothing: JSON-LD compaction drops an
 * empty `orderedItems`, and some servers read a page without it as malformed. Only our
 * collection pages (Fedify's output) pass here.
 */
function withItemsArray(body: Buffer, contentType: string | null): Buffer {
  if (!/json/.test(contentType ?? "") || !body.includes("CollectionPage")) return body;
  let page: unknown;
  try {
    page = JSON.parse(body.toString("utf8"));
  } catch {
    return body;
  }
  if (typeof page !== "object" || page === null || Array.isArray(page)) return body;
  const record = page as Record<string, unknown>;
  const key =
    record.type === "OrderedCollectionPage"
      ? "orderedItems"
      : record.type === "CollectionPage"
        ? "items"
        : undefined;
  if (!key || key in record) return body;
  return Buffer.from(JSON.stringify({ ...record, [key]: [] }));
}

/** Whether the request carries an HTTP signature (draft-cavage or RFC 9421). */
function isSigned(request: FastifyRequest): boolean {
  return (
    request.headers.signature !== undefined || request.headers["signature-input"] !== undefined
  );
}

async function readResponse(
  response: Response,
  transform?: (body: Buffer, contentType: string | null) => Buffer,
): Promise<CachedDocument> {
  // Fastify sets the length of the buffer it sends; a copied length or chunked encoding
  // would contradict it.
  const headers = [...response.headers].filter(
    ([name]) => name !== "content-length" && name !== "transfer-encoding",
  );
  const received = Buffer.from(await response.arrayBuffer());
  const body =
    transform && response.status === 200
      ? transform(received, response.headers.get("content-type"))
      : received;
  return { status: response.status, headers, body };
}

function sendDocument(reply: FastifyReply, document: CachedDocument): FastifyReply {
  reply.code(document.status);
  for (const [name, value] of document.headers) reply.header(name, value);
  return reply.send(document.body.length > 0 ? document.body : undefined);
}
