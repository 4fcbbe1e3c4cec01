import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Member, MembersService } from "../accounts/members-service.ts";
import type { PasswordService } from "../accounts/password-service.ts";
import { PasswordHashingBusyError } from "../accounts/passwords.ts";
import type { LoginThrottle } from "../http/login-throttle.ts";
import { escapeHtml } from "../shared/html.ts";
import { formMessage, inputField } from "./form-fields.ts";
import type { Language } from "./i18n.ts";
import { checkLogin } from "./login-page.ts";
import {
  APPS_STAY,
  newPasswordErrors,
  newPasswordFields,
  passwordBusyText,
} from "./password-pages.ts";
import { readCookie, SESSION_COOKIE, type WebSessions } from "./session.ts";
import type { PageContext, WebKit } from "./web-kit.ts";

/*
 * /settings/password: the member changes their password (the current one, the new one twice);
 * their other web sessions end, this one stays.
 */

export interface PasswordSettingsDeps {
  members: Pick<MembersService, "checkPassword">;
  memberPasswords: Pick<PasswordService, "prepare" | "store">;
  sessions: Pick<WebSessions, "current">;
  /** The log-in throttle: guessing the current password here is guessing a log-in. */
  throttle: LoginThrottle;
  web: WebKit;
}

const W = {
  fr: {
    title: "Mot de passe",
    intro:
      "Changer ton mot de passe ferme tes autres sessions (tes autres navigateurs) ; celle-ci reste ouverte.",
    current: "Mot de passe actuel",
    wrongCurrent: "Ce n'est pas ton mot de passe actuel.",
    save: "Changer mon mot de passe",
    done: "Ton mot de passe est changé. Tes autres sessions sont fermées ; celle-ci reste ouverte.",
    forgot: "Tu ne te souviens plus de l'actuel ?",
  },
  en: {
    title: "Password",
    intro:
      "Changing your password ends your other sessions (your other browsers); this one stays open.",
    current: "Current password",
    wrongCurrent: "This is not your current password.",
    save: "Change my password",
    done: "Your password is changed. Your other sessions are ended; this one stays open.",
    forgot: "You do not remember the current one?",
  },
} as const;

const changeBody = z.object({
  current: z.string().max(4096).optional(),
  password: z.string().max(4096).optional(),
  confirm: z.string().max(4096).optional(),
});

export type CurrentPasswordCheck =
  | { kind: "ok" }
  /** `field`: the error goes next to the field (wrong password); otherwise above the form. */
  | { kind: "refused"; status: number; error: string; field: boolean; retryAfter?: number };

/**
 * The member's current password, checked through the log-in throttle (a wrong one counts as
 * a failed log-in for this address and account), for forms that ask it before a change.
 */
export async function checkCurrentPassword(
  deps: { members: Pick<MembersService, "checkPassword">; throttle: LoginThrottle },
  request: FastifyRequest,
  lang: Language,
  member: Member,
  password: string,
): Promise<CurrentPasswordCheck> {
  if (!password) return { kind: "refused", status: 422, error: W[lang].wrongCurrent, field: true };
  const outcome = await checkLogin(deps, request.ip, lang, member.username, password);
  if (outcome.kind === "ok" && outcome.value.id === member.id) return { kind: "ok" };
  if (outcome.kind === "refused" && outcome.status !== 401) {
    const { status, error, retryAfter } = outcome;
    return { kind: "refused", status, error, field: false, retryAfter };
  }
  return { kind: "refused", status: 422, error: W[lang].wrongCurrent, field: true };
}

/**
 * How a refused check shows on a form: the error next to the current-password field (a wrong
 * one), or above the form (busy, throttled), with `Retry-After` set when there is a wait.
 */
export function refusedPasswordState(
  reply: FastifyReply,
  check: Extract<CurrentPasswordCheck, { kind: "refused" }>,
): { status: number; errors?: { current: string }; error?: string } {
  if (check.retryAfter) reply.header("retry-after", String(check.retryAfter));
  return check.field
    ? { status: check.status, errors: { current: check.error } }
    : { status: check.status, error: check.error };
}

/** The id of the request's own web session (the one to keep). */
export async function currentSessionId(
  sessions: Pick<WebSessions, "current">,
  request: FastifyRequest,
): Promise<string | undefined> {
  const token = readCookie(request, SESSION_COOKIE);
  return token ? (await sessions.current(token))?.id : undefined;
}

export function registerPasswordSettingsPage(
  scope: FastifyInstance,
  deps: PasswordSettingsDeps,
): void {
  const { web } = deps;

  const form = (
    reply: FastifyReply,
    context: PageContext,
    opts: {
      status?: number;
      error?: string;
      notice?: string;
      errors?: { current?: string; password?: string; confirm?: string };
    } = {},
  ) => {
    const w = W[context.lang];
    const errors = opts.errors ?? {};
    const body = `<h1>${escapeHtml(w.title)}</h1>
${formMessage("notice", opts.notice)}<p>${escapeHtml(w.intro)}</p>
${formMessage("error", opts.error)}<form method="post" action="/settings/password">
${context.csrfField()}
${inputField({ id: "current-password", name: "current", type: "password", label: w.current, autocomplete: "current-password", error: errors.current })}${newPasswordFields(context.lang, errors)}<p><button type="submit">${escapeHtml(w.save)}</button></p>
</form>
<p><a href="/password/forgot">${escapeHtml(w.forgot)}</a></p>`;
    return web.send(reply, context, { title: w.title, body, status: opts.status });
  };

  scope.get("/settings/password", async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const context = await web.context(request, reply);
    const done = (request.query as { done?: unknown } | undefined)?.done === "1";
    const w = W[context.lang];
    return form(reply, context, {
      notice: done ? `${w.done} ${APPS_STAY[context.lang]}` : undefined,
    });
  });

  scope.post("/settings/password", { preHandler: web.checkCsrf }, async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const context = await web.context(request, reply);
    const parsed = changeBody.safeParse(request.body ?? {});
    const fields = parsed.success ? parsed.data : {};
    const password = fields.password ?? "";
    const invalid = newPasswordErrors(context.lang, password, fields.confirm ?? "");
    if (invalid) return form(reply, context, { status: 422, errors: invalid });
    try {
      const check = await checkCurrentPassword(
        deps,
        request,
        context.lang,
        member,
        fields.current ?? "",
      );
      if (check.kind === "refused") return form(reply, context, refusedPasswordState(reply, check));
      const hash = await deps.memberPasswords.prepare(password);
      const keep = await currentSessionId(deps.sessions, request);
      await deps.memberPasswords.store(member.id, hash, keep);
    } catch (error) {
      if (!(error instanceof PasswordHashingBusyError)) throw error;
      reply.header("retry-after", String(error.retryAfterSeconds));
      const busy = passwordBusyText(context.lang, error.retryAfterSeconds);
      return form(reply, context, { status: 503, error: busy });
    }
    return reply.redirect("/settings/password?done=1", 303);
  });
}
