import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import type { AccountDeletionService } from "../accounts/account-deletion-service.ts";
import type { MembersService } from "../accounts/members-service.ts";
import { PasswordHashingBusyError } from "../accounts/passwords.ts";
import type { LoginThrottle } from "../http/login-throttle.ts";
import { DomainError } from "../shared/errors.ts";
import { escapeHtml } from "../shared/html.ts";
import { formMessage, inputField } from "./form-fields.ts";
import { fieldError, invalidAttrs } from "./form-kit.ts";
import { passwordBusyText } from "./password-pages.ts";
import { checkCurrentPassword, refusedPasswordState } from "./password-settings-page.ts";
import { clearedSessionCookie, noStore } from "./session.ts";
import type { PageContext, WebKit } from "./web-kit.ts";

/*
 * /settings/delete: a member deletes their account, for good, after reading what it does,
 * with their current password and a ticked box. Then they are logged out and told goodbye.
 */

export interface AccountDeletePageDeps {
  members: Pick<MembersService, "checkPassword">;
  accountDeletion: Pick<AccountDeletionService, "deleteAccount">;
  /** Guessing the password here is guessing a log-in: the same throttle. */
  throttle: LoginThrottle;
  web: WebKit;
}

const W = {
  fr: {
    title: "Supprimer mon compte",
    intro: "Supprimer ton compte est définitif. Voici ce qui se passe :",
    what: [
      "Tes rencontres et tes réponses sont supprimées ici, et les serveurs qui les ont reçues (ceux de tes abonné·es, des personnes nommées) sont priés de les supprimer aussi.",
      "Tes co-signatures sont retirées, tes « j'aime » annulés, tes abonnements arrêtés ; tes abonné·es sont retiré·es et leurs serveurs apprennent que ton compte n'existe plus.",
      "Ton suivi privé est effacé : tes réponses à la question de la semaine, tes cercles, tes réglages, ton compte relié.",
      "Ton profil, ton adresse e-mail, ton mot de passe, tes sessions et les applications autorisées sont effacés.",
      "Ton nom reste réservé : personne ne pourra le reprendre ni se faire passer pour toi.",
      "Ce n'est pas réversible : personne, pas même l'admin, ne pourra rien récupérer.",
    ],
    exportFirst: "Avant, télécharge tes données si tu veux les garder :",
    archive: "l'archive de tout ton compte",
    trackerOnly: "ou ton suivi seul en",
    password: "Ton mot de passe actuel",
    confirm: "Je comprends que la suppression de mon compte est définitive.",
    confirmMissing: "Coche la case pour confirmer : c'est définitif.",
    submit: "Supprimer définitivement mon compte",
    goneTitle: "Au revoir",
    gone: "Ton compte est supprimé. Les serveurs qui te connaissaient sont prévenus ; ton suivi est effacé. Merci d'avoir fait partie de la communauté.",
    home: "Retour à l'accueil",
    lastAdmin:
      "Tu es le·la dernier·e admin : nomme d'abord un·e autre membre admin (page Membres de l'administration), puis reviens ici.",
  },
  en: {
    title: "Delete my account",
    intro: "Deleting your account is for good. Here is what happens:",
    what: [
      "Your encounters and replies are deleted here, and the servers that received them (your followers', the people named) are asked to delete them too.",
      "Your co-signatures are withdrawn, your likes undone, your follows stopped; your followers are removed and their servers learn your account no longer exists.",
      "Your private tracker is erased: your answers to the weekly question, your circles, your settings, your linked account.",
      "Your profile, e-mail address, password, sessions and authorized apps are erased.",
      "Your name stays reserved: nobody can take it again or pass for you.",
      "It cannot be undone: nobody, not even the admin, can bring anything back.",
    ],
    exportFirst: "First, download your data if you want to keep it:",
    archive: "the archive of your whole account",
    trackerOnly: "or your tracker alone as",
    password: "Your current password",
    confirm: "I understand that deleting my account is for good.",
    confirmMissing: "Tick the box to confirm: it is for good.",
    submit: "Delete my account for good",
    goneTitle: "Goodbye",
    gone: "Your account is deleted. The servers that knew you are told; your tracker is erased. Thank you for having been part of the community.",
    home: "Back home",
    lastAdmin:
      "You are the last admin: make another member admin first (the admin's Members page), then come back here.",
  },
} as const;

const deleteBody = z.object({
  current: z.string().max(4096).optional(),
  confirm: z.string().max(10).optional(),
});

export function registerAccountDeletePage(scope: FastifyInstance, deps: AccountDeletePageDeps) {
  const { web } = deps;

  const form = (
    reply: FastifyReply,
    context: PageContext,
    opts: { status?: number; error?: string; errors?: { current?: string; confirm?: string } } = {},
  ) => {
    const w = W[context.lang];
    const errors = opts.errors ?? {};
    const body = `<h1>${escapeHtml(w.title)}</h1>
<p>${escapeHtml(w.intro)}</p>
<ul>
${w.what.map((line) => `<li>${escapeHtml(line)}</li>`).join("\n")}
</ul>
<p>${escapeHtml(w.exportFirst)} <a href="/settings/export">${escapeHtml(w.archive)}</a>, ${escapeHtml(w.trackerOnly)} <a href="/tracker/export.json" download>JSON</a> · <a href="/tracker/export.csv" download>CSV</a>.</p>
${formMessage("error", opts.error)}<form method="post" action="/settings/delete">
${context.csrfField()}
${inputField({ id: "current-password", name: "current", type: "password", label: w.password, autocomplete: "current-password", error: errors.current })}<p><label><input type="checkbox" name="confirm" value="on" required${invalidAttrs(errors, "confirm")}> ${escapeHtml(w.confirm)}</label></p>
${fieldError(errors, "confirm")}<p><button type="submit">${escapeHtml(w.submit)}</button></p>
</form>`;
    return web.send(reply, context, { title: w.title, body, status: opts.status });
  };

  scope.get("/settings/delete", async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    return form(reply, await web.context(request, reply));
  });

  scope.post("/settings/delete", { preHandler: web.checkCsrf }, async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const context = await web.context(request, reply);
    const w = W[context.lang];
    const parsed = deleteBody.safeParse(request.body ?? {});
    const fields = parsed.success ? parsed.data : {};
    if (fields.confirm !== "on") {
      return form(reply, context, { status: 422, errors: { confirm: w.confirmMissing } });
    }
    try {
      const check = await checkCurrentPassword(
        deps,
        request,
        context.lang,
        member,
        fields.current ?? "",
      );
      if (check.kind === "refused") return form(reply, context, refusedPasswordState(reply, check));
    } catch (error) {
      if (!(error instanceof PasswordHashingBusyError)) throw error;
      reply.header("retry-after", String(error.retryAfterSeconds));
      const busy = passwordBusyText(context.lang, error.retryAfterSeconds);
      return form(reply, context, { status: 503, error: busy });
    }
    try {
      await deps.accountDeletion.deleteAccount(member.username);
    } catch (error) {
      // The last admin: said above the form, nothing deleted.
      if (!(error instanceof DomainError && error.code === "conflict")) throw error;
      return form(reply, context, { status: 409, error: w.lastAdmin });
    }
    // Logged out: the session is gone with the account; the page is a visitor's.
    noStore(reply).header("set-cookie", clearedSessionCookie(web.origin));
    const visitor = web.visitorContext(request);
    const body = `<h1>${escapeHtml(w.goneTitle)}</h1>
<p role="status">${escapeHtml(w.gone)}</p>
<p><a href="/">${escapeHtml(w.home)}</a></p>`;
    return web.send(reply, visitor, { title: w.goneTitle, body });
  });
}
