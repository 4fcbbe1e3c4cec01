import formbody from "@fastify/formbody";
import multipart from "@fastify/multipart";
import type { FastifyError, FastifyInstance } from "fastify";
import qs from "qs";
import { allowBrowserApps } from "../cors.ts";
import { httpError, PHOTO_MAX_BYTES } from "../encounter-body.ts";
import { registerAccountRoutes } from "./accounts-routes.ts";
import { registerAdminRoutes } from "./admin-routes.ts";
import { registerConversationRoutes } from "./conversations-routes.ts";
import { registerDefaultImages } from "./default-images.ts";
import type { MastodonDeps } from "./deps.ts";
import { registerInstanceRoutes } from "./instance-routes.ts";
import { registerMediaRoutes } from "./media-routes.ts";
import { registerModerationRoutes } from "./moderation-routes.ts";
import { registerNotificationRoutes } from "./notifications-routes.ts";
import { registerPlaceholderRoutes } from "./placeholder-routes.ts";
import { registerSearchRoutes } from "./search-routes.ts";
import { registerStatusRoutes } from "./statuses-routes.ts";
import { registerStreamingRoutes } from "./streaming-routes.ts";
import { registerTimelineRoutes } from "./timelines-routes.ts";

/**
 * The Mastodon client API under /api/v1 and /api/v2 (docs/API.md): what Elk, Phanpy, Tusky,
 * Ivory or Mastodon.py call, answered from the same services as the own API, so a status
 * posted from an app federates like any encounter. Browser apps may call it from anywhere
 * (CORS); JSON, urlencoded forms (with `media_ids[]`-style arrays, read by `qs`) and
 * multipart bodies are all accepted.
 */
export function registerMastodonApi(
  http: FastifyInstance,
  deps: MastodonDeps & { streamingIntervalMs?: number },
): void {
  registerDefaultImages(http);
  http.register(async (api) => {
    await api.register(formbody, {
      bodyLimit: 64 * 1024,
      parser: (body) => qs.parse(body, { depth: 3, arrayLimit: 40, parameterLimit: 200 }),
    });
    await api.register(multipart, {
      limits: { fileSize: PHOTO_MAX_BYTES, files: 2, fields: 60, parts: 62, fieldSize: 16 * 1024 },
    });
    api.removeContentTypeParser("text/plain");
    // Preflights of browser apps, for every path of the API (/api/v1/apps included).
    allowBrowserApps(api, ["/api/v1/*", "/api/v2/*"]);
    api.addHook("onSend", async (_request, reply) => {
      if (!reply.hasHeader("cache-control")) reply.header("cache-control", "private, no-store");
    });
    api.setErrorHandler((error: FastifyError) => {
      if (error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
        throw httpError(
          415,
          "Send application/json, application/x-www-form-urlencoded or multipart/form-data.",
        );
      }
      // Everything else keeps the instance's one error shape, Mastodon's `{"error": "..."}`.
      throw error;
    });
    await registerStreamingRoutes(api, deps);
    registerInstanceRoutes(api, deps);
    registerAccountRoutes(api, deps);
    registerStatusRoutes(api, deps);
    registerMediaRoutes(api, deps);
    registerTimelineRoutes(api, deps);
    registerNotificationRoutes(api, deps);
    registerSearchRoutes(api, deps);
    registerConversationRoutes(api, deps);
    registerModerationRoutes(api, deps);
    registerPlaceholderRoutes(api, deps);
    registerAdminRoutes(api, deps);
  });
}
