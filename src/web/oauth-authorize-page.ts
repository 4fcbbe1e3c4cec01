import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Member, MembersService } from "../accounts/members-service.ts";
import { type OAuthApp, type OAuthService, OOB_REDIRECT_URI } from "../accounts/oauth-service.ts";
import type { OAuthServer } from "../api/oauth/oauth-server.ts";
import type { LoginThrottle } from "../http/login-throttle.ts";
import { escapeHtml } from "../shared/html.ts";
import type { Language } from "./i18n.ts";
import { checkLogin, LOGIN_WORDS } from "./login-page.ts";
import {
  type AuthorizeParams,
  authorizeParams,
  CARRIED,
  checkAuthorizeRequest,
  postBody,
  W,
} from "./oauth-authorize-request.ts";
import { noStore, readCookie, SESSION_COOKIE, sessionCookie, type WebSessions } from "./session.ts";
import type { PageContext, WebKit } from "./web-kit.ts";

/*
 * GET/POST /oauth/authorize: the page where a member logs in (when needed) and lets a
 * Mastodon app act for them. The request is checked before anything is shown; errors that
 * cannot be trusted to the app's redirect URI (unknown app, unregistered URI) stay on this
 * page. The code itself is issued by the OAuth library (src/api/oauth/oauth-server.ts).
 */

export interface AuthorizePageDeps {
  oauth: Pick<OAuthService, "findApp">;
  server: Pick<OAuthServer, "authorize">;
  sessions: WebSessions;
  members: Pick<MembersService, "checkPassword">;
  throttle: LoginThrottle;
  web: WebKit;
}

const truthy = (value: string | undefined) => value === "true" || value === "1";

/** Binds a consent form to the session that showed it: a forged form has no such value. */
const csrfOf = (sessionToken: string) =>
  createHash("sha256").update(`oauth-consent\n${sessionToken}`).digest("base64url");

/** Registered in the pages' scope (src/web/register.ts), which parses forms. */
export function registerAuthorizePage(scope: FastifyInstance, deps: AuthorizePageDeps): void {
  const { web } = deps;
  const origin = web.origin;

  const check = (params: AuthorizeParams, lang: Language) =>
    checkAuthorizeRequest(deps.oauth.findApp, params, lang);

  /** Pages that hold a live form or a code: never cached or sent as a Referer (never framed: CSP). */
  const guarded = (reply: FastifyReply) => noStore(reply).header("referrer-policy", "no-referrer");

  /** The page context, in the language the app asked for (`lang`) when it did. */
  const contextOf = async (
    request: FastifyRequest,
    reply: FastifyReply,
    asked: Language | undefined,
  ): Promise<PageContext> => {
    const context = await web.context(request, reply);
    return asked ? { ...context, lang: asked } : context;
  };

  const page = (
    reply: FastifyReply,
    context: PageContext,
    title: string,
    body: string,
    status = 200,
  ) => web.send(guarded(reply), context, { title, body, status });

  const errorPage = (reply: FastifyReply, context: PageContext, status: number, message: string) =>
    page(
      reply,
      context,
      W[context.lang].errorTitle,
      `<h1>${escapeHtml(W[context.lang].errorTitle)}</h1>\n<p role="alert" class="error">${escapeHtml(message)}</p>`,
      status,
    );

  const hiddenFields = (params: AuthorizeParams) =>
    CARRIED.map((name) =>
      params[name] === undefined
        ? ""
        : `<input type="hidden" name="${name}" value="${escapeHtml(params[name])}">`,
    ).join("\n");

  const queryOf = (params: AuthorizeParams, extra: Record<string, string> = {}) => {
    const query = new URLSearchParams();
    for (const name of CARRIED) {
      const value = params[name];
      if (value !== undefined) query.set(name, value);
    }
    for (const [name, value] of Object.entries(extra)) query.set(name, value);
    return `/oauth/authorize?${query}`;
  };

  /** Sends the app its error, or shows it when the app has no redirect (oob). */
  const redirectError = (
    reply: FastifyReply,
    context: PageContext,
    params: AuthorizeParams,
    error: string,
    description: string,
  ) => {
    const { lang } = context;
    const uri = params.redirect_uri as string;
    if (uri === OOB_REDIRECT_URI) {
      const message =
        error === "access_denied"
          ? W[lang].deniedText
          : W[lang].failed.replace("{reason}", description);
      return errorPage(reply, context, error === "access_denied" ? 403 : 400, message);
    }
    const target = new URL(uri);
    target.searchParams.set("error", error);
    target.searchParams.set("error_description", description);
    if (params.state) target.searchParams.set("state", params.state);
    return guarded(reply).redirect(target.href, 302);
  };

  const loginForm = (
    reply: FastifyReply,
    context: PageContext,
    params: AuthorizeParams,
    app: OAuthApp,
    opts: { status?: number; error?: string; username?: string } = {},
  ) => {
    const { lang } = context;
    const lw = LOGIN_WORDS[lang];
    const title = W[lang].loginTitle.replace("{app}", app.name);
    const body = `<h1>${escapeHtml(title)}</h1>
${opts.error ? `<p role="alert" class="error">${escapeHtml(opts.error)}</p>` : ""}
<form method="post" action="/oauth/authorize">
${context.csrfField()}
${hiddenFields(params)}
<input type="hidden" name="action" value="login">
<p><label>${escapeHtml(lw.username)}<br><input type="text" name="username" autocomplete="username" required maxlength="64" value="${escapeHtml(opts.username ?? "")}"></label></p>
<p><label>${escapeHtml(lw.password)}<br><input name="password" type="password" autocomplete="current-password" required></label></p>
<p><button type="submit">${escapeHtml(lw.submit)}</button></p>
</form>`;
    return page(reply, context, title, body, opts.status);
  };

  const consentPage = (
    reply: FastifyReply,
    context: PageContext,
    params: AuthorizeParams,
    checked: { app: OAuthApp; scopes: string[] },
    member: Member,
    sessionToken: string,
  ) => {
    const w = W[context.lang];
    const { app, scopes } = checked;
    const handle = `@${member.username}@${origin.host}`;
    const describe = (scope: string) => {
      const parent = scope.split(":")[0] as keyof typeof w.scopes;
      const meaning = w.scopes[parent];
      return `<li><code>${escapeHtml(scope)}</code>${meaning ? ` : ${escapeHtml(meaning)}` : ""}</li>`;
    };
    const website =
      app.website && /^https?:\/\//i.test(app.website)
        ? `<p><a href="${escapeHtml(app.website)}" rel="noopener noreferrer">${escapeHtml(w.website)}</a></p>`
        : "";
    const body = `<h1>${escapeHtml(w.title)}</h1>
<p>${escapeHtml(w.asks.replace("{app}", app.name).replace("{handle}", handle))}</p>
<ul>
${scopes.map(describe).join("\n")}
</ul>
${website}
<form method="post" action="/oauth/authorize">
${context.csrfField()}
${hiddenFields({ ...params, scope: scopes.join(" ") })}
<input type="hidden" name="csrf" value="${csrfOf(sessionToken)}">
<p><button type="submit" name="action" value="approve">${escapeHtml(w.approve)}</button>
<button type="submit" name="action" value="deny">${escapeHtml(w.deny)}</button></p>
</form>
<p>${escapeHtml(w.notYou)} <a href="${escapeHtml(queryOf(params, { force_login: "true" }))}">${escapeHtml(w.otherAccount)}</a></p>`;
    return page(reply, context, w.title, body);
  };

  /** The live session's member and cookie value, or undefined. */
  async function session(request: FastifyRequest) {
    const token = readCookie(request, SESSION_COOKIE);
    const member = token ? await deps.sessions.memberOf(token) : undefined;
    return token && member ? { token, member } : undefined;
  }

  scope.get("/oauth/authorize", async (request, reply) => {
    const parsed = authorizeParams.safeParse(request.query ?? {});
    const context = await contextOf(request, reply, parsed.success ? parsed.data.lang : undefined);
    const { lang } = context;
    if (!parsed.success) return errorPage(reply, context, 400, W[lang].missing);
    const params = parsed.data;
    const checked = await check(params, lang);
    if (checked.kind === "page") return errorPage(reply, context, checked.status, checked.message);
    if (checked.kind === "redirect") {
      return redirectError(reply, context, params, checked.error, checked.description);
    }
    const current = truthy(params.force_login) ? undefined : await session(request);
    if (!current) return loginForm(reply, context, params, checked.app);
    return consentPage(reply, context, params, checked, current.member, current.token);
  });

  // Every form of this page comes from this instance's own pages (the CSRF token).
  scope.post("/oauth/authorize", { preHandler: web.checkCsrf }, async (request, reply) => {
    const parsed = postBody.safeParse(request.body ?? {});
    const context = await contextOf(request, reply, parsed.success ? parsed.data.lang : undefined);
    const { lang } = context;
    if (!parsed.success) return errorPage(reply, context, 400, W[lang].missing);
    const { action, username, password, csrf, ...params } = parsed.data;
    const checked = await check(params, lang);
    if (checked.kind === "page") return errorPage(reply, context, checked.status, checked.message);
    if (checked.kind === "redirect") {
      return redirectError(reply, context, params, checked.error, checked.description);
    }

    if (action === "login") {
      if (!username || !password) {
        return loginForm(reply, context, params, checked.app, {
          status: 400,
          error: LOGIN_WORDS[lang].invalid,
          username,
        });
      }
      const outcome = await checkLogin(deps, request.ip, lang, username, password);
      if (outcome.kind === "refused") {
        if (outcome.retryAfter !== undefined) {
          reply.header("retry-after", String(outcome.retryAfter));
        }
        return loginForm(reply, context, params, checked.app, {
          status: outcome.status,
          error: outcome.error,
          username,
        });
      }
      const token = await deps.sessions.create(outcome.value.id, request.headers["user-agent"]);
      // Back to the consent page, now logged in (and without force_login).
      return guarded(reply)
        .header("set-cookie", sessionCookie(token, origin))
        .redirect(queryOf(params), 303);
    }

    const current = await session(request);
    const expected = current ? csrfOf(current.token) : undefined;
    const csrfOk =
      expected !== undefined &&
      csrf !== undefined &&
      csrf.length === expected.length &&
      timingSafeEqual(Buffer.from(csrf), Buffer.from(expected));
    if (!current || !csrfOk) {
      // The session ended or the form was forged: start again from the login form.
      return loginForm(reply, context, params, checked.app, {
        status: 403,
        error: W[lang].badForm,
      });
    }
    if (action === "deny") {
      return redirectError(
        reply,
        context,
        params,
        "access_denied",
        "The member denied the app access to their account.",
      );
    }
    const answer = await deps.server.authorize(
      {
        method: "POST",
        headers: {},
        query: {},
        body: Object.fromEntries(
          Object.entries({ ...params, scope: checked.scopes.join(" ") }).filter(
            (entry): entry is [string, string] => typeof entry[1] === "string",
          ),
        ),
      },
      current.member,
    );
    if (!answer.code) {
      const error = String(answer.body.error ?? "server_error");
      return redirectError(
        reply,
        context,
        params,
        error,
        String(answer.body.error_description ?? ""),
      );
    }
    if (params.redirect_uri === OOB_REDIRECT_URI) {
      const w = W[lang];
      const body = `<h1>${escapeHtml(w.codeTitle)}</h1>
<p>${escapeHtml(w.codeText.replace("{app}", checked.app.name))}</p>
<p><input type="text" readonly size="50" value="${escapeHtml(answer.code)}" aria-label="${escapeHtml(w.codeTitle)}"></p>`;
      return page(reply, context, w.codeTitle, body);
    }
    return guarded(reply).redirect(answer.headers.location ?? answer.headers.Location ?? "/", 302);
  });
}
