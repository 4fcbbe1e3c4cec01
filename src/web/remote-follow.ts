import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Member, MembersService } from "../accounts/members-service.ts";
import {
  type RemoteInteraction,
  RemoteInteractionError,
} from "../federation/remote-interaction.ts";
import type { FollowsService } from "../follows/follows-service.ts";
import { isolateBidi, stripBidiControls } from "../shared/bidi.ts";
import { bdiHtml, escapeHtml } from "../shared/html.ts";
import type { LocalUrls } from "../shared/local-urls.ts";
import { followButtonHtml } from "./follow-pages.ts";
import type { PageContext, WebKit } from "./web-kit.ts";

/*
 * Following a member of this instance from elsewhere, on their profile: the handle to copy,
 * and the remote-follow form — the visitor types their own address, their server's WebFinger
 * names its page for following (src/federation/remote-interaction.ts, through the egress
 * policy) and the visitor is sent there with our member's actor URI. A logged-in member gets
 * Follow / Unfollow instead. And the other way: `/authorize_interaction?uri=…`, the page our
 * own WebFinger names, where a member here lands from a profile elsewhere.
 */

export interface RemoteFollowDeps {
  members: Pick<MembersService, "findByUsername" | "findWithActor">;
  follows: Pick<FollowsService, "stateBetween">;
  remote: Pick<RemoteInteraction, "interactionUrl">;
  urls: Pick<LocalUrls, "actor" | "origin">;
  web: WebKit;
}

const W = {
  fr: {
    follow: "Suivre {name}",
    handleLabel: "Son adresse dans le fédiverse",
    copy: "Copier",
    copied: "Copié",
    remoteLabel: "Ton adresse dans le fédiverse",
    remoteHint: "Par exemple @toi@mastodon.social : ton serveur t'ouvrira sa page pour t'abonner.",
    remoteButton: "Suivre depuis mon serveur",
    searchInstead:
      "Ou colle son adresse dans la recherche de ton application Mastodon (ou de tout autre logiciel du fédiverse).",
    mine: "C'est ton profil.",
    myEncounters: "Mes rencontres",
    malformed: "Écris ton adresse complète, sous la forme @nom@serveur.exemple.",
    unreachable: "Ton serveur {host} ne répond pas : vérifie l'adresse, ou réessaie plus tard.",
    unknown_account: "Le serveur {host} ne connaît pas ce compte : vérifie l'adresse.",
    no_template:
      "Le serveur {host} ne propose pas de page pour suivre un compte d'ailleurs : cherche l'adresse de ce membre dans ton application.",
  },
  en: {
    follow: "Follow {name}",
    handleLabel: "Their fediverse address",
    copy: "Copy",
    copied: "Copied",
    remoteLabel: "Your fediverse address",
    remoteHint: "For example @you@mastodon.social: your server will open its page to follow.",
    remoteButton: "Follow from my server",
    searchInstead:
      "Or paste their address into the search of your Mastodon app (or any fediverse software).",
    mine: "This is your profile.",
    myEncounters: "My encounters",
    malformed: "Write your whole address, as @name@server.example.",
    unreachable: "Your server {host} does not answer: check the address, or try again later.",
    unknown_account: "The server {host} does not know that account: check the address.",
    no_template:
      "The server {host} offers no page to follow an account from elsewhere: search for this member's address in your app.",
  },
} as const;

/** « Suivre <name> », the name isolated (a right-to-left name reorders nothing around it). */
const followTitleHtml = (member: Member, context: PageContext) =>
  W[context.lang].follow
    .split("{name}")
    .map(escapeHtml)
    .join(bdiHtml(member.displayName || member.username));

/** The remote-follow form, with what was typed and the error next to the field. */
function remoteFormHtml(member: Member, context: PageContext, typed = "", error?: string): string {
  const w = W[context.lang];
  const described = error ? "remote-hint remote-error" : "remote-hint";
  return `<form method="post" action="/@${escapeHtml(member.username)}/remote_follow" class="remote-follow">
${context.csrfField()}
<p><label for="remote-handle">${escapeHtml(w.remoteLabel)}</label>
<input id="remote-handle" name="handle" type="text" inputmode="email" autocomplete="username" spellcheck="false" maxlength="300" required value="${escapeHtml(typed)}" aria-describedby="${described}"${error ? ' aria-invalid="true"' : ""}>
<span class="hint" id="remote-hint">${escapeHtml(w.remoteHint)}</span>
${error ? `<span class="field-error" id="remote-error">${escapeHtml(error)}</span>` : ""}</p>
<p><button type="submit">${escapeHtml(w.remoteButton)}</button></p>
</form>`;
}

/** How to follow this member, as the viewer of their profile can. */
export async function profileFollowSection(
  deps: RemoteFollowDeps,
  member: Member,
  context: PageContext,
): Promise<string> {
  const w = W[context.lang];
  const viewer = context.viewer?.member;
  if (viewer?.id === member.id) {
    return `<p>${escapeHtml(w.mine)} <a href="/encounters">${escapeHtml(w.myEncounters)}</a></p>`;
  }
  const iri = deps.urls.actor(member.username).href;
  if (viewer) {
    const [me, them] = await Promise.all([
      deps.members.findWithActor(viewer.username),
      deps.members.findWithActor(member.username),
    ]);
    const state =
      me && them ? await deps.follows.stateBetween(me.actor.id, them.actor.id) : undefined;
    return `<div class="actions">${followButtonHtml(context, state, iri, context.path)}</div>`;
  }
  const handle = `@${member.username}@${deps.urls.origin.host}`;
  return `<section class="follow">
<h2>${followTitleHtml(member, context)}</h2>
<p><label for="handle">${escapeHtml(w.handleLabel)}</label>
<input id="handle" type="text" readonly value="${escapeHtml(handle)}" data-copy="${escapeHtml(w.copy)}" data-copied="${escapeHtml(w.copied)}"></p>
${remoteFormHtml(member, context)}
<p>${escapeHtml(w.searchInstead)}</p>
</section>`;
}

const usernameParams = z.object({ username: z.string().min(1).max(64) });
const remoteBody = z.object({ handle: z.string().max(300).default("") });
const interactionQuery = z.object({ uri: z.string().trim().min(1).max(2048) });

export function registerRemoteFollow(scope: FastifyInstance, deps: RemoteFollowDeps): void {
  const { web } = deps;

  async function memberOf(request: FastifyRequest) {
    const params = usernameParams.safeParse(request.params);
    return params.success ? deps.members.findByUsername(params.data.username) : undefined;
  }

  async function formPage(
    request: FastifyRequest,
    reply: FastifyReply,
    member: Member,
    options: { typed?: string; error?: string; status?: number } = {},
  ) {
    const context = await web.context(request, reply);
    const name = stripBidiControls(member.displayName || member.username);
    const title = W[context.lang].follow.replace("{name}", isolateBidi(name));
    const body = `<h1>${followTitleHtml(member, context)}</h1>
${remoteFormHtml(member, context, options.typed, options.error)}`;
    return web.send(reply, context, { title, body, status: options.status });
  }

  const notFound = async (request: FastifyRequest, reply: FastifyReply) =>
    web.sendMessage(reply, await web.context(request, reply), {
      status: 404,
      title: "notFound",
      text: "noSuchMember",
    });

  scope.get("/@:username/remote_follow", async (request, reply) => {
    const member = await memberOf(request);
    return member ? formPage(request, reply, member) : notFound(request, reply);
  });

  scope.post("/@:username/remote_follow", { preHandler: web.checkCsrf }, async (request, reply) => {
    const member = await memberOf(request);
    if (!member) return notFound(request, reply);
    const parsed = remoteBody.safeParse(request.body ?? {});
    const typed = parsed.success ? parsed.data.handle : "";
    try {
      const target = await deps.remote.interactionUrl(typed, deps.urls.actor(member.username).href);
      return reply.header("cache-control", "no-store").redirect(target, 303);
    } catch (error) {
      if (!(error instanceof RemoteInteractionError)) throw error;
      // A malformed address is the visitor's to fix (400); a server that cannot help, 422.
      const { lang } = await web.context(request, reply);
      const message = W[lang][error.reason].replace("{host}", error.host ?? "");
      const status = error.reason === "malformed" ? 400 : 422;
      return formPage(request, reply, member, { typed, error: message, status });
    }
  });

  // Where a member of this instance lands from a profile elsewhere: the account, to follow.
  scope.get("/authorize_interaction", async (request, reply) => {
    const parsed = interactionQuery.safeParse(request.query ?? {});
    const next = parsed.success ? `/search?q=${encodeURIComponent(parsed.data.uri)}` : "/search";
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    return reply.redirect(next, 303);
  });
}
