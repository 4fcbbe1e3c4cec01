import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Keyset } from "../../db/keyset.ts";
import { type EncounterView, encounterKey } from "../../encounters/encounters-repository.ts";
import { parseOrThrow } from "../../shared/validation.ts";
import type { MastodonDeps } from "./deps.ts";
import {
  formBoolean,
  mayAuthenticate,
  memberViewer,
  needs,
  type PageQuery,
  pageQuerySchema,
  presenterFor,
  setLinkHeader,
} from "./http-support.ts";

type ListOptions = { limit: number; before?: Keyset; after?: Keyset };

/**
 * A page of encounters for Mastodon's `max_id` / `since_id` / `min_id`: the ids are
 * encounters' ids, read as their keys (published_at, id: src/db/keyset.ts). An unknown id
 * pages from nothing.
 */
export async function encounterPage(
  deps: MastodonDeps,
  query: PageQuery,
  list: (options: ListOptions) => Promise<EncounterView[]>,
): Promise<EncounterView[]> {
  const at = async (id: string | undefined) => {
    const found = id ? await deps.repositories.encounters.findById(id) : undefined;
    return found && encounterKey(found);
  };
  const [before, after] = await Promise.all([at(query.max_id), at(query.min_id ?? query.since_id)]);
  return list({ limit: query.limit, before, after });
}

const publicQuerySchema = pageQuerySchema.extend({
  local: formBoolean.optional(),
  remote: formBoolean.optional(),
  only_media: formBoolean.optional(),
});

/** Home (the member's own, those they follow, those naming them), public and tag timelines. */
export function registerTimelineRoutes(api: FastifyInstance, deps: MastodonDeps): void {
  const { urls } = deps;
  const encounters = deps.repositories.encounters;

  api.get("/api/v1/timelines/home", needs(deps, "read:statuses"), async (request, reply) => {
    const query = parseOrThrow(pageQuerySchema, request.query ?? {});
    const viewer = await memberViewer(deps, request);
    const views = await encounterPage(deps, query, (options) =>
      deps.services.access.home(viewer.actor.id, options),
    );
    const statuses = await (await presenterFor(deps, request)).statuses(views);
    setLinkHeader(reply, request, urls.origin, statuses, query.limit);
    return statuses;
  });

  const listed = async (request: FastifyRequest, keyword?: string) => {
    const query = parseOrThrow(publicQuerySchema, request.query ?? {});
    const views = await encounterPage(deps, query, (options) =>
      encounters.listAll({ ...options, visibilities: ["public"], keyword }),
    );
    const shown = views.filter(
      (v) =>
        (!query.local || v.isLocal) &&
        (!query.remote || !v.isLocal) &&
        (!query.only_media || v.photo),
    );
    return { query, statuses: await (await presenterFor(deps, request)).statuses(shown) };
  };

  api.get("/api/v1/timelines/public", mayAuthenticate(deps), async (request, reply) => {
    const { query, statuses } = await listed(request);
    setLinkHeader(reply, request, urls.origin, statuses, query.limit);
    return statuses;
  });

  api.get("/api/v1/timelines/tag/:tag", mayAuthenticate(deps), async (request, reply) => {
    const { tag } = parseOrThrow(
      z.object({
        tag: z.string().regex(/^[\p{L}\p{M}\p{N}_]{1,50}$/u, "must be a hashtag without #"),
      }),
      request.params,
    );
    const { query, statuses } = await listed(request, tag);
    setLinkHeader(reply, request, urls.origin, statuses, query.limit);
    return statuses;
  });
}
