import type { FastifyInstance } from "fastify";
import { isValidMediaKey, type MediaStorage } from "./media-storage.ts";

export interface MediaRoutesDeps {
  readonly storage: MediaStorage;
}

/**
 * `GET /media/<key>` (and HEAD, which Fastify derives). Only exact keys are served: there is
 * no listing, and a key that fails validation is answered like a missing one, so probing
 * learns nothing.
 */
export function registerMediaRoutes(app: FastifyInstance, deps: MediaRoutesDeps): void {
  app.get<{ Params: { "*": string } }>("/media/*", async (request, reply) => {
    const key = request.params["*"];
    const stored = isValidMediaKey(key) ? await deps.storage.get(key) : undefined;
    if (!stored) {
      return reply.status(404).send({ error: "No media at this address." });
    }
    return (
      reply
        .header("Content-Type", stored.contentType)
        .header("Content-Length", stored.bytes.length)
        // A key is a fresh UUID that is never reused: its bytes never change.
        .header("Cache-Control", "public, max-age=31536000, immutable")
        // Browsers must not guess another type (e.g. HTML) from the bytes.
        .header("X-Content-Type-Options", "nosniff")
        // Media is public; web clients on other origins (Elk, Phanpy) may read it for blurhash/canvas.
        .header("Access-Control-Allow-Origin", "*")
        .send(stored.bytes)
    );
  });
}
