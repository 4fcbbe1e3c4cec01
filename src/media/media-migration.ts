import { stat } from "node:fs/promises";
import { join } from "node:path";
import { createDiskMediaStorage, listDiskMediaKeys } from "./media-storage.ts";
import type { S3MediaStorage } from "./s3-media-storage.ts";

export interface MediaMigration {
  /** Files found under the media folder. */
  readonly total: number;
  readonly copied: number;
  /** Already in the bucket with the same size: a run that was cut, or a second run. */
  readonly alreadyThere: number;
  readonly bytesCopied: number;
  /** Keys that could not be copied, with why: run it again to resume. */
  readonly failed: ReadonlyArray<{ key: string; reason: string }>;
}

/**
 * Copies every file of the disk store (`DATA_DIR/media`) into the S3 bucket under the same
 * key, so the URLs (`/media/<key>`) stay the same. Idempotent and resumable: an object already
 * there with the file's size is skipped; a failure is reported and the rest goes on. The files
 * stay on disk: remove them once the instance runs on S3.
 */
export async function migrateMediaToS3(
  mediaDir: string,
  target: S3MediaStorage,
  onProgress?: (done: number, total: number) => void,
): Promise<MediaMigration> {
  const source = createDiskMediaStorage(mediaDir);
  const keys = await listDiskMediaKeys(mediaDir);
  let copied = 0;
  let alreadyThere = 0;
  let bytesCopied = 0;
  const failed: Array<{ key: string; reason: string }> = [];
  for (const [index, key] of keys.entries()) {
    try {
      const size = (await stat(join(mediaDir, ...key.split("/")))).size;
      if ((await target.sizeOf(key)) === size) {
        alreadyThere++;
      } else {
        const stored = await source.get(key);
        if (stored) {
          await target.put(key, stored.bytes, stored.contentType);
          copied++;
          bytesCopied += stored.bytes.length;
        }
      }
    } catch (error) {
      failed.push({ key, reason: (error as Error).message });
    }
    onProgress?.(index + 1, keys.length);
  }
  return { total: keys.length, copied, alreadyThere, bytesCopied, failed };
}
