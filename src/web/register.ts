import formbody from "@fastify/formbody";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { DocumentCache } from "../http/document-cache.ts";
import { createPageCache } from "../http/page-cache.ts";
import { loadWebAssets } from "./assets.ts";
import type { HtmlErrorPages } from "./error-pages.ts";
import { safeNext } from "./login-page.ts";
import { languageCookie, readCookie, SESSION_COOKIE, type WebSessions } from "./session.ts";
import { createWebKit, type WebKit, type WebKitDeps } from "./web-kit.ts";

export interface WebDeps {
  /** The instance's profile (src/accounts/instance-profile-service.ts): its name heads every page. */
  profile: WebKitDeps["profile"];
  origin: URL;
  sessions: WebSessions;
  unreadCount(memberId: string): Promise<number>;
  htmlErrors?: HtmlErrorPages;
  /**
   * Public pages kept for visitors (src/http/page-cache.ts): the routes (as registered, e.g.
   * "/@:username") whose page is the same for every visitor, and the cache they are kept in.
   */
  visitorPages?: { cache: DocumentCache; routes: readonly string[] };
}

const languageParams = z.object({ lang: z.enum(["fr", "en"]) });

/**
 * The visitor pages read no query parameter but `before` (the page of a list): a request with
 * any other is answered but not kept, so that made-up query strings cannot fill the cache.
 */
const onlyPageQuery = (query: unknown) =>
  Object.keys((query ?? {}) as object).every((name) => name === "before");

/**
 * The web pages' scope: its form parser (the API keeps its JSON and multipart parsers), the
 * stylesheet and script, the language switch, and the kit every page module is given.
 * `pages` registers the page modules in that scope.
 */
export function registerWeb(
  http: FastifyInstance,
  deps: WebDeps,
  pages: (scope: FastifyInstance, web: WebKit) => void,
): void {
  const assets = loadWebAssets();
  const visitorRoutes = new Set(deps.visitorPages?.routes);
  const pageCache =
    deps.visitorPages &&
    createPageCache({
      cache: deps.visitorPages.cache,
      // A request with a session (even an expired one) is never served, nor makes, a kept page.
      keyOf: (request) =>
        visitorRoutes.has(request.routeOptions.url ?? "") &&
        readCookie(request, SESSION_COOKIE) === undefined &&
        onlyPageQuery(request.query)
          ? `page ${web.visitorLanguage(request)} ${request.url}`
          : undefined,
      personalize: (request, reply, page) => web.personalize(request, reply, page),
    });
  const web = createWebKit({ ...deps, assets, sharedPage: pageCache?.isShared });
  deps.htmlErrors?.attach(web);
  http.register(async (scope) => {
    await scope.register(formbody, { bodyLimit: 64 * 1024 });
    pageCache?.register(scope);
    assets.register(scope);

    // The switch in every page's header: a cookie, then back to the page.
    scope.get("/language/:lang", async (request, reply) => {
      const parsed = languageParams.safeParse(request.params);
      if (!parsed.success) return reply.callNotFound();
      const next = safeNext((request.query as { next?: unknown } | undefined)?.next, "/");
      return reply
        .header("set-cookie", languageCookie(parsed.data.lang, deps.origin))
        .header("cache-control", "no-store")
        .redirect(next, 303);
    });

    pages(scope, web);
  });
}
