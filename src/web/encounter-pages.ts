import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Member, MembersService } from "../accounts/members-service.ts";
import type { ActorsRepository } from "../actors/actors-repository.ts";
import type { Keyset } from "../db/keyset.ts";
import type { EncounterAccess } from "../encounters/encounter-access.ts";
import type { EncountersRepository, EncounterView } from "../encounters/encounters-repository.ts";
import type { LikesService } from "../encounters/likes-service.ts";
import type { RepliesService } from "../encounters/replies-service.ts";
import { ANYONE, LISTED, mayRead } from "../encounters/visibility.ts";
import { isolateBidi } from "../shared/bidi.ts";
import { bdiHtml, escapeHtml } from "../shared/html.ts";
import { idParamsSchema, uuidSchema } from "../shared/input.ts";
import type { LocalUrls } from "../shared/local-urls.ts";
import { encounterComposeHtml } from "./compose-form.ts";
import { actingViewer, actionableListHtml, encounterActionsHtml } from "./encounter-actions.ts";
import { type Language, translate, translateWithHtml } from "./i18n.ts";
import {
  actorName,
  renderEncounterHtml,
  renderEncounterList,
  tagPath,
} from "./render-encounter.ts";
import { renderRepliesHtml } from "./render-replies.ts";
import { onePage, PAGE_SIZE, parseBefore } from "./respond.ts";
import type { PageContext, WebKit } from "./web-kit.ts";

export interface EncounterPagesDeps {
  members: MembersService;
  actors: ActorsRepository;
  encounters: EncountersRepository;
  /** The replies the viewer may read, shown under the encounter. */
  replies: Pick<RepliesService, "list">;
  /** What a logged-in viewer may read (the one rule, `mayRead`, with who they are). */
  access: Pick<EncounterAccess, "mayActorRead">;
  /** The viewer's likes, for the like button. */
  likes: Pick<LikesService, "likedAmong">;
  urls: LocalUrls;
  web: WebKit;
}

const permalinkParams = z.object({
  username: z.string().min(1).max(64),
  id: uuidSchema,
});

/** Letters and digits of any script and `_`, as keywords are stored (see encounter-input.ts). */
const tagParams = z.object({
  keyword: z
    .string()
    .transform((k) => k.normalize("NFC").replace(/^#/, ""))
    .pipe(z.string().regex(/^[\p{L}\p{M}\p{N}_]{1,50}$/u)),
});

/** #Socialdaprès and #socialdapres are one tag, as Mastodon folds accents in hashtags. */
const isSocialdapres = (keyword: string) =>
  keyword.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase() === "socialdapres";

/** The "encounters" section of a member's profile: theirs and those they co-signed. */
export async function profileEncountersSection(
  deps: EncounterPagesDeps,
  member: Member,
  lang: Language,
  before: Keyset | undefined,
): Promise<string> {
  const actor = await deps.actors.findByMemberId(member.id);
  // listWitnessedBy takes co-signed ones only: a declined encounter never shows here.
  const views = actor
    ? await deps.encounters.listWitnessedBy(actor.id, {
        visibilities: LISTED,
        before,
        limit: PAGE_SIZE + 1,
      })
    : [];
  const { items, olderHref } = onePage(views, deps.urls.profile(member.username).pathname);
  return `<section>
<h2>${escapeHtml(translate(lang, "encounters"))}</h2>
${renderEncounterList(items, lang, deps.urls, olderHref)}
</section>`;
}

export function registerEncounterPages(app: FastifyInstance, deps: EncounterPagesDeps): void {
  const { members, encounters, urls, web } = deps;

  /**
   * The encounter if this viewer (undefined: a visitor) may read it; "gone" when it was
   * deleted. Whether it may be read is checked as if it were not deleted, so a 410 never
   * reveals that a followers-only or private encounter existed: what may not be read is the
   * same 404 as what does not exist.
   */
  async function readable(
    view: EncounterView | undefined,
    context: PageContext,
  ): Promise<EncounterView | "gone" | undefined> {
    if (!view) return undefined;
    const living = { ...view, deletedAt: null };
    const viewer = context.viewer?.member;
    const allowed = viewer
      ? await deps.access.mayActorRead(living, urls.actor(viewer.username).href)
      : mayRead(living, ANYONE);
    if (!allowed) return undefined;
    return view.deletedAt ? "gone" : view;
  }

  async function sendEncounter(
    found: EncounterView | "gone" | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ) {
    const context = await web.context(request, reply);
    if (found === "gone") {
      return web.sendMessage(reply, context, { status: 410, title: "gone", text: "goneText" });
    }
    if (!found) {
      return web.sendMessage(reply, context, {
        status: 404,
        title: "notFound",
        text: "encounterNotFound",
      });
    }
    const { lang } = context;
    const author = actorName(found.author);
    const excerpt = found.text.length > 80 ? `${found.text.slice(0, 79)}…` : found.text;
    const viewer = context.viewer?.member;
    // The replies this reader may read: a visitor, those anyone who reads the encounter may.
    const shown = await deps.replies.list(
      found.id,
      viewer ? { username: viewer.username } : "anyone",
    );
    const open = found.visibility === "public" || found.visibility === "unlisted";
    const permalink = found.isLocal
      ? urls.encounterPage(found.author.username, found.id).href
      : undefined;
    const fromMastodon =
      open && permalink
        ? `<section>
<h2>${escapeHtml(translate(lang, "fromMastodon"))}</h2>
<p>${escapeHtml(translate(lang, "fromMastodonSteps"))}</p>
<p><code>${escapeHtml(permalink)}</code></p>
</section>`
        : "";
    const body = `<h1>${translateWithHtml(lang, "encounterBy", "name", bdiHtml(author))}</h1>
${renderEncounterHtml(found, lang, urls)}
${viewer ? await viewerActions(found, context) : ""}
${renderRepliesHtml(shown, lang, { reportable: viewer !== undefined })}
${encounterComposeHtml(context, found)}
${fromMastodon}`;
    // The alternate link lets Mastodon find the Note from the HTML page (its URL search does).
    const head = [
      permalink ? `<link rel="canonical" href="${escapeHtml(permalink)}">` : "",
      found.isLocal
        ? `<link rel="alternate" type="application/activity+json" href="${escapeHtml(found.iri)}">`
        : "",
      found.visibility === "public" && found.isLocal
        ? ""
        : `<meta name="robots" content="noindex">`,
    ]
      .filter(Boolean)
      .join("\n");
    const title = `${isolateBidi(author)}: “${isolateBidi(excerpt)}”`;
    return web.send(reply, context, { title, body, head });
  }

  async function viewerActions(view: EncounterView, context: PageContext): Promise<string> {
    const member = context.viewer?.member;
    const found = member ? await members.findWithActor(member.username) : undefined;
    if (!found) return "";
    const viewer = await actingViewer(deps.likes, found.member, found.actor, [view]);
    return encounterActionsHtml(view, viewer, context, { back: context.path, urls });
  }

  app.get("/@:username/:id", async (request, reply) => {
    const params = permalinkParams.safeParse(request.params);
    const member = params.success ? await members.findByUsername(params.data.username) : undefined;
    const view = member && params.success ? await encounters.findById(params.data.id) : undefined;
    // Only at its author's address.
    const local = view?.isLocal && view.author.memberId === member?.id ? view : undefined;
    const found = await readable(local, await web.context(request, reply));
    // A suspended author's encounters are gone while the suspension lasts, as their actor is.
    return sendEncounter(found && member?.suspendedAt ? "gone" : found, request, reply);
  });

  // Any encounter this instance knows, by its id here: a remote one's page (what home links
  // to), a local one's permalink.
  app.get("/encounters/:id", async (request, reply) => {
    const params = idParamsSchema.safeParse(request.params);
    const view = params.success ? await encounters.findById(params.data.id) : undefined;
    if (view?.isLocal) {
      return reply.redirect(urls.encounterPage(view.author.username, view.id).pathname, 301);
    }
    return sendEncounter(await readable(view, await web.context(request, reply)), request, reply);
  });

  app.get("/tags/:keyword", async (request, reply) => {
    const context = await web.context(request, reply);
    const { lang } = context;
    const params = tagParams.safeParse(request.params);
    const before = parseBefore(request.query);
    if (!params.success || before === null) {
      return web.sendMessage(reply, context, {
        status: 400,
        title: "badRequest",
        text: params.success ? "badBefore" : "badKeyword",
      });
    }
    const keyword = params.data.keyword;
    const everything = isSocialdapres(keyword);
    const views = await encounters.listAll({
      visibilities: LISTED,
      before,
      limit: PAGE_SIZE + 1,
      // Every encounter the instance stores is a #Socialdapres one.
      keyword: everything ? undefined : keyword,
    });
    const { items, olderHref } = onePage(views, tagPath(keyword));
    // A keyword from the address is letters and digits, yet may be right-to-left: isolated.
    const title = translate(lang, "tagTitle", {
      tag: everything ? "Socialdapres" : isolateBidi(keyword),
    });
    const heading = everything
      ? escapeHtml(title)
      : translateWithHtml(lang, "tagTitle", "tag", bdiHtml(keyword));
    const intro = everything
      ? escapeHtml(translate(lang, "socialdapresIntro"))
      : translateWithHtml(lang, "tagIntro", "tag", bdiHtml(keyword));
    // A logged-in reader gets each encounter's actions, as at home.
    const found = context.viewer && (await members.findWithActor(context.viewer.member.username));
    const list = found
      ? actionableListHtml(
          items,
          await actingViewer(deps.likes, found.member, found.actor, items),
          context,
          {
            urls,
            olderHref,
            empty: translate(lang, "noEncounters"),
            older: translate(lang, "older"),
          },
        )
      : renderEncounterList(items, lang, urls, olderHref);
    const body = `<h1>${heading}</h1>
<p>${intro}</p>
${list}`;
    return web.send(reply, context, { title, body });
  });
}
