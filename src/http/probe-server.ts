import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Database } from "../db/database.ts";
import type { Logger } from "../shared/logger.ts";
import { registerHealthRoutes } from "./health-routes.ts";
import { type Metrics, registerMetricsRoute } from "./metrics.ts";

/**
 * A worker's only HTTP server (ROLE=worker with METRICS_TOKEN set): `/healthz`, `/readyz`
 * and `/metrics` on PORT, so that Prometheus reads the deliveries a worker makes (they are
 * counted in the process that makes them) and a supervisor can check it. Nothing else.
 */
export function createProbeServer(deps: {
  logger: Logger;
  database: Pick<Database, "rows">;
  migrations: number;
  isDraining: () => boolean;
  metrics: Metrics;
  metricsToken: string;
}): FastifyInstance {
  const probe = Fastify({
    loggerInstance: deps.logger.child({ component: "probe" }) as FastifyBaseLogger,
    forceCloseConnections: true,
  });
  registerHealthRoutes(probe, deps);
  registerMetricsRoute(probe, { metrics: deps.metrics, token: deps.metricsToken });
  return probe;
}
