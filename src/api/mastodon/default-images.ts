import type { FastifyInstance } from "fastify";

/** Where Mastodon serves its default images: apps that cache by path recognise them. */
export const DEFAULT_AVATAR_PATH = "/avatars/original/missing.png";
export const DEFAULT_HEADER_PATH = "/headers/original/missing.png";

// Plain lilac squares (120×120 and 300×100 PNG): an account without its own image still has one.
const AVATAR_PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAHgAAAB4CAMAAAAOusbgAAAAA1BMVEXZ1Of+GESlAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAAJUlEQVRo3u3BMQEAAADCoPVPbQlPoAAAAAAAAAAAAAAAAAAAPgY4uAABqfMnWwAAAABJRU5ErkJggg==",
  "base64",
);
const HEADER_PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAASwAAABkCAMAAAAL3/3yAAAAA1BMVEVgWnofKdsGAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAANElEQVR42u3BAQ0AAADCoPdPbQ43oAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAfgx1lAABLpXWfAAAAABJRU5ErkJggg==",
  "base64",
);

/** Serves the default avatar and header images the Account entity points at. */
export function registerDefaultImages(http: FastifyInstance): void {
  for (const [path, bytes] of [
    [DEFAULT_AVATAR_PATH, AVATAR_PNG],
    [DEFAULT_HEADER_PATH, HEADER_PNG],
  ] as const) {
    http.get(path, async (_request, reply) =>
      reply
        .header("content-type", "image/png")
        .header("cache-control", "public, max-age=604800")
        .header("access-control-allow-origin", "*")
        .send(bytes),
    );
  }
}
