import type { FastifyInstance } from "fastify";
import { appliedMigrationCount, type Database } from "../db/database.ts";

/** How long /readyz waits for the database before saying it is unreachable. */
const DATABASE_CHECK_MS = 2_000;

/**
 * `/healthz`: the process answers (for a supervisor that restarts it otherwise).
 * `/readyz`: it can serve requests — the database answers within 2 s with every migration
 * applied, and the process is not stopping — or 503 with the reason (for a proxy or load
 * balancer that sends requests only to ready processes).
 */
export function registerHealthRoutes(
  http: FastifyInstance,
  deps: {
    database: Pick<Database, "rows">;
    /** The migrations this version needs (migrationCount()). */
    migrations: number;
    isDraining: () => boolean;
  },
): void {
  http.get("/healthz", async (_request, reply) => {
    reply.header("cache-control", "no-store");
    return { status: "alive" };
  });

  http.get("/readyz", async (_request, reply) => {
    reply.header("cache-control", "no-store");
    const notReady = (reason: string) =>
      reply.status(503).header("retry-after", "5").send({ status: "not ready", reason });
    if (deps.isDraining()) return notReady("this process is stopping");
    let applied: number;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const check = appliedMigrationCount(deps.database);
      check.catch(() => {}); // may settle after the deadline
      applied = await Promise.race([
        check,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error("no answer")), DATABASE_CHECK_MS);
        }),
      ]);
    } catch {
      return notReady(`the database does not answer within ${DATABASE_CHECK_MS / 1000} s`);
    } finally {
      clearTimeout(timer);
    }
    if (applied < deps.migrations) {
      return notReady(
        `the database lacks migrations (${applied} of ${deps.migrations} applied): start the new version once so that it migrates`,
      );
    }
    return { status: "ready" };
  });
}
