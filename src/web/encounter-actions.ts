import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { ActorRow } from "../actors/actors-repository.ts";
import type { CosignService } from "../encounters/cosign-service.ts";
import type { EncounterView } from "../encounters/encounters-repository.ts";
import type { LikesService } from "../encounters/likes-service.ts";
import { isCosignable, isPrivateOnly } from "../encounters/visibility.ts";
import { escapeHtml } from "../shared/html.ts";
import { uuidSchema } from "../shared/input.ts";
import type { LocalUrls } from "../shared/local-urls.ts";
import { safeNext } from "./login-page.ts";
import { renderEncounterHtml } from "./render-encounter.ts";
import type { PageContext, WebKit } from "./web-kit.ts";

/*
 * What a logged-in member does to an encounter from the pages: co-sign or decline one that
 * names them (src/encounters/cosign-service.ts: the co-signature is an Announce to their
 * followers), like or unlike (likes-service.ts), and, for their own, links to edit or
 * delete it. Small POST forms with the CSRF field, each answered by a redirect back.
 */

export interface EncounterActionsDeps {
  cosign: Pick<CosignService, "cosign" | "decline">;
  likes: Pick<LikesService, "likeEncounter" | "unlikeEncounter" | "likedAmong">;
  urls: Pick<LocalUrls, "encounterPage">;
  web: WebKit;
}

/** The member looking, as the actions need them: their username, actor and likes. */
export interface ActingViewer {
  username: string;
  actorId: string;
  /** The IRIs of the encounters (among those shown) the viewer liked. */
  liked: Set<string>;
}

const W = {
  fr: {
    actions: "Actions",
    open: "Ouvrir",
    cosign: "Co-signer",
    cosignHint: "Tes abonné·es la verront.",
    decline: "Décliner",
    withdraw: "Retirer ma co-signature",
    cosigned: "Tu as co-signé.",
    declined: "Tu as décliné.",
    unwanted: "Je ne veux pas y figurer",
    report: "Signaler",
    like: "J'aime",
    unlike: "Je n'aime plus",
    edit: "Modifier",
    delete: "Supprimer",
    visibility: {
      public: "Publique",
      unlisted: "Non listée",
      followers: "Abonné·es seulement",
      participants: "Personnes nommées seulement",
      private: "Privée (ton suivi seulement)",
    },
  },
  en: {
    actions: "Actions",
    open: "Open",
    cosign: "Co-sign",
    cosignHint: "Your followers will see it.",
    decline: "Decline",
    withdraw: "Withdraw my co-signature",
    cosigned: "You co-signed.",
    declined: "You declined.",
    unwanted: "I don't want to be in this",
    report: "Report",
    like: "Like",
    unlike: "Unlike",
    edit: "Edit",
    delete: "Delete",
    visibility: {
      public: "Public",
      unlisted: "Unlisted",
      followers: "Followers only",
      participants: "Named people only",
      private: "Private (your tracker only)",
    },
  },
} as const;

/** Where an encounter is read on this instance: its permalink here, or its page of a remote one. */
export function encounterPagePath(view: EncounterView, urls: Pick<LocalUrls, "encounterPage">) {
  return view.isLocal
    ? urls.encounterPage(view.author.username, view.id).pathname
    : `/encounters/${view.id}`;
}

const button = (
  context: PageContext,
  view: EncounterView,
  action: string,
  label: string,
  back: string,
  primary = false,
) =>
  `<form method="post" action="/encounters/${escapeHtml(view.id)}/${action}" class="inline">${context.csrfField()}<input type="hidden" name="back" value="${escapeHtml(back)}"><button type="submit"${primary ? "" : ' class="secondary"'}>${escapeHtml(label)}</button></form>`;

/**
 * The co-sign and decline buttons of an encounter that names the viewer (and what they
 * answered, when they did); nothing when it does not name them.
 */
export function cosignFormsHtml(
  view: EncounterView,
  viewer: Pick<ActingViewer, "actorId">,
  context: PageContext,
  back: string,
): string {
  const w = W[context.lang];
  const named = view.participants.find((p) => p.actorId === viewer.actorId);
  if (!named || view.authorId === viewer.actorId) return "";
  // Decline, hide it from my lists, and report it: one POST (src/web/report-pages.ts).
  const unwanted = named.hidden ? "" : ` ${button(context, view, "unwanted", w.unwanted, back)}`;
  return `${cosignForms(view, named, context, back)}${unwanted}`;
}

function cosignForms(
  view: EncounterView,
  named: EncounterView["participants"][number],
  context: PageContext,
  back: string,
): string {
  const w = W[context.lang];
  if (named.cosignState === "cosigned") {
    return `<span class="state">${escapeHtml(w.cosigned)}</span> ${button(context, view, "decline", w.withdraw, back)}`;
  }
  const cosign = isCosignable(view)
    ? `${button(context, view, "cosign", w.cosign, back, true)} `
    : "";
  if (named.cosignState === "declined") {
    return `<span class="state">${escapeHtml(w.declined)}</span> ${cosign}`;
  }
  return `${cosign}${button(context, view, "decline", w.decline, back)}${isCosignable(view) ? ` <span class="hint">${escapeHtml(w.cosignHint)}</span>` : ""}`;
}

/** The actions under an encounter for a logged-in viewer: open, co-sign, like, edit. */
export function encounterActionsHtml(
  view: EncounterView,
  viewer: ActingViewer,
  context: PageContext,
  options: { back: string; urls: Pick<LocalUrls, "encounterPage">; open?: boolean },
): string {
  const w = W[context.lang];
  const { back } = options;
  const parts: string[] = [];
  if (options.open) {
    parts.push(
      `<a href="${escapeHtml(encounterPagePath(view, options.urls))}">${escapeHtml(w.open)}</a>`,
    );
  }
  const cosign = cosignFormsHtml(view, viewer, context, back);
  if (cosign) parts.push(cosign);
  // A private entry is its author's alone: nothing to like.
  if (!isPrivateOnly(view)) {
    const liked = viewer.liked.has(view.iri);
    parts.push(button(context, view, liked ? "unlike" : "like", liked ? w.unlike : w.like, back));
  }
  if (view.authorId !== viewer.actorId) {
    parts.push(
      `<a href="/report?encounter=${escapeHtml(view.id)}" rel="nofollow">${escapeHtml(w.report)}</a>`,
    );
  }
  if (view.isLocal && view.authorId === viewer.actorId) {
    const base = options.urls.encounterPage(view.author.username, view.id).pathname;
    parts.push(`<span class="state">${escapeHtml(w.visibility[view.visibility])}</span>`);
    parts.push(`<a href="${escapeHtml(`${base}/edit`)}">${escapeHtml(w.edit)}</a>`);
    parts.push(`<a href="${escapeHtml(`${base}/delete`)}">${escapeHtml(w.delete)}</a>`);
  }
  return `<div class="actions" role="group" aria-label="${escapeHtml(w.actions)}">${parts.join(" ")}</div>`;
}

/** A list of encounters, each with its actions, and a link to older ones. */
export function actionableListHtml(
  views: EncounterView[],
  viewer: ActingViewer,
  context: PageContext,
  options: {
    urls: LocalUrls;
    olderHref: string | undefined;
    empty: string;
    older: string;
  },
): string {
  if (views.length === 0) return `<p>${escapeHtml(options.empty)}</p>`;
  const back = context.path;
  const items = views.map(
    (view) =>
      `<div class="feed-item">\n${renderEncounterHtml(view, context.lang, options.urls)}\n${encounterActionsHtml(view, viewer, context, { back, urls: options.urls, open: true })}\n</div>`,
  );
  const older = options.olderHref
    ? `\n<nav><a rel="next" href="${escapeHtml(options.olderHref)}">${escapeHtml(options.older)} →</a></nav>`
    : "";
  return `<div class="h-feed">\n${items.join("\n")}\n</div>${older}`;
}

/** The viewer's likes among these encounters, for their buttons. */
export async function actingViewer(
  likes: Pick<LikesService, "likedAmong">,
  member: { id: string; username: string },
  actor: Pick<ActorRow, "id">,
  views: readonly EncounterView[],
): Promise<ActingViewer> {
  const liked = await likes.likedAmong(
    member.id,
    views.map((v) => v.iri),
  );
  return { username: member.username, actorId: actor.id, liked };
}

const actionParams = z.object({
  id: uuidSchema,
  action: z.enum(["cosign", "decline", "like", "unlike"]),
});

export function registerEncounterActions(scope: FastifyInstance, deps: EncounterActionsDeps): void {
  const { web } = deps;

  scope.post("/encounters/:id/:action", { preHandler: web.checkCsrf }, async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const params = actionParams.safeParse(request.params);
    if (!params.success) return reply.callNotFound();
    const { id, action } = params.data;
    // Each throws not_found for an encounter the member may not see (a page of 404).
    const view =
      action === "cosign"
        ? await deps.cosign.cosign(member.username, id)
        : action === "decline"
          ? await deps.cosign.decline(member.username, id)
          : action === "like"
            ? (await deps.likes.likeEncounter(member.username, id)).encounter
            : (await deps.likes.unlikeEncounter(member.username, id)).encounter;
    const fallback = view ? encounterPagePath(view, deps.urls) : "/home";
    const back = safeNext((request.body as { back?: unknown } | undefined)?.back, fallback);
    return reply.redirect(back, 303);
  });
}
