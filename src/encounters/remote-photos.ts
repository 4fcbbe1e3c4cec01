import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../db/database.ts";
import { type EncounterPhoto, encounters } from "../db/schema.ts";
import type { RemoteMedia } from "../media/remote-media.ts";
import type { Logger } from "../shared/logger.ts";
import type { EncountersRepository } from "./encounters-repository.ts";

/**
 * The thumbnails of remote encounters' photos (src/media/remote-media.ts), fetched in the
 * background after the encounter is stored: never in the inbox request, never holding the
 * transaction or a queue slot while another server takes its time. A fetch that fails, or
 * that a stopping process drops, leaves the encounter as it was: no thumbnail, the original
 * linked. At most `concurrency` fetches run at once; past `maxWaiting` waiting ones, new
 * ones are dropped (a flood of posts with photos costs bounded work).
 */
export interface RemotePhotos {
  /** After a remote encounter with a photo was stored, or its photo changed. */
  schedule(encounterId: string): void;
  /** Fetches, stores and attaches the thumbnail now; what `schedule` runs. */
  fetchFor(encounterId: string): Promise<"stored" | "failed" | "skipped">;
  /** The photo an edit brings, keeping the thumbnail we hold when it is the same photo. */
  merge(previous: EncounterPhoto | null, next: EncounterPhoto | null): EncounterPhoto | null;
  /** The thumbnail file of a photo that is gone (edited away, deleted). */
  forget(previous: EncounterPhoto | null, next?: EncounterPhoto | null): Promise<void>;
  /** Resolves once nothing runs or waits. */
  idle(): Promise<void>;
  /** Stops: running fetches are aborted, waiting ones dropped. */
  close(): Promise<void>;
}

export function createRemotePhotos(deps: {
  db: Db;
  repository: Pick<EncountersRepository, "findById">;
  media: RemoteMedia;
  logger: Logger;
  concurrency?: number;
  maxWaiting?: number;
}): RemotePhotos {
  const { db, media, logger } = deps;
  const concurrency = deps.concurrency ?? 2;
  const maxWaiting = deps.maxWaiting ?? 100;
  const waiting: string[] = [];
  const running = new Set<Promise<unknown>>();
  const stop = new AbortController();
  let idleWaiters: Array<() => void> = [];

  function pump(): void {
    while (!stop.signal.aborted && running.size < concurrency && waiting.length > 0) {
      const id = waiting.shift() as string;
      const task: Promise<unknown> = fetchFor(id)
        .catch((error: Error) =>
          logger.warn({ err: error, encounterId: id }, "remote photo failed"),
        )
        .finally(() => {
          running.delete(task);
          pump();
        });
      running.add(task);
    }
    if (running.size === 0 && (waiting.length === 0 || stop.signal.aborted)) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  async function fetchFor(encounterId: string): Promise<"stored" | "failed" | "skipped"> {
    const encounter = await deps.repository.findById(encounterId);
    const photo = encounter?.photo;
    if (!encounter || encounter.isLocal || encounter.deletedAt || !photo || photo.thumbnailKey) {
      return "skipped";
    }
    let thumbnail: Awaited<ReturnType<RemoteMedia["fetchThumbnail"]>>;
    try {
      thumbnail = await media.fetchThumbnail(photo.url, stop.signal);
    } catch (error) {
      logger.info(
        { encounterId, photo: photo.url.slice(0, 300), reason: (error as Error).message },
        "remote photo not fetched: the encounter links to it",
      );
      return "failed";
    }
    const attached: EncounterPhoto = {
      ...photo,
      thumbnailKey: thumbnail.key,
      thumbnailUrl: thumbnail.url,
      // The sender's size gives the aspect ratio; ours when it gave none.
      width: photo.width > 0 && photo.height > 0 ? photo.width : thumbnail.width,
      height: photo.width > 0 && photo.height > 0 ? photo.height : thumbnail.height,
      blurhash: photo.blurhash ?? thumbnail.blurhash,
    };
    // Only onto the photo it was made from: an edit or a deletion meanwhile wins.
    const updated = await db
      .update(encounters)
      .set({ photo: attached })
      .where(
        and(
          eq(encounters.id, encounterId),
          sql`${encounters.deletedAt} is null`,
          sql`${encounters.photo}->>'url' = ${photo.url}`,
          sql`coalesce(${encounters.photo}->>'thumbnailKey', '') = ''`,
        ),
      )
      .returning({ id: encounters.id });
    if (updated.length === 0) {
      await media.deleteThumbnail(thumbnail.key).catch(() => {});
      return "skipped";
    }
    return "stored";
  }

  return {
    schedule(encounterId) {
      if (stop.signal.aborted || waiting.includes(encounterId)) return;
      if (waiting.length >= maxWaiting) {
        logger.warn({ encounterId }, "too many remote photos waiting: this one is not fetched");
        return;
      }
      waiting.push(encounterId);
      pump();
    },

    fetchFor,

    merge(previous, next) {
      if (!next) return null;
      if (!previous?.thumbnailKey || previous.url !== next.url) return next;
      return {
        ...next,
        thumbnailKey: previous.thumbnailKey,
        thumbnailUrl: previous.thumbnailUrl,
        width: next.width || previous.width,
        height: next.height || previous.height,
        blurhash: next.blurhash ?? previous.blurhash,
      };
    },

    async forget(previous, next) {
      if (!previous?.thumbnailKey || next?.thumbnailKey === previous.thumbnailKey) return;
      await media.deleteThumbnail(previous.thumbnailKey).catch((error: Error) => {
        logger.warn(
          { err: error, key: previous.thumbnailKey },
          "a remote thumbnail was not deleted",
        );
      });
    },

    idle() {
      if (running.size === 0 && waiting.length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },

    async close() {
      stop.abort();
      waiting.length = 0;
      await Promise.allSettled([...running]);
      pump();
    },
  };
}
