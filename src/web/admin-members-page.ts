import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import { MEMBER_ROLES, type MemberRole, type RolesService } from "../accounts/roles-service.ts";
import { isDomainError } from "../shared/errors.ts";
import { escapeHtml, userTextHtml } from "../shared/html.ts";
import type { LocalUrls } from "../shared/local-urls.ts";
import { noticeHtml, requireStaff } from "./admin-pages.ts";
import { formatInstant } from "./render-encounter.ts";
import type { PageContext, WebKit } from "./web-kit.ts";

/*
 * /admin/members (admins): every member with their role, the day they joined and their
 * pioneer rank, and a form to change the role. Nothing private is listed: no e-mail, nothing
 * of the tracker.
 */

export interface AdminMembersDeps {
  web: WebKit;
  roles: Pick<RolesService, "list" | "setRole">;
  urls: LocalUrls;
}

const PAGE = 200;

const W = {
  fr: {
    title: "Membres et rôles",
    intro:
      "Les admins gèrent tout ; les modérateur·ices décident des demandes d'inscription. Il reste toujours au moins un·e admin.",
    member: "Membre",
    role: "Rôle",
    joined: "Arrivé·e le",
    pioneer: "Pionnier·e",
    change: "Changer",
    roleOf: "Rôle de @{name}",
    admin: "admin",
    moderator: "modérateur·ice",
    memberRole: "membre",
    changed: "@{name} est maintenant {role}.",
    lastAdmin: "@{name} est le ou la dernier·e admin : nomme d'abord un·e autre admin.",
    noSuchMember: "Aucun membre ne porte ce nom.",
    next: "Membres suivant·es",
    moderate: "Modérer",
  },
  en: {
    title: "Members and roles",
    intro:
      "Admins run everything; moderators decide applications to join. There is always at least one admin.",
    member: "Member",
    role: "Role",
    joined: "Joined on",
    pioneer: "Pioneer",
    change: "Change",
    roleOf: "Role of @{name}",
    admin: "admin",
    moderator: "moderator",
    memberRole: "member",
    changed: "@{name} is now {role}.",
    lastAdmin: "@{name} is the last admin: make another member admin first.",
    noSuchMember: "No member has this name.",
    next: "Next members",
    moderate: "Moderate",
  },
} as const;

const roleName = (w: (typeof W)["fr" | "en"], role: MemberRole) =>
  role === "member" ? w.memberRole : w[role];

const pageQuery = z.object({ page: z.coerce.number().int().min(0).max(100_000).default(0) });
const roleParams = z.object({ username: z.string().min(1).max(64) });
const roleBody = z.object({ role: z.enum(MEMBER_ROLES) });

export function registerAdminMembersPage(scope: FastifyInstance, deps: AdminMembersDeps): void {
  const { web, urls } = deps;

  async function membersPage(
    reply: FastifyReply,
    context: PageContext,
    page: number,
    notice?: { text: string; error?: boolean; status?: number },
  ) {
    const { lang } = context;
    const w = W[lang];
    const listed = await deps.roles.list(PAGE + 1, page * PAGE);
    const rows = listed
      .slice(0, PAGE)
      .map((m) => {
        const options = MEMBER_ROLES.map(
          (role) =>
            `<option value="${role}"${role === m.role ? " selected" : ""}>${escapeHtml(roleName(w, role))}</option>`,
        ).join("");
        const id = `role-${escapeHtml(m.username)}`;
        return `<tr><td><a href="${escapeHtml(urls.profile(m.username).pathname)}">@${escapeHtml(m.username)}</a>${m.displayName ? ` <bdi>${userTextHtml(m.displayName)}</bdi>` : ""}</td>
<td>${escapeHtml(roleName(w, m.role))}</td>
<td>${escapeHtml(formatInstant(lang, m.createdAt))}</td>
<td>${m.pioneer ? `n° ${m.pioneer.rank}` : ""}</td>
<td><a href="/admin/accounts/${escapeHtml(encodeURIComponent(m.username))}">${escapeHtml(w.moderate)}</a></td>
<td><form method="post" action="/admin/members/${escapeHtml(m.username)}/role" class="actions">${context.csrfField()}<label class="visually-hidden" for="${id}">${escapeHtml(w.roleOf.replace("{name}", m.username))}</label><select id="${id}" name="role">${options}</select><button type="submit" class="secondary">${escapeHtml(w.change)}</button></form></td></tr>`;
      })
      .join("\n");
    const said = noticeHtml(notice);
    const next =
      listed.length > PAGE
        ? `<p><a href="/admin/members?page=${page + 1}">${escapeHtml(w.next)}</a></p>`
        : "";
    const body = `<h1>${escapeHtml(w.title)}</h1>
${said}<p>${escapeHtml(w.intro)}</p>
<div class="table-scroll"><table>
<thead><tr><th scope="col">${escapeHtml(w.member)}</th><th scope="col">${escapeHtml(w.role)}</th><th scope="col">${escapeHtml(w.joined)}</th><th scope="col">${escapeHtml(w.pioneer)}</th><th scope="col"><span class="visually-hidden">${escapeHtml(w.moderate)}</span></th><th scope="col"><span class="visually-hidden">${escapeHtml(w.change)}</span></th></tr></thead>
<tbody>
${rows}
</tbody></table></div>
${next}`;
    return web.send(reply, context, { title: w.title, body, status: notice?.status });
  }

  scope.get("/admin/members", async (request, reply) => {
    if (!(await requireStaff(web, request, reply, "admin"))) return reply;
    const context = await web.context(request, reply);
    const query = pageQuery.safeParse(request.query ?? {});
    return membersPage(reply, context, query.success ? query.data.page : 0);
  });

  scope.post(
    "/admin/members/:username/role",
    { preHandler: web.checkCsrf },
    async (request, reply) => {
      const admin = await requireStaff(web, request, reply, "admin");
      if (!admin) return reply;
      const context = await web.context(request, reply);
      const w = W[context.lang];
      const params = roleParams.safeParse(request.params);
      const body = roleBody.safeParse(request.body ?? {});
      if (!params.success) return reply.callNotFound();
      if (!body.success) {
        const text = `${w.role}: ${MEMBER_ROLES.join(", ")}.`;
        return membersPage(reply, context, 0, { text, error: true, status: 400 });
      }
      try {
        const member = await deps.roles.setRole(params.data.username, body.data.role);
        // An admin who stepped down sees what they may still do.
        if (member.id === admin.id && member.role !== "admin") return reply.redirect("/admin", 303);
        const text = w.changed
          .replace("{name}", member.username)
          .replace("{role}", roleName(w, member.role));
        return membersPage(reply, context, 0, { text });
      } catch (error) {
        if (!isDomainError(error)) throw error;
        const notFound = error.code === "not_found";
        const text = notFound
          ? w.noSuchMember
          : w.lastAdmin.replace("{name}", params.data.username);
        return membersPage(reply, context, 0, { text, error: true, status: notFound ? 404 : 409 });
      }
    },
  );
}
