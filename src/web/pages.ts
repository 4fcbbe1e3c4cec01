import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { InstanceProfileService } from "../accounts/instance-profile-service.ts";
import type { MembersService } from "../accounts/members-service.ts";
import type { ActorsRepository } from "../actors/actors-repository.ts";
import type { EncounterAccess } from "../encounters/encounter-access.ts";
import type { EncountersRepository } from "../encounters/encounters-repository.ts";
import type { LikesService } from "../encounters/likes-service.ts";
import type { RepliesService } from "../encounters/replies-service.ts";
import type { RemoteInteraction } from "../federation/remote-interaction.ts";
import type { FollowsService } from "../follows/follows-service.ts";
import type { Relations } from "../moderation/relations.ts";
import { isolateBidi, stripBidiControls } from "../shared/bidi.ts";
import {
  escapeHtml,
  profileFieldValueHtml,
  profileTextToHtml,
  userTextHtml,
} from "../shared/html.ts";
import type { LocalUrls } from "../shared/local-urls.ts";
import { relationButtonsHtml } from "./blocks-pages.ts";
import { profileEncountersSection, registerEncounterPages } from "./encounter-pages.ts";
import { translate } from "./i18n.ts";
import { registerInstancePages } from "./instance-pages.ts";
import { profileFollowSection } from "./remote-follow.ts";
import { parseBefore, sendBadBefore } from "./respond.ts";
import type { PageContext, WebKit } from "./web-kit.ts";

export interface PagesDeps {
  members: MembersService;
  /** The name and description on `/`. */
  profile: Pick<InstanceProfileService, "current">;
  follows: FollowsService;
  actors: ActorsRepository;
  encounters: EncountersRepository;
  replies: Pick<RepliesService, "list">;
  access: Pick<EncounterAccess, "mayActorRead">;
  likes: Pick<LikesService, "likedAmong">;
  /** Remote follow from a profile (src/web/remote-follow.ts). */
  remote: Pick<RemoteInteraction, "interactionUrl">;
  /** Block, mute and report buttons on a profile (src/web/blocks-pages.ts). */
  relations: Pick<Relations, "between">;
  urls: LocalUrls;
  web: WebKit;
}

const profileParams = z.object({ username: z.string().min(1).max(64) });

export function registerPages(app: FastifyInstance, deps: PagesDeps): void {
  const { members, follows, urls, web } = deps;
  const handle = (username: string) => `@${username}@${urls.origin.host}`;
  registerInstancePages(app);

  app.get("/", async (request, reply) => {
    const context = await web.context(request, reply);
    const { lang } = context;
    const { name, description } = deps.profile.current();
    const listed = await members.listDiscoverable(100);
    const example = handle(listed[0]?.username ?? "bea");
    const items = listed
      .map(
        (m) =>
          `<li><bdi><a href="${escapeHtml(urls.profile(m.username).pathname)}">${userTextHtml(m.displayName || m.username)}</a></bdi> <span class="handle">${escapeHtml(handle(m.username))}</span></li>`,
      )
      .join("");
    const body = `<h1>${escapeHtml(name)}</h1>
${description ? `<p class="instance-description">${userTextHtml(description)}</p>\n` : ""}<p>${escapeHtml(translate(lang, "tagline"))}</p>
<p>${escapeHtml(translate(lang, "about"))}</p>
<p>${escapeHtml(translate(lang, "privacy"))}</p>
<p><a href="/tags/socialdapres">#Socialdapres</a> · <a href="/about">${escapeHtml(translate(lang, "aboutLink"))}</a></p>
<h2>${escapeHtml(translate(lang, "howToFollow"))}</h2>
<p>${escapeHtml(translate(lang, "howToFollowSteps", { handle: example }))}</p>
<h2>${escapeHtml(translate(lang, "members"))}</h2>
${items ? `<ul>${items}</ul>` : `<p>${escapeHtml(translate(lang, "noMembers"))}</p>`}`;
    return web.send(reply, context, { title: name, body });
  });

  app.get("/@:username", async (request, reply) => {
    const context = await web.context(request, reply);
    const { lang } = context;
    const parsed = profileParams.safeParse(request.params);
    const member = parsed.success ? await members.findByUsername(parsed.data.username) : undefined;
    if (!member) {
      return web.sendMessage(reply, context, {
        status: 404,
        title: "notFound",
        text: "noSuchMember",
      });
    }
    if (member.deletedAt) {
      return web.sendMessage(reply, context, {
        status: 410,
        title: "accountDeleted",
        text: "accountDeletedText",
      });
    }
    // Suspended by the moderators: gone for everyone, as its actor answers 410 (reversible).
    if (member.suspendedAt) {
      return web.sendMessage(reply, context, {
        status: 410,
        title: "accountSuspended",
        text: "accountSuspendedText",
      });
    }
    const before = parseBefore(request.query);
    if (before === null) return sendBadBefore(web, reply, context);
    const [counts, encounters, follow, pioneer, relation] = await Promise.all([
      follows.counts(member.username),
      profileEncountersSection(deps, member, lang, before),
      profileFollowSection(deps, member, context),
      members.pioneerRank(member.id),
      relationButtons(member.id, context),
    ]);
    const name = member.displayName || member.username;
    const header = member.headerUrl
      ? `<img class="profile-header" src="${escapeHtml(member.headerUrl)}" alt="${escapeHtml(translate(lang, "headerAlt", { name: stripBidiControls(name) }))}" width="1500" height="500">\n`
      : "";
    const avatar = member.avatarUrl
      ? `<img class="u-photo avatar" src="${escapeHtml(member.avatarUrl)}" alt="${escapeHtml(translate(lang, "avatarAlt", { name: stripBidiControls(name) }))}" width="400" height="400">\n`
      : "";
    const fields = member.fields.length
      ? `<dl class="profile-fields" aria-label="${escapeHtml(translate(lang, "profileFields"))}">${member.fields
          .map(
            (field) =>
              `<dt><bdi>${userTextHtml(field.name)}</bdi></dt><dd><bdi>${profileFieldValueHtml(stripBidiControls(field.value))}</bdi></dd>`,
          )
          .join("")}</dl>\n`
      : "";
    // Moved away: the new account first; the encounters stay readable below.
    const moved = member.movedTo
      ? `<p role="status" class="notice moved">${escapeHtml(translate(lang, "movedTo", { name: stripBidiControls(name) }))} <a href="${escapeHtml(member.movedTo)}" rel="me">${escapeHtml(member.movedTo)}</a></p>\n`
      : "";
    const body = `${moved}<article class="h-card">
${header}${avatar}<h1 class="p-name">${userTextHtml(name)}</h1>
<p class="handle"><a class="u-url" href="${escapeHtml(urls.profile(member.username).href)}">${escapeHtml(handle(member.username))}</a></p>
${pioneer ? `<p class="pioneer"><strong>${escapeHtml(translate(lang, "pioneer"))}</strong> · ${escapeHtml(translate(lang, "pioneerRank", { rank: String(pioneer.rank), of: String(pioneer.of) }))}</p>\n` : ""}<div class="p-note">${profileTextToHtml(stripBidiControls(member.bio))}</div>
${fields}
<p class="counts"><span><strong>${counts.followers}</strong> ${escapeHtml(translate(lang, "followers"))}</span>
<span><strong>${counts.following}</strong> ${escapeHtml(translate(lang, "following"))}</span></p>
${follow}
${relation}</article>
${encounters}`;
    const head = `<link rel="alternate" type="application/activity+json" href="${escapeHtml(urls.actor(member.username).href)}">`;
    return web.send(reply, context, {
      title: `${isolateBidi(name)} (${handle(member.username)})`,
      body,
      head,
    });
  });

  /** A member looking at another's profile: block, mute, report. */
  async function relationButtons(memberId: string, context: PageContext): Promise<string> {
    const viewer = context.viewer?.member;
    if (!viewer) return "";
    const [own, target] = await Promise.all([
      deps.actors.findByMemberId(viewer.id),
      deps.actors.findByMemberId(memberId),
    ]);
    return own && target ? relationButtonsHtml(deps.relations, own.id, target, context) : "";
  }

  // The actor IRI answers HTML to browsers with the profile page.
  app.get("/users/:username", async (request, reply) => {
    const parsed = profileParams.safeParse(request.params);
    const member = parsed.success ? await members.findByUsername(parsed.data.username) : undefined;
    if (!member) return reply.status(404).send({ error: "No member by that name here." });
    return reply.redirect(urls.profile(member.username).pathname, 302);
  });

  registerEncounterPages(app, deps);
}
