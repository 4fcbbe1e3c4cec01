import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { PasswordResetService } from "../accounts/password-reset-service.ts";
import {
  isAcceptablePassword,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  PasswordHashingBusyError,
} from "../accounts/passwords.ts";
import type { Mailer } from "../mail/mailer.ts";
import {
  type AttemptCounters,
  createFailedAttemptLimiter,
} from "../shared/failed-attempt-limiter.ts";
import { escapeHtml } from "../shared/html.ts";
import { formMessage, inputField } from "./form-fields.ts";
import { noStore, secretLinkPage, sessionCookie, type WebSessions } from "./session.ts";
import type { PageContext, WebKit } from "./web-kit.ts";

/*
 * A forgotten password: /password/forgot asks for a username or an address and always gives
 * the same answer; the link mailed (src/accounts/password-reset-service.ts) opens
 * /password/reset/<token>, whose form sets a new password, ends every other session and logs
 * the member in. Without mail, /password/forgot says how an admin resets it.
 */

export interface PasswordPagesDeps {
  passwordResets: Pick<PasswordResetService, "request" | "check" | "complete">;
  mailer: Pick<Mailer, "enabled">;
  sessions: Pick<WebSessions, "create">;
  web: WebKit;
  attemptCounters: AttemptCounters;
  /** Requests for reset links one client address may make per window (10 per 15 minutes). */
  maxRequestsPerAddress?: number;
}

/** What the member must be told too after a new password: apps keep their access. */
export const APPS_STAY = {
  fr: "Les applications que tu as autorisées gardent leur accès : retire celles que tu ne reconnais pas dans Applications autorisées.",
  en: "The apps you authorized keep their access: withdraw any you do not recognise in Authorized apps.",
} as const;

const W = {
  fr: {
    forgotTitle: "Mot de passe oublié",
    forgotIntro:
      "Indique ton nom d'utilisateur·ice ou ton adresse e-mail. Si un compte y correspond et que son adresse e-mail est confirmée, un lien pour choisir un nouveau mot de passe y part ; il marche une heure, une seule fois.",
    identifier: "Nom d'utilisateur·ice ou adresse e-mail",
    send: "Envoyer le lien",
    noAddress:
      "Pas d'adresse e-mail confirmée sur ton compte ? Demande à un·e admin de l'instance de te donner un nouveau mot de passe.",
    noMail:
      "Cette instance n'envoie pas d'e-mails. Demande à un·e admin de l'instance de te donner un nouveau mot de passe : sur le serveur, elle ou il lance la commande ci-dessous, qui affiche un nouveau mot de passe et ferme tes sessions ouvertes.",
    afterAdmin:
      "Connecte-toi ensuite avec ce mot de passe, puis choisis le tien dans Réglages → Mot de passe.",
    yourName: "ton-nom",
    sentTitle: "Regarde tes e-mails",
    sent: "Si un compte correspond, un e-mail est parti. Il contient un lien valable une heure. Pense à regarder dans les indésirables.",
    missing: "Indique ton nom d'utilisateur·ice ou ton adresse e-mail.",
    tooMany: "Trop de demandes depuis ta connexion : réessaie dans {s} secondes.",
    resetTitle: "Choisis un nouveau mot de passe",
    resetFor: "Pour le compte @{name}.",
    password: "Nouveau mot de passe",
    confirm: "Le même, encore une fois",
    rule: "Entre {min} et {max} caractères.",
    mismatch: "Les deux mots de passe ne sont pas les mêmes.",
    save: "Changer mon mot de passe",
    busy: "Le serveur vérifie beaucoup de mots de passe en ce moment : réessaie dans {s} secondes.",
    deadTitle: "Ce lien ne marche plus",
    dead: "Il a déjà servi, un lien plus récent l'a remplacé, ou il a expiré (au bout d'une heure).",
    askAgain: "Demander un nouveau lien",
    forgotLink: "Mot de passe oublié ?",
  },
  en: {
    forgotTitle: "Forgot your password",
    forgotIntro:
      "Give your username or your e-mail address. If an account matches and its e-mail address is confirmed, a link to choose a new password is sent to it; it works for one hour, once.",
    identifier: "Username or e-mail address",
    send: "Send the link",
    noAddress:
      "No confirmed e-mail address on your account? Ask an admin of the instance for a new password.",
    noMail:
      "This instance does not send e-mails. Ask an admin of the instance for a new password: on the server, they run the command below, which prints a new password and ends your open sessions.",
    afterAdmin: "Then log in with that password, and choose your own in Settings → Password.",
    yourName: "your-name",
    sentTitle: "Check your e-mail",
    sent: "If an account matches, an e-mail is on its way. Its link works for one hour. Look in your spam folder too.",
    missing: "Give your username or your e-mail address.",
    tooMany: "Too many requests from your connection: try again in {s} seconds.",
    resetTitle: "Choose a new password",
    resetFor: "For the account @{name}.",
    password: "New password",
    confirm: "The same, once more",
    rule: "{min} to {max} characters.",
    mismatch: "The two passwords are not the same.",
    save: "Change my password",
    busy: "The server is checking many passwords right now: try again in {s} seconds.",
    deadTitle: "This link no longer works",
    dead: "It was used already, a newer link replaced it, or it expired (after one hour).",
    askAgain: "Ask for a new link",
    forgotLink: "Forgot your password?",
  },
} as const;

/** A server too busy hashing passwords: try again in `seconds`. */
export const passwordBusyText = (lang: keyof typeof W, seconds: number) =>
  W[lang].busy.replace("{s}", String(seconds));

/** The words of the link the log-in form shows. */
export const FORGOT_LINK = { fr: W.fr.forgotLink, en: W.en.forgotLink } as const;

const forgotBody = z.object({ identifier: z.string().trim().max(320).optional() });
const resetParams = z.object({ token: z.string().max(100) });
const resetBody = z.object({
  password: z.string().max(4096).optional(),
  confirm: z.string().max(4096).optional(),
});

const ruleText = (lang: keyof typeof W) =>
  W[lang].rule
    .replace("{min}", String(PASSWORD_MIN_LENGTH))
    .replace("{max}", String(PASSWORD_MAX_LENGTH));

/** The two fields of a new password, with the rule and the errors next to them. */
export function newPasswordFields(
  lang: keyof typeof W,
  errors: { password?: string; confirm?: string },
): string {
  const w = W[lang];
  return `${inputField({
    id: "new-password",
    name: "password",
    type: "password",
    label: w.password,
    autocomplete: "new-password",
    hint: ruleText(lang),
    error: errors.password,
  })}${inputField({
    id: "confirm-password",
    name: "confirm",
    type: "password",
    label: w.confirm,
    autocomplete: "new-password",
    error: errors.confirm,
  })}`;
}

/** What is wrong with a new password typed twice, in the page's language (none: undefined). */
export function newPasswordErrors(
  lang: keyof typeof W,
  password: string,
  confirm: string,
): { password?: string; confirm?: string } | undefined {
  if (!isAcceptablePassword(password)) return { password: ruleText(lang) };
  if (password !== confirm) return { confirm: W[lang].mismatch };
  return undefined;
}

export function registerPasswordPages(scope: FastifyInstance, deps: PasswordPagesDeps): void {
  const { web } = deps;
  const perAddress = createFailedAttemptLimiter({
    counters: deps.attemptCounters,
    scope: "password-forgot",
    maxFailures: deps.maxRequestsPerAddress ?? 10,
    windowMs: 15 * 60_000,
  });

  const forgotForm = (
    reply: FastifyReply,
    context: PageContext,
    opts: { status?: number; error?: string; fieldError?: string; identifier?: string } = {},
  ) => {
    const w = W[context.lang];
    const command = `<pre><code>npm run cli -- user password ${escapeHtml(w.yourName)}</code></pre>`;
    const body = deps.mailer.enabled
      ? `<h1>${escapeHtml(w.forgotTitle)}</h1>
<p>${escapeHtml(w.forgotIntro)}</p>
${formMessage("error", opts.error)}<form method="post" action="/password/forgot">
${context.csrfField()}
${inputField({ id: "identifier", name: "identifier", label: w.identifier, autocomplete: "username", maxlength: 320, value: opts.identifier, error: opts.fieldError })}<p><button type="submit">${escapeHtml(w.send)}</button></p>
</form>
<p>${escapeHtml(w.noAddress)}</p>`
      : `<h1>${escapeHtml(w.forgotTitle)}</h1>
<p>${escapeHtml(w.noMail)}</p>
${command}
<p>${escapeHtml(w.afterAdmin)}</p>`;
    return web.send(noStore(reply), context, { title: w.forgotTitle, body, status: opts.status });
  };

  const deadLink = (reply: FastifyReply, context: PageContext) => {
    const w = W[context.lang];
    const body = `<h1>${escapeHtml(w.deadTitle)}</h1>
<p>${escapeHtml(w.dead)}</p>
<p><a href="/password/forgot">${escapeHtml(w.askAgain)}</a></p>`;
    return web.send(secretLinkPage(reply), context, { title: w.deadTitle, body, status: 410 });
  };

  const resetForm = (
    reply: FastifyReply,
    context: PageContext,
    token: string,
    username: string,
    opts: { status?: number; error?: string; errors?: { password?: string; confirm?: string } },
  ) => {
    const w = W[context.lang];
    const body = `<h1>${escapeHtml(w.resetTitle)}</h1>
<p>${escapeHtml(w.resetFor.replace("{name}", username))}</p>
${formMessage("error", opts.error)}<form method="post" action="/password/reset/${escapeHtml(encodeURIComponent(token))}">
${context.csrfField()}
${newPasswordFields(context.lang, opts.errors ?? {})}<p><button type="submit">${escapeHtml(w.save)}</button></p>
</form>`;
    return web.send(secretLinkPage(reply), context, {
      title: w.resetTitle,
      body,
      status: opts.status,
    });
  };

  scope.get("/password/forgot", async (request, reply) =>
    forgotForm(reply, await web.context(request, reply)),
  );

  scope.post("/password/forgot", { preHandler: web.checkCsrf }, async (request, reply) => {
    const context = await web.context(request, reply);
    const w = W[context.lang];
    if (!deps.mailer.enabled) return forgotForm(reply, context);
    const parsed = forgotBody.safeParse(request.body ?? {});
    const identifier = parsed.success ? (parsed.data.identifier ?? "") : "";
    if (!identifier) return forgotForm(reply, context, { status: 400, fieldError: w.missing });
    const wait = await perAddress.retryAfter(request.ip);
    if (wait > 0) {
      reply.header("retry-after", String(wait));
      return forgotForm(reply, context, {
        status: 429,
        error: w.tooMany.replace("{s}", String(wait)),
        identifier,
      });
    }
    await perAddress.recordFailure(request.ip);
    await deps.passwordResets.request(identifier, context.lang);
    // The same page whether an account matched or not, a mail left or not.
    const body = `<h1>${escapeHtml(w.sentTitle)}</h1>
<p role="status">${escapeHtml(w.sent)}</p>`;
    return web.send(noStore(reply), context, { title: w.sentTitle, body });
  });

  scope.get("/password/reset/:token", async (request, reply) => {
    const context = await web.context(request, reply);
    const token = tokenOf(request);
    const member = token ? await deps.passwordResets.check(token) : undefined;
    if (!token || !member) return deadLink(reply, context);
    return resetForm(reply, context, token, member.username, {});
  });

  scope.post("/password/reset/:token", { preHandler: web.checkCsrf }, async (request, reply) => {
    const context = await web.context(request, reply);
    const token = tokenOf(request);
    const member = token ? await deps.passwordResets.check(token) : undefined;
    if (!token || !member) return deadLink(reply, context);
    const parsed = resetBody.safeParse(request.body ?? {});
    const password = parsed.success ? (parsed.data.password ?? "") : "";
    const confirm = parsed.success ? (parsed.data.confirm ?? "") : "";
    const errors = newPasswordErrors(context.lang, password, confirm);
    if (errors) return resetForm(reply, context, token, member.username, { status: 422, errors });
    let changed: Awaited<ReturnType<PasswordResetService["complete"]>>;
    try {
      changed = await deps.passwordResets.complete(token, password);
    } catch (error) {
      if (!(error instanceof PasswordHashingBusyError)) throw error;
      reply.header("retry-after", String(error.retryAfterSeconds));
      return resetForm(reply, context, token, member.username, {
        status: 503,
        error: passwordBusyText(context.lang, error.retryAfterSeconds),
      });
    }
    if (!changed) return deadLink(reply, context);
    // Every session of the member ended with the reset: this browser gets a new one.
    const session = await deps.sessions.create(changed.id, request.headers["user-agent"]);
    return secretLinkPage(reply)
      .header("set-cookie", sessionCookie(session, web.origin))
      .redirect("/settings/sessions?done=reset", 303);
  });
}

function tokenOf(request: FastifyRequest): string | undefined {
  const parsed = resetParams.safeParse(request.params);
  return parsed.success ? parsed.data.token : undefined;
}
