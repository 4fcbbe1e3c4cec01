import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { EMAIL_MAX_LENGTH, type EmailService } from "../accounts/email-service.ts";
import type { Member, MembersService } from "../accounts/members-service.ts";
import type { LoginThrottle } from "../http/login-throttle.ts";
import type { Mailer } from "../mail/mailer.ts";
import { isDomainError } from "../shared/errors.ts";
import { escapeHtml } from "../shared/html.ts";
import { formMessage, inputField } from "./form-fields.ts";
import { checkCurrentPassword, refusedPasswordState } from "./password-settings-page.ts";
import { formatInstant } from "./render-encounter.ts";
import { secretLinkPage } from "./session.ts";
import type { PageContext, WebKit } from "./web-kit.ts";

/*
 * /settings/email: the member's e-mail address, optional. Setting, changing or removing it
 * asks the current password. When the instance sends mail, a link checks the address
 * (/settings/email/verify/<token>); only a checked address receives password reset links.
 */

export interface EmailPageDeps {
  emails: Pick<
    EmailService,
    "set" | "remove" | "sendVerification" | "isVerificationLive" | "verify"
  >;
  members: Pick<MembersService, "checkPassword">;
  mailer: Pick<Mailer, "enabled">;
  throttle: LoginThrottle;
  web: WebKit;
}

const W = {
  fr: {
    title: "Adresse e-mail",
    intro:
      "Facultative. Une fois confirmée, elle sert à une seule chose : recevoir un lien pour choisir un nouveau mot de passe si tu l'oublies. Elle n'est montrée à personne.",
    none: "Tu n'as pas donné d'adresse e-mail.",
    verified: "Ton adresse : {email}, confirmée le {date}.",
    unverified: "Ton adresse : {email}, pas encore confirmée.",
    unverifiedMail:
      "Un lien pour la confirmer lui a été envoyé ; il marche 24 heures. Pas reçu ? Regarde dans les indésirables, ou demande-le encore.",
    noMail:
      "Cette instance n'envoie pas d'e-mails : ton adresse ne peut pas être confirmée pour l'instant, et ne sert donc pas encore à réinitialiser ton mot de passe. En cas d'oubli, un·e admin peut t'en donner un nouveau.",
    resend: "Renvoyer le lien",
    resent:
      "Si ton adresse attend sa confirmation, un nouveau lien vient de partir (au plus trois par heure).",
    email: "Adresse e-mail",
    newEmail: "Nouvelle adresse e-mail",
    current: "Ton mot de passe actuel (pour confirmer)",
    save: "Enregistrer l'adresse",
    remove: "Retirer mon adresse",
    removeTitle: "Retirer l'adresse",
    saved: "Ton adresse est enregistrée.",
    savedMail:
      "Ton adresse est enregistrée : ouvre le lien qui vient de lui être envoyé pour la confirmer.",
    unchanged: "C'est déjà ton adresse.",
    removed: "Ton adresse est retirée.",
    invalid: "Ce n'est pas une adresse e-mail : écris-la comme bea@exemple.org.",
    taken: "Un autre compte a déjà cette adresse.",
    verifyTitle: "Confirmer ton adresse e-mail",
    verifyIntro: "Confirme que cette adresse est bien la tienne.",
    verifyButton: "Confirmer mon adresse",
    verifiedNow: "Ton adresse e-mail est confirmée. Merci !",
    deadTitle: "Ce lien ne marche plus",
    dead: "Il a déjà servi, un lien plus récent l'a remplacé, l'adresse a changé depuis, ou il a expiré (au bout de 24 heures). Tu peux en demander un nouveau dans tes réglages.",
    toSettings: "Aller à mes réglages d'adresse e-mail",
  },
  en: {
    title: "E-mail address",
    intro:
      "Optional. Once confirmed, it serves one purpose only: receiving a link to choose a new password if you forget yours. It is shown to no one.",
    none: "You have not given an e-mail address.",
    verified: "Your address: {email}, confirmed on {date}.",
    unverified: "Your address: {email}, not confirmed yet.",
    unverifiedMail:
      "A link to confirm it was sent to it; it works for 24 hours. Not received? Look in your spam folder, or ask for it again.",
    noMail:
      "This instance does not send e-mails: your address cannot be confirmed for now, so it does not yet serve to reset your password. If you forget it, an admin can give you a new one.",
    resend: "Send the link again",
    resent:
      "If your address awaits confirmation, a new link is on its way (three an hour at most).",
    email: "E-mail address",
    newEmail: "New e-mail address",
    current: "Your current password (to confirm)",
    save: "Save the address",
    remove: "Remove my address",
    removeTitle: "Remove the address",
    saved: "Your address is saved.",
    savedMail: "Your address is saved: open the link just sent to it to confirm it.",
    unchanged: "This already is your address.",
    removed: "Your address is removed.",
    invalid: "This is not an e-mail address: write it like bea@example.org.",
    taken: "Another account already has this address.",
    verifyTitle: "Confirm your e-mail address",
    verifyIntro: "Confirm that this address is yours.",
    verifyButton: "Confirm my address",
    verifiedNow: "Your e-mail address is confirmed. Thank you!",
    deadTitle: "This link no longer works",
    dead: "It was used already, a newer link replaced it, the address changed since, or it expired (after 24 hours). You can ask for a new one in your settings.",
    toSettings: "Go to my e-mail settings",
  },
} as const;

type Words = (typeof W)[keyof typeof W];
const NOTICES = ["saved", "savedMail", "unchanged", "removed", "resent"] as const;

const setBody = z.object({
  email: z
    .string()
    .max(EMAIL_MAX_LENGTH + 100)
    .optional(),
  current: z.string().max(4096).optional(),
});
const removeBody = z.object({ current: z.string().max(4096).optional() });
const tokenParams = z.object({ token: z.string().max(100) });

interface FormState {
  status?: number;
  notice?: string;
  error?: string;
  /** Which form the field errors belong to. */
  form?: "set" | "remove";
  errors?: { email?: string; current?: string };
  email?: string;
}

export function registerEmailPage(scope: FastifyInstance, deps: EmailPageDeps): void {
  const { web } = deps;

  const page = (reply: FastifyReply, context: PageContext, member: Member, state: FormState) => {
    const { lang } = context;
    const w = W[lang];
    const setErrors = state.form === "set" ? (state.errors ?? {}) : {};
    const removeErrors = state.form === "remove" ? (state.errors ?? {}) : {};
    const status = member.email
      ? member.emailVerifiedAt
        ? w.verified
            .replace("{email}", member.email)
            .replace("{date}", formatInstant(lang, member.emailVerifiedAt))
        : w.unverified.replace("{email}", member.email)
      : w.none;
    const pending = member.email && !member.emailVerifiedAt;
    const body = `<h1>${escapeHtml(w.title)}</h1>
${formMessage("notice", state.notice)}${formMessage("error", state.error)}<p>${escapeHtml(w.intro)}</p>
<p><strong>${escapeHtml(status)}</strong></p>
${pending && deps.mailer.enabled ? `<p>${escapeHtml(w.unverifiedMail)}</p>\n<form method="post" action="/settings/email/resend">${context.csrfField()}<p><button type="submit" class="secondary">${escapeHtml(w.resend)}</button></p></form>\n` : ""}${deps.mailer.enabled ? "" : `<p>${escapeHtml(w.noMail)}</p>\n`}<form method="post" action="/settings/email">
${context.csrfField()}
${inputField({ id: "email", name: "email", type: "email", label: member.email ? w.newEmail : w.email, autocomplete: "email", maxlength: EMAIL_MAX_LENGTH, value: state.email, error: setErrors.email })}${inputField({ id: "email-current", name: "current", type: "password", label: w.current, autocomplete: "current-password", error: setErrors.current })}<p><button type="submit">${escapeHtml(w.save)}</button></p>
</form>
${member.email ? removeForm(context, w, removeErrors.current) : ""}`;
    return web.send(reply, context, { title: w.title, body, status: state.status });
  };

  const removeForm = (context: PageContext, w: Words, error: string | undefined) =>
    `<h2>${escapeHtml(w.removeTitle)}</h2>
<form method="post" action="/settings/email/remove">
${context.csrfField()}
${inputField({ id: "remove-current", name: "current", type: "password", label: w.current, autocomplete: "current-password", error })}<p><button type="submit" class="secondary">${escapeHtml(w.remove)}</button></p>
</form>`;

  /**
   * Whether the current password was refused, the page sent again with the error where it
   * belongs. (A boolean, not the reply: an awaited reply resolves only once it is sent.)
   */
  async function refusedPassword(
    request: FastifyRequest,
    reply: FastifyReply,
    context: PageContext,
    member: Member,
    current: string,
    state: FormState,
  ): Promise<boolean> {
    // A busy server is a refusal too (503), said above the form.
    const check = await checkCurrentPassword(deps, request, context.lang, member, current);
    if (check.kind === "ok") return false;
    page(reply, context, member, { ...state, ...refusedPasswordState(reply, check) });
    return true;
  }

  scope.get("/settings/email", async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const context = await web.context(request, reply);
    const done = (request.query as { done?: unknown } | undefined)?.done;
    const key = NOTICES.find((notice) => notice === done);
    return page(reply, context, member, { notice: key ? W[context.lang][key] : undefined });
  });

  scope.post("/settings/email", { preHandler: web.checkCsrf }, async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const context = await web.context(request, reply);
    const w = W[context.lang];
    const parsed = setBody.safeParse(request.body ?? {});
    const email = (parsed.success ? (parsed.data.email ?? "") : "").trim();
    const state: FormState = { form: "set", email };
    if (!email)
      return page(reply, context, member, { ...state, status: 422, errors: { email: w.invalid } });
    const current = parsed.success ? (parsed.data.current ?? "") : "";
    if (await refusedPassword(request, reply, context, member, current, state)) return reply;
    try {
      const outcome = await deps.emails.set(member.id, email, context.lang);
      const done =
        outcome === "unchanged" ? "unchanged" : deps.mailer.enabled ? "savedMail" : "saved";
      return reply.redirect(`/settings/email?done=${done}`, 303);
    } catch (error) {
      if (!isDomainError(error) || (error.code !== "invalid" && error.code !== "conflict")) {
        throw error;
      }
      const message = error.code === "conflict" ? w.taken : w.invalid;
      return page(reply, context, member, { ...state, status: 422, errors: { email: message } });
    }
  });

  scope.post("/settings/email/remove", { preHandler: web.checkCsrf }, async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const context = await web.context(request, reply);
    const parsed = removeBody.safeParse(request.body ?? {});
    const current = parsed.success ? (parsed.data.current ?? "") : "";
    if (await refusedPassword(request, reply, context, member, current, { form: "remove" })) {
      return reply;
    }
    await deps.emails.remove(member.id);
    return reply.redirect("/settings/email?done=removed", 303);
  });

  scope.post("/settings/email/resend", { preHandler: web.checkCsrf }, async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const context = await web.context(request, reply);
    await deps.emails.sendVerification(member.id, context.lang);
    return reply.redirect("/settings/email?done=resent", 303);
  });

  // The link mailed to the address: a button (a mail scanner that follows links does not
  // confirm anything), then the confirmation. No log-in needed: the link is the proof.
  const deadLink = (reply: FastifyReply, context: PageContext) => {
    const w = W[context.lang];
    const body = `<h1>${escapeHtml(w.deadTitle)}</h1>
<p>${escapeHtml(w.dead)}</p>
<p><a href="/settings/email">${escapeHtml(w.toSettings)}</a></p>`;
    return web.send(secretLinkPage(reply), context, { title: w.deadTitle, body, status: 410 });
  };

  scope.get("/settings/email/verify/:token", async (request, reply) => {
    const context = await web.context(request, reply);
    const w = W[context.lang];
    const parsed = tokenParams.safeParse(request.params);
    if (!parsed.success || !(await deps.emails.isVerificationLive(parsed.data.token))) {
      return deadLink(reply, context);
    }
    const body = `<h1>${escapeHtml(w.verifyTitle)}</h1>
<p>${escapeHtml(w.verifyIntro)}</p>
<form method="post" action="/settings/email/verify/${escapeHtml(encodeURIComponent(parsed.data.token))}">
${context.csrfField()}
<p><button type="submit">${escapeHtml(w.verifyButton)}</button></p>
</form>`;
    return web.send(secretLinkPage(reply), context, { title: w.verifyTitle, body });
  });

  scope.post(
    "/settings/email/verify/:token",
    { preHandler: web.checkCsrf },
    async (request, reply) => {
      const context = await web.context(request, reply);
      const w = W[context.lang];
      const parsed = tokenParams.safeParse(request.params);
      const member = parsed.success ? await deps.emails.verify(parsed.data.token) : undefined;
      if (!member) return deadLink(reply, context);
      const body = `<h1>${escapeHtml(w.verifyTitle)}</h1>
<p role="status" class="notice">${escapeHtml(w.verifiedNow)}</p>
<p><a href="/settings/email">${escapeHtml(w.toSettings)}</a></p>`;
      return web.send(secretLinkPage(reply), context, { title: w.verifyTitle, body });
    },
  );
}
