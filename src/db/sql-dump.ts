import { execFile } from "node:child_process";
import { stat } from "node:fs/promises";
import { Worker } from "node:worker_threads";
import type { PGlite } from "@electric-sql/pglite";
import { writeFileAtomically } from "../shared/atomic-file.ts";
import { DomainError } from "../shared/errors.ts";

/*
 * Plain-SQL dumps: what `db export`, `db backup` and `db restore` write and read. One format for
 * both databases (pg_dump's plain SQL with INSERT statements), so a backup of the embedded
 * database is also the way to PostgreSQL, and `psql -f` loads any of them.
 */

/** pg_dump's options for every dump: no owner or grants, which name roles of the source. */
const DUMP_OPTIONS = ["--no-owner", "--no-privileges"];

/**
 * A pg_dump of a PGlite database. It runs on a copy (the data directory as it is, with what
 * committed), never on the live connection, whose open transaction pg_dump would otherwise
 * join; and in a worker thread, since pg_dump holds its thread for seconds: so the running
 * server makes it for the CLI and keeps answering.
 */
export async function dumpPglite(client: PGlite): Promise<string> {
  const dataDir = await client.dumpDataDir("none");
  const worker = new Worker(new URL("./pglite-dump-worker.ts", import.meta.url), {
    workerData: { dataDir, args: DUMP_OPTIONS },
  });
  try {
    const answer = await new Promise<{ ok: true; script: string } | { ok: false; message: string }>(
      (resolve, reject) => {
        worker.once("message", resolve);
        worker.once("error", reject);
        worker.once("exit", (code) => reject(new Error(`the pg_dump worker exited (${code})`)));
      },
    );
    if (!answer.ok) throw new Error(`pg_dump failed: ${answer.message}`);
    return loadableFromPostgres15(answer.script);
  } finally {
    await worker.terminate();
  }
}

/**
 * PGlite's pg_dump is version 18; its dumps set `transaction_timeout`, a setting PostgreSQL 17
 * brought. Nothing else of our schema is newer than PostgreSQL 15, the oldest we run on.
 */
function loadableFromPostgres15(script: string): string {
  return script.replace(
    /^SET transaction_timeout = 0;$/m,
    "-- (transaction_timeout left out: PostgreSQL 15 and 16 do not know it)",
  );
}

/** A dump of a PostgreSQL database through the server's own `pg_dump`, which must be on PATH. */
export async function dumpPostgres(url: string): Promise<string> {
  try {
    const { stdout } = await execFileText("pg_dump", [
      ...DUMP_OPTIONS,
      "--inserts",
      "--rows-per-insert=100",
      "--dbname",
      url,
    ]);
    return stdout;
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    if (failure.code === "ENOENT") {
      throw new DomainError(
        "invalid",
        "db backup on PostgreSQL runs pg_dump, which is not on PATH: install PostgreSQL's client tools (Debian: apt-get install postgresql-client), of the server's major version or newer.",
      );
    }
    throw new DomainError(
      "invalid",
      `pg_dump failed: ${(failure.stderr ?? failure.message).trim().split("\n")[0]} (a "server version mismatch" needs a pg_dump of the server's major version or newer).`,
    );
  }
}

function execFileText(command: string, args: string[]): Promise<{ stdout: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { maxBuffer: 2 ** 30, encoding: "utf8" }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { stderr }));
      else resolve({ stdout });
    });
  });
}

/**
 * Writes a dump for its owner alone (it holds password hashes, private keys and the private
 * tracker), whole or not at all, and never over an existing file.
 */
export async function writeDumpFile(path: string, script: string): Promise<void> {
  if (await stat(path).catch(() => undefined)) {
    throw new DomainError(
      "invalid",
      `${path} already exists: give a new file name, or remove it first.`,
    );
  }
  try {
    await writeFileAtomically(path, script, 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EROFS" || code === "ENOTDIR") {
      throw new DomainError("invalid", `Cannot write ${path} (${code}): choose another folder.`);
    }
    throw error;
  }
}
