import { readdir, readFile, rm } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { writeFileAtomically } from "../shared/atomic-file.ts";

export interface StoredMedia {
  readonly bytes: Buffer;
  readonly contentType: string;
}

/**
 * Where media files live. Kept minimal so that an S3-compatible store can implement it too:
 * keys are flat strings such as `photos/<uuid>.webp`, and nothing lists them.
 */
export interface MediaStorage {
  put(key: string, bytes: Buffer, contentType: string): Promise<void>;
  /** `undefined` when nothing is stored under the key. */
  get(key: string): Promise<StoredMedia | undefined>;
  /** Deleting a missing key is not an error: a retried cleanup must not fail. */
  delete(key: string): Promise<void>;
}

/** The content type of each extension a key may end with: the key decides how it is served. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  webp: "image/webp",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  avif: "image/avif",
};

// Segments of lowercase letters, digits, `_`, `-` and `.`, none starting with a dot: that
// rules out `.` and `..`, hidden files, and our own `.tmp-*` files, which can then never be
// served half-written.
const KEY = /^[a-z0-9_-][a-z0-9_.-]*(?:\/[a-z0-9_-][a-z0-9_.-]*)*$/;
const MAX_KEY_LENGTH = 200;

/** Keys are minted by us, but they also arrive in URLs: everything checks them. */
export function isValidMediaKey(key: string): boolean {
  return key.length <= MAX_KEY_LENGTH && KEY.test(key) && contentTypeOfKey(key) !== undefined;
}

/** The content type a key is served with, or `undefined` for an extension we never store. */
export function contentTypeOfKey(key: string): string | undefined {
  const extension = /\.([a-z0-9]+)$/.exec(key)?.[1];
  return extension === undefined ? undefined : CONTENT_TYPES[extension];
}

/** The key itself, or a TypeError for one that is not valid (before any storage is touched). */
export function checkedMediaKey(key: string): string {
  if (!isValidMediaKey(key)) {
    throw new TypeError(
      `Invalid media key ${JSON.stringify(key)}: use [a-z0-9/_.-] segments ending in a known extension.`,
    );
  }
  return key;
}

/**
 * Stores each key as a file under `rootDir` (the instance uses `DATA_DIR/media`). The content
 * type is derived from the key's extension, so there is no sidecar to keep in step.
 */
export function createDiskMediaStorage(rootDir: string): MediaStorage {
  const root = resolve(rootDir);
  const pathOf = (key: string) => {
    const path = join(root, ...checkedMediaKey(key).split("/"));
    // Defence in depth: the key pattern already forbids anything that could escape.
    if (!path.startsWith(root + sep)) throw new TypeError(`Invalid media key ${key}`);
    return path;
  };

  return {
    async put(key, bytes, contentType) {
      const path = pathOf(key);
      const expected = contentTypeOfKey(key);
      if (contentType !== expected) {
        throw new TypeError(`Media key ${key} is served as ${expected}, not ${contentType}.`);
      }
      await writeFileAtomically(path, bytes, 0o644);
    },

    async get(key) {
      const path = pathOf(key);
      try {
        const bytes = await readFile(path);
        return { bytes, contentType: contentTypeOfKey(key) as string };
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },

    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
  };
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  // ENOTDIR/EISDIR: a key whose path crosses or names a directory stores nothing either.
  return code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR";
}

/**
 * Every key stored under `rootDir` by the disk storage, sorted (temp files and anything that is
 * not a valid key left out): what `media migrate` copies.
 */
export async function listDiskMediaKeys(rootDir: string): Promise<string[]> {
  const root = resolve(rootDir);
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(
    (error: unknown) => {
      if (isMissing(error)) return [];
      throw error;
    },
  );
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)).split(sep).join("/"))
    .filter(isValidMediaKey)
    .sort();
}
