import { readFileSync } from "node:fs";
import { createMemberDataWorker } from "./accounts/member-data-worker.ts";
import type { App, BuildAppOptions } from "./app-contract.ts";
import { type AppConfig, DEFAULT_DELIVERY, DEFAULT_SHUTDOWN_GRACE_MS } from "./config/config.ts";
import { type Database, migrationCount, openDatabase } from "./db/database.ts";
import { documentGenerationReader } from "./db/document-generation.ts";
import { bindDatabaseToOrigin } from "./db/instance-origin.ts";
import { createStatisticsKeeper } from "./db/statistics.ts";
import { connectDomainReactions } from "./domain-reactions.ts";
import { createEgress } from "./egress/egress.ts";
import { createWeeklyQuestionScheduler } from "./exposure/weekly-question-scheduler.ts";
import { createActorRefresher } from "./federation/actor-refresh.ts";
import { registerDeliveryFailures } from "./federation/delivery-failures.ts";
import { createDeliveryOutcomes } from "./federation/delivery-outcomes.ts";
import { createAppFederation, registerDispatchers } from "./federation/federation.ts";
import { registerInboxListeners } from "./federation/inbox-listeners.ts";
import { installExpansionShortcuts } from "./federation/json-ld-expansion.ts";
import { activityIdempotencePrefetchSql, createKvStore } from "./federation/kv-store.ts";
import { createMessageQueue, deliveryHost, deliveryInbox } from "./federation/message-queue.ts";
import { connectOutboxBridge } from "./federation/outbox-bridge.ts";
import { createRemoteLookup } from "./federation/remote-lookup.ts";
import { createWeeklyQuestionDelivery } from "./federation/weekly-question-delivery.ts";
import { createDocumentCache } from "./http/document-cache.ts";
import { registerHealthRoutes } from "./http/health-routes.ts";
import { createMetrics, registerMetricsRoute } from "./http/metrics.ts";
import { createProbeServer } from "./http/probe-server.ts";
import { registerRoutes } from "./http/routes.ts";
import { createHttpServer } from "./http/server.ts";
import { mailerFor } from "./mail/mailer.ts";
import { createOutbox } from "./outbox/outbox.ts";
import { buildRepositories, buildServices } from "./services.ts";
import { routeFedifyLogs } from "./shared/fedify-logging.ts";
import { localUrls } from "./shared/local-urls.ts";
import { createLogger } from "./shared/logger.ts";
import { settlesBy } from "./shared/settles-by.ts";
import { createHtmlErrorPages } from "./web/error-pages.ts";

export type { App, BuildAppOptions } from "./app-contract.ts";

export const APP_VERSION: string = JSON.parse(
  readFileSync(new URL("../package.json", import.meta.url), "utf8"),
).version;

/**
 * After the grace period, how long each of the last steps of a stop (handing back the jobs
 * still running, closing the database) may take: an unreachable database must not hold it.
 */
const CLOSE_STEP_MS = 1_500;

/**
 * The composition root: the database, the federation, the services (src/services.ts), what
 * the federation serves and receives, the HTTP server and its routes, and the lifecycle.
 * Nothing is wired anywhere else, so tests build as many independent instances as they need.
 */
export async function buildApp(config: AppConfig, options: BuildAppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  // Fedify's records go to this app's logger, filtered (src/shared/fedify-logging.ts): they
  // are made in the scope `fedifyLogs.run` opens around requests, queue jobs and loops.
  const fedifyLogs = await routeFedifyLogs(logger);
  // Fedify expands every received activity some 65 times; most of it is answered without
  // running the algorithm again (src/federation/json-ld-expansion.ts). One per process.
  installExpansionShortcuts();
  let database: Database;
  try {
    database = await openDatabase(config.database, { onQuery: options.onQuery });
  } catch (error) {
    fedifyLogs.close();
    throw error;
  }
  try {
    await database.migrate();
    await bindDatabaseToOrigin(database.db, config.origin);
  } catch (error) {
    await database.close();
    fedifyLogs.close();
    throw error;
  }
  const { db } = database;
  const urls = localUrls(config.origin);
  const events = createOutbox(database, { logger, ...options.outbox });
  const repositories = buildRepositories(db);
  const { actors } = repositories;

  // How the instance reaches other servers: the egress policy, the durable queue, Fedify.
  const delivery = config.delivery ?? DEFAULT_DELIVERY;
  const egress = createEgress({
    allowPrivateAddress: config.allowPrivateAddress,
    connectTimeoutMs: delivery.connectTimeoutMs,
    responseTimeoutMs: delivery.requestTimeoutMs,
    totalTimeoutMs: delivery.requestTimeoutMs,
    ...options.egress,
  });
  // Metrics only for a Prometheus that has the token (src/http/metrics.ts).
  const metrics = config.metricsToken ? createMetrics({ database }) : undefined;
  const deliveries = createDeliveryOutcomes(metrics?.countDelivery);
  const queue = createMessageQueue(database, {
    logger: logger.child({ component: "queue" }),
    // Fedify delivers with the global fetch: jobs run inside the egress policy, and in this
    // app's log scope; each delivery's outcome is counted.
    runsIn: (handler, message) =>
      deliveries.track(message, () => fedifyLogs.run(() => egress.run(handler))),
    onRunEnd: deliveries.onRunEnd,
    concurrency: delivery.concurrency,
    perHostConcurrency: delivery.perHostConcurrency,
    hostOf: deliveryHost,
    // One place stops every delivery to a blocked domain or a suspended account, whatever
    // sent it and even if it was queued before the block (src/moderation/policy.ts).
    async dropsJob(message) {
      const inbox = deliveryInbox(message);
      return inbox && (await repositories.moderationPolicy.refusesInbox(inbox))
        ? "its recipient is blocked by the moderators"
        : undefined;
    },
    prefetch: activityIdempotencePrefetchSql,
    ...options.queue,
  });
  const kv = createKvStore(database, {
    writeWithCurrentJob: queue.writeWithCurrentJob,
    prefetchedWithCurrentJob: queue.prefetchedForCurrentJob,
  });
  const federation = createAppFederation({
    kv,
    queue,
    urls,
    egress,
    manuallyStartQueue: true,
    circuitBreaker: options.circuitBreaker,
    onOutboxError: deliveries.attemptFailed,
    refusesUrl: (url) => repositories.moderationPolicy.refusesUrl(url),
  });
  const allowPlainHttp = config.allowPrivateAddress;
  const remoteLookup = createRemoteLookup({ federation, urls, egress, allowPlainHttp });
  const actorRefresher = createActorRefresher({
    lookup: remoteLookup,
    actors,
    now: options.clock,
    logger: logger.child({ component: "actor-refresh" }),
  });

  const services = buildServices({
    db,
    instanceName: config.instanceName,
    tellApplicant: options.tellApplicant,
    passwordCostN: options.passwordCostN,
    urls,
    events,
    logger,
    dataDir: config.dataDir,
    s3: config.s3,
    repositories,
    remoteLookup,
    actorRefresher,
    remoteFetch: (url, init) => egress.fetch(url, init),
    userAgent: `Socialdapres/${APP_VERSION} (+${urls.origin.origin})`,
    // E-mails are optional: without SMTP_URL nothing is sent (src/mail/mailer.ts).
    mailer: mailerFor(config.mail, {
      instance: { name: config.instanceName, origin: urls.origin },
      logger: logger.child({ component: "mail" }),
    }),
  });
  const { members } = services;

  // What the federation serves, receives and sends.
  registerDispatchers(federation, {
    urls,
    instanceName: async () => (await services.instanceProfile.get()).name,
    instanceLanguage: config.instanceLanguage,
    directMessages: repositories.directMessages,
    members,
    follows: services.follows,
    access: services.access,
    actors,
    encounters: repositories.encounters,
    replies: repositories.replies,
    replyAccess: services.replies,
  });
  registerInboxListeners(federation, {
    remoteLookup,
    follows: services.follows,
    remoteEncounters: services.remoteEncounters,
    replies: services.replies,
    cosign: services.cosign,
    followMoves: services.followMoves,
    weeklyQuestions: services.weeklyQuestions,
    blocks: services.blocks,
    reports: services.reports,
    actors,
    instanceKeyPairs: () => services.members.instanceKeyPairs(),
    kv,
    actorRefresher,
    logger: logger.child({ component: "inbox" }),
  });
  // Before the domain reactions: handlers run in order, so a Create is queued before the
  // Announce that co-signs it.
  connectOutboxBridge({
    events,
    federation,
    actors,
    urls,
    encounters: repositories.encounters,
    replies: repositories.replies,
    members,
    follows: services.follows,
    directMessages: createWeeklyQuestionDelivery({
      federation,
      urls,
      actors,
      messages: repositories.directMessages,
    }),
  });
  registerDeliveryFailures(federation, {
    follows: services.follows,
    actors,
    deadLetterCurrentJob: queue.deadLetterCurrentJob,
    logger: logger.child({ component: "delivery" }),
  });
  connectDomainReactions(events, services);
  const memberDataWorker = createMemberDataWorker({
    services,
    logger: logger.child({ component: "member-data" }),
  });
  // PGlite's table statistics (PostgreSQL keeps its own): src/db/statistics.ts.
  const statistics = createStatisticsKeeper(database, logger.child({ component: "statistics" }));
  const weeklyQuestionScheduler = createWeeklyQuestionScheduler({
    service: services.weeklyQuestions,
    logger: logger.child({ component: "weekly-question" }),
    intervalMs: options.weeklyQuestionIntervalMs,
  });

  // HTTP: the server (src/http/server.ts), then the routes over the services.
  // Set by close(): answers close their connection, and (with /readyz) the proxy stops sending.
  let draining = false;
  const htmlErrors = createHtmlErrorPages();
  // ActivityPub documents and visitor pages, never stale (src/http/document-cache.ts).
  const documentCache = createDocumentCache({
    readGeneration: await documentGenerationReader(database),
  });
  const http = createHttpServer({
    isDraining: () => draining,
    htmlErrors,
    config,
    logger,
    federation,
    urls,
    members,
    moderation: repositories.moderationPolicy,
    inScope: fedifyLogs.run,
    metrics,
    documentCache,
  });
  const health = { database, migrations: await migrationCount(), isDraining: () => draining };
  registerHealthRoutes(http, health);
  // A worker serves no pages: with metrics, its own small server answers the probes.
  const probe =
    config.role === "worker" && metrics && config.metricsToken
      ? createProbeServer({ ...health, logger, metrics, metricsToken: config.metricsToken })
      : undefined;
  if (metrics && config.metricsToken) {
    registerMetricsRoute(http, { metrics, token: config.metricsToken });
  }
  // Every route over the services: discovery, media, APIs, OAuth, pages (src/http/routes.ts).
  registerRoutes(http, {
    htmlErrors,
    version: APP_VERSION,
    urls,
    federation,
    services,
    repositories,
    remoteLookup,
    loginThrottle: options.loginThrottle,
    mediaPublicUrl: config.s3?.publicUrl,
    documentCache,
  });

  const queueStop = new AbortController();
  let queueRunning: Promise<void> | undefined;
  let relayRunning: Promise<void> | undefined;
  let closed = false;

  return {
    ...services,
    config,
    logger,
    database,
    http,
    federation,
    urls,
    egress,
    remoteLookup,
    actorRefresher,
    repositories,
    actors,
    encounterRepository: repositories.encounters,
    /** The kept documents and visitor pages: the tests look at what it holds. */
    documentCache,
    weeklyQuestionScheduler,
    memberDataWorker,
    events,
    async start() {
      if (config.role !== "web") {
        // In the app's log scope: the loops and everything they start log to this app.
        fedifyLogs.run(() => {
          queueRunning = federation.startQueue(undefined, { signal: queueStop.signal });
          relayRunning = events.relay(queueStop.signal);
          // Ticks at once: a restart that missed someone's hour asks them now.
          weeklyQuestionScheduler.start();
          memberDataWorker.start();
          statistics.start();
        });
      }
      if (config.role !== "worker") {
        await fedifyLogs.run(() => http.listen({ host: config.host, port: config.port }));
      } else {
        await http.ready();
        await probe?.listen({ host: config.host, port: config.port });
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      draining = true;
      const graceMs = config.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
      const deadline = Date.now() + graceMs;
      const logError = (step: string) => (error: unknown) =>
        logger.error({ err: error }, `while stopping: ${step} failed`);
      // Stop taking work (no new connection, job or weekly question), then let the requests
      // in progress and the running jobs finish, within the grace period: the database
      // closes only after them, so a request never sees it closed under it.
      queueStop.abort();
      const finished = await settlesBy(
        deadline,
        Promise.all([
          http.close(),
          probe?.close(),
          weeklyQuestionScheduler.stop(),
          memberDataWorker.stop(),
          statistics.stop(),
          queueRunning,
          relayRunning,
          actorRefresher.settle(),
          services.remotePhotos.close(),
          services.mailer.settle(),
        ]),
        logError("finishing the requests and jobs in progress"),
      );
      if (!finished) {
        // A request or delivery stuck (an unresponsive server, an unreachable database)
        // must not hold the stop: cut the connections left, hand back the jobs left.
        logger.warn(
          { graceMs },
          "requests or jobs still running after the grace period: stopping them; their jobs run again at once elsewhere or on the next start",
        );
        http.server.closeAllConnections();
        await settlesBy(
          Date.now() + CLOSE_STEP_MS,
          queue.releaseRunning(),
          logError("handing back the running jobs"),
        );
      }
      if (
        !(await settlesBy(
          Date.now() + CLOSE_STEP_MS,
          database.close(),
          logError("closing the database"),
        ))
      ) {
        logger.warn("the database did not close in time; exiting without waiting for it");
      }
      services.mailer.close();
      await egress.close();
      fedifyLogs.close();
    },
  };
}
