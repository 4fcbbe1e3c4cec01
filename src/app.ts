import { readFileSync } from "node:fs";
import { join } from "node:path";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { createMembersService, type MembersService } from "./accounts/members-service.ts";
import { createPasswordHashing, type PasswordHashing } from "./accounts/passwords.ts";
import { type ActorsRepository, createActorsRepository } from "./actors/actors-repository.ts";
import { registerApi } from "./api/register.ts";
import type { AppConfig } from "./config/config.ts";
import { type Database, openDatabase } from "./db/database.ts";
import { bindDatabaseToOrigin } from "./db/instance-origin.ts";
import { createEgress, type Egress, type EgressOptions } from "./egress/egress.ts";
import { type CosignService, createCosignService } from "./encounters/cosign-service.ts";
import { createEncounterAccess } from "./encounters/encounter-access.ts";
import {
  createEncountersRepository,
  type EncountersRepository,
} from "./encounters/encounters-repository.ts";
import {
  createEncountersService,
  type EncountersService,
} from "./encounters/encounters-service.ts";
import { createLikesService, type LikesService } from "./encounters/likes-service.ts";
import { createRemoteEncountersService } from "./encounters/remote-encounters-service.ts";
import { createInstanceIncidenceStore } from "./exposure/instance-incidence.ts";
import { createSeriesService } from "./exposure/series-service.ts";
import { createTrackerDataService } from "./exposure/tracker-data-service.ts";
import { createTrackerRepository } from "./exposure/tracker-repository.ts";
import {
  createTrackerSettingsService,
  type TrackerSettingsService,
} from "./exposure/tracker-settings-service.ts";
import {
  createWeeklyQuestionScheduler,
  type WeeklyQuestionScheduler,
} from "./exposure/weekly-question-scheduler.ts";
import {
  createWeeklyQuestionService,
  type WeeklyQuestionService,
} from "./exposure/weekly-question-service.ts";
import { registerDiscoveryRoutes } from "./federation/discovery-routes.ts";
import { registerEncounterRoutes } from "./federation/encounter-routes.ts";
import { type AppFederation, createAppFederation } from "./federation/federation.ts";
import { registerInboxListeners } from "./federation/inbox-listeners.ts";
import { inboxSenderRefusal } from "./federation/inbox-sender.ts";
import { createKvStore } from "./federation/kv-store.ts";
import { INSTANCE_ACTOR_IDENTIFIER, type LocalUrls, localUrls } from "./federation/local-urls.ts";
import { createMessageQueue } from "./federation/message-queue.ts";
import { connectOutboxBridge } from "./federation/outbox-bridge.ts";
import { createParticipantResolver } from "./federation/participant-resolver.ts";
import { createRemoteLookup, type RemoteLookup } from "./federation/remote-lookup.ts";
import { createWeeklyQuestionDelivery } from "./federation/weekly-question-delivery.ts";
import { createFollowsService, type FollowsService } from "./follows/follows-service.ts";
import { registerErrorHandling } from "./http/errors.ts";
import { registerFedifyBridge } from "./http/fedify-bridge.ts";
import { registerInputGuards } from "./http/input-guards.ts";
import { createLoginThrottle, type LoginThrottleOptions } from "./http/login-throttle.ts";
import { registerMediaRoutes } from "./media/media-routes.ts";
import { createMediaService, type MediaService } from "./media/media-service.ts";
import { createDiskMediaStorage } from "./media/media-storage.ts";
import { createOutbox, type Outbox, type OutboxOptions } from "./outbox/outbox.ts";
import { createLogger, type Logger } from "./shared/logger.ts";
import { registerDashboard } from "./web/dashboard-page.ts";
import { registerPages } from "./web/pages.ts";

export const APP_VERSION: string = JSON.parse(
  readFileSync(new URL("../package.json", import.meta.url), "utf8"),
).version;

/** How long a stopping process waits for running jobs (docker stop allows 10 s in all). */
const SHUTDOWN_GRACE_MS = 8_000;

export interface App {
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly database: Database;
  readonly http: FastifyInstance;
  readonly federation: AppFederation;
  readonly urls: LocalUrls;
  /** Where outgoing requests may go: every fetch and delivery passes it. */
  readonly egress: Egress;
  readonly remoteLookup: RemoteLookup;
  readonly members: MembersService;
  /** scrypt with a bound on the hashes running at once (src/accounts/passwords.ts). */
  readonly passwords: PasswordHashing;
  readonly follows: FollowsService;
  readonly actors: ActorsRepository;
  readonly encounters: EncountersService;
  readonly encounterRepository: EncountersRepository;
  readonly cosign: CosignService;
  readonly likes: LikesService;
  readonly media: MediaService;
  readonly trackerSettings: TrackerSettingsService;
  readonly weeklyQuestions: WeeklyQuestionService;
  /** Started by `start()` in roles all and worker. */
  readonly weeklyQuestionScheduler: WeeklyQuestionScheduler;
  /** The domain events' outbox (src/outbox/): subscribe to hear them after their commit. */
  readonly events: Pick<Outbox, "subscribe">;
  /**
   * Listens for HTTP (roles all, web); consumes the queue and replays the domain events
   * whose writer died (roles all, worker).
   */
  start(): Promise<void>;
  /** Stops taking work, lets running jobs finish, then closes the database. */
  close(): Promise<void>;
}

/**
 * The composition root: every dependency of the instance is built here and
 * nowhere else, so tests can build as many independent instances as they need.
 */
export async function buildApp(
  config: AppConfig,
  options: {
    logger?: Logger;
    weeklyQuestionIntervalMs?: number;
    /** Tests: how addresses resolve and which count as public (see src/egress/egress.ts). */
    egress?: Pick<EgressOptions, "lookup" | "isPublicAddress">;
    /** Tests shorten the log-in throttle's delays. */
    loginThrottle?: LoginThrottleOptions;
    /** Tests shorten the outbox's lease and the relay's poll interval. */
    outbox?: Pick<OutboxOptions, "leaseMs" | "pollIntervalMs">;
  } = {},
): Promise<App> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const database = await openDatabase(config.database);
  try {
    await database.migrate();
    await bindDatabaseToOrigin(database.db, config.origin);
  } catch (error) {
    await database.close();
    throw error;
  }
  const { db } = database;
  const urls = localUrls(config.origin);
  const events = createOutbox(database, { logger, ...options.outbox });

  const actors = createActorsRepository(db);
  const passwords = createPasswordHashing();
  const members = createMembersService({ db, urls, passwords });
  const follows = createFollowsService({
    db,
    actors,
    events,
    newActivityIri: (kind) => urls.newActivity(kind).href,
  });

  const mediaStorage = createDiskMediaStorage(join(config.dataDir, "media"));
  const media = createMediaService({
    storage: mediaStorage,
    urls: { mediaUrl: (key) => new URL(`/media/${key}`, urls.origin) },
  });
  const encounterRepository = createEncountersRepository(db);
  const cosign = createCosignService({
    db,
    repository: encounterRepository,
    actors,
    events,
    newActivityIri: (kind) => urls.newActivity(kind).href,
  });

  const likes = createLikesService({
    db,
    repository: encounterRepository,
    access: createEncounterAccess({ db, repository: encounterRepository, actors }),
    actors,
    cosign,
    events,
    newActivityIri: (kind) => urls.newActivity(kind).href,
  });

  const egress = createEgress({
    allowPrivateAddress: config.allowPrivateAddress,
    ...options.egress,
  });
  const queue = createMessageQueue(database, {
    logger: logger.child({ component: "queue" }),
    // Fedify delivers with the global fetch: jobs run inside the egress policy.
    runsIn: egress.run,
  });
  const federation = createAppFederation({
    kv: createKvStore(database),
    queue,
    urls,
    instanceName: config.instanceName,
    egress,
    members,
    follows,
    actors,
    encounters: encounterRepository,
    manuallyStartQueue: true,
  });
  const remoteLookup = createRemoteLookup({ federation, urls, egress });
  const participantResolver = createParticipantResolver({
    lookup: remoteLookup,
    urls,
    members,
    actors,
    logger: logger.child({ component: "participants" }),
  });
  const encountersService = createEncountersService({
    db,
    repository: encounterRepository,
    actors,
    resolver: participantResolver,
    photos: media,
    events,
    urls,
  });
  // Before the auto-co-sign below: handlers run in order, so the Create is queued before the
  // Announce that co-signs it.
  connectOutboxBridge({
    events,
    federation,
    actors,
    urls,
    encounters: encounterRepository,
    members,
    follows,
  });
  // Co-signing automatically is a reaction to a new encounter, whoever wrote it.
  events.subscribe((event) =>
    event.type === "encounter.created" ? cosign.autoCosign(event.encounterId) : undefined,
  );
  // Remote posts tagged #Socialdapres that concern our members (src/encounters/remote-encounters-service.ts).
  const remoteEncounters = createRemoteEncountersService({
    db,
    repository: encounterRepository,
    actors,
    resolver: participantResolver,
    cosign,
  });
  const trackerSettings = createTrackerSettingsService({ db });
  const weeklyQuestions = createWeeklyQuestionService({
    db,
    messenger: createWeeklyQuestionDelivery({ federation, urls, actors }),
    newNoteIri: (kind) => urls.newActivity(kind).href,
    async lookupAccount(query) {
      return actors.upsertRemote(await remoteLookup.lookupActor(query));
    },
    isLocalIri: (iri) => URL.parse(iri)?.origin === urls.origin.origin,
    formUrl: new URL("/tracker", urls.origin).href,
    handleOf: (username) => `@${username}@${urls.origin.host}`,
    logger: logger.child({ component: "weekly-question" }),
  });
  const weeklyQuestionScheduler = createWeeklyQuestionScheduler({
    service: weeklyQuestions,
    logger: logger.child({ component: "weekly-question" }),
    intervalMs: options.weeklyQuestionIntervalMs,
  });
  registerInboxListeners(federation, {
    remoteLookup,
    follows,
    remoteEncounters,
    cosign,
    weeklyQuestions,
    logger: logger.child({ component: "inbox" }),
  });

  const http: FastifyInstance = Fastify({
    loggerInstance: logger.child({ component: "http" }) as FastifyBaseLogger,
    // Only the configured proxies may say who the client is (TRUST_PROXY): the failed
    // log-in and token limits count per client address.
    trustProxy: config.trustProxy ? [...config.trustProxy] : false,
    routerOptions: { ignoreTrailingSlash: true },
    // On close, cut open connections too: a peer instance keeping one alive must not hold the shutdown.
    forceCloseConnections: true,
    bodyLimit: 1024 * 1024,
  });
  registerErrorHandling(http);
  // Before the Fedify bridge: a NUL in a path or query never reaches a dispatcher.
  registerInputGuards(http);
  registerFedifyBridge(http, federation, {
    origin: urls.origin.origin,
    contextData: () => undefined,
    inboxPaths: ["/users/:identifier/inbox", "/inbox"],
    async checkInbox({ headers, activity, params }) {
      // The inbox of nobody is Fedify's to answer: 404.
      const owner = params.identifier;
      const known =
        !owner ||
        owner === INSTANCE_ACTOR_IDENTIFIER ||
        (await members.findByUsername(owner))?.username === owner;
      if (!known) return undefined;
      return inboxSenderRefusal(headers, activity, urls.origin.origin);
    },
    // Ours links NodeInfo 2.0 and 2.1 (see discovery-routes.ts).
    fastifyPaths: ["/.well-known/nodeinfo"],
    // `/@bea` is the profile page people share; ActivityPub clients get the actor there too,
    // and the Note at an encounter's permalink `/@bea/<id>` (its `url`).
    rewriteUrl: (url) => {
      const username = /^\/@([a-z0-9_]{1,30})$/i.exec(url.pathname)?.[1];
      if (username) return urls.actor(username.toLowerCase());
      const note = /^\/@([a-z0-9_]{1,30})\/([0-9a-f-]{36})$/i.exec(url.pathname);
      return note
        ? urls.encounter((note[1] as string).toLowerCase(), note[2] as string)
        : undefined;
    },
  });
  registerDiscoveryRoutes(http, {
    members,
    urls,
    version: APP_VERSION,
    instanceName: config.instanceName,
  });
  registerMediaRoutes(http, { storage: mediaStorage });
  registerEncounterRoutes(http, { encounters: encounterRepository });
  registerApi(http, {
    db,
    members,
    follows,
    actors,
    encounters: encountersService,
    encounterRepository,
    cosign,
    likes,
    photos: media,
    federation,
    remoteLookup,
    urls,
    version: APP_VERSION,
    trackerSettings,
    weeklyQuestions,
  });
  registerPages(http, {
    members,
    follows,
    actors,
    encounters: encounterRepository,
    urls,
    instanceName: config.instanceName,
  });
  // The member's dashboard, behind a web login (src/web/dashboard-page.ts).
  registerDashboard(http, {
    db,
    members,
    loginThrottle: createLoginThrottle(options.loginThrottle),
    series: createSeriesService({
      repository: createTrackerRepository(db),
      instanceIncidence: createInstanceIncidenceStore(db),
    }),
    trackerData: createTrackerDataService({
      db,
      repository: encounterRepository,
      actors,
      photos: media,
    }),
    checkIn: (memberId, input, source) => weeklyQuestions.checkIn(memberId, input, source),
    origin: urls.origin,
    instanceName: config.instanceName,
  });

  const queueStop = new AbortController();
  let queueRunning: Promise<void> | undefined;
  let relayRunning: Promise<void> | undefined;
  let closed = false;

  return {
    config,
    logger,
    database,
    http,
    federation,
    urls,
    egress,
    remoteLookup,
    members,
    passwords,
    follows,
    actors,
    encounters: encountersService,
    encounterRepository,
    cosign,
    likes,
    media,
    trackerSettings,
    weeklyQuestions,
    weeklyQuestionScheduler,
    events,
    async start() {
      if (config.role !== "web") {
        queueRunning = federation.startQueue(undefined, { signal: queueStop.signal });
        relayRunning = events.relay(queueStop.signal);
        // Ticks at once: a restart that missed someone's hour asks them now.
        weeklyQuestionScheduler.start();
      }
      if (config.role !== "worker") {
        await http.listen({ host: config.host, port: config.port });
      } else {
        await http.ready();
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      // Stop taking work first, then give running jobs a bounded time: a delivery stuck
      // on an unresponsive server must not hold the shutdown. An unfinished job keeps
      // its row and runs again once its lease expires.
      queueStop.abort();
      await weeklyQuestionScheduler.stop();
      await http.close();
      const grace = new Promise<"timeout">((resolve) =>
        setTimeout(() => resolve("timeout"), SHUTDOWN_GRACE_MS).unref(),
      );
      const running = Promise.all([queueRunning, relayRunning]);
      if ((await Promise.race([running, grace])) === "timeout") {
        logger.warn(
          { graceMs: SHUTDOWN_GRACE_MS },
          "running jobs did not finish; they run again on the next start",
        );
      }
      await database.close();
      await egress.close();
    },
  };
}
