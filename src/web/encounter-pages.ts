import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Member, MembersService } from "../accounts/members-service.ts";
import type { ActorsRepository } from "../actors/actors-repository.ts";
import type { EncountersRepository, EncounterView } from "../encounters/encounters-repository.ts";
import type { RepliesService } from "../encounters/replies-service.ts";
import { ANYONE, LISTED, mayRead } from "../encounters/visibility.ts";
import { isolateBidi } from "../shared/bidi.ts";
import { bdiHtml, escapeHtml } from "../shared/html.ts";
import { uuidSchema } from "../shared/input.ts";
import type { LocalUrls } from "../shared/local-urls.ts";
import { encounterComposeHtml } from "./compose-form.ts";
import { type Language, translate, translateWithHtml } from "./i18n.ts";
import {
  actorName,
  renderEncounterHtml,
  renderEncounterList,
  tagPath,
} from "./render-encounter.ts";
import { renderRepliesHtml } from "./render-replies.ts";
import { onePage, PAGE_SIZE, parseBefore } from "./respond.ts";
import type { WebKit } from "./web-kit.ts";

export interface EncounterPagesDeps {
  members: MembersService;
  actors: ActorsRepository;
  encounters: EncountersRepository;
  /** The replies anyone may read, shown under the encounter. */
  replies: Pick<RepliesService, "list">;
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
  before: Date | undefined,
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
  const { members, encounters, replies, urls, web } = deps;

  async function findShown(
    username: string,
    id: string,
  ): Promise<EncounterView | "gone" | undefined> {
    const member = await members.findByUsername(username);
    const view = member ? await encounters.findById(id) : undefined;
    if (!member || !view?.isLocal || view.author.memberId !== member.id) return undefined;
    // What anyone may read, checked as if it were not deleted, so a 410 never reveals that a
    // followers-only or private encounter existed.
    if (!mayRead({ ...view, deletedAt: null }, ANYONE)) return undefined;
    return view.deletedAt ? "gone" : view;
  }

  app.get("/@:username/:id", async (request, reply) => {
    const context = await web.context(request, reply);
    const { lang } = context;
    const params = permalinkParams.safeParse(request.params);
    const found = params.success
      ? await findShown(params.data.username, params.data.id)
      : undefined;
    if (found === "gone") {
      return web.sendMessage(reply, context, {
        status: 410,
        title: "gone",
        text: "goneText",
      });
    }
    if (!found) {
      return web.sendMessage(reply, context, {
        status: 404,
        title: "notFound",
        text: "encounterNotFound",
      });
    }
    const permalink = urls.encounterPage(found.author.username, found.id).href;
    const author = actorName(found.author);
    const excerpt = found.text.length > 80 ? `${found.text.slice(0, 79)}…` : found.text;
    // What a visitor reads: the replies anyone who reads the encounter may read.
    const shown = await replies.list(found.id, "anyone");
    const body = `<h1>${translateWithHtml(lang, "encounterBy", "name", bdiHtml(author))}</h1>
${renderEncounterHtml(found, lang, urls)}
${renderRepliesHtml(shown, lang)}
${encounterComposeHtml(context, found)}
<section>
<h2>${escapeHtml(translate(lang, "fromMastodon"))}</h2>
<p>${escapeHtml(translate(lang, "fromMastodonSteps"))}</p>
<p><code>${escapeHtml(permalink)}</code></p>
</section>`;
    // The alternate link lets Mastodon find the Note from the HTML page (its URL search does).
    const head = [
      `<link rel="canonical" href="${escapeHtml(permalink)}">`,
      `<link rel="alternate" type="application/activity+json" href="${escapeHtml(found.iri)}">`,
      found.visibility === "unlisted" ? `<meta name="robots" content="noindex">` : "",
    ].join("\n");
    const title = `${isolateBidi(author)}: “${isolateBidi(excerpt)}”`;
    return web.send(reply, context, { title, body, head });
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
    const body = `<h1>${heading}</h1>
<p>${intro}</p>
${renderEncounterList(items, lang, urls, olderHref)}`;
    return web.send(reply, context, { title, body });
  });
}
