import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { parseOrThrow } from "../../shared/validation.ts";
import { mastodonDate } from "./dates.ts";
import type { MastodonDeps } from "./deps.ts";
import { memberViewer, needs } from "./http-support.ts";

/**
 * What apps call at log-in and on their side panels for features Socialdapres does not have
 * (custom emojis, lists, filters, trends…): honest empty answers, so the app works and shows
 * nothing rather than an error. Each keeps the scope Mastodon asks for it.
 */
export function registerPlaceholderRoutes(api: FastifyInstance, deps: MastodonDeps): void {
  const empty = async () => [];
  // Public lists.
  for (const path of [
    "/api/v1/custom_emojis",
    "/api/v1/announcements",
    "/api/v1/trends",
    "/api/v1/trends/tags",
    "/api/v1/trends/statuses",
    "/api/v1/trends/links",
    "/api/v1/instance/rules",
    "/api/v1/instance/peers",
  ]) {
    api.get(path, empty);
  }
  const read = (scope: string, paths: string[]) => {
    for (const path of paths) api.get(path, needs(deps, scope), empty);
  };
  read("read:filters", ["/api/v1/filters", "/api/v2/filters"]);
  read("read:lists", ["/api/v1/lists"]);
  read("read:follows", ["/api/v1/followed_tags"]);
  read("read:bookmarks", ["/api/v1/bookmarks"]);
  read("read:accounts", ["/api/v1/featured_tags", "/api/v1/endorsements"]);
  read("read:statuses", ["/api/v1/scheduled_statuses"]);
  read("read", ["/api/v2/suggestions", "/api/v1/suggestions"]);

  api.get("/api/v1/preferences", needs(deps, "read:accounts"), async (request) => {
    const { member } = await memberViewer(deps, request);
    return {
      "posting:default:visibility": "public",
      "posting:default:sensitive": false,
      "posting:default:language": member.language,
      "reading:expand:media": "default",
      "reading:expand:spoilers": false,
    };
  });

  // Read positions are not kept: an app asking gets none and starts from the top.
  api.get("/api/v1/markers", needs(deps, "read:statuses"), async () => ({}));
  const markerSchema = z.object({ last_read_id: z.string().max(100) }).optional();
  api.post("/api/v1/markers", needs(deps, "write:statuses"), async (request) => {
    const body = parseOrThrow(
      z.object({ home: markerSchema, notifications: markerSchema }),
      request.body ?? {},
    );
    const now = mastodonDate(new Date());
    return Object.fromEntries(
      Object.entries(body).flatMap(([timeline, marker]) =>
        marker
          ? [[timeline, { last_read_id: marker.last_read_id, version: 0, updated_at: now }]]
          : [],
      ),
    );
  });
}
