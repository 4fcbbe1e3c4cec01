import type { FastifyInstance } from "fastify";
import type { TellApplicant } from "./accounts/registrations-service.ts";
import type { ActorsRepository } from "./actors/actors-repository.ts";
import type { AppConfig } from "./config/config.ts";
import type { Database } from "./db/database.ts";
import type { Egress, EgressOptions } from "./egress/egress.ts";
import type { EncountersRepository } from "./encounters/encounters-repository.ts";
import type { WeeklyQuestionScheduler } from "./exposure/weekly-question-scheduler.ts";
import type { ActorRefresher } from "./federation/actor-refresh.ts";
import type { AppFederation } from "./federation/app-federation.ts";
import type { FederationDeps } from "./federation/federation.ts";
import type { MessageQueueOptions } from "./federation/message-queue.ts";
import type { RemoteLookup } from "./federation/remote-lookup.ts";
import type { DocumentCache } from "./http/document-cache.ts";
import type { LoginThrottleOptions } from "./http/login-throttle.ts";
import type { Outbox, OutboxOptions } from "./outbox/outbox.ts";
import type { Repositories, Services } from "./services.ts";
import type { LocalUrls } from "./shared/local-urls.ts";
import type { Logger } from "./shared/logger.ts";
import type { PeriodicTask } from "./shared/periodic-task.ts";

/*
 * What `buildApp` (src/app.ts) makes and what it may be told: the shape of an instance, apart
 * from its wiring.
 */

/** An instance: its services (src/services.ts), its HTTP server and federation, its lifecycle. */
export interface App extends Services {
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly database: Database;
  readonly http: FastifyInstance;
  readonly federation: AppFederation;
  readonly urls: LocalUrls;
  /** Where outgoing requests may go: every fetch and delivery passes it. */
  readonly egress: Egress;
  readonly remoteLookup: RemoteLookup;
  /** Remote actors fetched more than a day ago are fetched again, in the background, when used. */
  readonly actorRefresher: ActorRefresher;
  readonly repositories: Repositories;
  readonly actors: ActorsRepository;
  readonly encounterRepository: EncountersRepository;
  /** ActivityPub documents and visitor pages kept by this process (src/http/document-cache.ts). */
  readonly documentCache: Pick<DocumentCache, "size">;
  /** Started by `start()` in roles all and worker. */
  readonly weeklyQuestionScheduler: WeeklyQuestionScheduler;
  /** Builds archives and follows imported accounts (roles all and worker): `tick()` in tests. */
  readonly memberDataWorker: PeriodicTask;
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

/** What `buildApp` may be told besides the configuration: mostly tests' shorter waits. */
export interface BuildAppOptions {
  logger?: Logger;
  /** The clock of what the app remembers in memory for a while (tests move it forward). */
  clock?: () => number;
  /**
   * Told the text and parameters of every SQL statement the app sends (benchmarks count them,
   * plan tests EXPLAIN them).
   */
  onQuery?: (query: string, params: unknown[]) => void;
  weeklyQuestionIntervalMs?: number;
  /** Tests: how addresses resolve and which count as public (see src/egress/egress.ts). */
  egress?: Pick<EgressOptions, "lookup" | "isPublicAddress">;
  /** Tests shorten the log-in throttle's delays. */
  loginThrottle?: LoginThrottleOptions;
  /** Tells applicants the decisions on their applications (e-mail); none by default. */
  tellApplicant?: TellApplicant;
  /** Tests lower scrypt's cost for new password hashes; production keeps OWASP's. */
  passwordCostN?: number;
  /** Tests shorten the outbox's lease and the relay's poll interval. */
  outbox?: Pick<OutboxOptions, "leaseMs" | "pollIntervalMs">;
  /** Tests shorten the circuit breaker's waits (src/federation/federation.ts). */
  circuitBreaker?: FederationDeps["circuitBreaker"];
  /** Tests shorten the queue's waits between retries, and its lease. */
  queue?: Pick<
    MessageQueueOptions,
    | "retryBaseDelayMs"
    | "retryMaxDelayMs"
    | "maxAttempts"
    | "maxRescheduleDelayMs"
    | "pollIntervalMs"
    | "leaseMs"
  >;
}
