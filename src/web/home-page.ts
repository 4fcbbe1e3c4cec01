import type { FastifyInstance } from "fastify";
import type { MembersService } from "../accounts/members-service.ts";
import type { EncounterAccess } from "../encounters/encounter-access.ts";
import type { LikesService } from "../encounters/likes-service.ts";
import { escapeHtml } from "../shared/html.ts";
import type { LocalUrls } from "../shared/local-urls.ts";
import { actingViewer, actionableListHtml } from "./encounter-actions.ts";
import { memberListRequest, onePage, PAGE_SIZE } from "./respond.ts";
import type { WebKit } from "./web-kit.ts";

/*
 * The logged-in member's reading pages: /home (their encounters, those of the people they
 * follow, here and elsewhere, and those naming them: the home timeline of the Mastodon API,
 * through the same service) and /encounters (all of their own, whatever the visibility,
 * for them alone). Newest first, paged with `?before=`, each encounter with its actions.
 */

export interface HomePageDeps {
  access: Pick<EncounterAccess, "home" | "listOwn">;
  likes: Pick<LikesService, "likedAmong">;
  members: Pick<MembersService, "findWithActor">;
  urls: LocalUrls;
  web: WebKit;
}

const W = {
  fr: {
    home: "Accueil",
    homeIntro:
      "Tes rencontres, celles des personnes que tu suis, d'ici et d'ailleurs, et celles qui te nomment.",
    homeEmpty: "Rien pour l'instant : suis des membres, ou raconte une rencontre.",
    mine: "Mes rencontres",
    mineIntro:
      "Toutes tes rencontres, quelle que soit leur visibilité. Cette page n'est visible que par toi.",
    mineEmpty: "Tu n'as encore raconté aucune rencontre.",
    older: "Plus anciennes",
    links: "Aller vers",
    compose: "Raconter une rencontre",
    search: "Chercher un compte",
    following: "Mes abonnements",
    followers: "Mes abonné·es",
  },
  en: {
    home: "Home",
    homeIntro:
      "Your encounters, those of the people you follow, from here and elsewhere, and those that name you.",
    homeEmpty: "Nothing yet: follow members, or tell an encounter.",
    mine: "My encounters",
    mineIntro: "All your encounters, whatever their visibility. Only you can see this page.",
    mineEmpty: "You have not told any encounter yet.",
    older: "Older",
    links: "Go to",
    compose: "Tell an encounter",
    search: "Find an account",
    following: "Following",
    followers: "My followers",
  },
} as const;

export function registerHomePages(scope: FastifyInstance, deps: HomePageDeps): void {
  const { web, urls } = deps;

  const pages = [
    { path: "/home", title: "home", intro: "homeIntro", empty: "homeEmpty" },
    { path: "/encounters", title: "mine", intro: "mineIntro", empty: "mineEmpty" },
  ] as const;

  for (const page of pages) {
    scope.get(page.path, async (request, reply) => {
      const asked = await memberListRequest(web, deps.members, request, reply);
      if (!asked) return reply;
      const { member, actor, context, before } = asked;
      const w = W[context.lang];
      const options = { limit: PAGE_SIZE + 1, before };
      const views =
        page.path === "/home"
          ? await deps.access.home(actor.id, options)
          : await deps.access.listOwn(member.username, options);
      const { items, olderHref } = onePage(views, page.path);
      const viewer = await actingViewer(deps.likes, member, actor, items);
      const nav = [
        ["/compose", w.compose],
        [page.path === "/home" ? "/encounters" : "/home", page.path === "/home" ? w.mine : w.home],
        ["/search", w.search],
        ["/following", w.following],
        ["/followers", w.followers],
      ]
        .map(([href, label]) => `<li><a href="${href}">${escapeHtml(label as string)}</a></li>`)
        .join("");
      const body = `<h1>${escapeHtml(w[page.title])}</h1>
<p>${escapeHtml(w[page.intro])}</p>
<nav aria-label="${escapeHtml(w.links)}"><ul class="links">${nav}</ul></nav>
${actionableListHtml(items, viewer, context, { urls, olderHref, empty: w[page.empty], older: w.older })}`;
      return web.send(reply, context, { title: w[page.title], body });
    });
  }
}
