import type { MessageQueue, MessageQueueDepth, MessageQueueEnqueueOptions } from "@fedify/fedify";
import type { SQL } from "drizzle-orm";

/* The queue's options, its interface and the records it keeps of a job (message-queue.ts). */

type LogFn = (obj: Record<string, unknown>, msg: string) => void;
/** The subset of a pino logger the queue uses. */
export interface QueueLogger {
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  debug: LogFn;
}

export interface MessageQueueOptions {
  logger?: QueueLogger;
  /** How often an idle listener looks for work enqueued by other processes. */
  pollIntervalMs?: number;
  /**
   * An idle listener woken by a job enqueued here waits this long before claiming, so that
   * the jobs enqueued meanwhile (activities arriving together) are claimed in one statement.
   */
  claimDelayMs?: number;
  /** How long a claimed job stays invisible to other workers; renewed while it runs. */
  leaseMs?: number;
  /** Several logical queues can share the table. */
  queueName?: string;
  /** Handlers run at once by one `listen()`. */
  concurrency?: number;
  /**
   * Jobs of one host (see `hostOf`) leased at once, across processes: a slow or dead
   * host holds at most this many slots, the others serve everyone else.
   */
  perHostConcurrency?: number;
  /** The host a message goes to, if it is a delivery. */
  hostOf?: (message: unknown) => string | null;
  /**
   * A job that failed (or whose worker died) this many times is dead-lettered: kept,
   * with its last error, for the admin to list and retry (`queue dead`, `queue retry`).
   */
  maxAttempts?: number;
  /** The wait before the second run of a failed job; it doubles with each failure. */
  retryBaseDelayMs?: number;
  /** The longest wait between two runs of a failed job. */
  retryMaxDelayMs?: number;
  /**
   * The longest a job may ask to run again later without failing (a peer's Retry-After,
   * a host held by the circuit breaker): longer asks are shortened to this.
   */
  maxRescheduleDelayMs?: number;
  /** Runs each handler call, e.g. inside the instance's egress policy; given the job's message. */
  runsIn?: <T>(handler: () => T, message: unknown) => T;
  /** Told how each run of a job ended, with its message (src/federation/delivery-outcomes.ts). */
  onRunEnd?: (message: unknown, outcome: JobRunOutcome) => void;
  /**
   * Why a job must not run any more (a delivery to a domain blocked since it was queued):
   * it is dropped when claimed, without running. Undefined: it runs.
   */
  dropsJob?: (message: unknown) => Promise<string | undefined>;
  /**
   * An SQL expression over a job's `message` (jsonb), evaluated by the statement that claims
   * the job (or inserts it to run here at once) and handed to its handler through
   * `prefetchedForCurrentJob`: a read the handler would otherwise make in a statement of its
   * own (src/federation/kv-store.ts reads whether the activity was already processed).
   */
  prefetch?: (message: SQL) => SQL;
}

/**
 * How a run of a job ended: done, failed (it threw: retried later or dead-lettered), asked to
 * run again later without failing (a Retry-After, a host held by the circuit breaker), or
 * dead-lettered by its handler.
 */
export type JobRunOutcome = "done" | "failed" | "again" | "dead";

export interface DatabaseMessageQueue extends MessageQueue {
  /** Failed jobs are retried here, in place: Fedify throws instead of enqueueing a copy. */
  readonly nativeRetrial: true;
  enqueueMany: (
    messages: readonly unknown[],
    options?: MessageQueueEnqueueOptions,
  ) => Promise<void>;
  getDepth(): Promise<MessageQueueDepth>;
  /**
   * Called from inside a running handler: when the handler returns, its job is
   * dead-lettered with this reason instead of being done. False outside a handler.
   */
  deadLetterCurrentJob(reason: string): boolean;
  /**
   * Called from inside a running handler: `statement` (an insert, update or delete that
   * returns nothing) runs with the job's completion, in the statement that removes the job,
   * and not at all if the handler fails. False outside a handler: the caller runs it.
   */
  writeWithCurrentJob(statement: SQL): boolean;
  /**
   * Called from inside a running handler: what the `prefetch` expression gave for its job
   * when the job was claimed (null for SQL NULL); undefined outside a handler or without
   * `prefetch`.
   */
  prefetchedForCurrentJob(): unknown;
  /**
   * For a process that stops before its running jobs finished: stops renewing their
   * leases and hands them back at once (same row, same attempt), so that another worker
   * runs them now rather than when the lease expires. Returns how many were released.
   */
  releaseRunning(): Promise<number>;
}

export interface ClaimedJob extends Record<string, unknown> {
  id: string | number;
  message: unknown;
  ordering_key: string | null;
  host: string | null;
  attempts: number;
  /** The `prefetch` expression's value (absent without one). */
  prefetched?: unknown;
}

/** What a running handler did besides its own work; applied with the job's completion. */
export interface JobScope {
  job: ClaimedJob;
  /** Messages it queued: inserted in the transaction that finishes the job, never twice. */
  queued: Row[];
  /** It asked for this very job to run again later (a Retry-After, a held host). */
  again?: { message: unknown; delayMs: number };
  /** It asked for the job to be dead-lettered. */
  dead?: string;
  /** Writes it left to the job's completion (`writeWithCurrentJob`), in that statement. */
  writes: SQL[];
}

export interface Row {
  message: unknown;
  orderingKey: string | null;
  delayMs: number;
}

/**
 * A listener of this process that can take a job enqueued here: it runs it at once, without
 * the claim (message-queue.ts, `insertAndRun`).
 */
export interface LocalListener {
  /** Reserves a slot if one is free. */
  reserve(): boolean;
  /** Gives back a reserved slot unused. */
  unreserve(): void;
  /** Runs the job in the slot reserved for it. */
  start(job: ClaimedJob): void;
}
