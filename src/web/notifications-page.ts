import type { FastifyInstance } from "fastify";
import type { MembersService } from "../accounts/members-service.ts";
import { encodeKeyset } from "../db/keyset.ts";
import type {
  NotificationsService,
  NotificationView,
} from "../encounters/notifications-service.ts";
import type { FollowsService } from "../follows/follows-service.ts";
import type { MemberActions } from "../moderation/member-actions.ts";
import { bdiHtml, escapeHtml, replyContentHtml, userTextHtml } from "../shared/html.ts";
import type { LocalUrls } from "../shared/local-urls.ts";
import { cosignFormsHtml, encounterPagePath } from "./encounter-actions.ts";
import { followRequestsHtml } from "./follow-pages.ts";
import { formatInstant, personHtml, safeHttpUrl } from "./render-encounter.ts";
import { memberListRequest, PAGE_SIZE } from "./respond.ts";
import type { PageContext, WebKit } from "./web-kit.ts";

/*
 * /notifications: being named in an encounter (co-sign or decline right there, in one
 * click), replies under one's encounters, mentions from elsewhere, the weekly question, and
 * the follow requests waiting. Opening the page marks what it shows as read: the header's
 * count is news not yet seen, while a request to co-sign keeps its buttons until answered
 * (here, and on the encounter's page), read or not.
 */

export interface NotificationsPageDeps {
  notifications: Pick<NotificationsService, "list" | "markSeen">;
  follows: Pick<FollowsService, "pendingFollowers">;
  members: Pick<MembersService, "findWithActor">;
  urls: Pick<LocalUrls, "encounterPage">;
  web: WebKit;
  /** The moderators' warnings to the member, shown first (src/moderation/member-actions.ts). */
  moderation?: Pick<MemberActions, "warningsOf">;
}

const W = {
  fr: {
    title: "Notifications",
    none: "Rien de neuf pour l'instant.",
    unread: "nouveau",
    named: "{name} t'a nommé·e dans une rencontre.",
    reply: "{name} a répondu sous une rencontre.",
    mentioned: "{name} t'a mentionné·e.",
    weekly:
      "La question de la semaine : « Durant les 7 derniers jours, as-tu fait des rencontres satisfaisantes ? »",
    answer: "Répondre",
    open: "Voir la rencontre",
    openPost: "Voir le message",
    gone: "Cette rencontre a été supprimée.",
    requests: "Demandes d'abonnement",
    moderation: "De la part de la modération",
    warning: "Avertissement du {date}",
    frozen: "Ton compte est gelé par la modération : tu peux lire, mais plus publier.",
    why: "La raison :",
    older: "Plus anciennes",
  },
  en: {
    title: "Notifications",
    none: "Nothing new for now.",
    unread: "new",
    named: "{name} named you in an encounter.",
    reply: "{name} replied under an encounter.",
    mentioned: "{name} mentioned you.",
    weekly: "The weekly question: “In the last 7 days, did you have satisfying encounters?”",
    answer: "Answer",
    open: "See the encounter",
    openPost: "See the post",
    gone: "This encounter was deleted.",
    moderation: "From the moderators",
    warning: "Warning of {date}",
    frozen: "Your account is frozen by the moderators: you can read, but not post.",
    why: "The reason:",
    requests: "Follow requests",
    older: "Older",
  },
} as const;

/** A sentence with `{name}` replaced by an isolated name (HTML); the rest escaped. */
const withName = (sentence: string, nameHtml: string) =>
  sentence.split("{name}").map(escapeHtml).join(nameHtml);

function itemHtml(
  n: NotificationView,
  context: PageContext,
  viewer: { actorId: string },
  urls: Pick<LocalUrls, "encounterPage">,
): string {
  const w = W[context.lang];
  const back = context.path;
  const link = (href: string, label: string) =>
    `<a href="${escapeHtml(href)}">${escapeHtml(label)}</a>`;
  let body: string;
  switch (n.kind) {
    case "named_in_encounter": {
      const view = n.encounter;
      if (!view) {
        body = `<p>${escapeHtml(w.gone)}</p>`;
        break;
      }
      body = `<p>${withName(w.named, personHtml(view.author, "h-card"))}</p>
<blockquote>${userTextHtml(view.text)}</blockquote>
<div class="actions">${cosignFormsHtml(view, viewer, context, back)} ${link(encounterPagePath(view, urls), w.open)}</div>`;
      break;
    }
    case "encounter_reply": {
      const reply = n.reply;
      const view = n.encounter;
      if (!reply || !view) {
        body = `<p>${escapeHtml(w.gone)}</p>`;
        break;
      }
      body = `<p>${withName(w.reply, personHtml(reply.author, "h-card"))}</p>
<blockquote>${replyContentHtml(reply)}</blockquote>
<div class="actions">${link(`${encounterPagePath(view, urls)}#reply-${reply.id}`, w.open)}</div>`;
      break;
    }
    case "mentioned": {
      const name = n.actor ? personHtml(n.actor, "h-card") : bdiHtml("?");
      const href = safeHttpUrl(n.objectUrl) ?? safeHttpUrl(n.objectIri);
      body = `<p>${withName(w.mentioned, name)}</p>
${n.excerpt ? `<blockquote>${userTextHtml(n.excerpt)}</blockquote>` : ""}
${href ? `<div class="actions"><a href="${escapeHtml(href)}" rel="nofollow noopener noreferrer">${escapeHtml(w.openPost)}</a></div>` : ""}`;
      break;
    }
    case "weekly_question":
      body = `<p>${escapeHtml(w.weekly)}</p>
<div class="actions">${link("/tracker#question", w.answer)}</div>`;
      break;
  }
  const time = `<time datetime="${n.createdAt.toISOString()}">${escapeHtml(formatInstant(context.lang, n.createdAt))}</time>`;
  const unread = n.readAt ? "" : ` <strong class="badge">${escapeHtml(w.unread)}</strong>`;
  return `<li class="notification${n.readAt ? "" : " unread"}">
<p class="meta">${time}${unread}</p>
${body}
</li>`;
}

export function registerNotificationsPage(scope: FastifyInstance, deps: NotificationsPageDeps) {
  const { web, urls } = deps;

  scope.get("/notifications", async (request, reply) => {
    const asked = await memberListRequest(web, deps.members, request, reply);
    if (!asked) return reply;
    const { member, actor, context, before } = asked;
    const w = W[context.lang];
    const [rows, pending, warnings] = await Promise.all([
      deps.notifications.list(member.username, { limit: PAGE_SIZE + 1, before }),
      before ? Promise.resolve([]) : deps.follows.pendingFollowers(member.username),
      before || !deps.moderation
        ? Promise.resolve([])
        : deps.moderation.warningsOf(member.username),
    ]);
    const shown = rows.slice(0, PAGE_SIZE);
    const last = shown.at(-1);
    const olderHref =
      rows.length > PAGE_SIZE && last
        ? `/notifications?before=${encodeURIComponent(encodeKeyset({ at: last.createdAt, id: last.id }))}`
        : undefined;
    const viewer = { actorId: actor.id };
    const requests =
      pending.length > 0
        ? `<section id="follow-requests">
<h2>${escapeHtml(w.requests)} (${pending.length})</h2>
${followRequestsHtml(pending, context)}
</section>`
        : "";
    const list =
      shown.length > 0
        ? `<ol class="notifications">\n${shown.map((n) => itemHtml(n, context, viewer, urls)).join("\n")}\n</ol>`
        : `<p>${escapeHtml(w.none)}</p>`;
    const older = olderHref
      ? `<nav><a rel="next" href="${escapeHtml(olderHref)}">${escapeHtml(w.older)} →</a></nav>`
      : "";
    const why = (reason: string | null) =>
      reason ? ` ${escapeHtml(w.why)} ${escapeHtml(reason)}` : "";
    const said = [
      ...(member.frozenAt
        ? [`<p role="alert">${escapeHtml(w.frozen)}${why(member.frozenReason)}</p>`]
        : []),
      ...warnings
        .slice(0, 3)
        .map(
          (r) =>
            `<p>${escapeHtml(w.warning.replace("{date}", formatInstant(context.lang, r.at)))}.${why(r.reason)}</p>`,
        ),
    ];
    const moderation = said.length
      ? `<section id="moderation" class="moderation-notice">
<h2>${escapeHtml(w.moderation)}</h2>
${said.join("\n")}
</section>`
      : "";
    const body = `<h1>${escapeHtml(w.title)}</h1>
${moderation}
${requests}
${list}
${older}`;
    // Seen now: read from here on. The header counts what is left unread (older pages).
    const seen = await deps.notifications.markSeen(
      member.username,
      shown.filter((n) => !n.readAt).map((n) => n.id),
    );
    const shownContext: PageContext = context.viewer
      ? {
          ...context,
          viewer: { ...context.viewer, unread: Math.max(0, context.viewer.unread - seen) },
        }
      : context;
    return web.send(reply, shownContext, { title: w.title, body });
  });
}
