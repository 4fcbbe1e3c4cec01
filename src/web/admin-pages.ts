import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import {
  CHARTER_MAX,
  INSTANCE_DESCRIPTION_MAX,
  INSTANCE_NAME_MAX,
  type InstanceProfile,
  type InstanceProfileService,
  instanceProfileInput,
  REGISTRATION_MODES,
} from "../accounts/instance-profile-service.ts";
import type { Member } from "../accounts/members-service.ts";
import { isAdmin, isStaff } from "../accounts/roles-service.ts";
import { escapeHtml } from "../shared/html.ts";
import { noStore } from "./session.ts";
import type { PageContext, WebKit } from "./web-kit.ts";

/*
 * /admin (admins and moderators: what each may do) and /admin/instance (admins: the name,
 * description, charter and registration mode). The other admin pages:
 * src/web/admin-members-page.ts and src/web/admin-registrations-pages.ts.
 */

export interface AdminPagesDeps {
  web: WebKit;
  profile: Pick<InstanceProfileService, "get" | "update">;
}

/**
 * The logged-in member when they may see an admin page (`admin`: admins only; `staff`:
 * moderators too); otherwise undefined after sending the log-in form or a 403 page.
 */
export async function requireStaff(
  web: WebKit,
  request: FastifyRequest,
  reply: FastifyReply,
  who: "admin" | "staff",
): Promise<Member | undefined> {
  const member = await web.requireMember(request, reply);
  if (!member) return undefined;
  if (who === "admin" ? isAdmin(member) : isStaff(member)) {
    noStore(reply);
    return member;
  }
  const context = await web.context(request, reply);
  web.sendMessage(reply, context, { status: 403, title: "forbidden", text: "forbiddenText" });
  return undefined;
}

const W = {
  fr: {
    admin: "Administration",
    instance: "L'instance : nom, description, charte, inscriptions",
    applications: "Demandes d'inscription",
    reports: "Signalements",
    invitations: "Liens d'invitation",
    members: "Membres et rôles",
    domains: "Domaines bloqués et limités",
    audit: "Journal de modération",
    instanceTitle: "L'instance",
    name: "Nom de l'instance",
    description: "Description courte",
    descriptionHint: `Une ou deux phrases, sur l'accueil, dans « À propos » et dans les applications. ${INSTANCE_DESCRIPTION_MAX} caractères au plus.`,
    charter: "Charte de réciprocité",
    charterHint: `Texte simple ; une ligne vide sépare les paragraphes. Affichée sur /about et au-dessus du formulaire d'inscription, que chaque personne accepte. ${CHARTER_MAX} caractères au plus.`,
    mode: "Inscriptions",
    open: "Ouvertes : tout le monde peut créer un compte.",
    request:
      "Sur demande : chaque personne dit pourquoi elle veut rejoindre ; un·e admin ou modérateur·ice accepte ou refuse.",
    invite: "Sur invitation : seulement avec un lien d'invitation fait par un·e admin.",
    closed:
      "Fermées : personne ne peut s'inscrire (les liens d'invitation ne marchent pas non plus).",
    save: "Enregistrer",
    saved: "C'est enregistré : toutes les pages le montrent déjà.",
    nameError: `Donne un nom à l'instance, ${INSTANCE_NAME_MAX} caractères au plus.`,
    descriptionError: `${INSTANCE_DESCRIPTION_MAX} caractères au plus : raccourcis la description.`,
    charterError: `${CHARTER_MAX} caractères au plus : raccourcis la charte.`,
    modeError: "Choisis comment on rejoint l'instance.",
    formError: "Le formulaire a des erreurs : corrige les champs indiqués.",
  },
  en: {
    admin: "Administration",
    instance: "The instance: name, description, charter, registrations",
    applications: "Applications to join",
    reports: "Reports",
    invitations: "Invitation links",
    members: "Members and roles",
    domains: "Blocked and limited domains",
    audit: "Moderation log",
    instanceTitle: "The instance",
    name: "Instance name",
    description: "Short description",
    descriptionHint: `One or two sentences, on the home page, in “About” and in apps. At most ${INSTANCE_DESCRIPTION_MAX} characters.`,
    charter: "Reciprocity charter",
    charterHint: `Plain text; an empty line separates paragraphs. Shown on /about and above the sign-up form, which everyone accepts. At most ${CHARTER_MAX} characters.`,
    mode: "Registrations",
    open: "Open: anyone can create an account.",
    request:
      "On request: each person says why they want to join; an admin or moderator accepts or refuses.",
    invite: "By invitation: only with an invitation link made by an admin.",
    closed: "Closed: nobody can sign up (invitation links do not work either).",
    save: "Save",
    saved: "Saved: every page already shows it.",
    nameError: `Give the instance a name, at most ${INSTANCE_NAME_MAX} characters.`,
    descriptionError: `At most ${INSTANCE_DESCRIPTION_MAX} characters: shorten the description.`,
    charterError: `At most ${CHARTER_MAX} characters: shorten the charter.`,
    modeError: "Choose how people join the instance.",
    formError: "The form has errors: fix the fields shown.",
  },
} as const;

type ProfileField = keyof InstanceProfile;

const profileBody = z.object({
  name: z.string().max(10_000).default(""),
  description: z.string().max(10_000).default(""),
  charter: z.string().max(100_000).default(""),
  registrationMode: z.string().max(20).default(""),
});

/** A field's error paragraph and the attributes that tie it to its control. */
export function errorOf(id: string, message: string | undefined) {
  return message
    ? {
        attributes: ` aria-describedby="${id}-error" aria-invalid="true"`,
        html: `<p class="field-error" id="${id}-error">${escapeHtml(message)}</p>`,
      }
    : { attributes: "", html: "" };
}

/** What the last action did (`status`), or why it could not (`alert`). */
export function noticeHtml(notice: { text: string; error?: boolean } | undefined): string {
  if (!notice) return "";
  return `<p role="${notice.error ? "alert" : "status"}" class="${notice.error ? "error" : "notice"}">${escapeHtml(notice.text)}</p>\n`;
}

export function registerAdminPages(scope: FastifyInstance, deps: AdminPagesDeps): void {
  const { web } = deps;

  scope.get("/admin", async (request, reply) => {
    const member = await requireStaff(web, request, reply, "staff");
    if (!member) return reply;
    const context = await web.context(request, reply);
    const w = W[context.lang];
    const links = [
      ...(isAdmin(member) ? [["/admin/instance", w.instance]] : []),
      ["/admin/applications", w.applications],
      ["/admin/reports", w.reports],
      ...(isAdmin(member)
        ? [
            ["/admin/invitations", w.invitations],
            ["/admin/members", w.members],
            ["/admin/domains", w.domains],
          ]
        : []),
      ["/admin/audit", w.audit],
    ];
    const body = `<h1>${escapeHtml(w.admin)}</h1>
<ul>${links.map(([href, label]) => `<li><a href="${href}">${escapeHtml(label as string)}</a></li>`).join("")}</ul>`;
    return web.send(reply, context, { title: w.admin, body });
  });

  function instanceForm(
    reply: FastifyReply,
    context: PageContext,
    values: InstanceProfile,
    options: {
      errors?: Partial<Record<ProfileField, string>>;
      saved?: boolean;
      status?: number;
    } = {},
  ) {
    const w = W[context.lang];
    const errors = options.errors ?? {};
    const name = errorOf("admin-name", errors.name);
    const description = errorOf("admin-description", errors.description);
    const charter = errorOf("admin-charter", errors.charter);
    const mode = errorOf("admin-mode", errors.registrationMode);
    const modes = REGISTRATION_MODES.map(
      (m) =>
        `<p><input type="radio" id="admin-mode-${m}" name="registrationMode" value="${m}"${values.registrationMode === m ? " checked" : ""}> <label for="admin-mode-${m}">${escapeHtml(w[m])}</label></p>`,
    ).join("\n");
    const alert =
      Object.keys(errors).length > 0
        ? `<p role="alert" class="error">${escapeHtml(w.formError)}</p>\n`
        : "";
    const body = `<h1>${escapeHtml(w.instanceTitle)}</h1>
${options.saved ? `<p role="status" class="notice">${escapeHtml(w.saved)}</p>\n` : ""}${alert}<form method="post" action="/admin/instance">
${context.csrfField()}
<div class="field"><label for="admin-name">${escapeHtml(w.name)}</label><input id="admin-name" name="name" type="text" required maxlength="${INSTANCE_NAME_MAX}" value="${escapeHtml(values.name)}"${name.attributes}>${name.html}</div>
<div class="field"><label for="admin-description">${escapeHtml(w.description)}</label><textarea id="admin-description" name="description" maxlength="${INSTANCE_DESCRIPTION_MAX}" aria-describedby="admin-description-hint${errors.description ? " admin-description-error" : ""}"${errors.description ? ' aria-invalid="true"' : ""}>${escapeHtml(values.description)}</textarea>
<p class="hint" id="admin-description-hint">${escapeHtml(w.descriptionHint)}</p>${description.html}</div>
<div class="field"><label for="admin-charter">${escapeHtml(w.charter)}</label><textarea id="admin-charter" name="charter" class="tall" maxlength="${CHARTER_MAX}" aria-describedby="admin-charter-hint${errors.charter ? " admin-charter-error" : ""}"${errors.charter ? ' aria-invalid="true"' : ""}>${escapeHtml(values.charter)}</textarea>
<p class="hint" id="admin-charter-hint">${escapeHtml(w.charterHint)}</p>${charter.html}</div>
<fieldset${mode.attributes}><legend>${escapeHtml(w.mode)}</legend>
${modes}
${mode.html}</fieldset>
<p><button type="submit">${escapeHtml(w.save)}</button></p>
</form>`;
    return web.send(reply, context, { title: w.instanceTitle, body, status: options.status });
  }

  scope.get("/admin/instance", async (request, reply) => {
    if (!(await requireStaff(web, request, reply, "admin"))) return reply;
    const context = await web.context(request, reply);
    const saved = (request.query as { saved?: unknown } | undefined)?.saved === "1";
    return instanceForm(reply, context, await deps.profile.get(), { saved });
  });

  scope.post("/admin/instance", { preHandler: web.checkCsrf }, async (request, reply) => {
    if (!(await requireStaff(web, request, reply, "admin"))) return reply;
    const context = await web.context(request, reply);
    const w = W[context.lang];
    const body = profileBody.safeParse(request.body ?? {});
    const typed = body.success
      ? body.data
      : { name: "", description: "", charter: "", registrationMode: "" };
    const parsed = instanceProfileInput.safeParse(typed);
    if (!parsed.success) {
      const messages: Record<ProfileField, string> = {
        name: w.nameError,
        description: w.descriptionError,
        charter: w.charterError,
        registrationMode: w.modeError,
      };
      const errors: Partial<Record<ProfileField, string>> = {};
      for (const issue of parsed.error.issues) {
        const field = issue.path[0] as ProfileField;
        errors[field] = messages[field];
      }
      const values = { ...typed, registrationMode: typed.registrationMode } as InstanceProfile;
      return instanceForm(reply, context, values, { errors, status: 422 });
    }
    await deps.profile.update(parsed.data);
    return reply.redirect("/admin/instance?saved=1", 303);
  });
}
