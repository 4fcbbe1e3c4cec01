import { configure, type LogRecord } from "@logtape/logtape";
import { type Logger, withoutQueryValues } from "./logger.ts";

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
        const [fields, message] = fedifyRecordToPino(record);
        fedifyLogger[pinoLevelOf(record)](fields, message);
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

/**
 * Failures that are someone else's doing, not the server's: a handle that does not exist or a
 * server that does not answer when a member names a participant. The member gets a 422 with
 * the reason (src/federation/participant-resolver.ts); the admin's error log stays for us.
 */
const NOT_OUR_ERRORS = new Set(["fedify.webfinger.lookup"]);

/** The pino level a LogTape record is written at. */
export function pinoLevelOf(record: LogRecord): (typeof LEVELS)[keyof typeof LEVELS] {
  const level = LEVELS[record.level];
  return level === "error" && NOT_OUR_ERRORS.has(record.category.join(".")) ? "info" : level;
}

/**
 * The most characters one value of a record (and its message) keeps in a log line. Fedify
 * puts whole activities in its records — an unsigned 1 MB POST to an inbox would be logged
 * whole — so strings, objects and error messages are cut to this length.
 */
export const LOG_VALUE_MAX_CHARS = 2048;

/** A LogTape record as pino's fields and message: values capped, errors without query values. */
export function fedifyRecordToPino(record: LogRecord): [Record<string, unknown>, string] {
  const fields: Record<string, unknown> = { category: record.category.join(".") };
  for (const [key, value] of Object.entries(record.properties)) fields[key] = capped(value);
  const message = record.message
    .map((part) => (typeof part === "string" ? part : safeString(part)))
    .join("");
  return [fields, truncate(message)];
}

function truncate(text: string): string {
  return text.length <= LOG_VALUE_MAX_CHARS
    ? text
    : `${text.slice(0, LOG_VALUE_MAX_CHARS)}… [${text.length - LOG_VALUE_MAX_CHARS} more characters not logged]`;
}

function capped(value: unknown): unknown {
  if (typeof value === "string") return truncate(value);
  if (value instanceof Error) {
    // Kept an Error, for pino's error serializer (src/shared/logger.ts).
    const error = withoutQueryValues(value) as Error;
    error.message = truncate(error.message);
    if (error.stack) error.stack = truncate(error.stack);
    return error;
  }
  if (typeof value !== "object" || value === null) return value;
  const json = safeString(value);
  return json.length <= LOG_VALUE_MAX_CHARS ? value : truncate(json);
}

function safeString(value: unknown): string {
  if (value instanceof Error) return (withoutQueryValues(value) as Error).message;
  if (typeof value === "object" && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}
