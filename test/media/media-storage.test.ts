import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  createDiskMediaStorage,
  isValidMediaKey,
  listDiskMediaKeys,
  type MediaStorage,
} from "../../src/media/media-storage.ts";
import { createS3MediaStorage, isMediaStoreUnavailable } from "../../src/media/s3-media-storage.ts";
import { startS3Server, type TestS3 } from "../support/s3-server.ts";

let root: string;

const allFiles = async () =>
  (await readdir(root, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1))
    .sort();

/** A store under test, and every key it holds (to see what a call left behind). */
interface Backend {
  storage: MediaStorage;
  keys(): Promise<string[]>;
}

let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(() => s3?.close());
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "socialdapres-media-"));
});
afterEach(() => rm(root, { recursive: true, force: true }));

const INVALID_KEYS = [
  "",
  "../secret.webp",
  "photos/../../secret.webp",
  "./photos/a.webp",
  "/etc/passwd.webp",
  "photos//a.webp",
  "photos/a.webp/",
  "photos/.tmp-1234.webp",
  "Photos/A.webp",
  "photos\\a.webp",
  "photos/a%2F..webp",
  "photos/a.webp\0.png",
  "photos/a.html",
  "photos/a",
  "photos",
  `${"a".repeat(200)}.webp`,
];

/*
 * The `MediaStorage` contract, the same for every store: on disk, and on an S3-compatible
 * server on loopback (test/support/s3-server.ts).
 */
describe.each([
  {
    name: "disk",
    make: async (): Promise<Backend> => ({
      storage: createDiskMediaStorage(join(root, "media")),
      keys: () => listDiskMediaKeys(join(root, "media")),
    }),
  },
  {
    name: "S3",
    make: async (): Promise<Backend> => {
      // One bucket per file: empty it between the tests.
      const storage = createS3MediaStorage(s3.settings);
      for (const key of await s3.keys()) await storage.delete(key);
      return { storage, keys: () => s3.keys() };
    },
  },
])("media storage contract ($name)", ({ make }) => {
  let backend: Backend;
  beforeEach(async () => {
    backend = await make();
  });

  it("stores, reads back with the content type, overwrites and deletes", async () => {
    const { storage } = backend;
    await storage.put("photos/a.webp", Buffer.from("first"), "image/webp");
    expect(await storage.get("photos/a.webp")).toEqual({
      bytes: Buffer.from("first"),
      contentType: "image/webp",
    });
    await storage.put("photos/a.webp", Buffer.from("second"), "image/webp");
    expect((await storage.get("photos/a.webp"))?.bytes.toString()).toBe("second");
    expect(await backend.keys()).toEqual(["photos/a.webp"]);

    await storage.delete("photos/a.webp");
    expect(await storage.get("photos/a.webp")).toBeUndefined();
    await storage.delete("photos/a.webp"); // deleting twice is fine
    expect(await backend.keys()).toEqual([]);
  });

  it("answers undefined for a missing key, even under a missing directory", async () => {
    expect(await backend.storage.get("photos/none.webp")).toBeUndefined();
    expect(await backend.storage.get("nowhere/none.png")).toBeUndefined();
  });

  it("keeps binary bytes whole", async () => {
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256));
    await backend.storage.put("profiles/b.avatar.webp", bytes, "image/webp");
    expect((await backend.storage.get("profiles/b.avatar.webp"))?.bytes.equals(bytes)).toBe(true);
  });

  it("refuses a content type that does not match the key's extension", async () => {
    await expect(
      backend.storage.put("photos/a.webp", Buffer.from("x"), "text/html"),
    ).rejects.toThrow(TypeError);
    expect(await backend.keys()).toEqual([]);
  });

  it("refuses invalid keys before touching the store", async () => {
    for (const key of INVALID_KEYS) {
      expect(isValidMediaKey(key), key).toBe(false);
      await expect(backend.storage.get(key), key).rejects.toThrow(TypeError);
      await expect(backend.storage.put(key, Buffer.from("x"), "image/webp"), key).rejects.toThrow(
        TypeError,
      );
      await expect(backend.storage.delete(key), key).rejects.toThrow(TypeError);
    }
    for (const key of ["photos/0b9e-4f.webp", "photos/0b9e-4f.thumb.webp", "a_b/c.d/e.png"]) {
      expect(isValidMediaKey(key), key).toBe(true);
    }
    expect(await backend.keys()).toEqual([]);
  });
});

describe("disk media storage", () => {
  let storage: MediaStorage;
  beforeEach(() => {
    storage = createDiskMediaStorage(join(root, "media"));
  });

  it("never lets a reader see a half-written file", async () => {
    const a = Buffer.alloc(4 * 1024 * 1024, "a");
    const b = Buffer.alloc(4 * 1024 * 1024, "b");
    await storage.put("photos/x.webp", a, "image/webp");
    const reads: Promise<Buffer | undefined>[] = [];
    for (let i = 0; i < 10; i++) {
      const writing = storage.put("photos/x.webp", i % 2 ? a : b, "image/webp");
      for (let j = 0; j < 3; j++) reads.push(storage.get("photos/x.webp").then((s) => s?.bytes));
      await writing;
    }
    for (const bytes of await Promise.all(reads)) {
      expect(bytes?.equals(a) || bytes?.equals(b)).toBe(true);
    }
    expect(await allFiles()).toEqual(["media/photos/x.webp"]); // no temp file left
  });

  it("leaves no temp file behind when a write fails", async () => {
    // A directory where the file should go makes the final rename fail.
    await mkdir(join(root, "media/photos/taken.webp"), { recursive: true });
    await expect(
      storage.put("photos/taken.webp", Buffer.from("x"), "image/webp"),
    ).rejects.toThrow();
    expect(await readdir(join(root, "media/photos"))).toEqual(["taken.webp"]);
    expect(await storage.get("photos/taken.webp")).toBeUndefined();
  });

  it("never reaches outside its directory", async () => {
    await writeFile(join(root, "secret.webp"), "outside the media directory");
    for (const key of INVALID_KEYS) {
      await expect(storage.get(key), key).rejects.toThrow(TypeError);
    }
    expect(await allFiles()).toEqual(["secret.webp"]);
  });
});

describe("S3 media storage", () => {
  it("reports a store it cannot reach or a missing bucket as unavailable, not as a missing photo", async () => {
    const missingBucket = createS3MediaStorage({ ...s3.settings, bucket: "no-such-bucket" });
    const unreachable = createS3MediaStorage({
      ...s3.settings,
      endpoint: "http://127.0.0.1:9", // the discard port: nothing listens
    });
    for (const storage of [missingBucket, unreachable]) {
      const failure = await storage.get("photos/a.webp").catch((error: unknown) => error);
      expect(isMediaStoreUnavailable(failure)).toBe(true);
      await expect(storage.put("photos/a.webp", Buffer.from("x"), "image/webp")).rejects.toSatisfy(
        isMediaStoreUnavailable,
      );
    }
  });
});
