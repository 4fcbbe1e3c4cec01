import type { Server } from "node:net";
import { buildApp } from "./app.ts";
import { controlSocketPath, serveControlSocket } from "./cli/control-socket.ts";
import { DEFAULT_SHUTDOWN_GRACE_MS, loadConfig } from "./config/config.ts";
import { acquireDataDirLock, type DataDirLock, prepareDataDir } from "./db/data-dir-lock.ts";
import { explainDatabaseError } from "./db/database-errors.ts";
import { createLogger } from "./shared/logger.ts";
import { scheduleStartUpCollection } from "./shared/start-up-garbage.ts";

const result = loadConfig(process.env);
if (!result.ok) {
  for (const problem of result.problems) console.error(`Configuration error: ${problem}`);
  process.exit(1);
}
const { config } = result;
const logger = createLogger({ level: config.logLevel, pretty: process.stdout.isTTY });
if (config.allowPrivateAddress && config.origin.protocol === "https:") {
  logger.warn(
    "FEDERATION_ALLOW_PRIVATE_ADDRESS is on: the server may fetch private addresses. Use it only for local tests.",
  );
}

// Media live in DATA_DIR whatever the database.
const dataDirProblem = await prepareDataDir(config.dataDir);
if (dataDirProblem) {
  console.error(`Configuration error: ${dataDirProblem}`);
  process.exit(1);
}

const socketPath = controlSocketPath(config.dataDir);
let dataDirLock: DataDirLock | undefined;
if (config.database.kind === "pglite") {
  const locked = await acquireDataDirLock(config.dataDir);
  if (!locked.ok) {
    console.error(
      `Another Socialdapres process (pid ${locked.heldBy}) already uses ${config.dataDir}; stop it first, or set DATA_DIR.`,
    );
    process.exit(1);
  }
  dataDirLock = locked.lock;
}

let app: Awaited<ReturnType<typeof buildApp>>;
try {
  app = await buildApp(config, { logger });
} catch (error) {
  console.error(explainDatabaseError(error, config.database));
  await dataDirLock?.release();
  process.exit(1);
}

let controlServer: Server | undefined;
if (config.database.kind === "pglite") controlServer = await serveControlSocket(app, socketPath);

/** Beyond the grace period, time for app.close() to hand back jobs and close the database. */
const HARD_STOP_MARGIN_MS = 4_000;
let stopping = false;
async function shutdown(signal: string) {
  if (stopping) {
    logger.warn({ signal }, "second signal: exiting now");
    process.exit(1);
  }
  stopping = true;
  const graceMs = config.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
  // app.close() bounds every step; this is the backstop if one of them hangs anyway.
  setTimeout(() => {
    logger.error({ signal, graceMs }, "could not stop within the grace period: exiting now");
    process.exit(1);
  }, graceMs + HARD_STOP_MARGIN_MS).unref();
  logger.info(
    { signal, graceMs },
    "shutting down: no new connections; finishing the requests and jobs in progress; queued jobs wait for the next start",
  );
  controlServer?.close();
  await app.close();
  await dataDirLock?.release();
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));

try {
  await app.start();
} catch (error) {
  console.error(`Could not start: ${(error as Error).message}`);
  await app.close();
  await dataDirLock?.release();
  process.exit(1);
}
logger.info(
  { origin: config.origin.origin, role: config.role, database: config.database.kind },
  `Socialdapres ${config.role === "worker" ? "worker running" : `listening on ${config.origin.origin}`}`,
);
scheduleStartUpCollection();
