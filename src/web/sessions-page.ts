import type { FastifyInstance } from "fastify";
import { escapeHtml } from "../shared/html.ts";
import { idParamsSchema } from "../shared/input.ts";
import { formMessage } from "./form-fields.ts";
import { APPS_STAY } from "./password-pages.ts";
import { currentSessionId } from "./password-settings-page.ts";
import { formatInstant } from "./render-encounter.ts";
import type { WebSessions } from "./session.ts";
import { browserSummary } from "./user-agent.ts";
import type { WebKit } from "./web-kit.ts";

/*
 * /settings/sessions: the member's web sessions (the browsers logged in with their password):
 * when each started, when it was last used, which browser; this one marked. A button ends
 * one, another all the others. Apps authorized through OAuth are on /settings/apps.
 */

export interface SessionsPageDeps {
  sessions: Pick<WebSessions, "current" | "list" | "revokeById" | "revokeAllOf">;
  web: WebKit;
}

const W = {
  fr: {
    title: "Sessions ouvertes",
    intro:
      "Les navigateurs où tu es connecté·e avec ton mot de passe. Ferme ceux que tu ne reconnais pas, puis change ton mot de passe. On garde le navigateur et les dates, jamais ton adresse IP.",
    apps: "Les applications (Mastodon, etc.) sont dans Applications autorisées.",
    thisOne: "cette session",
    started: "ouverte le {date}",
    seen: "utilisée pour la dernière fois le {date}",
    end: "Fermer cette session",
    endOthers: "Fermer toutes les autres sessions",
    logoutHint: "Pour fermer celle-ci, déconnecte-toi.",
    ended: "La session est fermée.",
    endedOthers: "Toutes tes autres sessions sont fermées.",
    reset:
      "Ton mot de passe est changé et tu es connecté·e ici. Toutes tes autres sessions sont fermées.",
    password: "Changer mon mot de passe",
  },
  en: {
    title: "Open sessions",
    intro:
      "The browsers where you are logged in with your password. End those you do not recognise, then change your password. We keep the browser and the dates, never your IP address.",
    apps: "Apps (Mastodon and others) are in Authorized apps.",
    thisOne: "this session",
    started: "opened on {date}",
    seen: "last used on {date}",
    end: "End this session",
    endOthers: "End all other sessions",
    logoutHint: "To end this one, log out.",
    ended: "The session is ended.",
    endedOthers: "All your other sessions are ended.",
    reset:
      "Your password is changed and you are logged in here. All your other sessions are ended.",
    password: "Change my password",
  },
} as const;

const NOTICES = { ended: "ended", others: "endedOthers", reset: "reset" } as const;

export function registerSessionsPage(scope: FastifyInstance, deps: SessionsPageDeps): void {
  const { web } = deps;

  scope.get("/settings/sessions", async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const context = await web.context(request, reply);
    const { lang } = context;
    const w = W[lang];
    const thisId = await currentSessionId(deps.sessions, request);
    const sessions = await deps.sessions.list(member.id);
    const done = (request.query as { done?: unknown } | undefined)?.done;
    const noticeKey = typeof done === "string" ? NOTICES[done as keyof typeof NOTICES] : undefined;
    const notice = noticeKey
      ? `${w[noticeKey]}${noticeKey === "reset" ? ` ${APPS_STAY[lang]}` : ""}`
      : undefined;
    const items = sessions
      .map((session) => {
        const mine = session.id === thisId;
        const dates = [w.started.replace("{date}", formatInstant(lang, session.createdAt))];
        if (session.lastSeenAt) {
          dates.push(w.seen.replace("{date}", formatInstant(lang, session.lastSeenAt)));
        }
        const action = mine
          ? `<p class="meta">${escapeHtml(w.logoutHint)}</p>`
          : `<form method="post" action="/settings/sessions/${escapeHtml(session.id)}/end">${context.csrfField()}<button type="submit" class="secondary">${escapeHtml(w.end)}</button></form>`;
        return `<li${mine ? ' aria-current="true"' : ""}><strong>${escapeHtml(browserSummary(session.userAgent, lang))}</strong>${mine ? ` <span class="badge">${escapeHtml(w.thisOne)}</span>` : ""}
<br><span class="meta">${escapeHtml(dates.join(" · "))}</span>
${action}</li>`;
      })
      .join("\n");
    const others = sessions.some((session) => session.id !== thisId);
    const body = `<h1>${escapeHtml(w.title)}</h1>
${formMessage("notice", notice)}<p>${escapeHtml(w.intro)}</p>
<p><a href="/settings/apps">${escapeHtml(w.apps)}</a></p>
<ul class="sessions">
${items}
</ul>
${others ? `<form method="post" action="/settings/sessions/end-others">${context.csrfField()}<p><button type="submit">${escapeHtml(w.endOthers)}</button></p></form>` : ""}
<p><a href="/settings/password">${escapeHtml(w.password)}</a></p>`;
    return web.send(reply, context, { title: w.title, body });
  });

  scope.post(
    "/settings/sessions/end-others",
    { preHandler: web.checkCsrf },
    async (request, reply) => {
      const member = await web.requireMember(request, reply);
      if (!member) return reply;
      const keep = await currentSessionId(deps.sessions, request);
      await deps.sessions.revokeAllOf(member.id, keep);
      return reply.redirect("/settings/sessions?done=others", 303);
    },
  );

  scope.post(
    "/settings/sessions/:id/end",
    { preHandler: web.checkCsrf },
    async (request, reply) => {
      const member = await web.requireMember(request, reply);
      if (!member) return reply;
      const parsed = idParamsSchema.safeParse(request.params);
      // Only the member's own sessions, never this one (the header's log-out ends it).
      const keep = await currentSessionId(deps.sessions, request);
      if (parsed.success && parsed.data.id !== keep) {
        await deps.sessions.revokeById(member.id, parsed.data.id);
      }
      return reply.redirect("/settings/sessions?done=ended", 303);
    },
  );
}
