import type { FastifyInstance } from "fastify";
import { type Keyset, newestFirst } from "../../db/keyset.ts";
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

/** The stored kinds Mastodon has a type for (all `mention`). */
const STORED_KINDS = ["named_in_encounter", "weekly_question", "encounter_reply"] as const;

export interface SourcePage {
  limit: number;
  before?: Required<Keyset>;
  after?: Required<Keyset>;
  /** Leave out the stored notifications (a filter that keeps only `reblog`). */
  withoutStored?: boolean;
}

/**
 * What the member is told of, newest first: the stored notifications Mastodon has a type for
 * (being named, a reply), one keyset page of them, and the co-signs of their recent
 * encounters (a bounded set) on the same keys.
 */
export async function notificationSources(
  deps: MastodonDeps,
  viewer: NonNullable<Viewer>,
  page: SourcePage = { limit: 200 },
): Promise<NotificationSource[]> {
  const [stored, own] = await Promise.all([
    page.withoutStored
      ? []
      : deps.services.notifications.list(viewer.member.username, {
          limit: page.limit,
          before: page.before,
          after: page.after,
          kinds: STORED_KINDS,
        }),
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
  const { before, after } = page;
  const inPage = (s: NotificationSource) =>
    (!before || newestFirst(keyOfSource(s), before) > 0) &&
    (!after || newestFirst(keyOfSource(s), after) < 0);
  return sources.filter(inPage).sort((a, b) => newestFirst(keyOfSource(a), keyOfSource(b)));
}

const keyOfSource = (s: NotificationSource) => ({ at: s.at, id: s.id });

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
    const shows = (type: "reblog" | "mention") =>
      (types.size === 0 || types.has(type)) && !excluded.has(type);
    // max_id / min_id: a stored notification's id or a co-sign's (a participant's id).
    const recent = await notificationSources(deps, viewer, {
      limit: 0,
      withoutStored: true,
    });
    const keyOf = async (id: string | undefined) => {
      if (!id) return undefined;
      const cosign = recent.find((s) => s.id === id);
      return cosign
        ? keyOfSource(cosign)
        : services.notifications.keyOf(viewer.member.username, id);
    };
    const [before, after] = await Promise.all([
      keyOf(query.max_id),
      keyOf(query.min_id ?? query.since_id),
    ]);
    const sources = (
      await notificationSources(deps, viewer, {
        limit: query.limit,
        before,
        after,
        withoutStored: !shows("mention"),
      })
    ).filter((s) => shows(typeOf(s)));
    const page = sources.slice(0, query.limit);
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
