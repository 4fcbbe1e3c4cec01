import type { FastifyInstance } from "fastify";
import { parseOrThrow } from "../../shared/validation.ts";
import type { MastodonDeps } from "./deps.ts";
import {
  idOf,
  memberViewer,
  needs,
  pageQuerySchema,
  presenterFor,
  setLinkHeader,
} from "./http-support.ts";
import { encounterPage } from "./timelines-routes.ts";

/**
 * `GET /api/v1/conversations`: Mastodon's direct messages are our participants-only
 * encounters (written by the member or naming them), one conversation each, its accounts
 * the others involved. Nothing is tracked as unread.
 */
export function registerConversationRoutes(api: FastifyInstance, deps: MastodonDeps): void {
  const { urls } = deps;

  api.get("/api/v1/conversations", needs(deps, "read:statuses"), async (request, reply) => {
    const viewer = await memberViewer(deps, request);
    const query = parseOrThrow(pageQuerySchema, request.query ?? {});
    const views = await encounterPage(deps, query, (options) =>
      deps.repositories.encounters.listHome(viewer.actor.id, {
        ...options,
        visibilities: ["participants"],
      }),
    );
    const presenter = await presenterFor(deps, request);
    const conversations = await Promise.all(
      views
        .filter((view) => view.visibility === "participants")
        .map(async (view) => {
          const others = [
            view.author,
            ...view.participants.flatMap((p) => (p.actor ? [p.actor] : [])),
          ].filter(
            (actor, i, all) =>
              actor.id !== viewer.actor.id && all.findIndex((a) => a.id === actor.id) === i,
          );
          return {
            id: view.id,
            unread: false,
            accounts: await Promise.all(others.map(presenter.account)),
            last_status: await presenter.status(view),
          };
        }),
    );
    setLinkHeader(reply, request, urls.origin, conversations, query.limit);
    return conversations;
  });

  // Nothing is unread: reading one changes nothing, and answers it as it is.
  api.post(
    "/api/v1/conversations/:id/read",
    needs(deps, "write:conversations"),
    async (request) => {
      const viewer = await memberViewer(deps, request);
      const view = await deps.services.access.visibleTo(
        viewer.member.username,
        idOf(request, "conversation"),
      );
      const presenter = await presenterFor(deps, request);
      return {
        id: view.id,
        unread: false,
        accounts: [],
        last_status: await presenter.status(view),
      };
    },
  );
}
