import type { Database } from "../db/database.ts";
import { isDatabaseUnavailable, isDiskFull } from "../db/database-errors.ts";
import { createEventBus, type DomainEvent, type EventBus } from "../shared/events.ts";
import { relayExpiredEvents } from "./relay.ts";
import { createOutboxStore, type EventWriter, type HeldEvent } from "./store.ts";

export type { EventWriter };

/** An event written in a transaction, to dispatch once that transaction committed. */
export type RecordedEvent = Readonly<HeldEvent>;

type LogFn = (obj: Record<string, unknown>, msg: string) => void;
/** The subset of a pino logger the outbox uses. */
export interface OutboxLogger {
  warn: LogFn;
  error: LogFn;
}

export interface OutboxOptions {
  logger?: OutboxLogger;
  /**
   * How long the events a process writes (or replays) stay its own to dispatch, renewed
   * while its subscribers run; once it runs out, a relay replays them.
   */
  leaseMs?: number;
  /** How often an idle relay looks for events whose lease ran out. */
  pollIntervalMs?: number;
  /** An event replayed this many times without finishing (its relays died) is dropped. */
  maxAttempts?: number;
}

/**
 * The transactional outbox of domain events. A service records its event with the
 * transaction of the change it reports, so the change never commits without it,
 * and dispatches it right after the commit: the subscribers (the outbox bridge,
 * automatic co-signing…) run in this process, then the row is deleted. If the
 * process dies in between, the event outlives it and a relay replays it.
 */
export interface Outbox {
  subscribe: EventBus["subscribe"];
  /** Writes the event with `writer`'s transaction; it is leased to this process. */
  record(writer: EventWriter, event: DomainEvent): Promise<RecordedEvent>;
  /**
   * Hands recorded events, in order, to the subscribers, then marks them done.
   * Never throws: an event it could not finish stays for the relay.
   */
  dispatch(...recorded: Array<RecordedEvent | undefined>): Promise<void>;
  /** Replays the events whose lease ran out, until `signal` aborts (roles all and worker). */
  relay(signal: AbortSignal): Promise<void>;
}

const silent: OutboxLogger = { warn() {}, error() {} };

export function createOutbox(database: Database, options: OutboxOptions = {}): Outbox {
  const logger = options.logger ?? silent;
  const leaseMs = options.leaseMs ?? 30_000;
  const store = createOutboxStore(database, leaseMs);
  const bus = createEventBus((error, event) =>
    logger.error({ err: error, event: event.type }, "domain event handler failed"),
  );

  /** Runs the subscribers while renewing the lease, then deletes the row. */
  async function handOver(held: HeldEvent): Promise<void> {
    const heartbeat = setInterval(() => {
      store
        .renew(held)
        .catch((error) =>
          logger.warn({ err: error, eventId: held.id }, "could not renew a domain event's lease"),
        );
    }, leaseMs / 3);
    let errors: unknown[];
    try {
      errors = await bus.emit(held.event);
    } finally {
      clearInterval(heartbeat);
    }
    // A handler that met the database's trouble (a job it could not queue on a full disk, an
    // outage) did not do its part: the event stays for the relay, which replays it whole (the
    // activities it sends carry the ids the event holds, so a peer takes a repeat as one).
    const trouble = errors.find((error) => isDatabaseUnavailable(error) || isDiskFull(error));
    if (trouble) throw trouble;
    await store.remove(held);
  }

  return {
    subscribe: bus.subscribe,
    record: (writer, event) => store.insert(writer, event),

    async dispatch(...recorded) {
      for (const held of recorded) {
        if (!held) continue;
        try {
          // A transaction that outlived the lease may find a relay already replaying it.
          if (await store.renew(held)) await handOver(held);
        } catch (error) {
          logger.error(
            { err: error, eventId: held.id, event: held.event.type },
            "could not dispatch a domain event; the relay replays it once its lease runs out",
          );
        }
      }
    },

    relay: (signal) =>
      relayExpiredEvents({
        store,
        handOver,
        logger,
        pollIntervalMs: options.pollIntervalMs ?? 5_000,
        maxAttempts: options.maxAttempts ?? 5,
        signal,
      }),
  };
}
