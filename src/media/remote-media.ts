import { randomUUID } from "node:crypto";
import type { MediaStorage } from "./media-storage.ts";
import { processPhoto } from "./photo-processor.ts";

/**
 * Photos of remote encounters are ours to serve: fetched once from their server, re-encoded
 * like a member's photo (src/media/photo-processor.ts: the type read from the bytes, every
 * piece of metadata dropped, sized down to a thumbnail, WebP) and stored under our `/media`,
 * so a reader's browser never contacts the origin server. The original stays linked.
 *
 * The fetch goes through the egress policy (`fetch` is `egress.fetch`): bounded in time,
 * never to a private address outside tests. Here it is bounded again: a body larger than
 * `maxBytes` is refused from its Content-Length or cut off while it streams, a response
 * that says it is not an image is refused before its body is read.
 */
export interface RemoteMedia {
  /** Throws `RemoteMediaError` for what no retry mends, or the fetch's own error. */
  fetchThumbnail(url: string, signal?: AbortSignal): Promise<RemoteThumbnail>;
  /** Deletes a stored thumbnail; deleting a missing one succeeds. */
  deleteThumbnail(key: string): Promise<void>;
}

export interface RemoteThumbnail {
  readonly key: string;
  readonly url: string;
  readonly width: number;
  readonly height: number;
  readonly blurhash: string;
}

export interface RemoteMediaOptions {
  /** Largest photo fetched, in bytes (default 10 MiB, as for members' uploads). */
  readonly maxBytes?: number;
  /** The whole fetch, headers and body (default 20 s). */
  readonly timeoutMs?: number;
  /** The longest side of the thumbnail (default 400 px, as for members' photos). */
  readonly thumbnailDimension?: number;
}

export class RemoteMediaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RemoteMediaError";
  }
}

const MiB = 1024 * 1024;
const DEFAULTS = { maxBytes: 10 * MiB, timeoutMs: 20_000, thumbnailDimension: 400 };

/**
 * Types a server may announce for a photo; the bytes decide in the end. Some object stores
 * answer `application/octet-stream` for everything.
 */
const ANNOUNCED_TYPES = /^(image\/(jpeg|pjpeg|png|webp|avif)|application\/octet-stream)$/;

export function createRemoteMedia(deps: {
  /** The egress policy's fetch. */
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  storage: MediaStorage;
  urls: { mediaUrl(key: string): URL };
  /** Sent as User-Agent: the origin server sees who fetches its files. */
  userAgent: string;
  options?: RemoteMediaOptions;
}): RemoteMedia {
  const o = { ...DEFAULTS, ...deps.options };

  async function download(url: string, signal: AbortSignal): Promise<Buffer> {
    const parsed = URL.parse(url);
    if (!parsed || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) {
      throw new RemoteMediaError(`not an http(s) URL: ${url.slice(0, 200)}`);
    }
    const response = await deps.fetch(parsed.href, {
      headers: {
        accept: "image/webp,image/avif,image/png,image/jpeg;q=0.9",
        "user-agent": deps.userAgent,
      },
      redirect: "follow",
      signal,
    });
    try {
      if (!response.ok) throw new RemoteMediaError(`answered ${response.status}`);
      const type = (response.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
      if (type && !ANNOUNCED_TYPES.test(type)) {
        throw new RemoteMediaError(`not a photo we read (${type.slice(0, 100)})`);
      }
      const length = Number(response.headers.get("content-length") ?? "0");
      if (length > o.maxBytes) throw new RemoteMediaError(`too large (${length} bytes)`);
      return await readAtMost(response, o.maxBytes);
    } finally {
      // Whatever was not read is not wanted: free the connection.
      await response.body?.cancel().catch(() => {});
    }
  }

  return {
    async fetchThumbnail(url, signal) {
      const timeout = AbortSignal.timeout(o.timeoutMs);
      const bytes = await download(url, signal ? AbortSignal.any([signal, timeout]) : timeout);
      // The same pipeline as a member's photo; the main size is the thumbnail's, only that
      // one is kept.
      const photo = await processPhoto(bytes, {
        maxBytes: o.maxBytes,
        maxDimension: o.thumbnailDimension,
        thumbnailDimension: o.thumbnailDimension,
      }).catch((error: Error) => {
        throw new RemoteMediaError(error.message);
      });
      const key = `remote/${randomUUID()}.thumb.webp`;
      await deps.storage.put(key, photo.thumbnail.bytes, photo.thumbnail.mediaType);
      return {
        key,
        url: deps.urls.mediaUrl(key).href,
        width: photo.thumbnail.width,
        height: photo.thumbnail.height,
        blurhash: photo.blurhash,
      };
    },

    deleteThumbnail: (key) => deps.storage.delete(key),
  };
}

/** The body, refused as soon as it grows past `max` bytes (a Content-Length can lie). */
async function readAtMost(response: Response, max: number): Promise<Buffer> {
  if (!response.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > max) throw new RemoteMediaError(`too large (more than ${max} bytes)`);
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  return Buffer.concat(chunks);
}
