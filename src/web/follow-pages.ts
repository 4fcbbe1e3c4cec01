import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { MembersService } from "../accounts/members-service.ts";
import type { ActorRow } from "../actors/actors-repository.ts";
import { encodeKeyset } from "../db/keyset.ts";
import type { AccountFinder } from "../federation/account-search.ts";
import type { FollowState, FollowsService } from "../follows/follows-service.ts";
import { escapeHtml } from "../shared/html.ts";
import { safeNext } from "./login-page.ts";
import { personHtml } from "./render-encounter.ts";
import { avatarHtml } from "./render-replies.ts";
import { parseBefore, sendBadBefore } from "./respond.ts";
import type { PageContext, WebKit } from "./web-kit.ts";

/*
 * Following from the pages, through the follows service the CLI and the APIs use (it
 * federates Follow, Undo, Accept and Reject): search an account by address (`/search`),
 * follow or unfollow it, the member's lists (`/following`, `/followers`, with removing a
 * follower) and the follow requests waiting for them (`/follow_requests`).
 */

export interface FollowPagesDeps {
  follows: Pick<
    FollowsService,
    | "followIri"
    | "unfollow"
    | "stateBetween"
    | "counts"
    | "followers"
    | "following"
    | "pendingFollowers"
    | "approveFollower"
    | "rejectFollower"
  >;
  members: Pick<MembersService, "findWithActor">;
  findAccount: AccountFinder;
  web: WebKit;
}

const W = {
  fr: {
    search: "Chercher un compte",
    searchLabel: "Adresse du compte",
    searchHint: "Par exemple @antoine@mastodon.social, ou l'adresse de son profil.",
    searchButton: "Chercher",
    noResult: "Aucun compte trouvé à cette adresse.",
    follow: "Suivre",
    unfollow: "Ne plus suivre",
    pending: "Demande envoyée",
    cancel: "Annuler la demande",
    following: "Mes abonnements",
    followers: "Mes abonné·es",
    noFollowing: "Tu ne suis personne pour l'instant.",
    noFollowers: "Personne ne te suit pour l'instant.",
    remove: "Retirer de mes abonné·es",
    requests: "Demandes d'abonnement",
    noRequests: "Aucune demande en attente.",
    approve: "Accepter",
    reject: "Refuser",
    next: "Suivants",
    previous: "Début de la liste",
    findMore: "Chercher un compte à suivre",
  },
  en: {
    search: "Find an account",
    searchLabel: "The account's address",
    searchHint: "For example @antoine@mastodon.social, or the address of their profile.",
    searchButton: "Search",
    noResult: "No account found at that address.",
    follow: "Follow",
    unfollow: "Unfollow",
    pending: "Request sent",
    cancel: "Cancel the request",
    following: "Following",
    followers: "My followers",
    noFollowing: "You follow nobody yet.",
    noFollowers: "Nobody follows you yet.",
    remove: "Remove from my followers",
    requests: "Follow requests",
    noRequests: "No request waiting.",
    approve: "Approve",
    reject: "Reject",
    next: "Next",
    previous: "Back to the start",
    findMore: "Find an account to follow",
  },
} as const;

const PER_PAGE = 40;

const form = (
  context: PageContext,
  action: string,
  iri: string,
  label: string,
  back: string,
  primary = false,
) =>
  `<form method="post" action="${action}" class="inline">${context.csrfField()}<input type="hidden" name="iri" value="${escapeHtml(iri)}"><input type="hidden" name="back" value="${escapeHtml(back)}"><button type="submit"${primary ? "" : ' class="secondary"'}>${escapeHtml(label)}</button></form>`;

/** Follow, or unfollow, or « request sent » with a way to cancel it. */
export function followButtonHtml(
  context: PageContext,
  state: FollowState | undefined,
  iri: string,
  back: string,
): string {
  const w = W[context.lang];
  if (state === "accepted") return form(context, "/unfollow", iri, w.unfollow, back);
  if (state === "pending") {
    return `<span class="state">${escapeHtml(w.pending)}</span> ${form(context, "/unfollow", iri, w.cancel, back)}`;
  }
  return form(context, "/follow", iri, w.follow, back, true);
}

/** An account in a list: picture, name, handle, then its buttons. */
const accountHtml = (actor: ActorRow, buttons: string) =>
  `<li class="account">${[avatarHtml(actor), personHtml(actor, "h-card")].filter(Boolean).join(" ")}${buttons ? ` <div class="actions">${buttons}</div>` : ""}</li>`;

/** The follow requests waiting for the member, each with approve and reject. */
export function followRequestsHtml(pending: ActorRow[], context: PageContext): string {
  const w = W[context.lang];
  if (pending.length === 0) return `<p>${escapeHtml(w.noRequests)}</p>`;
  const back = context.path;
  const items = pending.map((actor) =>
    accountHtml(
      actor,
      `${form(context, "/follow_requests/approve", actor.iri, w.approve, back, true)} ${form(context, "/follow_requests/reject", actor.iri, w.reject, back)}`,
    ),
  );
  return `<ul class="accounts">\n${items.join("\n")}\n</ul>`;
}

const searchQuery = z.object({ q: z.string().trim().max(500).optional() });
const iriBody = z.object({ iri: z.url().max(2048), back: z.string().optional() });

export function registerFollowPages(scope: FastifyInstance, deps: FollowPagesDeps): void {
  const { web, follows } = deps;

  const memberActor = async (username: string) =>
    (await deps.members.findWithActor(username))?.actor;

  scope.get("/search", async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const context = await web.context(request, reply);
    const w = W[context.lang];
    const parsed = searchQuery.safeParse(request.query ?? {});
    const q = parsed.success ? (parsed.data.q ?? "") : "";
    let result = "";
    let status = 200;
    if (q) {
      const found = await deps
        .findAccount(q, { resolve: true })
        .catch((error: Error) => ({ error: error.message }));
      if (!found || "error" in found) {
        status = 404;
        const why = found && "error" in found ? ` ${found.error}` : "";
        result = `<p role="alert" class="error">${escapeHtml(w.noResult + why)}</p>`;
      } else {
        const me = await memberActor(member.username);
        const state = me ? await follows.stateBetween(me.id, found.id) : undefined;
        const buttons =
          me && me.id !== found.id ? followButtonHtml(context, state, found.iri, context.path) : "";
        result = `<ul class="accounts">${accountHtml(found, buttons)}</ul>`;
      }
    }
    const body = `<h1>${escapeHtml(w.search)}</h1>
<form method="get" action="/search" role="search">
<p><label for="q">${escapeHtml(w.searchLabel)}</label>
<input id="q" name="q" type="search" value="${escapeHtml(q)}" maxlength="500" aria-describedby="q-hint" required>
<span class="hint" id="q-hint">${escapeHtml(w.searchHint)}</span></p>
<p><button type="submit">${escapeHtml(w.searchButton)}</button></p>
</form>
${result}`;
    return web.send(reply, context, { title: w.search, body, status });
  });

  // Follow and unfollow (a pending request is cancelled the same way), then back.
  for (const action of ["follow", "unfollow"] as const) {
    scope.post(`/${action}`, { preHandler: web.checkCsrf }, async (request, reply) => {
      const member = await web.requireMember(request, reply);
      if (!member) return reply;
      const parsed = iriBody.safeParse(request.body ?? {});
      if (!parsed.success) return badForm(request, reply);
      const { iri, back } = parsed.data;
      if (action === "follow") await follows.followIri(member.username, iri);
      else await follows.unfollow(member.username, iri);
      return reply.redirect(safeNext(back, "/following"), 303);
    });
  }

  const lists = [
    ["/following", "following", "noFollowing"],
    ["/followers", "followers", "noFollowers"],
  ] as const;
  for (const [path, side, none] of lists) {
    scope.get(path, async (request, reply) => {
      const member = await web.requireMember(request, reply);
      if (!member) return reply;
      const context = await web.context(request, reply);
      const w = W[context.lang];
      const before = parseBefore(request.query);
      if (before === null) return sendBadBefore(web, reply, context);
      const [listed, counts] = await Promise.all([
        follows[side](member.username, { before, limit: PER_PAGE }),
        follows.counts(member.username),
      ]);
      const back = context.path;
      const items = listed.items.map((actor) =>
        accountHtml(
          actor,
          side === "following"
            ? form(context, "/unfollow", actor.iri, w.unfollow, back)
            : form(context, "/followers/remove", actor.iri, w.remove, back),
        ),
      );
      // Keyset pages, newest follow first (src/db/keyset.ts): "next" carries the last key.
      const nav = [
        before ? `<a rel="first" href="${path}">← ${escapeHtml(w.previous)}</a>` : "",
        listed.next
          ? `<a rel="next" href="${path}?before=${encodeURIComponent(encodeKeyset(listed.next))}">${escapeHtml(w.next)} →</a>`
          : "",
      ].filter(Boolean);
      const body = `<h1>${escapeHtml(w[side])} (${counts[side]})</h1>
${items.length > 0 ? `<ul class="accounts">\n${items.join("\n")}\n</ul>` : `<p>${escapeHtml(w[none])}</p>`}
${nav.length > 0 ? `<nav class="pages">${nav.join(" ")}</nav>` : ""}
<p><a href="/search">${escapeHtml(w.findMore)}</a></p>`;
      return web.send(reply, context, { title: w[side], body });
    });
  }

  scope.get("/follow_requests", async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const context = await web.context(request, reply);
    const w = W[context.lang];
    const pending = await follows.pendingFollowers(member.username);
    const body = `<h1>${escapeHtml(w.requests)}</h1>\n${followRequestsHtml(pending, context)}`;
    return web.send(reply, context, { title: w.requests, body });
  });

  // Approve or reject a request; removing a follower rejects their follow, as Mastodon does
  // (a Reject of the Follow tells their server they no longer follow).
  const answers = [
    ["/follow_requests/approve", "approveFollower", "/follow_requests"],
    ["/follow_requests/reject", "rejectFollower", "/follow_requests"],
    ["/followers/remove", "rejectFollower", "/followers"],
  ] as const;
  for (const [path, method, fallback] of answers) {
    scope.post(path, { preHandler: web.checkCsrf }, async (request, reply) => {
      const member = await web.requireMember(request, reply);
      if (!member) return reply;
      const parsed = iriBody.safeParse(request.body ?? {});
      if (!parsed.success) return badForm(request, reply);
      await follows[method](member.username, parsed.data.iri);
      return reply.redirect(safeNext(parsed.data.back, fallback), 303);
    });
  }

  async function badForm(
    request: Parameters<WebKit["context"]>[0],
    reply: Parameters<WebKit["context"]>[1],
  ) {
    const context = await web.context(request, reply);
    return web.sendMessage(reply, context, {
      status: 400,
      title: "badRequest",
      text: {
        raw:
          context.lang === "fr"
            ? "Ce formulaire doit nommer un compte par son adresse (iri) : recharge la page et réessaie."
            : "This form must name an account by its address (iri): reload the page and try again.",
      },
    });
  }
}
