import type { FastifyInstance } from "fastify";
import { parseOrThrow } from "../../shared/validation.ts";
import type { MastodonDeps } from "./deps.ts";
import {
  idOf,
  listParam,
  memberViewer,
  needs,
  pageQuerySchema,
  presenterFor,
  setLinkHeader,
} from "./http-support.ts";
import { type NotificationSource, notificationEntity } from "./notification.ts";
import type { Viewer } from "./presenter.ts";

/** How far back co-signs of the member's encounters are looked for. */
const RECENT_ENCOUNTERS = 40;

export const typeOf = (s: NotificationSource): "reblog" | "mention" =>
  s.kind === "cosigned" ? "reblog" : "mention";

/**
 * What the member is told of, newest first: the stored notifications Mastodon has a type for
 * (being named, a reply), and the co-signs of their recent encounters.
 */
export async function notificationSources(
  deps: MastodonDeps,
  viewer: NonNullable<Viewer>,
): Promise<NotificationSource[]> {
  const [stored, own] = await Promise.all([
    deps.services.notifications.list(viewer.member.username, { limit: 200 }),
    deps.repositories.encounters.listByAuthor(viewer.actor.id, {
      limit: RECENT_ENCOUNTERS,
      visibilities: ["public", "unlisted"],
    }),
  ]);
  const sources: NotificationSource[] = [
    ...stored.flatMap((n): NotificationSource[] => {
      if (n.kind === "named_in_encounter" && n.encounter) {
        return [{ kind: "named", id: n.id, at: n.createdAt, encounter: n.encounter }];
      }
      if (n.kind === "weekly_question") return [{ kind: "weekly", id: n.id, at: n.createdAt }];
      if (n.kind === "encounter_reply" && n.reply) {
        return [{ kind: "reply", id: n.id, at: n.createdAt, reply: n.reply }];
      }
      return [];
    }),
    ...own.flatMap((encounter) =>
      encounter.participants.flatMap((p): NotificationSource[] =>
        p.cosignState === "cosigned" && p.actor && p.cosignedAt
          ? [{ kind: "cosigned", id: p.id, at: p.cosignedAt, encounter, cosigner: p.actor }]
          : [],
      ),
    ),
  ];
  return sources.sort((a, b) => b.at.getTime() - a.at.getTime() || b.id.localeCompare(a.id));
}

/**
 * Notifications as Mastodon types them: being named in an encounter, or answered under one,
 * is a `mention`; a co-sign of one's encounter is a `reblog`. `types[]`/`exclude_types[]`
 * filter; dismiss and clear remove.
 */
export function registerNotificationRoutes(api: FastifyInstance, deps: MastodonDeps): void {
  const { services, urls } = deps;

  api.get("/api/v1/notifications", needs(deps, "read:notifications"), async (request, reply) => {
    const viewer = await memberViewer(deps, request);
    const query = parseOrThrow(pageQuerySchema, request.query ?? {});
    const types = new Set(listParam(request.query, "types"));
    const excluded = new Set(listParam(request.query, "exclude_types"));
    let page = (await notificationSources(deps, viewer)).filter(
      (s) => (types.size === 0 || types.has(typeOf(s))) && !excluded.has(typeOf(s)),
    );
    const position = (id: string | undefined) => (id ? page.findIndex((s) => s.id === id) : -1);
    const max = position(query.max_id);
    if (max >= 0) page = page.slice(max + 1);
    const min = position(query.min_id ?? query.since_id);
    if (min >= 0) page = page.slice(0, min);
    page = page.slice(0, query.limit);
    const presenter = await presenterFor(deps, request);
    const entities = await Promise.all(page.map((source) => notificationEntity(source, presenter)));
    setLinkHeader(reply, request, urls.origin, entities, query.limit);
    return entities;
  });

  api.get("/api/v1/notifications/:id", needs(deps, "read:notifications"), async (request) => {
    const viewer = await memberViewer(deps, request);
    const id = idOf(request, "notification");
    const found = (await notificationSources(deps, viewer)).find((s) => s.id === id);
    if (!found) return notFound();
    return notificationEntity(found, await presenterFor(deps, request));
  });

  api.post(
    "/api/v1/notifications/:id/dismiss",
    needs(deps, "write:notifications"),
    async (request) => {
      const viewer = await memberViewer(deps, request);
      await services.notifications.dismiss(viewer.member.username, idOf(request, "notification"));
      return {};
    },
  );

  api.post("/api/v1/notifications/clear", needs(deps, "write:notifications"), async (request) => {
    const viewer = await memberViewer(deps, request);
    await services.notifications.clear(viewer.member.username);
    return {};
  });
}

function notFound(): never {
  throw Object.assign(new Error("Record not found: no such notification of yours."), {
    statusCode: 404,
  });
}
