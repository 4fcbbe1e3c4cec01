import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { buildApp } from "../../src/app.ts";
import type { AppConfig } from "../../src/config/config.ts";
import { createLogger, type Logger } from "../../src/shared/logger.ts";
import { freshDatabaseConfig } from "./database.ts";
import { freePort } from "./free-port.ts";

/** The app's own logger (its serializers and redaction) at `level`, its lines kept in `logs`. */
export function capturingLogger(level: string): { logger: Logger; logs: string[] } {
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger({ level, destination }), logs };
}

/**
 * An instance that listens, with every log line at `level` ("trace" unless told) kept in
 * `logs`: the app's own logger (createLogger), Fedify's records routed to it by buildApp
 * exactly as in production.
 */
export async function instanceWithCapturedLogs(level: AppConfig["logLevel"] = "trace") {
  const { logger, logs } = capturingLogger(level);
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), "socialdapres-privacy-"));
  const fresh = await freshDatabaseConfig();
  const app = await buildApp(
    {
      host: "localhost",
      port,
      dataDir,
      logLevel: level,
      role: "all",
      instanceName: "Privacy test",
      allowPrivateAddress: true,
      origin: new URL(`http://localhost:${port}`),
      database: fresh.config,
    },
    { logger },
  );
  await app.start();
  return {
    app,
    logs,
    close: async () => {
      await app.close();
      await fresh.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
