import formbody from "@fastify/formbody";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { loadWebAssets } from "./assets.ts";
import type { HtmlErrorPages } from "./error-pages.ts";
import { safeNext } from "./login-page.ts";
import { languageCookie, type WebSessions } from "./session.ts";
import { createWebKit, type WebKit, type WebKitDeps } from "./web-kit.ts";

export interface WebDeps {
  /** The instance's profile (src/accounts/instance-profile-service.ts): its name heads every page. */
  profile: WebKitDeps["profile"];
  origin: URL;
  sessions: WebSessions;
  unreadCount(memberId: string): Promise<number>;
  htmlErrors?: HtmlErrorPages;
}

const languageParams = z.object({ lang: z.enum(["fr", "en"]) });

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
  const web = createWebKit({ ...deps, assets });
  deps.htmlErrors?.attach(web);
  http.register(async (scope) => {
    await scope.register(formbody, { bodyLimit: 64 * 1024 });
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
