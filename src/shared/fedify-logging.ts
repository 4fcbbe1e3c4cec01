import { AsyncLocalStorage } from "node:async_hooks";
import { configure, type LogRecord } from "@logtape/logtape";
import { fedifyRecordToPino } from "./fedify-log-filter.ts";
import type { Logger } from "./logger.ts";

export { fedifyRecordToPino, LOG_VALUE_MAX_CHARS } from "./fedify-log-filter.ts";

const LEVELS = {
  trace: "trace",
  debug: "debug",
  info: "info",
  warning: "warn",
  error: "error",
  fatal: "fatal",
} as const;

/** Where one app's Fedify records go: its own pino logger. */
export interface FedifyLogRoute {
  /** Runs `fn` (and everything it starts: timers, queue jobs, requests) in this app's scope. */
  run<T>(fn: () => T): T;
  /** The app closed: records made outside any app's scope no longer reach its logger. */
  close(): void;
}

/*
 * Fedify logs through LogTape, whose configuration is process-wide, while one process may
 * hold several apps (the tests build two instances that federate with each other). So
 * LogTape is configured once per process (again only when an app writes at a lower level
 * than any before it: LogTape drops a record below that level before building it), with
 * one sink that writes each record to the
 * logger of the app in whose scope it was made: an AsyncLocalStorage that `buildApp` enters
 * around its queue consumer, its outbox relay, its scheduler and every HTTP request
 * (src/http/server.ts). Fedify's records follow the async context of the code that made
 * them, so A's deliveries are written to A's log and B's inbox to B's, in one process as in
 * two. A record made outside any scope (a test or a CLI calling a service directly) goes to
 * every open app's logger: in a server process, the one app. Each target applies its own
 * level and the body filter of src/shared/fedify-log-filter.ts.
 *
 * The router lives on globalThis (like the egress dispatcher, src/egress/egress.ts) so that
 * two copies of this module in one process (test files re-importing it) share one sink.
 */
interface Router {
  scope: AsyncLocalStorage<Logger>;
  open: Set<Logger>;
  configured: Promise<void>;
  /** The lowest level any app's logger writes: LogTape does not even build a record below it. */
  lowest: LogLevel;
}

/** LogTape's levels, lowest first; a pino logger's own level maps onto them (silent: fatal). */
const LOGTAPE_LEVELS = ["trace", "debug", "info", "warning", "error", "fatal"] as const;
type LogLevel = (typeof LOGTAPE_LEVELS)[number];

function logtapeLevelOf(logger: Logger): LogLevel {
  const level = logger.level === "warn" ? "warning" : logger.level;
  return (LOGTAPE_LEVELS as readonly string[]).includes(level) ? (level as LogLevel) : "fatal";
}

const ROUTER = Symbol.for("socialdapres.fedify-log-router");

function router(lowest: LogLevel): Router {
  const holder = globalThis as Record<symbol, Router | undefined>;
  const existing = holder[ROUTER];
  if (existing) return existing;
  const created: Router = {
    scope: new AsyncLocalStorage<Logger>(),
    open: new Set<Logger>(),
    configured: Promise.resolve(),
    lowest,
  };
  created.configured = configureAt(created, lowest);
  holder[ROUTER] = created;
  return created;
}

/**
 * (Re)configures LogTape for Fedify at `lowest`: Fedify makes a debug record for every
 * context it loads and every signature it checks, and a server logging at info would build
 * them only to drop them.
 */
function configureAt(router: Router, lowest: LogLevel): Promise<void> {
  const { scope, open } = router;
  return configure({
    reset: true,
    sinks: {
      apps(record: LogRecord) {
        const own = scope.getStore();
        if (own) writeFedifyRecord(own, record);
        else for (const target of open) writeFedifyRecord(target, record);
      },
    },
    loggers: [
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
      // Fastify already logs every request; Fedify's per-request lines would double them.
      { category: ["fedify", "federation", "http"], sinks: [], lowestLevel: "error" },
      // Each app's own level decides what is written (writeFedifyRecord).
      { category: "fedify", sinks: ["apps"], lowestLevel: lowest },
    ],
  });
}

/**
 * Sends Fedify's records made in this app's scope to `logger` (as component "fedify"),
 * filtered: activity bodies only when the logger writes debug, and never the words of a
 * message that is not public. Called by the composition root (buildApp), once per app.
 */
export async function routeFedifyLogs(logger: Logger): Promise<FedifyLogRoute> {
  const wanted = logtapeLevelOf(logger);
  const shared = router(wanted);
  // An app that writes lower than any before it (tests build apps at debug beside others).
  if (LOGTAPE_LEVELS.indexOf(wanted) < LOGTAPE_LEVELS.indexOf(shared.lowest)) {
    shared.lowest = wanted;
    shared.configured = shared.configured.then(() => configureAt(shared, wanted));
  }
  await shared.configured;
  const { scope, open } = shared;
  const target = logger.child({ component: "fedify" });
  open.add(target);
  return {
    run: (fn) => scope.run(target, fn),
    close: () => {
      open.delete(target);
    },
  };
}

/** Writes one record to `target` at its level, if that level is on; bodies only at debug. */
export function writeFedifyRecord(target: Logger, record: LogRecord): void {
  const level = pinoLevelOf(record);
  if (!target.isLevelEnabled(level)) return;
  const [fields, message] = fedifyRecordToPino(record, {
    bodies: target.isLevelEnabled("debug"),
  });
  target[level](fields, message);
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
