import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type App, buildApp } from "../../src/app.ts";
import type { AppConfig } from "../../src/config/config.ts";
import { createLogger, type Logger } from "../../src/shared/logger.ts";
import { freshDatabaseConfig } from "./database.ts";
import { freePort } from "./free-port.ts";

export interface TestAppOptions extends Partial<AppConfig> {
  /** Listen on the port (and consume the queue, for roles all and worker); false by default. */
  listen?: boolean;
  /** How addresses resolve and which count as public, for egress tests. */
  egress?: BuildOptions["egress"];
  /** Shorter log-in throttle delays, for tests that go through an account's slow lane. */
  loginThrottle?: BuildOptions["loginThrottle"];
  /** A shorter outbox lease or relay poll interval. */
  outbox?: BuildOptions["outbox"];
  /** Shorter waits between the retries of failed jobs. */
  queue?: BuildOptions["queue"];
  /** Shorter circuit-breaker waits. */
  circuitBreaker?: BuildOptions["circuitBreaker"];
  /** A clock moved forward: what the app remembers for a while expires. */
  clock?: BuildOptions["clock"];
  /** The app's logger; by default one at `logLevel` (silent) writing to stdout. */
  logger?: Logger;
  /** Told every SQL statement the app sends, with its parameters (plan tests). */
  onQuery?: BuildOptions["onQuery"];
}

type BuildOptions = NonNullable<Parameters<typeof buildApp>[1]>;

export interface TestApp {
  app: App;
  /** The instance's origin, e.g. "http://localhost:41234" (no trailing slash). */
  baseUrl: string;
  /** Closes the app, drops its database and removes its data directory. Safe to call twice. */
  close: () => Promise<void>;
}

// Data directories not yet removed: a test file that never calls close() (it failed in
// beforeAll, or timed out) still leaves no folder behind when its worker exits. One set and
// one exit listener per process, however often test files re-import this module.
const LIVE_DIRS = Symbol.for("socialdapres.test.liveDataDirs");

function liveDataDirs(): Set<string> {
  const global = globalThis as Record<symbol, Set<string> | undefined>;
  let dirs = global[LIVE_DIRS];
  if (!dirs) {
    const created = new Set<string>();
    process.once("exit", () => {
      for (const dir of created) rmSync(dir, { recursive: true, force: true });
    });
    global[LIVE_DIRS] = created;
    dirs = created;
  }
  return dirs;
}

const TEST_PASSWORD_COST_N = 2 ** 12;

const isAddressInUse = (error: unknown) =>
  (error as NodeJS.ErrnoException | undefined)?.code === "EADDRINUSE";

/**
 * One independent instance on a fresh database: in-memory PGlite, or a new
 * database on TEST_DATABASE_URL. Its origin is `http://localhost:<free port>`;
 * with `listen: true` it listens there (retrying on another port if someone
 * took it in between), otherwise use `app.http.inject()`.
 */
export async function buildTestApp(overrides: TestAppOptions = {}): Promise<TestApp> {
  const {
    listen = false,
    egress,
    loginThrottle,
    outbox,
    queue,
    circuitBreaker,
    logger,
    clock,
    onQuery,
    ...configOverrides
  } = overrides;
  // Only a port we chose can be changed when it turns out to be taken.
  const attempts = listen && configOverrides.port === undefined ? 5 : 1;
  for (let attempt = 1; ; attempt++) {
    const instance = await buildOnce(configOverrides, {
      egress,
      loginThrottle,
      outbox,
      queue,
      circuitBreaker,
      logger,
      clock,
      onQuery,
    });
    if (!listen) return instance;
    try {
      await instance.app.start();
      return instance;
    } catch (error) {
      await instance.close();
      if (!isAddressInUse(error) || attempt >= attempts) throw error;
    }
  }
}

async function buildOnce(
  overrides: Partial<AppConfig>,
  options: Pick<
    BuildOptions,
    | "egress"
    | "loginThrottle"
    | "outbox"
    | "queue"
    | "circuitBreaker"
    | "logger"
    | "clock"
    | "onQuery"
  >,
): Promise<TestApp> {
  const cleanups: Array<() => Promise<void>> = [];
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const errors: unknown[] = [];
      // Last created, first released: the app before its database, the database before its folder.
      for (const cleanup of cleanups.reverse()) {
        await cleanup().catch((error: unknown) => errors.push(error));
      }
      if (errors.length > 0) throw new AggregateError(errors, "could not close the test app");
    })();
    return closing;
  };

  try {
    const port = overrides.port ?? (await freePort());
    const dataDir = overrides.dataDir ?? (await mkdtemp(join(tmpdir(), "socialdapres-test-")));
    if (overrides.dataDir === undefined) {
      liveDataDirs().add(dataDir);
      cleanups.push(async () => {
        await rm(dataDir, { recursive: true, force: true });
        liveDataDirs().delete(dataDir);
      });
    }
    let database = overrides.database;
    if (database === undefined) {
      const fresh = await freshDatabaseConfig();
      cleanups.push(fresh.drop);
      database = fresh.config;
    }
    const config: AppConfig = {
      host: "localhost",
      port,
      dataDir,
      logLevel: "silent",
      role: "all",
      instanceName: "Socialdapres test",
      allowPrivateAddress: true,
      ...overrides,
      origin: overrides.origin ?? new URL(`http://localhost:${port}`),
      database,
    };
    const app = await buildApp(config, {
      ...options,
      logger: options.logger ?? createLogger({ level: config.logLevel }),
      // The weekly question ticks once at start, not every minute: a test that runs on a
      // Sunday evening must not see questions appear on its own clock (tests tick by hand).
      weeklyQuestionIntervalMs: 24 * 3_600_000,
      // Members' passwords hashed at scrypt N=2^12 instead of 2^17: a failed log-in then costs
      // a few milliseconds, not a loaded machine's second (test/accounts.test.ts keeps the real cost).
      passwordCostN: TEST_PASSWORD_COST_N,
    });
    cleanups.push(() => app.close());
    return { app, baseUrl: config.origin.origin, close };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}

/** The passwords of the members `buildInstancePair` creates. */
export const PAIR_PASSWORDS = { bea: "bea-password-123", antoine: "antoine-password-1" };

/**
 * Two listening instances on loopback: A with the member bea, B with the member antoine.
 * `overrides` apply to both (e.g. a METRICS_TOKEN).
 */
export async function buildInstancePair(
  overrides: Omit<TestAppOptions, "listen"> = {},
): Promise<[TestApp, TestApp]> {
  const [a, b] = await Promise.all([
    buildTestApp({ ...overrides, listen: true }),
    buildTestApp({ ...overrides, listen: true }),
  ]);
  await Promise.all([
    a.app.members.create({ username: "bea", password: PAIR_PASSWORDS.bea }),
    b.app.members.create({ username: "antoine", password: PAIR_PASSWORDS.antoine }),
  ]);
  return [a, b];
}
