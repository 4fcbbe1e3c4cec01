import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createDiskMediaStorage,
  isValidMediaKey,
  type MediaStorage,
} from "../../src/media/media-storage.ts";

let root: string;
let storage: MediaStorage;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "socialdapres-media-"));
  storage = createDiskMediaStorage(join(root, "media"));
});
afterEach(() => rm(root, { recursive: true, force: true }));

const allFiles = async () =>
  (await readdir(root, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1))
    .sort();

describe("disk media storage", () => {
  it("stores, reads back with the content type, overwrites and deletes", async () => {
    await storage.put("photos/a.webp", Buffer.from("first"), "image/webp");
    expect(await storage.get("photos/a.webp")).toEqual({
      bytes: Buffer.from("first"),
      contentType: "image/webp",
    });
    await storage.put("photos/a.webp", Buffer.from("second"), "image/webp");
    expect((await storage.get("photos/a.webp"))?.bytes.toString()).toBe("second");
    expect(await allFiles()).toEqual(["media/photos/a.webp"]);

    await storage.delete("photos/a.webp");
    expect(await storage.get("photos/a.webp")).toBeUndefined();
    await storage.delete("photos/a.webp"); // deleting twice is fine
    expect(await allFiles()).toEqual([]);
  });

  it("answers undefined for a missing key, even under a missing directory", async () => {
    expect(await storage.get("photos/none.webp")).toBeUndefined();
    expect(await storage.get("nowhere/none.png")).toBeUndefined();
  });

  it("refuses a content type that does not match the key's extension", async () => {
    await expect(storage.put("photos/a.webp", Buffer.from("x"), "text/html")).rejects.toThrow(
      TypeError,
    );
    expect(await allFiles()).toEqual([]);
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

  it("refuses invalid keys everywhere, including traversal attempts", async () => {
    await writeFile(join(root, "secret.webp"), "outside the media directory");
    const invalid = [
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
    for (const key of invalid) {
      expect(isValidMediaKey(key), key).toBe(false);
      await expect(storage.get(key), key).rejects.toThrow(TypeError);
      await expect(storage.put(key, Buffer.from("x"), "image/webp"), key).rejects.toThrow(
        TypeError,
      );
      await expect(storage.delete(key), key).rejects.toThrow(TypeError);
    }
    for (const key of ["photos/0b9e-4f.webp", "photos/0b9e-4f.thumb.webp", "a_b/c.d/e.png"]) {
      expect(isValidMediaKey(key), key).toBe(true);
    }
    expect(await allFiles()).toEqual(["secret.webp"]);
  });
});
