import { randomUUID } from "node:crypto";
import type { MediaStorage } from "./media-storage.ts";
import {
  type PhotoOptions,
  type ProfileImageKind,
  processPhoto,
  processProfileImage,
} from "./photo-processor.ts";

/** What an encounter keeps of its photo; everything an ActivityPub `Image` attachment needs. */
export interface StoredPhoto {
  readonly key: string;
  readonly url: string;
  readonly thumbnailKey: string;
  readonly thumbnailUrl: string;
  readonly mediaType: string;
  readonly width: number;
  readonly height: number;
  readonly blurhash: string;
  /** Size of the main file, in bytes. */
  readonly size: number;
  /** Hex SHA-256 of the main file. */
  readonly sha256: string;
}

export interface MediaService {
  /** Cleans and stores a photo; throws `PhotoRejectedError` for a file a person must replace. */
  storePhoto(input: Buffer): Promise<StoredPhoto>;
  /** Deletes both files; deleting an already deleted photo succeeds. */
  deletePhoto(stored: Pick<StoredPhoto, "key" | "thumbnailKey">): Promise<void>;
  /**
   * Cleans, crops and stores an avatar or a header image (`processProfileImage`); throws
   * `PhotoRejectedError` for a file a person must replace.
   */
  storeProfileImage(input: Buffer, kind: ProfileImageKind): Promise<StoredProfileImage>;
  /** Deletes one stored file; deleting a missing one succeeds. */
  deleteMedia(key: string): Promise<void>;
}

/** An avatar or a header image, stored under a fresh key. */
export interface StoredProfileImage {
  readonly key: string;
  readonly url: string;
  readonly mediaType: string;
  readonly width: number;
  readonly height: number;
}

export interface MediaServiceDeps {
  readonly storage: MediaStorage;
  readonly urls: { mediaUrl(key: string): URL };
  readonly photoOptions?: PhotoOptions;
}

export function createMediaService(deps: MediaServiceDeps): MediaService {
  const { storage, urls } = deps;
  return {
    async storePhoto(input) {
      // Process before touching storage: a rejected photo leaves nothing behind.
      const photo = await processPhoto(input, deps.photoOptions);
      // A fresh UUID per photo: keys are never reused, so they can be cached forever.
      const id = randomUUID();
      const key = `photos/${id}.webp`;
      const thumbnailKey = `photos/${id}.thumb.webp`;
      await storage.put(key, photo.main.bytes, photo.main.mediaType);
      try {
        await storage.put(thumbnailKey, photo.thumbnail.bytes, photo.thumbnail.mediaType);
      } catch (error) {
        // Nothing half-stored: without its thumbnail the main file would only be an orphan.
        await storage.delete(key).catch(() => {});
        throw error;
      }
      return {
        key,
        url: urls.mediaUrl(key).href,
        thumbnailKey,
        thumbnailUrl: urls.mediaUrl(thumbnailKey).href,
        mediaType: photo.main.mediaType,
        width: photo.main.width,
        height: photo.main.height,
        blurhash: photo.blurhash,
        size: photo.main.bytes.length,
        sha256: photo.sha256,
      };
    },

    async deletePhoto(stored) {
      // Both deletions are attempted even if one fails, then the first failure is reported.
      const results = await Promise.allSettled([
        storage.delete(stored.key),
        storage.delete(stored.thumbnailKey),
      ]);
      const failed = results.find((r) => r.status === "rejected");
      if (failed) throw failed.reason;
    },

    async storeProfileImage(input, kind) {
      const image = await processProfileImage(input, kind, deps.photoOptions);
      // A fresh key each time: a new avatar never hides behind a cached old one.
      const key = `profiles/${randomUUID()}.${kind}.webp`;
      await storage.put(key, image.bytes, image.mediaType);
      return {
        key,
        url: urls.mediaUrl(key).href,
        mediaType: image.mediaType,
        width: image.width,
        height: image.height,
      };
    },

    deleteMedia: (key) => storage.delete(key),
  };
}
