import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

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

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
