import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isBlurhashValid } from "blurhash";
import sharp from "sharp";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMediaService } from "../../src/media/media-service.ts";
import { createDiskMediaStorage, type MediaStorage } from "../../src/media/media-storage.ts";
import { PhotoRejectedError } from "../../src/media/photo-processor.ts";
import { solid } from "./images.ts";

const urls = { mediaUrl: (key: string) => new URL(`/media/${key}`, "https://social.example") };

let root: string;
let disk: MediaStorage;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "socialdapres-media-service-"));
  disk = createDiskMediaStorage(root);
});
afterEach(() => rm(root, { recursive: true, force: true }));

const storedFiles = async () =>
  (await readdir(root, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());

/** The real disk storage, whose writes fail for keys matching `failOn`: a crashed disk. */
function failingPuts(storage: MediaStorage, failOn: RegExp): MediaStorage {
  return {
    put: (key, bytes, type) =>
      failOn.test(key) ? Promise.reject(new Error("disk full")) : storage.put(key, bytes, type),
    get: (key) => storage.get(key),
    delete: (key) => storage.delete(key),
  };
}

describe("media service", () => {
  it("stores a photo and its thumbnail, and describes them for an attachment", async () => {
    const media = createMediaService({ storage: disk, urls });
    const photo = await media.storePhoto(await solid(2400, 1600).jpeg().toBuffer());

    expect(photo.key).toMatch(/^photos\/[0-9a-f-]{36}\.webp$/);
    expect(photo.thumbnailKey).toBe(photo.key.replace(".webp", ".thumb.webp"));
    expect(photo.url).toBe(`https://social.example/media/${photo.key}`);
    expect(photo.thumbnailUrl).toBe(`https://social.example/media/${photo.thumbnailKey}`);
    expect(photo).toMatchObject({ mediaType: "image/webp", width: 1920, height: 1280 });
    expect(isBlurhashValid(photo.blurhash).result).toBe(true);

    const main = await disk.get(photo.key);
    expect(main?.contentType).toBe("image/webp");
    expect(main?.bytes.length).toBe(photo.size);
    const thumbnail = await disk.get(photo.thumbnailKey);
    expect(await sharp(thumbnail?.bytes).metadata()).toMatchObject({ width: 400, height: 267 });

    await media.deletePhoto(photo);
    expect(await storedFiles()).toEqual([]);
    await media.deletePhoto(photo); // already gone: still fine
  });

  it("gives every photo its own keys, even for the same bytes", async () => {
    const media = createMediaService({ storage: disk, urls });
    const input = await solid(50, 50).png().toBuffer();
    const [a, b] = await Promise.all([media.storePhoto(input), media.storePhoto(input)]);
    expect(a.key).not.toBe(b.key);
    expect(a.sha256).toBe(b.sha256);
  });

  it("stores nothing for a rejected photo", async () => {
    const media = createMediaService({ storage: disk, urls });
    await expect(media.storePhoto(Buffer.from("not a photo"))).rejects.toBeInstanceOf(
      PhotoRejectedError,
    );
    expect(await storedFiles()).toEqual([]);
  });

  it("deletes the main file when the thumbnail cannot be written", async () => {
    const media = createMediaService({ storage: failingPuts(disk, /\.thumb\.webp$/), urls });
    await expect(media.storePhoto(await solid(64, 64).jpeg().toBuffer())).rejects.toThrow(
      "disk full",
    );
    expect(await storedFiles()).toEqual([]);
  });

  it("passes photo options to the processor", async () => {
    const media = createMediaService({ storage: disk, urls, photoOptions: { maxBytes: 10 } });
    const error = await media.storePhoto(await solid(64, 64).jpeg().toBuffer()).catch((e) => e);
    expect(error).toMatchObject({ status: 413 });
  });
});
