import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { EncountersRepository } from "../encounters/encounters-repository.ts";
import type { RepliesService } from "../encounters/replies-service.ts";
import { replyInputSchema } from "../encounters/reply-input.ts";
import { uuidSchema } from "../shared/input.ts";
import type { LocalUrls } from "../shared/local-urls.ts";
import { replyFormHtml } from "./compose-form.ts";
import { W } from "./compose-words.ts";
import { encounterPagePath } from "./encounter-actions.ts";
import { type RenderUrls, renderEncounterHtml } from "./render-encounter.ts";
import { noStore } from "./session.ts";
import type { WebKit } from "./web-kit.ts";

/*
 * POST /encounters/<id>/replies: the reply form under an encounter's page (replyFormHtml), for
 * a logged-in member, through the replies service every client uses: a local encounter's
 * author is told, a remote one's server receives the reply. A refused reply comes back under
 * the encounter with what was typed.
 */

export interface ReplyPageDeps {
  web: WebKit;
  encounters: Pick<EncountersRepository, "findById">;
  replies: Pick<RepliesService, "reply">;
  urls: RenderUrls & Pick<LocalUrls, "encounterPage">;
}

const params = z.object({ id: uuidSchema });
const body = z.object({ text: z.string().max(20_000).catch("") }).catch({ text: "" });

export function registerReplyPage(scope: FastifyInstance, deps: ReplyPageDeps): void {
  const { web } = deps;

  scope.post("/encounters/:id/replies", { preHandler: web.checkCsrf }, async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const context = await web.context(request, reply);
    const path = params.safeParse(request.params);
    const view = path.success ? await deps.encounters.findById(path.data.id) : undefined;
    if (!view || view.deletedAt) {
      return web.sendMessage(noStore(reply), context, {
        status: 404,
        title: "notFound",
        text: "encounterNotFound",
      });
    }
    const { text } = body.parse(request.body ?? {});
    if (!replyInputSchema.safeParse({ text }).success) {
      const page = `${renderEncounterHtml(view, context.lang, deps.urls)}
${replyFormHtml(context, view, { text })}`;
      return web.send(noStore(reply), context, {
        title: W[context.lang].replyTitle,
        body: page,
        status: 422,
      });
    }
    // The service checks that this member may read (and so answer) the encounter: 404 otherwise.
    const posted = await deps.replies.reply(member.username, view.id, { text });
    return reply.redirect(`${encounterPagePath(view, deps.urls)}#reply-${posted.id}`, 303);
  });
}
