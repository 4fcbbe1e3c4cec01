import type { FastifyInstance } from "fastify";
import type { OAuthService } from "../accounts/oauth-service.ts";
import { escapeHtml } from "../shared/html.ts";
import { idParamsSchema } from "../shared/input.ts";
import type { Language } from "./i18n.ts";
import { formatInstant } from "./render-encounter.ts";
import type { WebKit } from "./web-kit.ts";

/*
 * /settings/apps: the apps the logged-in member authorized through OAuth, and a button to
 * withdraw each (the same service as `DELETE /api/socialdapres/v1/authorized_apps/:id`).
 */

export interface AuthorizedAppsPageDeps {
  oauth: Pick<OAuthService, "authorizedApps" | "revokeAuthorization">;
  web: WebKit;
}

const W = {
  fr: {
    title: "Applications autorisées",
    intro:
      "Ces applications peuvent agir pour toi dans la limite des droits accordés. Retirer une application déconnecte aussitôt tous ses accès.",
    none: "Aucune application autorisée.",
    scopes: "Droits",
    since: "autorisée le {date}",
    used: "dernière utilisation le {date}",
    revoke: "Retirer l'accès",
  },
  en: {
    title: "Authorized apps",
    intro:
      "These apps may act for you within the rights you granted. Withdrawing an app cuts all its access at once.",
    none: "No authorized app.",
    scopes: "Rights",
    since: "authorized on {date}",
    used: "last used on {date}",
    revoke: "Withdraw access",
  },
} as const;

/** Registered in the pages' scope (src/web/register.ts), which parses forms. */
export function registerAuthorizedAppsPage(
  scope: FastifyInstance,
  deps: AuthorizedAppsPageDeps,
): void {
  const { web } = deps;

  const day = (lang: Language, date: Date) => formatInstant(lang, date);

  scope.get("/settings/apps", async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const context = await web.context(request, reply);
    const { lang } = context;
    const w = W[lang];
    const apps = await deps.oauth.authorizedApps(member.id);
    const items = apps
      .map(
        (entry) => `<li><strong>${escapeHtml(entry.app.name)}</strong>
<br>${escapeHtml(w.scopes)} : ${entry.scopes.map((s) => `<code>${escapeHtml(s)}</code>`).join(" ")}
<br><span class="meta">${escapeHtml(w.since.replace("{date}", day(lang, entry.authorizedAt)))}${entry.lastUsedAt ? ` · ${escapeHtml(w.used.replace("{date}", day(lang, entry.lastUsedAt)))}` : ""}</span>
<form method="post" action="/settings/apps/${escapeHtml(entry.app.id)}/revoke">${context.csrfField()}<button type="submit">${escapeHtml(w.revoke)}</button></form></li>`,
      )
      .join("\n");
    const body = `<h1>${escapeHtml(w.title)}</h1>
<p>${escapeHtml(w.intro)}</p>
${apps.length > 0 ? `<ul class="apps">\n${items}\n</ul>` : `<p>${escapeHtml(w.none)}</p>`}`;
    return web.send(reply, context, { title: w.title, body });
  });

  scope.post("/settings/apps/:id/revoke", { preHandler: web.checkCsrf }, async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const parsed = idParamsSchema.safeParse(request.params);
    if (parsed.success) await deps.oauth.revokeAuthorization(member.id, parsed.data.id);
    return reply.redirect("/settings/apps", 303);
  });
}
