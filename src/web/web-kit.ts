import { randomBytes } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { InstanceProfileService } from "../accounts/instance-profile-service.ts";
import type { Member } from "../accounts/members-service.ts";
import { escapeHtml } from "../shared/html.ts";
import type { WebAssets } from "./assets.ts";
import { createCsrfGuard } from "./csrf.ts";
import { browserLanguage, type Language, type MessageKey, translate } from "./i18n.ts";
import { layout } from "./layout.ts";
import {
  LANGUAGE_COOKIE,
  noStore,
  readCookie,
  sessionMember,
  type WebSessions,
} from "./session.ts";

/** Who is looking at a page, for its header. */
export interface Viewer {
  member: Member;
  /** Unread notifications, shown beside the link to them. */
  unread: number;
}

/** What every page needs to know about its request: the language, the viewer, the CSRF token. */
export interface PageContext {
  lang: Language;
  viewer: Viewer | undefined;
  /** The request's path and query: where the language switch and the log-in come back to. */
  path: string;
  /** A hidden field carrying this visitor's CSRF token, for every form that changes something. */
  csrfField(): string;
}

export interface Page {
  title: string;
  /** Escaped HTML. */
  body: string;
  /** Extra elements for <head>, e.g. the ActivityPub alternate link. */
  head?: string;
  status?: number;
}

/**
 * The web pages' shared kit: one place that knows the visitor (session, language, unread
 * count), renders the frame with its header, and guards forms. Made once per app by
 * src/http/routes.ts and given to every page module.
 */
export interface WebKit {
  /**
   * The instance's name as the admin last set it (read it when rendering: it changes while
   * the server runs).
   */
  readonly instanceName: string;
  origin: URL;
  /** The request's page context (resolved once per request). */
  context(request: FastifyRequest, reply: FastifyReply): Promise<PageContext>;
  /**
   * The context of a visitor as the request alone tells it, without the database: for the
   * error pages, which must render when the database is away.
   */
  visitorContext(request: FastifyRequest): PageContext;
  /** The language a visitor (no session) gets the pages in: their switch, then their browser's. */
  visitorLanguage(request: FastifyRequest): Language;
  /**
   * A page made for every visitor (src/http/page-cache.ts) with this visitor's own CSRF token
   * in its forms (and its cookie when they have none yet); the page itself when it has no form.
   */
  personalize(request: FastifyRequest, reply: FastifyReply, page: Buffer): Buffer;
  /** Sends a full page in the frame; pages with a viewer are never stored by a cache. */
  send(reply: FastifyReply, context: PageContext, page: Page): FastifyReply;
  /** A short page that says what went wrong (404, 403, 410, 400) and links home. */
  sendMessage(
    reply: FastifyReply,
    context: PageContext,
    message: { status: number; title: MessageKey; text: MessageKey | { raw: string } },
  ): FastifyReply;
  /**
   * The logged-in member, or undefined after sending the visitor to the log-in form
   * (which brings them back here).
   */
  requireMember(request: FastifyRequest, reply: FastifyReply): Promise<Member | undefined>;
  /**
   * A preHandler for every form route: refuses (403, with a page that says why) a form
   * whose CSRF token is missing or wrong. Register the route in a scope with a form parser.
   */
  checkCsrf(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined>;
}

export interface WebKitDeps {
  /** The instance's profile: its name heads every page. */
  profile: Pick<InstanceProfileService, "current" | "get">;
  origin: URL;
  sessions: WebSessions;
  unreadCount(memberId: string): Promise<number>;
  assets: Pick<WebAssets, "styleHref" | "scriptHref">;
  /**
   * True when this request's page is made for every visitor (src/http/page-cache.ts): its
   * forms get a placeholder that `personalize` fills in per request.
   */
  sharedPage?: (request: FastifyRequest) => boolean;
}

export function createWebKit(deps: WebKitDeps): WebKit {
  const { origin } = deps;
  const contexts = new WeakMap<FastifyRequest, Promise<PageContext>>();
  const csrf = createCsrfGuard(origin);
  // Unguessable, so that no text of a page can make a form field of it (text is escaped anyway).
  const sharedToken = randomBytes(18).toString("base64url");
  const sharedField = Buffer.from(csrfFieldHtml(sharedToken));

  function languageOf(request: FastifyRequest, member?: Member): Language {
    // The header's switch, then the browser's own preference, then the member's language
    // (the one of their direct messages), then French.
    const chosen = readCookie(request, LANGUAGE_COOKIE);
    if (chosen === "fr" || chosen === "en") return chosen;
    const browser = browserLanguage(request.headers["accept-language"]);
    if (browser) return browser;
    return member?.language === "en" ? "en" : "fr";
  }

  async function resolve(request: FastifyRequest, reply: FastifyReply): Promise<PageContext> {
    // The profile is read again when this process's copy is old: another process may have
    // changed it.
    const [member] = await Promise.all([sessionMember(deps.sessions, request), deps.profile.get()]);
    const viewer = member ? { member, unread: await deps.unreadCount(member.id) } : undefined;
    const lang = languageOf(request, member);
    let token: string | undefined;
    return {
      lang,
      viewer,
      path: request.url,
      csrfField() {
        if (!viewer && deps.sharedPage?.(request)) return csrfFieldHtml(sharedToken);
        token ??= csrf.token(request, reply);
        return csrfFieldHtml(token);
      },
    };
  }

  const kit: WebKit = {
    get instanceName() {
      return deps.profile.current().name;
    },
    origin,
    context(request, reply) {
      let context = contexts.get(request);
      if (!context) {
        context = resolve(request, reply);
        contexts.set(request, context);
      }
      return context;
    },
    visitorContext(request) {
      return {
        lang: languageOf(request),
        viewer: undefined,
        path: request.url,
        csrfField: () => "",
      };
    },
    visitorLanguage: (request) => languageOf(request),
    personalize(request, reply, page) {
      let at = page.indexOf(sharedField);
      if (at < 0) return page;
      const field = Buffer.from(csrfFieldHtml(csrf.token(request, reply)));
      const parts: Buffer[] = [];
      let from = 0;
      while (at >= 0) {
        parts.push(page.subarray(from, at), field);
        from = at + sharedField.length;
        at = page.indexOf(sharedField, from);
      }
      parts.push(page.subarray(from));
      return Buffer.concat(parts);
    },
    send(reply, context, page) {
      if (context.viewer) noStore(reply);
      return reply
        .status(page.status ?? 200)
        .header("content-language", context.lang)
        .header("vary", "Accept, Accept-Language, Cookie")
        .type("text/html; charset=utf-8")
        .send(
          layout({
            ...page,
            lang: context.lang,
            instanceName: kit.instanceName,
            viewer: context.viewer,
            path: context.path,
            csrfField: context.csrfField,
            assets: deps.assets,
          }),
        );
    },
    sendMessage(reply, context, message) {
      const title = translate(context.lang, message.title);
      const text =
        typeof message.text === "string" ? translate(context.lang, message.text) : message.text.raw;
      const body = `<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(text)}</p>
<p><a href="/">${escapeHtml(translate(context.lang, "backHome"))}</a></p>`;
      return kit.send(reply, context, { title, body, status: message.status });
    },
    async requireMember(request, reply) {
      const context = await kit.context(request, reply);
      if (context.viewer) return context.viewer.member;
      noStore(reply).redirect(`/login?next=${encodeURIComponent(request.url)}`, 302);
      return undefined;
    },
    checkCsrf(request, reply) {
      if (csrf.verify(request)) return Promise.resolve(undefined);
      // Fastify stops at a preHandler that answered and returned the reply.
      return kit.context(request, reply).then((context) =>
        kit.sendMessage(noStore(reply), context, {
          status: 403,
          title: "formExpired",
          text: "formExpiredText",
        }),
      );
    },
  };
  return kit;
}

const csrfFieldHtml = (token: string) =>
  `<input type="hidden" name="_csrf" value="${escapeHtml(token)}">`;
