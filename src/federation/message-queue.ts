import { AsyncLocalStorage } from "node:async_hooks";
import type { MessageQueueEnqueueOptions, MessageQueueListenOptions } from "@fedify/fedify";
import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/database.ts";
import { type Doorbell, ring, sleep } from "./doorbell.ts";
import type {
  ClaimedJob,
  DatabaseMessageQueue,
  JobScope,
  LocalListener,
  MessageQueueOptions,
  QueueLogger,
  Row,
} from "./message-queue-contract.ts";

export type {
  DatabaseMessageQueue,
  JobRunOutcome,
  MessageQueueOptions,
  QueueLogger,
} from "./message-queue-contract.ts";

/**
 * Jobs looked at per free slot by a claim: some are passed over when their host already
 * has `perHostConcurrency` jobs running.
 */
const CLAIM_CANDIDATES_PER_SLOT = 4;

/** Rows per insert statement: well under PostgreSQL's limit on parameters. */
const INSERT_CHUNK = 1_000;

/**
 * Fedify asks for a job to run again later by enqueueing a copy of its message
 * (same `id`, a later attempt or a hold mark): that copy is this job, not a new one.
 */
function isCopyOf(job: ClaimedJob, message: unknown): boolean {
  const id = (job.message as { id?: unknown } | null)?.id;
  return typeof id === "string" && (message as { id?: unknown } | null)?.id === id;
}

/**
 * `statement` preceded by `writes` as data-modifying CTEs: one statement, atomic. They see
 * the same snapshot and do not see each other's changes, which independent writes need not.
 */
function withWrites(writes: readonly SQL[], statement: SQL): SQL {
  if (writes.length === 0) return statement;
  const ctes = writes.map((write, i) => sql`${sql.raw(`w${i}`)} as (${write})`);
  return sql`with ${sql.join(ctes, sql`, `)} ${statement}`;
}

/** Message of an error, bounded: never a payload. */
function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, 500);
}

/** The inbox a Fedify delivery (an outbox job) goes to; null for other jobs. */
export function deliveryInbox(message: unknown): string | null {
  const { type, inbox } = (message ?? {}) as { type?: unknown; inbox?: unknown };
  return type === "outbox" && typeof inbox === "string" ? inbox : null;
}

/** The host a Fedify delivery (an outbox job) goes to; null for other jobs. */
export function deliveryHost(message: unknown): string | null {
  const inbox = deliveryInbox(message);
  return inbox === null ? null : (URL.parse(inbox)?.host ?? null);
}

const silent: QueueLogger = { info() {}, warn() {}, error() {}, debug() {} };

export function createMessageQueue(
  database: Database,
  options: MessageQueueOptions = {},
): DatabaseMessageQueue {
  const logger = options.logger ?? silent;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const claimDelayMs = options.claimDelayMs ?? 5;
  const leaseMs = options.leaseMs ?? 60_000;
  const queue = options.queueName ?? "fedify";
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const perHost = Math.max(1, options.perHostConcurrency ?? 2);
  const hostOf = options.hostOf ?? (() => null);
  const maxAttempts = Math.max(1, options.maxAttempts ?? 15);
  const retryBaseDelayMs = options.retryBaseDelayMs ?? 10_000;
  const retryMaxDelayMs = options.retryMaxDelayMs ?? 12 * 3_600_000;
  const maxRescheduleDelayMs = options.maxRescheduleDelayMs ?? 3_600_000;
  const runsIn = options.runsIn ?? (<T>(handler: () => T) => handler());
  const onRunEnd = options.onRunEnd ?? (() => {});
  const leaseSeconds = leaseMs / 1000;
  const running = new AsyncLocalStorage<JobScope>();
  // Ordering keys this process is running: never claim a second job for them,
  // whatever the database says.
  const busyKeys = new Set<string>();
  // Jobs this process runs, with the timer renewing each one's lease.
  const heartbeats = new Map<string, ReturnType<typeof setInterval>>();
  const bell: Doorbell = { generation: 0, sleepers: new Set() };
  /** The listeners running in this process, which take a job enqueued here at once. */
  const localListeners = new Set<LocalListener>();
  const prefetchColumn = options.prefetch
    ? sql`, ${options.prefetch(sql`message`)} as prefetched`
    : sql``;

  const secondsFromNow = (ms: number) =>
    sql`now() + make_interval(secs => ${Math.max(0, ms) / 1000}::double precision)`;

  /** One statement per chunk: ids follow the array order, which is what ordering relies on. */
  function insertStatements(rows: readonly Row[]): SQL[] {
    const statements: SQL[] = [];
    for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
      const values = rows.slice(start, start + INSERT_CHUNK).map(
        (row) => sql`(${queue}, ${JSON.stringify(row.message)}::jsonb, ${row.orderingKey},
          ${secondsFromNow(row.delayMs)}, ${hostOf(row.message)})`,
      );
      statements.push(sql`
        insert into queue_jobs (queue, message, ordering_key, run_at, host)
        values ${sql.join(values, sql`, `)}`);
    }
    return statements;
  }

  async function insert(messages: readonly unknown[], enqueueOptions?: MessageQueueEnqueueOptions) {
    if (messages.length === 0) return;
    const delayMs = Math.max(0, enqueueOptions?.delay?.total({ unit: "millisecond" }) ?? 0);
    const orderingKey = enqueueOptions?.orderingKey ?? null;
    const scope = running.getStore();
    const [only] = messages;
    if (scope) {
      if (messages.length === 1 && isCopyOf(scope.job, only)) {
        scope.again = { message: only, delayMs: Math.min(delayMs, maxRescheduleDelayMs) };
      } else {
        // Queued by a running job (a fan-out's deliveries): they exist once the job is done,
        // in the same transaction, so a job re-run after a crash queues nothing twice.
        scope.queued.push(...messages.map((message) => ({ message, orderingKey, delayMs })));
      }
      return;
    }
    if (
      messages.length === 1 &&
      delayMs === 0 &&
      orderingKey === null &&
      (await insertAndRun(only))
    )
      return;
    for (const statement of insertStatements(
      messages.map((message) => ({ message, orderingKey, delayMs })),
    )) {
      await database.rows(statement);
    }
    ring(bell, messages.length);
  }

  /**
   * A job with nothing to wait for (no delay, no ordering key, no host) enqueued in a process
   * whose listener has a free slot: inserted already leased, with its first attempt counted,
   * and run by that listener at once. The row exists before the enqueue returns, as for any
   * job, so a crash loses nothing (its lease runs out and a worker runs it); the claim's
   * statement and the wait for a listener to wake are saved. False: insert it as usual.
   */
  async function insertAndRun(message: unknown): Promise<boolean> {
    if (hostOf(message) != null) return false;
    const listener = [...localListeners].find((candidate) => candidate.reserve());
    if (!listener) return false;
    let job: ClaimedJob | undefined;
    try {
      const text = JSON.stringify(message);
      const [row] = await database.rows<{ id: string; attempts: number; prefetched?: unknown }>(sql`
        insert into queue_jobs (queue, message, ordering_key, run_at, host, locked_until, attempts)
        values (${queue}, ${text}::jsonb, null, now(), null,
                now() + make_interval(secs => ${leaseSeconds}::double precision), 1)
        returning id, attempts ${prefetchColumn}`);
      if (!row) throw new Error("the job's insert returned no row");
      // What a claim would give: the message as stored (JSON), not the caller's object.
      job = { id: row.id, message: JSON.parse(text), ordering_key: null, host: null, attempts: 1 };
      if (options.prefetch) job.prefetched = row.prefetched;
    } finally {
      if (!job) listener.unreserve();
    }
    listener.start(job);
    return true;
  }

  /**
   * One statement claims up to `limit` jobs: SKIP LOCKED lets concurrent workers pass
   * over each other's candidates, and the lease (not an open transaction) marks them
   * as taken, so the handlers run with no lock held. A keyed job is eligible only when
   * it is the oldest job of its key and no other job of that key is leased: a key runs
   * one job at a time, in enqueue order (two jobs of one key are never both eligible, so
   * never claimed together), and a delayed job (a failed one waiting for its retry too)
   * holds back the jobs of its key enqueued after it. A dead job holds back nothing. A
   * host has at most `perHostConcurrency` jobs leased: the ones already leased plus its
   * rank among the candidates of this claim.
   */
  async function claim(limit: number): Promise<ClaimedJob[]> {
    const busy =
      busyKeys.size === 0
        ? sql``
        : sql`j.ordering_key not in (${sql.join(
            [...busyKeys].map((key) => sql`${key}`),
            sql`, `,
          )}) and`;
    const rows = await database.rows<ClaimedJob>(sql`
      with candidates as (
        select j.id, j.host, j.run_at from queue_jobs j
        where j.queue = ${queue}
          and j.dead_at is null
          and j.run_at <= now()
          and (j.locked_until is null or j.locked_until <= now())
          and (j.ordering_key is null or (${busy} not exists (
            select 1 from queue_jobs p
            where p.queue = j.queue and p.ordering_key = j.ordering_key and p.id <> j.id
              and p.dead_at is null
              and (p.id < j.id or p.locked_until > now()))))
        order by j.run_at, j.id
        limit ${limit * CLAIM_CANDIDATES_PER_SLOT}
        for update of j skip locked),
      picked as (
        select c.id from (
          select c.*, row_number() over (partition by c.host order by c.run_at, c.id) as rank
          from candidates c) c
        where c.host is null or c.rank + (
          select count(*) from queue_jobs h
          where h.queue = ${queue} and h.host = c.host and h.locked_until > now()
        ) <= ${perHost}
        order by c.run_at, c.id
        limit ${limit})
      update queue_jobs
      set locked_until = now() + make_interval(secs => ${leaseSeconds}::double precision),
          attempts = attempts + 1
      where id in (select id from picked)
      returning id, message, ordering_key, host, attempts ${prefetchColumn}`);
    // In the order they were enqueued (RETURNING keeps none).
    return rows.sort((x, y) => Number(x.id) - Number(y.id));
  }

  /**
   * Done: what the handler queued is inserted, what it wrote with the job is written, and the
   * job removed (or rescheduled), at once. Without queued messages (most jobs: an activity
   * received, one delivery) that is one statement, its writes as data-modifying CTEs: one
   * round trip instead of a transaction's four.
   */
  async function complete(id: string, scope: JobScope): Promise<void> {
    let finish: SQL;
    if (scope.dead !== undefined) {
      finish = sql`update queue_jobs set dead_at = now(), locked_until = null,
        last_error = ${scope.dead} where id = ${id}`;
    } else if (scope.again) {
      // Asked to wait, not failed: the attempt is given back. Same row, same place in its key.
      finish = sql`update queue_jobs
        set message = ${JSON.stringify(scope.again.message)}::jsonb,
            run_at = ${secondsFromNow(scope.again.delayMs)}, locked_until = null,
            attempts = greatest(attempts - 1, 0)
        where id = ${id}`;
    } else {
      finish = sql`delete from queue_jobs where id = ${id}`;
    }
    if (scope.queued.length === 0) {
      await database.rows(withWrites(scope.writes, finish));
    } else {
      // Several inserts: in a transaction, one after the other, so that ids follow their order.
      await database.db.transaction(async (tx) => {
        for (const statement of insertStatements(scope.queued)) await tx.execute(statement);
        await tx.execute(withWrites(scope.writes, finish));
      });
    }
    if (scope.queued.length > 0 || scope.again)
      ring(bell, scope.queued.length + (scope.again ? 1 : 0));
  }

  /** Failed: run again later in place, or dead-lettered once out of attempts. */
  async function fail(job: ClaimedJob, error: unknown): Promise<void> {
    const id = String(job.id);
    const reason = errorText(error);
    if (job.attempts >= maxAttempts) {
      logger.error({ jobId: id, attempts: job.attempts, error: reason }, "Job dead-lettered");
      await database.rows(sql`update queue_jobs set dead_at = now(), locked_until = null,
        last_error = ${reason} where id = ${id}`);
      return;
    }
    const backoff = Math.min(retryBaseDelayMs * 2 ** (job.attempts - 1), retryMaxDelayMs);
    // ±25%: jobs that failed together do not all come back at the same instant.
    const delayMs = Math.round(backoff * (0.75 + Math.random() * 0.5));
    logger.warn(
      { jobId: id, attempts: job.attempts, delayMs, error: reason },
      "Job failed; retrying later",
    );
    await database.rows(sql`update queue_jobs set run_at = ${secondsFromNow(delayMs)},
      locked_until = null, last_error = ${reason} where id = ${id}`);
  }

  async function run(job: ClaimedJob, handler: (message: unknown) => Promise<void> | void) {
    const id = String(job.id);
    if (job.attempts > maxAttempts) {
      await fail(job, new Error("its workers kept dying while running it"));
      return;
    }
    const dropped = await options.dropsJob?.(job.message);
    if (dropped !== undefined) {
      logger.info({ jobId: id, reason: dropped }, "Job dropped without running");
      await complete(id, { job, queued: [], writes: [] });
      return;
    }
    if (job.attempts > 1) logger.warn({ jobId: id, attempts: job.attempts }, "Re-running a job");
    // Renewing the lease keeps a slow handler's job from being claimed again.
    const heartbeat = setInterval(() => {
      database
        .rows(sql`update queue_jobs set locked_until = now() + make_interval(
          secs => ${leaseSeconds}::double precision) where id = ${id}`)
        .catch((error) => logger.warn({ err: error, jobId: id }, "Could not renew a job lease"));
    }, leaseMs / 3);
    heartbeats.set(id, heartbeat);
    const scope: JobScope = { job, queued: [], writes: [] };
    let failure: { error: unknown } | undefined;
    try {
      await running.run(scope, () => runsIn(() => handler(job.message), job.message));
    } catch (error) {
      failure = { error };
    } finally {
      clearInterval(heartbeat);
    }
    try {
      onRunEnd(
        job.message,
        failure ? "failed" : scope.dead !== undefined ? "dead" : scope.again ? "again" : "done",
      );
    } catch (error) {
      logger.warn({ err: error, jobId: id }, "A job observer failed");
    }
    // Released while it ran (releaseRunning): its row is another worker's now.
    if (!heartbeats.delete(id)) return;
    if (failure) await fail(job, failure.error);
    else await complete(id, scope);
  }

  async function listen(
    handler: (message: unknown) => Promise<void> | void,
    listenOptions: MessageQueueListenOptions = {},
  ): Promise<void> {
    const { signal } = listenOptions;
    const inFlight = new Set<Promise<void>>();
    // Slots promised to jobs enqueued here (`insertAndRun`) or asked for by a running claim.
    let reserved = 0;
    let claiming = 0;
    let slotsChanged: () => void = () => {};
    const nextSlotChange = () => new Promise<void>((resolve) => (slotsChanged = resolve));
    const startJob = (job: ClaimedJob) => {
      const key = job.ordering_key;
      if (key != null) busyKeys.add(key);
      const task: Promise<void> = run(job, handler)
        .catch((error) => logger.error({ err: error, queue }, "Could not finish a job"))
        .finally(() => {
          if (key != null) busyKeys.delete(key);
          inFlight.delete(task);
          // The next job of its key, or of its host, may run now. (A free slot alone needs
          // no wake-up: a listener with free slots found nothing to claim when it slept.)
          if (key != null || job.host != null) ring(bell, 1);
        });
      inFlight.add(task);
    };
    const local: LocalListener = {
      reserve() {
        if (signal?.aborted || inFlight.size + reserved + claiming >= concurrency) return false;
        reserved++;
        return true;
      },
      unreserve() {
        reserved--;
        slotsChanged();
      },
      start(job) {
        reserved--;
        startJob(job);
        slotsChanged();
      },
    };
    localListeners.add(local);
    try {
      while (!signal?.aborted) {
        const free = concurrency - inFlight.size - reserved;
        if (free <= 0) {
          await Promise.race([...inFlight, nextSlotChange()]);
          continue;
        }
        const since = bell.generation;
        let jobs: ClaimedJob[] = [];
        claiming = free;
        try {
          jobs = await claim(free);
        } catch (error) {
          logger.error({ err: error, queue }, "Could not claim a job");
        } finally {
          claiming = 0;
        }
        if (jobs.length === 0) {
          const woken = bell.generation;
          await sleep(bell, since, pollIntervalMs, signal);
          if (bell.generation !== woken && claimDelayMs > 0 && !signal?.aborted) {
            await new Promise((resolve) => setTimeout(resolve, claimDelayMs));
          }
          continue;
        }
        // Even if the signal fired during the claim, the jobs are ours now: run them.
        for (const job of jobs) startJob(job);
      }
    } finally {
      localListeners.delete(local);
    }
    // The jobs this listener took, including those whose insert was still on its way.
    while (inFlight.size > 0 || reserved > 0) await Promise.race([...inFlight, nextSlotChange()]);
  }

  return {
    nativeRetrial: true,
    enqueue: (message, enqueueOptions) => insert([message], enqueueOptions),
    enqueueMany: (messages, enqueueOptions) => insert(messages, enqueueOptions),
    listen,
    async getDepth() {
      const [row] = await database.rows<{ queued: number; ready: number; delayed: number }>(sql`
        select count(*)::int as queued,
               (count(*) filter (where run_at <= now()))::int as ready,
               (count(*) filter (where run_at > now()))::int as delayed
        from queue_jobs
        where queue = ${queue} and dead_at is null
          and (locked_until is null or locked_until <= now())`);
      return { queued: row?.queued ?? 0, ready: row?.ready ?? 0, delayed: row?.delayed ?? 0 };
    },
    async releaseRunning() {
      const ids = [...heartbeats.keys()];
      for (const heartbeat of heartbeats.values()) clearInterval(heartbeat);
      heartbeats.clear();
      if (ids.length === 0) return 0;
      // The claim counted an attempt that this process gives up: it is not the job's fault.
      await database.rows(sql`update queue_jobs
        set locked_until = null, attempts = greatest(attempts - 1, 0)
        where id in (${sql.join(
          ids.map((id) => sql`${id}`),
          sql`, `,
        )}) and locked_until is not null`);
      ring(bell, ids.length);
      return ids.length;
    },
    deadLetterCurrentJob(reason) {
      const scope = running.getStore();
      if (!scope) return false;
      scope.dead = reason.slice(0, 500);
      return true;
    },
    prefetchedForCurrentJob() {
      return running.getStore()?.job.prefetched;
    },
    writeWithCurrentJob(statement) {
      const scope = running.getStore();
      if (!scope) return false;
      scope.writes.push(statement);
      return true;
    },
  };
}
