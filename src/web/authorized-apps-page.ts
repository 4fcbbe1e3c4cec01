import formbody from "@fastify/formbody";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { OAuthService } from "../accounts/oauth-service.ts";
import { escapeHtml } from "../shared/html.ts";
import { idParamsSchema } from "../shared/input.ts";
import type { Language } from "./i18n.ts";
import { formatInstant } from "./render-encounter.ts";
import { requestLanguage, sendPage } from "./respond.ts";
import { isSameOrigin, noStore, sessionMember, type WebSessions } from "./session.ts";

/*
 * /settings/apps: the apps the logged-in member authorized through OAuth, and a button to
 * withdraw each (the same service as `DELETE /api/socialdapres/v1/authorized_apps/:id`).
 */

export interface AuthorizedAppsPageDeps {
  oauth: Pick<OAuthService, "authorizedApps" | "revokeAuthorization">;
  sessions: WebSessions;
  origin: URL;
  instanceName: string;
}

const W = {
  fr: {
    title: "Applications autorisées",
    intro:
      "Ces applications peuvent agir pour vous dans la limite des droits accordés. Retirer une application déconnecte aussitôt tous ses accès.",
    none: "Aucune application autorisée.",
    scopes: "Droits",
    since: "autorisée le {date}",
    used: "dernière utilisation le {date}",
    revoke: "Retirer l'accès",
    badOrigin: "Ce formulaire doit être envoyé depuis une page de cette instance.",
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
    badOrigin: "This form must be sent from a page of this instance.",
  },
} as const;

export async function registerAuthorizedAppsPage(
  scope: FastifyInstance,
  deps: AuthorizedAppsPageDeps,
): Promise<void> {
  await scope.register(formbody, { bodyLimit: 1024 });

  async function memberOr(request: FastifyRequest, reply: FastifyReply) {
    const member = await sessionMember(deps.sessions, request);
    if (!member)
      noStore(reply).redirect(`/login?next=${encodeURIComponent("/settings/apps")}`, 302);
    return member;
  }

  const day = (lang: Language, date: Date) => formatInstant(lang, date);

  scope.get("/settings/apps", async (request, reply) => {
    const member = await memberOr(request, reply);
    if (!member) return reply;
    const lang = requestLanguage(request);
    const w = W[lang];
    const apps = await deps.oauth.authorizedApps(member.id);
    const items = apps
      .map(
        (entry) => `<li><strong>${escapeHtml(entry.app.name)}</strong>
<br>${escapeHtml(w.scopes)} : ${entry.scopes.map((s) => `<code>${escapeHtml(s)}</code>`).join(" ")}
<br><span class="meta">${escapeHtml(w.since.replace("{date}", day(lang, entry.authorizedAt)))}${entry.lastUsedAt ? ` · ${escapeHtml(w.used.replace("{date}", day(lang, entry.lastUsedAt)))}` : ""}</span>
<form method="post" action="/settings/apps/${escapeHtml(entry.app.id)}/revoke"><button type="submit">${escapeHtml(w.revoke)}</button></form></li>`,
      )
      .join("\n");
    const body = `<h1>${escapeHtml(w.title)}</h1>
<p>${escapeHtml(w.intro)}</p>
${apps.length > 0 ? `<ul class="apps">\n${items}\n</ul>` : `<p>${escapeHtml(w.none)}</p>`}`;
    return sendPage(noStore(reply).header("x-frame-options", "DENY"), deps.instanceName, {
      lang,
      title: w.title,
      body,
    });
  });

  scope.post("/settings/apps/:id/revoke", async (request, reply) => {
    const member = await memberOr(request, reply);
    if (!member) return reply;
    if (!isSameOrigin(request, deps.origin)) {
      const lang = requestLanguage(request);
      return noStore(reply).status(403).type("text/plain; charset=utf-8").send(W[lang].badOrigin);
    }
    const parsed = idParamsSchema.safeParse(request.params);
    if (parsed.success) await deps.oauth.revokeAuthorization(member.id, parsed.data.id);
    return noStore(reply).redirect("/settings/apps", 303);
  });
}
