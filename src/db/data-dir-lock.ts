import { constants } from "node:fs";
import { access, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

export interface DataDirLock {
  release(): Promise<void>;
}

export type LockResult = { ok: true; lock: DataDirLock } | { ok: false; heldBy: number };

/**
 * The embedded database is one process's alone: a second process opening the
 * same folder would write behind the first one's back and corrupt it. A pid
 * file marks the owner; a pid that no longer runs is a stale lock.
 */
export async function acquireDataDirLock(dataDir: string): Promise<LockResult> {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, "socialdapres.pid");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, String(process.pid), { flag: "wx" });
      return { ok: true, lock: { release: () => rm(path, { force: true }) } };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = Number.parseInt(await readFile(path, "utf8").catch(() => ""), 10);
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isRunning(holder)) {
      return { ok: false, heldBy: holder };
    }
    await rm(path, { force: true });
  }
  throw new Error(`could not lock ${dataDir}`);
}

/**
 * Creates DATA_DIR if needed and checks the process may write there; a problem comes back
 * as one line for the person who set DATA_DIR, instead of a stack trace from deep inside.
 */
export async function prepareDataDir(dataDir: string): Promise<string | undefined> {
  try {
    await mkdir(dataDir, { recursive: true });
    await access(dataDir, constants.W_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOTDIR" || code === "EEXIST") {
      const file = (await firstFileOnPath(dataDir)) ?? dataDir;
      return `DATA_DIR: ${file} is a file, not a folder: set DATA_DIR to a folder (it is created if missing).`;
    }
    if (code === "EACCES" || code === "EPERM") {
      return `DATA_DIR: this user may not create or write ${dataDir}: choose another folder, or give this user access to it.`;
    }
    if (code === "EROFS") return `DATA_DIR: ${dataDir} is on a read-only file system.`;
    return `DATA_DIR: cannot use ${dataDir}: ${(error as Error).message}`;
  }
}

/** The nearest existing part of `path` that is a file, if any. */
async function firstFileOnPath(path: string): Promise<string | undefined> {
  for (let current = path; ; current = dirname(current)) {
    const info = await stat(current).catch(() => undefined);
    if (info) return info.isDirectory() ? undefined : current;
    if (dirname(current) === current) return undefined;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
