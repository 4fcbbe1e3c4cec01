import type { FastifyInstance } from "fastify";
import { isValidMediaKey, type MediaStorage } from "./media-storage.ts";

export interface MediaRoutesDeps {
  readonly storage: MediaStorage;
  /**
   * Where browsers read the media directly (S3_PUBLIC_URL, without a trailing slash): then
   * `/media/<key>` answers a redirect there instead of passing the bytes through.
   */
  readonly publicUrl?: string;
}

/** How long a redirect may be cached: not forever, in case the admin moves the bucket. */
const REDIRECT_MAX_AGE_SECONDS = 86_400;

/**
 * `GET /media/<key>` (and HEAD, which Fastify derives). Only exact keys are served: there is
 * no listing, and a key that fails validation is answered like a missing one, so probing
 * learns nothing. Media URLs are always these, on the instance's origin, whatever the store:
 * URLs already stored here and sent to other servers stay valid when the media move to S3.
 */
export function registerMediaRoutes(app: FastifyInstance, deps: MediaRoutesDeps): void {
  app.get<{ Params: { "*": string } }>("/media/*", async (request, reply) => {
    const key = request.params["*"];
    const notFound = () => reply.status(404).send({ error: "No media at this address." });
    if (!isValidMediaKey(key)) return notFound();
    if (deps.publicUrl) {
      return reply
        .header("Cache-Control", `public, max-age=${REDIRECT_MAX_AGE_SECONDS}`)
        .header("Access-Control-Allow-Origin", "*")
        .redirect(`${deps.publicUrl}/${key}`, 302);
    }
    const stored = await deps.storage.get(key);
    if (!stored) return notFound();
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
