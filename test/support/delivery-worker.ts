/**
 * A worker process for crash tests: the instance configured by the environment (ROLE=worker,
 * DATABASE_URL…), with a short queue lease so that a `kill -9` costs seconds, not a minute.
 * Prints "ready" once it consumes the queue.
 */
import { buildApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/config.ts";
import { createLogger } from "../../src/shared/logger.ts";

const result = loadConfig(process.env);
if (!result.ok) throw new Error(result.problems.join("; "));
const app = await buildApp(result.config, {
  logger: createLogger({ level: "silent" }),
  queue: { leaseMs: 1_500, pollIntervalMs: 50 },
  outbox: { leaseMs: 1_500, pollIntervalMs: 50 },
});
await app.start();
process.stdout.write("ready\n");
process.on("SIGTERM", () => {
  void app.close().then(() => process.exit(0));
});
