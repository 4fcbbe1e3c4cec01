import { createHash, timingSafeEqual } from "node:crypto";
import { sql } from "drizzle-orm";
import type { FastifyInstance } from "fastify";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Database } from "../db/database.ts";
import type { DeliveryOutcome } from "../federation/delivery-outcomes.ts";

/** Why an inbox POST was refused: a short word, never the sender's text. */
export type InboxRefusal =
  /** Not JSON, not an object, or an activity Fedify could not read. */
  | "malformed"
  /** Larger than the inbox limit. */
  | "too_large"
  /** No signature, a key on another server, an actor of ours (src/federation/inbox-sender.ts). */
  | "sender"
  /** A blocked domain or a suspended account (src/moderation/policy.ts): 403. */
  | "moderation"
  /** Fedify could not verify the signature, or the key is not the actor's. */
  | "signature"
  /** The inbox of nobody here. */
  | "unknown_inbox"
  /** Another 4xx answer. */
  | "other"
  /** Our side failed (a 5xx: the database, a crash): the sender tries again. */
  | "error";

export type InboxResult = { result: "accepted" } | { result: "refused"; reason: InboxRefusal };

/** The instance's metrics, in its own registry: tests build several apps in one process. */
export interface Metrics {
  readonly registry: Registry;
  observeRequest(method: string, route: string, statusCode: number, seconds: number): void;
  countDelivery(host: string, outcome: DeliveryOutcome): void;
  countInbox(result: InboxResult): void;
}

const QUEUE_STATES = ["ready", "waiting", "running", "dead"] as const;
/** Fedify's kinds of jobs; anything else is counted as "other" (labels stay few). */
const JOB_KINDS = ["outbox", "fanout", "inbox"] as const;

/**
 * Runs `load` once for the metrics read in one scrape: prom-client calls every collect
 * callback at once, and the queue's gauges share one query.
 */
function oncePerScrape<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (!pending) {
      const loading = load();
      pending = loading;
      const clear = () => {
        pending = undefined;
      };
      loading.then(clear, clear);
    }
    return pending;
  };
}

interface QueueRow extends Record<string, unknown> {
  kind: string;
  state: (typeof QUEUE_STATES)[number];
  jobs: number;
  oldest_seconds: number | null;
}

/**
 * The metrics of an instance (names prefixed `socialdapres_`): HTTP requests, the queue (read
 * from the database on each scrape), deliveries and received activities (counted as they
 * happen), the outbox relay's lag, and the process (Node's own metrics).
 */
export function createMetrics(deps: { database: Pick<Database, "rows" | "pool"> }): Metrics {
  const registry = new Registry();
  const { database } = deps;
  collectDefaultMetrics({ register: registry, prefix: "socialdapres_" });

  const requests = new Histogram({
    name: "socialdapres_http_request_duration_seconds",
    help: "Time to answer HTTP requests, by method, route pattern and status class.",
    labelNames: ["method", "route", "status_class"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  const queueRows = oncePerScrape(() =>
    database.rows<QueueRow>(sql`
      select coalesce(message->>'type', 'other') as kind,
             case when dead_at is not null then 'dead'
                  when locked_until > now() then 'running'
                  when run_at <= now() then 'ready'
                  else 'waiting' end as state,
             count(*)::int as jobs,
             extract(epoch from now() - min(run_at))::float8 as oldest_seconds
      from queue_jobs group by 1, 2`),
  );
  const kindOf = (kind: string) =>
    (JOB_KINDS as readonly string[]).includes(kind) ? kind : "other";

  new Gauge({
    name: "socialdapres_queue_jobs",
    help: "Jobs in the queue by state (ready: due now; waiting: planned for later, a retry or a held delivery; running; dead: out of attempts) and kind (outbox: a delivery; fanout; inbox).",
    labelNames: ["state", "kind"] as const,
    registers: [registry],
    async collect() {
      const rows = await queueRows();
      this.reset();
      for (const state of QUEUE_STATES) for (const kind of JOB_KINDS) this.set({ state, kind }, 0);
      for (const row of rows) this.inc({ state: row.state, kind: kindOf(row.kind) }, row.jobs);
    },
  });
  new Gauge({
    name: "socialdapres_queue_oldest_ready_seconds",
    help: "How long the oldest job due now has been waiting for a worker, by kind (0 when none).",
    labelNames: ["kind"] as const,
    registers: [registry],
    async collect() {
      const rows = await queueRows();
      this.reset();
      const oldest = new Map<string, number>(JOB_KINDS.map((kind) => [kind, 0]));
      for (const row of rows) {
        if (row.state !== "ready") continue;
        const kind = kindOf(row.kind);
        oldest.set(kind, Math.max(oldest.get(kind) ?? 0, Number(row.oldest_seconds ?? 0)));
      }
      for (const [kind, seconds] of oldest) this.set({ kind }, seconds);
    },
  });
  new Gauge({
    name: "socialdapres_queue_dead_jobs",
    help: "Jobs out of attempts, kept for the admin (`queue dead` lists them, `queue retry` runs them again).",
    registers: [registry],
    async collect() {
      const rows = await queueRows();
      this.set(rows.filter((row) => row.state === "dead").reduce((n, row) => n + row.jobs, 0));
    },
  });

  const outboxRows = oncePerScrape(() =>
    database.rows<{ events: number; oldest_seconds: number | null }>(sql`
      select count(*)::int as events,
             extract(epoch from now() - min(created_at))::float8 as oldest_seconds
      from outbox_events`),
  );
  new Gauge({
    name: "socialdapres_outbox_events",
    help: "Domain events recorded but not yet handed to their subscribers (the federation among them).",
    registers: [registry],
    async collect() {
      this.set((await outboxRows())[0]?.events ?? 0);
    },
  });
  new Gauge({
    name: "socialdapres_outbox_oldest_event_seconds",
    help: "Age of the oldest domain event not yet dispatched (0 when none): the outbox relay's lag.",
    registers: [registry],
    async collect() {
      this.set(Number((await outboxRows())[0]?.oldest_seconds ?? 0));
    },
  });

  registerPoolMetrics(registry, database);

  const deliveries = new Counter({
    name: "socialdapres_deliveries_total",
    help: "Attempts to deliver an activity to another server, by its host and outcome (delivered, failed, held).",
    labelNames: ["host", "outcome"] as const,
    registers: [registry],
  });
  const inbox = new Counter({
    name: "socialdapres_inbox_activities_total",
    help: "Activities posted to the inboxes, by result (accepted, refused) and reason of a refusal.",
    labelNames: ["result", "reason"] as const,
    registers: [registry],
  });

  return {
    registry,
    observeRequest(method, route, statusCode, seconds) {
      requests.observe(
        { method, route, status_class: `${Math.floor(statusCode / 100)}xx` },
        seconds,
      );
    },
    countDelivery(host, outcome) {
      deliveries.inc({ host, outcome });
    },
    countInbox(result) {
      inbox.inc({
        result: result.result,
        reason: result.result === "refused" ? result.reason : "",
      });
    },
  };
}

/** PostgreSQL's names of what a connection does (`pg_stat_activity.state`), as labels. */
const CONNECTION_STATES = ["active", "idle", "idle_in_transaction"] as const;

/**
 * The database pool of this process: its size, and (PostgreSQL) its open connections by
 * what they do, read from `pg_stat_activity` by the pool's own `application_name` — the
 * scrape's own query left out. postgres.js shows no count of the queries waiting for a
 * connection: `active` at the pool's size is the sign that they wait.
 */
function registerPoolMetrics(registry: Registry, database: Pick<Database, "rows" | "pool">) {
  const { max, applicationName } = database.pool;
  new Gauge({
    name: "socialdapres_db_pool_max_connections",
    help: "Connections this process may open to the database (DATABASE_MAX_CONNECTIONS; 1 for the embedded database).",
    registers: [registry],
  }).set(max);
  if (!applicationName) return;
  new Gauge({
    name: "socialdapres_db_pool_connections",
    help: "Open database connections of this process, by state (active: running a query; idle; idle_in_transaction).",
    labelNames: ["state"] as const,
    registers: [registry],
    async collect() {
      const rows = await database.rows<{ state: string | null; connections: number }>(sql`
        select state, count(*)::int as connections from pg_stat_activity
        where application_name = ${applicationName} and pid <> pg_backend_pid()
        group by state`);
      this.reset();
      for (const state of CONNECTION_STATES) this.set({ state }, 0);
      for (const row of rows) {
        const state = (row.state ?? "").replaceAll(" ", "_");
        if ((CONNECTION_STATES as readonly string[]).includes(state))
          this.inc({ state }, row.connections);
      }
    },
  });
}

/** Methods counted by name; others (rare, or invented by a client) as "other". */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/**
 * Times every answer, labelled by the route's pattern (`/users/:identifier/inbox`), never the
 * URL: no id, name or token reaches a label. A request no route matched is "unmatched".
 */
export function observeRequests(http: FastifyInstance, metrics: Metrics): void {
  http.addHook("onResponse", (request, reply, done) => {
    metrics.observeRequest(
      METHODS.has(request.method) ? request.method : "other",
      request.routeOptions.url ?? "unmatched",
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });
}

/** Equal strings, in a time that does not depend on where they differ. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * `GET /metrics` in Prometheus' text format, for a scraper that sends
 * `Authorization: Bearer <METRICS_TOKEN>`; anyone else gets the answer of an unknown path.
 */
export function registerMetricsRoute(
  http: FastifyInstance,
  deps: { metrics: Metrics; token: string },
): void {
  const { registry } = deps.metrics;
  http.get("/metrics", async (request, reply) => {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "")?.[1];
    if (bearer === undefined || !sameSecret(bearer, deps.token)) return reply.callNotFound();
    const text = await registry.metrics();
    return reply.header("cache-control", "no-store").type(registry.contentType).send(text);
  });
}
