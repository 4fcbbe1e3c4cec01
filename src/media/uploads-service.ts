import { randomUUID } from "node:crypto";
import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "../db/database.ts";
import { mediaUploads } from "../db/schema.ts";
import { ALT_TEXT_MAX } from "../encounters/encounter-input.ts";
import { DomainError } from "../shared/errors.ts";
import type { MediaService } from "./media-service.ts";

export type MediaUpload = typeof mediaUploads.$inferSelect;

/**
 * Photos uploaded ahead of the post that carries them (the Mastodon API's media endpoints):
 * processed and stored at once through the photo pipeline, described (alt text) then or
 * later, and taken by one encounter. The owner of `media_uploads`.
 */
export interface MediaUploadsService {
  upload(memberId: string, bytes: Buffer, description?: string): Promise<MediaUpload>;
  /** The member's own upload; 404 for anyone else's. */
  get(memberId: string, id: string): Promise<MediaUpload>;
  describe(memberId: string, id: string, description: string): Promise<MediaUpload>;
  /** Marks the upload as taken by a post, once; 422 when it was already taken. */
  claim(memberId: string, id: string): Promise<MediaUpload>;
}

export function createMediaUploadsService(deps: {
  db: Db;
  media: Pick<MediaService, "storePhoto">;
  now?: () => Date;
}): MediaUploadsService {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());

  const checkDescription = (description: string) => {
    const trimmed = description.trim();
    if (trimmed.length > ALT_TEXT_MAX) {
      throw new DomainError(
        "invalid",
        `description must be at most ${ALT_TEXT_MAX} characters: describe the photo more briefly.`,
      );
    }
    return trimmed;
  };

  async function get(memberId: string, id: string) {
    const [row] = await db
      .select()
      .from(mediaUploads)
      .where(and(eq(mediaUploads.id, id), eq(mediaUploads.memberId, memberId)));
    if (!row) throw new DomainError("not_found", `No media ${id} of yours.`);
    return row;
  }

  return {
    async upload(memberId, bytes, description = "") {
      const alt = checkDescription(description);
      const stored = await deps.media.storePhoto(bytes);
      const [row] = await db
        .insert(mediaUploads)
        .values({
          id: randomUUID(),
          memberId,
          files: {
            key: stored.key,
            url: stored.url,
            thumbnailKey: stored.thumbnailKey,
            thumbnailUrl: stored.thumbnailUrl,
            mediaType: stored.mediaType,
            width: stored.width,
            height: stored.height,
            blurhash: stored.blurhash,
          },
          description: alt,
          createdAt: now(),
        })
        .returning();
      return row as MediaUpload;
    },

    get,

    async describe(memberId, id, description) {
      await get(memberId, id);
      const [row] = await db
        .update(mediaUploads)
        .set({ description: checkDescription(description) })
        .where(eq(mediaUploads.id, id))
        .returning();
      return row as MediaUpload;
    },

    async claim(memberId, id) {
      await get(memberId, id);
      const [row] = await db
        .update(mediaUploads)
        .set({ attachedAt: now() })
        .where(and(eq(mediaUploads.id, id), isNull(mediaUploads.attachedAt)))
        .returning();
      if (!row) {
        throw new DomainError(
          "invalid",
          `media ${id} is already attached to a post: upload the photo again for a new one.`,
        );
      }
      return row;
    },
  };
}
