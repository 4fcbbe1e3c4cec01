import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import {
  INVITATION_MAX_USES,
  INVITATION_NOTE_MAX,
  type InvitationsService,
  invitationProblem,
} from "../accounts/invitations-service.ts";
import {
  REFUSAL_REASON_MAX,
  type RegistrationsService,
} from "../accounts/registrations-service.ts";
import { isDomainError } from "../shared/errors.ts";
import { escapeHtml, plainTextToHtml, userTextHtml } from "../shared/html.ts";
import { idParamsSchema } from "../shared/input.ts";
import { errorOf, noticeHtml, requireStaff } from "./admin-pages.ts";
import { formatInstant } from "./render-encounter.ts";
import type { PageContext, WebKit } from "./web-kit.ts";

/*
 * /admin/applications (admins and moderators: approve or refuse, with an optional reason)
 * and /admin/invitations (admins: make links, see the uses left, revoke them). Applicants'
 * passwords and e-mail addresses are never shown.
 */

export interface AdminRegistrationsDeps {
  web: WebKit;
  registrations: Pick<RegistrationsService, "pending" | "approve" | "refuse">;
  invitations: Pick<InvitationsService, "create" | "list" | "revoke">;
}

const W = {
  fr: {
    applications: "Demandes d'inscription",
    none: "Aucune demande en attente.",
    asked: "demande du {date}",
    approve: "Accepter",
    refuse: "Refuser",
    refusalReason: "Raison du refus (facultative, la personne la lira)",
    approved: "@{name} est maintenant membre.",
    refused: "La demande de @{name} est refusée.",
    reasonTooLong: `${REFUSAL_REASON_MAX} caractères au plus.`,
    alreadyDecided: "Cette demande n'attend plus : quelqu'un l'a déjà traitée.",
    nameTaken:
      "Ce nom a été pris entre-temps par un autre compte : refuse la demande en expliquant pourquoi.",
    invitations: "Liens d'invitation",
    inviteIntro:
      "Un lien d'invitation permet de créer un compte sans attendre, sauf quand les inscriptions sont fermées. Il n'est affiché qu'une fois, à sa création : copie-le tout de suite.",
    create: "Créer un lien",
    maxUses: "Nombre d'inscriptions permises (vide : sans limite)",
    expiresInDays: "Valable pendant combien de jours ? (vide : sans fin)",
    note: "Pour qui ? (note pour l'équipe, facultative)",
    created: "Voici le lien ; il ne sera plus jamais affiché :",
    noInvitations: "Aucun lien d'invitation.",
    uses: "{uses} inscription(s) sur {max}",
    unlimited: "sans limite",
    usesLeft: "reste {n}",
    expires: "expire le {date}",
    never: "n'expire pas",
    active: "actif",
    expired: "expiré",
    used_up: "épuisé",
    revoked: "retiré",
    unknown: "inconnu",
    revoke: "Retirer",
    maxUsesError: `Un nombre entier de 1 à ${INVITATION_MAX_USES}, ou vide.`,
    daysError: "Un nombre entier de jours, de 1 à 365, ou vide.",
    noteError: `${INVITATION_NOTE_MAX} caractères au plus.`,
  },
  en: {
    applications: "Applications to join",
    none: "No application waiting.",
    asked: "asked on {date}",
    approve: "Accept",
    refuse: "Refuse",
    refusalReason: "Reason for refusing (optional, the person will read it)",
    approved: "@{name} is now a member.",
    refused: "@{name}'s application is refused.",
    reasonTooLong: `At most ${REFUSAL_REASON_MAX} characters.`,
    alreadyDecided: "This application is no longer waiting: someone already decided it.",
    nameTaken:
      "This name was taken meanwhile by another account: refuse the application, saying why.",
    invitations: "Invitation links",
    inviteIntro:
      "An invitation link lets someone create an account at once, unless registrations are closed. It is shown only once, when made: copy it right away.",
    create: "Make a link",
    maxUses: "How many sign-ups it allows (empty: no limit)",
    expiresInDays: "Valid for how many days? (empty: forever)",
    note: "For whom? (a note for the team, optional)",
    created: "Here is the link; it will never be shown again:",
    noInvitations: "No invitation link.",
    uses: "{uses} sign-up(s) of {max}",
    unlimited: "no limit",
    usesLeft: "{n} left",
    expires: "expires on {date}",
    never: "never expires",
    active: "active",
    expired: "expired",
    used_up: "used up",
    revoked: "withdrawn",
    unknown: "unknown",
    revoke: "Withdraw",
    maxUsesError: `A whole number from 1 to ${INVITATION_MAX_USES}, or empty.`,
    daysError: "A whole number of days, from 1 to 365, or empty.",
    noteError: `At most ${INVITATION_NOTE_MAX} characters.`,
  },
} as const;

const refuseBody = z.object({ reason: z.string().max(20_000).default("") });
const optionalWhole = (max: number) =>
  z
    .string()
    .trim()
    .max(10)
    .refine((v) => v === "" || (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= max));
const invitationBody = z.object({
  maxUses: optionalWhole(INVITATION_MAX_USES).default(""),
  expiresInDays: optionalWhole(365).default(""),
  note: z.string().trim().max(INVITATION_NOTE_MAX).default(""),
});
type InvitationFields = z.input<typeof invitationBody>;

export function registerAdminRegistrationsPages(
  scope: FastifyInstance,
  deps: AdminRegistrationsDeps,
): void {
  const { web } = deps;

  async function applicationsPage(
    reply: FastifyReply,
    context: PageContext,
    notice?: { text: string; error?: boolean; status?: number },
  ) {
    const { lang } = context;
    const w = W[lang];
    const pending = await deps.registrations.pending();
    const items = pending
      .map((application) => {
        const id = escapeHtml(application.id);
        return `<li class="application">
<p><strong>@${escapeHtml(application.username)}</strong>${application.displayName ? ` (<bdi>${userTextHtml(application.displayName)}</bdi>)` : ""} <span class="meta">${escapeHtml(w.asked.replace("{date}", formatInstant(lang, application.createdAt)))}</span></p>
<blockquote>${plainTextToHtml(application.reason)}</blockquote>
<div class="actions">
<form method="post" action="/admin/applications/${id}/approve">${context.csrfField()}<button type="submit">${escapeHtml(w.approve)}</button></form>
<form method="post" action="/admin/applications/${id}/refuse">${context.csrfField()}
<div class="field"><label for="refuse-${id}">${escapeHtml(w.refusalReason)}</label><textarea id="refuse-${id}" name="reason" maxlength="${REFUSAL_REASON_MAX}"></textarea></div>
<button type="submit" class="secondary">${escapeHtml(w.refuse)}</button></form>
</div></li>`;
      })
      .join("\n");
    const said = noticeHtml(notice);
    const body = `<h1>${escapeHtml(w.applications)}</h1>
${said}${pending.length > 0 ? `<ul class="applications">\n${items}\n</ul>` : `<p>${escapeHtml(w.none)}</p>`}`;
    return web.send(reply, context, { title: w.applications, body, status: notice?.status });
  }

  scope.get("/admin/applications", async (request, reply) => {
    if (!(await requireStaff(web, request, reply, "staff"))) return reply;
    return applicationsPage(reply, await web.context(request, reply));
  });

  scope.post(
    "/admin/applications/:id/:decision",
    { preHandler: web.checkCsrf },
    async (request, reply) => {
      const staff = await requireStaff(web, request, reply, "staff");
      if (!staff) return reply;
      const context = await web.context(request, reply);
      const w = W[context.lang];
      const params = idParamsSchema.safeParse(request.params);
      const decision = (request.params as { decision?: string }).decision;
      if (!params.success || (decision !== "approve" && decision !== "refuse"))
        return reply.callNotFound();
      const body = refuseBody.safeParse(request.body ?? {});
      if (!body.success) {
        return applicationsPage(reply, context, {
          text: w.reasonTooLong,
          error: true,
          status: 400,
        });
      }
      try {
        if (decision === "approve") {
          const member = await deps.registrations.approve(params.data.id, staff.id);
          return applicationsPage(reply, context, {
            text: w.approved.replace("{name}", member.username),
          });
        }
        const refused = await deps.registrations.refuse(params.data.id, staff.id, body.data.reason);
        return applicationsPage(reply, context, {
          text: w.refused.replace("{name}", refused.username),
        });
      } catch (error) {
        if (!isDomainError(error)) throw error;
        const [text, status] =
          error.code === "not_found"
            ? [w.alreadyDecided, 404]
            : error.code === "conflict"
              ? [w.nameTaken, 409]
              : [w.reasonTooLong, 400];
        return applicationsPage(reply, context, { text, error: true, status });
      }
    },
  );

  async function invitationsPage(
    reply: FastifyReply,
    context: PageContext,
    options: {
      link?: string;
      typed?: InvitationFields;
      errors?: Partial<Record<keyof InvitationFields, string>>;
      status?: number;
    } = {},
  ) {
    const { lang } = context;
    const w = W[lang];
    const now = new Date();
    const invitations = await deps.invitations.list();
    const errors = options.errors ?? {};
    const typed = options.typed ?? {};
    const items = invitations
      .map((invitation) => {
        const problem = invitationProblem(invitation, now);
        const max = invitation.maxUses === null ? w.unlimited : String(invitation.maxUses);
        const left =
          invitation.maxUses === null || problem
            ? ""
            : ` (${w.usesLeft.replace("{n}", String(invitation.maxUses - invitation.uses))})`;
        const expiry = invitation.expiresAt
          ? w.expires.replace("{date}", formatInstant(lang, invitation.expiresAt))
          : w.never;
        return `<li>${invitation.note ? `<strong><bdi>${userTextHtml(invitation.note)}</bdi></strong> · ` : ""}<span class="meta">${escapeHtml(formatInstant(lang, invitation.createdAt))}</span>
<br>${escapeHtml(w.uses.replace("{uses}", String(invitation.uses)).replace("{max}", max))}${escapeHtml(left)} · ${escapeHtml(expiry)} · <strong>${escapeHtml(w[problem ?? "active"])}</strong>
${problem ? "" : `<form method="post" action="/admin/invitations/${escapeHtml(invitation.id)}/revoke">${context.csrfField()}<button type="submit" class="secondary">${escapeHtml(w.revoke)}</button></form>`}</li>`;
      })
      .join("\n");
    const maxUses = errorOf("invite-max", errors.maxUses);
    const days = errorOf("invite-days", errors.expiresInDays);
    const note = errorOf("invite-note", errors.note);
    const body = `<h1>${escapeHtml(w.invitations)}</h1>
${options.link ? `<p role="status" class="notice">${escapeHtml(w.created)}</p>\n<p><code class="invitation-link">${escapeHtml(options.link)}</code></p>\n` : ""}<p>${escapeHtml(w.inviteIntro)}</p>
<form method="post" action="/admin/invitations">
${context.csrfField()}
<div class="field"><label for="invite-max">${escapeHtml(w.maxUses)}</label><input id="invite-max" name="maxUses" type="text" inputmode="numeric" value="${escapeHtml(typed.maxUses ?? "1")}"${maxUses.attributes}>${maxUses.html}</div>
<div class="field"><label for="invite-days">${escapeHtml(w.expiresInDays)}</label><input id="invite-days" name="expiresInDays" type="text" inputmode="numeric" value="${escapeHtml(typed.expiresInDays ?? "7")}"${days.attributes}>${days.html}</div>
<div class="field"><label for="invite-note">${escapeHtml(w.note)}</label><input id="invite-note" name="note" type="text" maxlength="${INVITATION_NOTE_MAX}" value="${escapeHtml(typed.note ?? "")}"${note.attributes}>${note.html}</div>
<p><button type="submit">${escapeHtml(w.create)}</button></p>
</form>
${invitations.length > 0 ? `<ul class="invitations">\n${items}\n</ul>` : `<p>${escapeHtml(w.noInvitations)}</p>`}`;
    return web.send(reply, context, { title: w.invitations, body, status: options.status });
  }

  scope.get("/admin/invitations", async (request, reply) => {
    if (!(await requireStaff(web, request, reply, "admin"))) return reply;
    return invitationsPage(reply, await web.context(request, reply));
  });

  scope.post("/admin/invitations", { preHandler: web.checkCsrf }, async (request, reply) => {
    const admin = await requireStaff(web, request, reply, "admin");
    if (!admin) return reply;
    const context = await web.context(request, reply);
    const w = W[context.lang];
    const raw = (request.body ?? {}) as Record<string, unknown>;
    const typed = Object.fromEntries(
      ["maxUses", "expiresInDays", "note"].map((k) => [
        k,
        typeof raw[k] === "string" ? (raw[k] as string).slice(0, 300) : "",
      ]),
    ) as InvitationFields;
    const parsed = invitationBody.safeParse(raw);
    if (!parsed.success) {
      const messages = { maxUses: w.maxUsesError, expiresInDays: w.daysError, note: w.noteError };
      const errors: Partial<Record<keyof InvitationFields, string>> = {};
      for (const issue of parsed.error.issues) {
        const field = issue.path[0] as keyof InvitationFields;
        errors[field] = messages[field] ?? w.noteError;
      }
      return invitationsPage(reply, context, { typed, errors, status: 422 });
    }
    const { maxUses, expiresInDays, note } = parsed.data;
    const { code } = await deps.invitations.create(admin.id, {
      maxUses: maxUses ? Number(maxUses) : null,
      expiresAt: expiresInDays ? new Date(Date.now() + Number(expiresInDays) * 86_400_000) : null,
      note,
    });
    const link = new URL(`/invite/${code}`, web.origin).href;
    return invitationsPage(reply, context, { link, status: 201 });
  });

  scope.post(
    "/admin/invitations/:id/revoke",
    { preHandler: web.checkCsrf },
    async (request, reply) => {
      if (!(await requireStaff(web, request, reply, "admin"))) return reply;
      const parsed = idParamsSchema.safeParse(request.params);
      if (parsed.success) await deps.invitations.revoke(parsed.data.id);
      return reply.redirect("/admin/invitations", 303);
    },
  );
}
