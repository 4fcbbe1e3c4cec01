import { stat } from "node:fs/promises";
import { join } from "node:path";
import type { App } from "../app.ts";
import type { DatabaseConfig } from "../db/database.ts";
import { writeDumpFile } from "../db/sql-dump.ts";
import { readDumpFile, restoreDump } from "../db/sql-restore.ts";
import { migrateMediaToS3 } from "../media/media-migration.ts";
import { createS3MediaStorage } from "../media/s3-media-storage.ts";
import { DomainError } from "../shared/errors.ts";
import type { CliIo } from "./cli-io.ts";

/*
 * Moving an instance's data: `db export`, `db backup` (through the running server's control socket on PGlite: the dump is
 * made from a copy of its database, so it may run) and `db restore` (never in a running
 * server: it loads into an empty database, before any process opens it), `media migrate`.
 */

const MEDIA_NOTE =
  "Photos are not in the dump: copy DATA_DIR/media along, or move them to S3 with `npm run cli -- media migrate`.";

export async function dumpCommand(
  app: App,
  action: "export" | "backup",
  file: string | undefined,
  io: CliIo,
): Promise<number> {
  if (!file) throw new DomainError("invalid", `Usage: npm run cli -- db ${action} <file.sql>`);
  if (action === "export" && app.database.kind !== "pglite") {
    throw new DomainError(
      "invalid",
      "This instance already runs on PostgreSQL (DATABASE_URL is set): db export moves the embedded database. Use db backup <file> for a dump of this one.",
    );
  }
  const started = Date.now();
  const script = await app.database.dumpSql();
  await writeDumpFile(file, script);
  const size = (await stat(file)).size;
  io.out(
    `Wrote ${file} (${formatSize(size)}, ${Date.now() - started} ms): plain SQL, readable by its owner only.`,
  );
  if (app.database.kind === "pglite") {
    io.out(
      "Changes made after this moment are not in it: stop the server before you move to the dump.",
    );
  }
  if (action === "export") {
    io.out('Load it into an empty PostgreSQL database: psql "$DATABASE_URL" -f <file>');
    io.out(
      "(or DATABASE_URL=… npm run cli -- db restore <file>), then start with DATABASE_URL set.",
    );
  } else {
    io.out("Restore it into an empty database: npm run cli -- db restore <file>");
  }
  io.out(MEDIA_NOTE);
  return 0;
}

/** `db restore <file>`: in the CLI's own process, on a database no server uses. */
export async function restoreCommand(
  database: DatabaseConfig,
  file: string | undefined,
  io: CliIo,
): Promise<number> {
  if (!file) throw new DomainError("invalid", "Usage: npm run cli -- db restore <file.sql>");
  const script = await readDumpFile(file);
  const started = Date.now();
  await restoreDump(database, script);
  io.out(
    `Restored ${file} into the ${database.kind === "pglite" ? "embedded database" : "PostgreSQL database"} (${Date.now() - started} ms).`,
  );
  io.out(
    "Start the server (npm start): it applies the migrations this version adds, if any. Bring the photos along too (DATA_DIR/media, or the S3 bucket).",
  );
  return 0;
}

export const RESTORE_NEEDS_STOPPED_SERVER =
  "db restore loads a dump into an empty database, which no server may be using: stop the server, then run it again (on a new DATA_DIR, or with DATABASE_URL naming a new, empty database).";

function formatSize(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.ceil(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** `media migrate`: the photos of DATA_DIR/media copied into the S3 bucket. */
export async function mediaMigrateCommand(app: App, io: CliIo): Promise<number> {
  if (!app.config.s3) {
    throw new DomainError(
      "invalid",
      "media migrate copies DATA_DIR/media into the S3 bucket, and this process has no S3_BUCKET: set S3_BUCKET (and S3_ENDPOINT, S3_ACCESS_KEY_ID, … see the README) and run it again. A running server answers for the CLI: stop it first, or give it those variables and restart it.",
    );
  }
  const mediaDir = join(app.config.dataDir, "media");
  const started = Date.now();
  const done = await migrateMediaToS3(mediaDir, createS3MediaStorage(app.config.s3));
  io.out(
    `${done.total} files in ${mediaDir}: ${done.copied} copied (${formatSize(done.bytesCopied)}), ${done.alreadyThere} already in bucket ${app.config.s3.bucket}, ${done.failed.length} failed (${Date.now() - started} ms).`,
  );
  for (const { key, reason } of done.failed) io.err(`${key}: ${reason}`);
  if (done.failed.length > 0) {
    io.err("Run media migrate again: it copies what is missing and skips the rest.");
    return 1;
  }
  io.out(
    "Every file is in the bucket. Keep DATA_DIR/media until the instance runs on S3 and shows its photos; then it may go.",
  );
  return 0;
}
