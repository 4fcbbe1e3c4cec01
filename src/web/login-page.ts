import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import type { Member, MembersService } from "../accounts/members-service.ts";
import { PasswordHashingBusyError } from "../accounts/passwords.ts";
import type { LoginThrottle } from "../http/login-throttle.ts";
import { escapeHtml } from "../shared/html.ts";
import type { Language } from "./i18n.ts";
import { FORGOT_LINK } from "./password-pages.ts";
import {
  clearedSessionCookie,
  noStore,
  readCookie,
  SESSION_COOKIE,
  sessionCookie,
  type WebSessions,
} from "./session.ts";
import type { PageContext, WebKit } from "./web-kit.ts";

export interface LoginDeps {
  members: Pick<MembersService, "checkPassword">;
  sessions: WebSessions;
  web: WebKit;
  /** Failed log-ins per client address, and a slower path for an account under attack. */
  throttle: LoginThrottle;
}

const WORDS = {
  fr: {
    title: "Se connecter",
    username: "Nom d'utilisateur·ice",
    password: "Mot de passe",
    submit: "Se connecter",
    wrong: "Nom d'utilisateur·ice ou mot de passe incorrect.",
    tooMany: "Trop d'essais manqués : réessaie dans {s} secondes.",
    accountBusy:
      "Ce compte reçoit beaucoup de tentatives de connexion en ce moment : réessaie dans {s} secondes.",
    serverBusy:
      "Le serveur vérifie beaucoup de mots de passe en ce moment : réessaie dans {s} secondes.",
    invalid: "Indique un nom d'utilisateur·ice et un mot de passe.",
    toTracker:
      "Connecte-toi avec ton compte de cette instance (pas celui de Mastodon). Tu reviendras ensuite sur ton suivi : le formulaire de la question de la semaine et ton compte relié y sont.",
    toPage: "Après connexion, tu reviendras à la page demandée.",
    suspended:
      "Ton compte est suspendu par la modération de cette instance : tu ne peux pas te connecter.",
    suspendedWhy: "La raison donnée :",
  },
  en: {
    title: "Log in",
    username: "Username",
    password: "Password",
    submit: "Log in",
    wrong: "Wrong username or password.",
    tooMany: "Too many failed attempts: try again in {s} seconds.",
    accountBusy:
      "This account is receiving many log-in attempts right now: try again in {s} seconds.",
    serverBusy: "The server is checking many passwords right now: try again in {s} seconds.",
    invalid: "Give a username and a password.",
    toTracker:
      "Log in with your account on this instance (not your Mastodon one). You will then be back on your tracker: the weekly question's form and your linked account are there.",
    toPage: "After logging in, you will be back on the page you asked for.",
    suspended: "Your account is suspended by this instance's moderators: you cannot log in.",
    suspendedWhy: "The reason given:",
  },
} as const;

const loginBody = z.object({
  username: z.string().trim().min(1).max(64),
  password: z.string().min(1).max(1024),
  next: z.string().max(500).optional(),
});

/** Only a path of this site: never `//elsewhere` or an absolute URL (no open redirect). */
export function safeNext(next: unknown, fallback = "/tracker"): string {
  return typeof next === "string" && /^\/(?![/\\])[^\s]*$/.test(next) ? next : fallback;
}

export type LoginCheck =
  | { kind: "ok"; value: Member }
  | { kind: "refused"; status: number; error: string; retryAfter?: number };

/**
 * One password check through the log-in throttle, as every log-in form does it (this page,
 * the OAuth consent page): the member, or the status and message to show.
 */
export async function checkLogin(
  deps: Pick<LoginDeps, "members" | "throttle">,
  address: string,
  lang: Language,
  username: string,
  password: string,
): Promise<LoginCheck> {
  const w = WORDS[lang];
  const again = (status: number, text: string, seconds: number): LoginCheck => ({
    kind: "refused",
    status,
    error: text.replace("{s}", String(seconds)),
    retryAfter: seconds,
  });
  // The account as findByUsername reads it, so "@Bea" and "bea" share one count.
  const account = username.replace(/^@/, "").toLowerCase();
  const outcome = await deps.throttle
    .attempt(account, address, () => deps.members.checkPassword(username, password))
    .catch((error: unknown) => {
      if (error instanceof PasswordHashingBusyError) return error;
      throw error;
    });
  if (outcome instanceof PasswordHashingBusyError) {
    return again(503, w.serverBusy, outcome.retryAfterSeconds);
  }
  if (outcome.kind === "wait") {
    return again(429, outcome.scope === "address" ? w.tooMany : w.accountBusy, outcome.retryAfter);
  }
  if (outcome.kind === "wrong") return { kind: "refused", status: 401, error: w.wrong };
  // Told only to whoever knows the password: the member learns why, a stranger learns nothing.
  const { suspendedAt, suspensionReason } = outcome.value;
  if (suspendedAt) {
    const why = suspensionReason ? ` ${w.suspendedWhy} ${suspensionReason}` : "";
    return { kind: "refused", status: 403, error: `${w.suspended}${why}` };
  }
  return { kind: "ok", value: outcome.value };
}

/** The words of the log-in form, for other pages that embed one. */
export const LOGIN_WORDS = WORDS;

/** GET/POST /login and POST /logout, in the pages' scope (src/web/register.ts). */
export function registerLoginPages(scope: FastifyInstance, deps: LoginDeps): void {
  const { web } = deps;
  const form = (
    reply: FastifyReply,
    context: PageContext,
    opts: { status?: number; error?: string; username?: string; next?: string },
  ) => {
    const w = WORDS[context.lang];
    const next = safeNext(opts.next);
    // What the member came for, and that the log-in brings them back there.
    const hint = next === "/tracker" || next.startsWith("/tracker#") ? w.toTracker : w.toPage;
    const body = `<h1>${escapeHtml(w.title)}</h1>
${opts.next ? `<p class="next">${escapeHtml(hint)}</p>` : ""}
${opts.error ? `<p role="alert" class="error">${escapeHtml(opts.error)}</p>` : ""}
<form method="post" action="/login">
${context.csrfField()}
<input type="hidden" name="next" value="${escapeHtml(next)}">
<p><label>${escapeHtml(w.username)}<br><input type="text" name="username" autocomplete="username" required maxlength="64" value="${escapeHtml(opts.username ?? "")}"></label></p>
<p><label>${escapeHtml(w.password)}<br><input name="password" type="password" autocomplete="current-password" required></label></p>
<p><button type="submit">${escapeHtml(w.submit)}</button></p>
</form>
<p><a href="/password/forgot">${escapeHtml(FORGOT_LINK[context.lang])}</a></p>`;
    return web.send(noStore(reply), context, { title: w.title, body, status: opts.status });
  };

  scope.get("/login", async (request, reply) => {
    const context = await web.context(request, reply);
    const asked = (request.query as { next?: unknown } | undefined)?.next;
    const next = safeNext(asked);
    if (context.viewer) return reply.redirect(next, 303);
    return form(reply, context, { next: asked === undefined ? undefined : next });
  });

  scope.post("/login", { preHandler: web.checkCsrf }, async (request, reply) => {
    const context = await web.context(request, reply);
    const { lang } = context;
    const w = WORDS[lang];
    const parsed = loginBody.safeParse(request.body ?? {});
    if (!parsed.success) return form(reply, context, { status: 400, error: w.invalid });
    const { username, password, next } = parsed.data;
    const outcome = await checkLogin(deps, request.ip, lang, username, password);
    if (outcome.kind === "refused") {
      if (outcome.retryAfter !== undefined) reply.header("retry-after", String(outcome.retryAfter));
      return form(reply, context, { status: outcome.status, error: outcome.error, username, next });
    }
    const member = outcome.value;
    const token = await deps.sessions.create(member.id, request.headers["user-agent"]);
    return noStore(reply)
      .header("set-cookie", sessionCookie(token, web.origin))
      .redirect(safeNext(next), 303);
  });

  scope.post("/logout", { preHandler: web.checkCsrf }, async (request, reply) => {
    const token = readCookie(request, SESSION_COOKIE);
    if (token) await deps.sessions.revoke(token);
    return noStore(reply).header("set-cookie", clearedSessionCookie(web.origin)).redirect("/", 303);
  });
}
