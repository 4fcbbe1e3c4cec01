import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import type {
  InstanceProfile,
  InstanceProfileService,
} from "../accounts/instance-profile-service.ts";
import type { InvitationsService } from "../accounts/invitations-service.ts";
import type { JoinErrors, JoinForm } from "../accounts/join-input.ts";
import { PasswordHashingBusyError } from "../accounts/passwords.ts";
import { JoinRefused, type RegistrationsService } from "../accounts/registrations-service.ts";
import type { SignUpThrottle } from "../http/signup-throttle.ts";
import { escapeHtml, plainTextToHtml, userTextHtml } from "../shared/html.ts";
import { translate } from "./i18n.ts";
import { charterHtml, JOIN_WORDS, joinFormHtml } from "./join-form.ts";
import { noStore, sessionCookie, type WebSessions } from "./session.ts";
import type { PageContext, WebKit } from "./web-kit.ts";

/*
 * Joining the community: /join (the form the registration mode calls for, or why there is
 * none), /invite/<code>, /join/status/<token> (an application's decision) and /about (the
 * instance and its charter). The rules live in src/accounts/registrations-service.ts.
 */

export interface JoinPagesDeps {
  web: WebKit;
  registrations: Pick<RegistrationsService, "join" | "statusOf">;
  invitations: Pick<InvitationsService, "check">;
  profile: Pick<InstanceProfileService, "get">;
  sessions: WebSessions;
  /** Sign-up forms and creations per client address (src/http/signup-throttle.ts). */
  throttle: SignUpThrottle;
}

const W = {
  fr: {
    closed: "Inscriptions fermées",
    closedText: "Cette communauté n'accueille pas de nouveaux membres pour le moment.",
    inviteOnly: "Sur invitation",
    inviteOnlyText:
      "On rejoint cette communauté sur invitation : demande un lien d'invitation à l'un·e de ses membres, puis ouvre-le.",
    badInvitation: "Invitation inutilisable",
    unknown: "Ce lien d'invitation n'existe pas : vérifie-le, ou demandes-en un nouveau.",
    expired:
      "Ce lien d'invitation a expiré : demandes-en un nouveau à la personne qui te l'a donné.",
    used_up: "Ce lien d'invitation a déjà servi autant de fois que prévu : demandes-en un nouveau.",
    revoked: "Ce lien d'invitation a été retiré : demandes-en un nouveau.",
    applied: "Demande envoyée",
    appliedText: "Merci ! Ta demande est entre les mains de l'équipe.",
    keepLink:
      "Garde précieusement cette adresse (mets-la en favori) : c'est là que tu verras la réponse, et elle ne sera plus jamais affichée.",
    statusTitle: "Ta demande pour rejoindre {name}",
    pending:
      "Ta demande (nom @{username}) attend encore sa réponse : l'équipe ne l'a pas encore examinée. Reviens plus tard sur cette page.",
    approved:
      "Ta demande a été acceptée : bienvenue ! Connecte-toi avec le nom @{username} et le mot de passe que tu as choisi.",
    login: "Se connecter",
    refused: "Ta demande a été refusée.",
    refusedWhy: "La raison donnée :",
    noStatus: "Aucune demande à cette adresse : vérifie le lien que tu as gardé.",
    aboutTitle: "À propos de {name}",
    charterHeading: "Charte de réciprocité",
    modeOpen: "Tout le monde peut rejoindre la communauté.",
    modeRequest: "On rejoint la communauté sur demande, examinée par l'équipe.",
    modeInvite: "On rejoint la communauté sur invitation.",
    modeClosed: "La communauté n'accueille pas de nouveaux membres pour le moment.",
    join: "Rejoindre",
  },
  en: {
    closed: "Registrations closed",
    closedText: "This community is not welcoming new members at the moment.",
    inviteOnly: "By invitation",
    inviteOnlyText:
      "This community is joined by invitation: ask one of its members for an invitation link, then open it.",
    badInvitation: "Invitation not usable",
    unknown: "This invitation link does not exist: check it, or ask for a new one.",
    expired: "This invitation link has expired: ask the person who gave it to you for a new one.",
    used_up: "This invitation link has been used as many times as it allowed: ask for a new one.",
    revoked: "This invitation link was withdrawn: ask for a new one.",
    applied: "Request sent",
    appliedText: "Thank you! Your request is in the team's hands.",
    keepLink:
      "Keep this address safe (bookmark it): that is where you will see the answer, and it will never be shown again.",
    statusTitle: "Your request to join {name}",
    pending:
      "Your request (name @{username}) is still waiting: the team has not looked at it yet. Come back to this page later.",
    approved:
      "Your request was accepted: welcome! Log in with the name @{username} and the password you chose.",
    login: "Log in",
    refused: "Your request was refused.",
    refusedWhy: "The reason given:",
    noStatus: "No request at this address: check the link you kept.",
    aboutTitle: "About {name}",
    charterHeading: "Reciprocity charter",
    modeOpen: "Anyone may join the community.",
    modeRequest: "The community is joined on request, reviewed by the team.",
    modeInvite: "The community is joined by invitation.",
    modeClosed: "The community is not welcoming new members at the moment.",
    join: "Join",
  },
} as const;

const CODE = z.string().min(1).max(200);
const joinQuery = z.object({ invite: CODE.optional() });
const inviteParams = z.object({ code: CODE });
const statusParams = z.object({ token: z.string().min(1).max(200) });
const text = (max: number) => z.string().max(max).optional();
const joinBody = z.object({
  username: text(200),
  displayName: text(1000),
  password: text(2000),
  passwordConfirm: text(2000),
  email: text(1000),
  charter: text(20),
  reason: text(5000),
  invite: CODE.optional(),
});

type Door = Exclude<JoinRefused["door"], undefined>;

const DOOR_STATUS: Record<Door, number> = {
  closed: 403,
  invitation_needed: 403,
  unknown: 404,
  expired: 410,
  used_up: 410,
  revoked: 410,
};

export function registerJoinPages(scope: FastifyInstance, deps: JoinPagesDeps): void {
  const { web } = deps;
  const host = web.origin.host;

  /** A page saying why there is no form here (registrations closed, invitation problem). */
  function doorPage(reply: FastifyReply, context: PageContext, door: Door, status: number) {
    const w = W[context.lang];
    const [title, said] =
      door === "closed"
        ? [w.closed, w.closedText]
        : door === "invitation_needed"
          ? [w.inviteOnly, w.inviteOnlyText]
          : [w.badInvitation, w[door]];
    const body = `<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(said)}</p>
<p><a href="/">${escapeHtml(translate(context.lang, "backHome"))}</a></p>`;
    return web.send(noStore(reply), context, { title, body, status });
  }

  function formPage(
    reply: FastifyReply,
    context: PageContext,
    profile: InstanceProfile,
    options: {
      invite?: string;
      values?: JoinForm;
      errors?: JoinErrors;
      alert?: string;
      status?: number;
    },
  ) {
    const w = JOIN_WORDS[context.lang];
    const application = profile.registrationMode === "request" && !options.invite;
    const title = w.title.replace("{name}", profile.name);
    const intro = options.invite ? w.introInvited : application ? w.introRequest : w.introOpen;
    const body = `<h1>${userTextHtml(title)}</h1>
<p>${escapeHtml(intro)}</p>
${joinFormHtml(context, {
  kind: application ? "application" : "account",
  invite: options.invite,
  host,
  charter: profile.charter,
  values: options.values ?? {},
  errors: options.errors ?? {},
  alert: options.alert,
})}`;
    return web.send(noStore(reply), context, { title, body, status: options.status });
  }

  scope.get("/join", async (request, reply) => {
    const context = await web.context(request, reply);
    const parsed = joinQuery.safeParse(request.query ?? {});
    const invite = parsed.success ? parsed.data.invite : undefined;
    const profile = await deps.profile.get();
    if (profile.registrationMode === "closed") return doorPage(reply, context, "closed", 200);
    if (invite !== undefined) {
      const checked = await deps.invitations.check(invite);
      if (!checked.ok)
        return doorPage(reply, context, checked.problem, DOOR_STATUS[checked.problem]);
    } else if (profile.registrationMode === "invite") {
      return doorPage(reply, context, "invitation_needed", 200);
    }
    return formPage(reply, context, profile, { invite });
  });

  scope.get("/invite/:code", async (request, reply) => {
    const parsed = inviteParams.safeParse(request.params);
    if (!parsed.success) return reply.callNotFound();
    return noStore(reply).redirect(`/join?invite=${encodeURIComponent(parsed.data.code)}`, 302);
  });

  scope.post("/join", { preHandler: web.checkCsrf }, async (request, reply) => {
    const context = await web.context(request, reply);
    const w = JOIN_WORDS[context.lang];
    const profile = await deps.profile.get();
    const parsed = joinBody.safeParse(request.body ?? {});
    const fields: JoinForm & { invite?: string } = parsed.success ? parsed.data : {};
    const { invite, ...form } = fields;
    // What is shown again: never the passwords.
    const values = { ...form, password: undefined, passwordConfirm: undefined };
    const address = request.ip;
    const wait = await deps.throttle.retryAfter(address);
    if (wait > 0) {
      reply.header("retry-after", String(wait));
      const alert = w.tooMany.replace("{m}", String(Math.ceil(wait / 60)));
      return formPage(reply, context, profile, { invite, values, alert, status: 429 });
    }
    await deps.throttle.attempted(address);
    if (!parsed.success) {
      return formPage(reply, context, profile, { invite, values, alert: w.formError, status: 400 });
    }
    try {
      const outcome = await deps.registrations.join(form, {
        invitationCode: invite,
        language: context.lang,
      });
      await deps.throttle.created(address);
      if (outcome.kind === "member") {
        const token = await deps.sessions.create(outcome.member.id);
        return noStore(reply)
          .header("set-cookie", sessionCookie(token, web.origin))
          .redirect("/home", 303);
      }
      const ww = W[context.lang];
      const statusUrl = new URL(`/join/status/${outcome.statusToken}`, web.origin).href;
      const body = `<h1>${escapeHtml(ww.applied)}</h1>
<p>${escapeHtml(ww.appliedText)}</p>
<p><strong>${escapeHtml(ww.keepLink)}</strong></p>
<p><a class="status-link" href="${escapeHtml(statusUrl)}">${escapeHtml(statusUrl)}</a></p>`;
      return web.send(noStore(reply), context, { title: ww.applied, body, status: 201 });
    } catch (error) {
      if (error instanceof JoinRefused) {
        if (error.door) return doorPage(reply, context, error.door, DOOR_STATUS[error.door]);
        return formPage(reply, context, profile, {
          invite,
          values,
          errors: error.errors,
          status: 422,
        });
      }
      if (error instanceof PasswordHashingBusyError) {
        reply.header("retry-after", String(error.retryAfterSeconds));
        const alert = w.busy.replace("{s}", String(error.retryAfterSeconds));
        return formPage(reply, context, profile, { invite, values, alert, status: 503 });
      }
      throw error;
    }
  });

  scope.get("/join/status/:token", async (request, reply) => {
    const context = await web.context(request, reply);
    const w = W[context.lang];
    const parsed = statusParams.safeParse(request.params);
    const application = parsed.success
      ? await deps.registrations.statusOf(parsed.data.token)
      : undefined;
    if (!application) {
      return web.sendMessage(noStore(reply), context, {
        status: 404,
        title: "notFound",
        text: { raw: w.noStatus },
      });
    }
    const profile = await deps.profile.get();
    const title = w.statusTitle.replace("{name}", profile.name);
    const username = application.username;
    const said =
      application.status === "pending"
        ? `<p class="application-status">${escapeHtml(w.pending.replace("{username}", username))}</p>`
        : application.status === "approved"
          ? `<p class="application-status notice">${escapeHtml(w.approved.replace("{username}", username))}</p>
<p><a href="/login?next=%2Fhome">${escapeHtml(w.login)}</a></p>`
          : `<p class="application-status">${escapeHtml(w.refused)}</p>${
              application.refusalReason
                ? `\n<p>${escapeHtml(w.refusedWhy)}</p>\n<blockquote>${plainTextToHtml(application.refusalReason)}</blockquote>`
                : ""
            }`;
    const body = `<h1>${userTextHtml(title)}</h1>\n${said}`;
    return web.send(noStore(reply), context, { title, body });
  });

  scope.get("/about", async (request, reply) => {
    const context = await web.context(request, reply);
    const w = W[context.lang];
    const profile = await deps.profile.get();
    const title = w.aboutTitle.replace("{name}", profile.name);
    const mode = {
      open: w.modeOpen,
      request: w.modeRequest,
      invite: w.modeInvite,
      closed: w.modeClosed,
    }[profile.registrationMode];
    const joinLink =
      profile.registrationMode === "open" || profile.registrationMode === "request"
        ? ` <a href="/join">${escapeHtml(w.join)}</a>`
        : "";
    const body = `<h1>${userTextHtml(title)}</h1>
${profile.description ? plainTextToHtml(profile.description) : ""}
<p>${escapeHtml(mode)}${joinLink}</p>
<section aria-labelledby="charter-heading">
<h2 id="charter-heading">${escapeHtml(w.charterHeading)}</h2>
${charterHtml(context.lang, profile.charter)}
</section>`;
    return web.send(reply, context, { title, body });
  });
}
