import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { MembersService } from "../accounts/members-service.ts";
import type { AppConfig } from "../config/config.ts";
import type { AppFederation } from "../federation/app-federation.ts";
import { inboxSenderRefusal, signedByItsActor } from "../federation/inbox-sender.ts";
import type { ModerationPolicy } from "../moderation/policy.ts";
import { INSTANCE_ACTOR_IDENTIFIER, type LocalUrls } from "../shared/local-urls.ts";
import type { Logger } from "../shared/logger.ts";
import type { HtmlErrorPages } from "../web/error-pages.ts";
import type { DocumentCache } from "./document-cache.ts";
import { registerErrorHandling } from "./errors.ts";
import { registerFedifyBridge } from "./fedify-bridge.ts";
import { registerInputGuards } from "./input-guards.ts";
import { type Metrics, observeRequests } from "./metrics.ts";
import { registerSecurityHeaders } from "./security-headers.ts";

/**
 * The Fastify instance before any route: who is the client (TRUST_PROXY), limits, the one
 * error shape, the edge guards, and the bridge that hands Fedify its routes and inboxes
 * (with the inbox's first check and the `/@name` addresses people share).
 */
const idOf = (value: unknown): unknown =>
  Array.isArray(value)
    ? idOf(value[0])
    : typeof value === "object" && value && "id" in value
      ? value.id
      : value;

export function createHttpServer(deps: {
  config: Pick<AppConfig, "trustProxy">;
  logger: Logger;
  federation: AppFederation;
  urls: LocalUrls;
  members: Pick<MembersService, "findByUsername">;
  /** Refuses the inbox POSTs of blocked domains and suspended accounts (src/moderation/). */
  moderation?: Pick<ModerationPolicy, "decide">;
  /** Runs a request's work in the app's scope (its Fedify log route, src/shared/fedify-logging.ts). */
  inScope?: <T>(fn: () => T) => T;
  /** Error answers as pages for browsers (the web kit is attached once the routes exist). */
  htmlErrors?: HtmlErrorPages;
  /** True once the process is stopping: answers then ask the client to close its connection. */
  isDraining?: () => boolean;
  /** The instance's metrics, when METRICS_TOKEN is set (src/http/metrics.ts). */
  metrics?: Metrics;
  /** Actors, Notes and WebFinger answers kept between requests (src/http/document-cache.ts). */
  documentCache?: DocumentCache;
}): FastifyInstance {
  const { config, urls, members } = deps;
  const http: FastifyInstance = Fastify({
    loggerInstance: deps.logger.child({ component: "http" }) as FastifyBaseLogger,
    // Only the configured proxies may say who the client is (TRUST_PROXY): the failed
    // log-in and token limits count per client address.
    trustProxy: config.trustProxy ? [...config.trustProxy] : false,
    routerOptions: { ignoreTrailingSlash: true },
    // On close, idle keep-alive connections are closed at once; a request in progress finishes
    // (its connection closes after its answer, see below). App.close() bounds the wait.
    forceCloseConnections: "idle",
    bodyLimit: 1024 * 1024,
  });
  const { inScope } = deps;
  if (inScope) {
    // First of all hooks, so that Fedify's records about this request reach this app's log.
    // Entered again once the body is read: a request stream's events run outside the scope.
    http.addHook("onRequest", (_request, _reply, done) => inScope(() => done()));
    http.addHook("preValidation", (_request, _reply, done) => inScope(() => done()));
  }
  const { isDraining } = deps;
  if (isDraining) {
    // A request that arrived before the stop gets its answer, then its connection closes:
    // a keep-alive connection must not hold the stopping process, nor send it another request.
    http.addHook("onSend", (_request, reply, _payload, done) => {
      if (isDraining()) reply.header("connection", "close");
      done();
    });
  }
  if (deps.metrics) observeRequests(http, deps.metrics);
  registerErrorHandling(http, deps.htmlErrors);
  // Before the routes: their answers get the headers and the compression.
  registerSecurityHeaders(http, urls.origin);
  // Before the Fedify bridge: a NUL in a path or query never reaches a dispatcher.
  registerInputGuards(http);
  registerFedifyBridge(http, deps.federation, {
    origin: urls.origin.origin,
    contextData: () => undefined,
    inboxPaths: ["/users/:identifier/inbox", "/inbox"],
    async checkInbox({ headers, activity, params }) {
      // The inbox of nobody is Fedify's to answer: 404.
      const owner = params.identifier;
      const known =
        !owner ||
        owner === INSTANCE_ACTOR_IDENTIFIER ||
        (await members.findByUsername(owner))?.username === owner;
      if (!known) return undefined;
      const refusal = inboxSenderRefusal(headers, activity, urls.origin.origin);
      if (refusal || !deps.moderation) return refusal;
      // The sender check above made sure the activity names one http(s) actor.
      const actor = String(idOf(activity.actor));
      const decision = await deps.moderation.decide(actor);
      if (!decision.refused) return undefined;
      return {
        moderation:
          decision.because === "domain"
            ? "This instance does not federate with your server (domain blocked by its moderators)."
            : "This account is suspended on this instance.",
      };
    },
    // Signed with the actor's own key: the HTTP signature is enough (docs/SECURITY.md).
    authenticatedByHttpSignature: ({ headers, activity }) => signedByItsActor(headers, activity),
    onInbox: deps.metrics?.countInbox,
    ...(deps.documentCache
      ? { documents: { cache: deps.documentCache, cacheable: isCacheableDocument } }
      : {}),
    // Ours links NodeInfo 2.0 and 2.1 (see discovery-routes.ts).
    fastifyPaths: ["/.well-known/nodeinfo"],
    // `/@bea` is the profile page people share; ActivityPub clients get the actor there too,
    // and the Note at an encounter's permalink `/@bea/<id>` (its `url`).
    rewriteUrl: (url) => {
      const username = /^\/@([a-z0-9_]{1,30})$/i.exec(url.pathname)?.[1];
      if (username) return urls.actor(username.toLowerCase());
      const note = /^\/@([a-z0-9_]{1,30})\/([0-9a-f-]{36})$/i.exec(url.pathname);
      return note
        ? urls.encounter((note[1] as string).toLowerCase(), note[2] as string)
        : undefined;
    },
  });
  return http;
}

/**
 * The documents kept between requests: an actor (`/users/{identifier}`), an encounter's Note
 * (`/users/{identifier}/encounters/{id}`) and WebFinger. Everything they are made of raises the
 * document generation (migration `document_generation_triggers`); collections are not kept
 * (follows do not raise it).
 */
export function isCacheableDocument(target: URL): boolean {
  const path = target.pathname;
  return (
    path === "/.well-known/webfinger" ||
    /^\/users\/[^/]+(\/encounters\/[0-9a-f-]{36})?\/?$/i.test(path)
  );
}
