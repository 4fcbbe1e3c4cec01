import { configure, type LogRecord } from "@logtape/logtape";
import type { Logger } from "./logger.ts";

const LEVELS = {
  trace: "trace",
  debug: "debug",
  info: "info",
  warning: "warn",
  error: "error",
  fatal: "fatal",
} as const;

/**
 * Fedify logs through LogTape; this sends those records to the instance's
 * pino logger so there is one structured log stream. LogTape's configuration
 * is process-wide, so only the process entry point calls this, never buildApp.
 */
export async function routeFedifyLogsToPino(logger: Logger): Promise<void> {
  const fedifyLogger = logger.child({ component: "fedify" });
  await configure({
    reset: true,
    sinks: {
      pino(record: LogRecord) {
        const message = record.message
          .map((part) => (typeof part === "string" ? part : safeString(part)))
          .join("");
        fedifyLogger[LEVELS[record.level]](
          { category: record.category.join("."), ...record.properties },
          message,
        );
      },
    },
    loggers: [
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
      // Fastify already logs every request; Fedify's per-request lines would double them.
      { category: ["fedify", "federation", "http"], sinks: [], lowestLevel: "error" },
      {
        category: "fedify",
        sinks: ["pino"],
        lowestLevel: logger.levelVal <= 20 ? "debug" : "info",
      },
    ],
  });
}

function safeString(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === "object" && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}
