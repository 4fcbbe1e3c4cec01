import type {
  MessageQueue,
  MessageQueueDepth,
  MessageQueueEnqueueOptions,
  MessageQueueListenOptions,
} from "@fedify/fedify";
import { sql } from "drizzle-orm";
import type { Database } from "../db/database.ts";

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
  /** How long a claimed job stays invisible to other workers; renewed while it runs. */
  leaseMs?: number;
  /** Several logical queues can share the table. */
  queueName?: string;
  /** Handlers run at once by one `listen()`. */
  concurrency?: number;
  /** A job claimed this many times without finishing (its workers died) is dropped. */
  maxAttempts?: number;
  /** Runs each handler call, e.g. inside the instance's egress policy. */
  runsIn?: <T>(handler: () => T) => T;
}

export interface DatabaseMessageQueue extends MessageQueue {
  readonly nativeRetrial: false;
  enqueueMany: (
    messages: readonly unknown[],
    options?: MessageQueueEnqueueOptions,
  ) => Promise<void>;
  getDepth(): Promise<MessageQueueDepth>;
}

interface ClaimedJob extends Record<string, unknown> {
  id: string | number;
  message: unknown;
  ordering_key: string | null;
  attempts: number;
}

const silent: QueueLogger = { info() {}, warn() {}, error() {}, debug() {} };

/**
 * Wakes idle listeners of this queue when a job is enqueued or finished, so
 * local work does not wait for the next poll. The generation counter catches
 * a wake-up that lands between an empty claim and the start of the sleep.
 */
interface Doorbell {
  generation: number;
  sleepers: Set<() => void>;
}

function ring(bell: Doorbell): void {
  bell.generation++;
  for (const wake of [...bell.sleepers]) wake();
}

function sleep(bell: Doorbell, since: number, ms: number, signal?: AbortSignal): Promise<void> {
  if (bell.generation !== since || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      bell.sleepers.delete(done);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    bell.sleepers.add(done);
    signal?.addEventListener("abort", done, { once: true });
  });
}

export function createMessageQueue(
  database: Database,
  options: MessageQueueOptions = {},
): DatabaseMessageQueue {
  const logger = options.logger ?? silent;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const leaseMs = options.leaseMs ?? 60_000;
  const queue = options.queueName ?? "fedify";
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const maxAttempts = options.maxAttempts ?? 5;
  const runsIn = options.runsIn ?? (<T>(handler: () => T) => handler());
  const leaseSeconds = leaseMs / 1000;
  // Ordering keys this process is running: never claim a second job for them,
  // whatever the database says.
  const busyKeys = new Set<string>();
  const bell: Doorbell = { generation: 0, sleepers: new Set() };

  async function insert(messages: readonly unknown[], enqueueOptions?: MessageQueueEnqueueOptions) {
    if (messages.length === 0) return;
    const delayMs = Math.max(0, enqueueOptions?.delay?.total({ unit: "millisecond" }) ?? 0);
    const runAt = sql`now() + make_interval(secs => ${delayMs / 1000}::double precision)`;
    const orderingKey = enqueueOptions?.orderingKey ?? null;
    // One statement: ids follow the array order, which is what ordering relies on.
    const rows = messages.map(
      (message) => sql`(${queue}, ${JSON.stringify(message)}::jsonb, ${orderingKey}, ${runAt})`,
    );
    await database.rows(sql`
      insert into queue_jobs (queue, message, ordering_key, run_at)
      values ${sql.join(rows, sql`, `)}`);
    ring(bell);
  }

  /**
   * One statement claims one job: SKIP LOCKED lets concurrent workers pass over
   * each other's candidates, and the lease (not an open transaction) marks it
   * as taken, so the handler runs with no lock held. A keyed job is eligible
   * only when it is the oldest job of its key and no other job of that key is
   * leased: a key runs one job at a time, in enqueue order, and a delayed job
   * holds back the jobs of its key enqueued after it.
   */
  async function claim(): Promise<ClaimedJob | undefined> {
    const busy =
      busyKeys.size === 0
        ? sql``
        : sql`j.ordering_key not in (${sql.join(
            [...busyKeys].map((key) => sql`${key}`),
            sql`, `,
          )}) and`;
    const rows = await database.rows<ClaimedJob>(sql`
      update queue_jobs
      set locked_until = now() + make_interval(secs => ${leaseSeconds}::double precision),
          attempts = attempts + 1
      where id = (
        select j.id from queue_jobs j
        where j.queue = ${queue}
          and j.run_at <= now()
          and (j.locked_until is null or j.locked_until <= now())
          and (j.ordering_key is null or (${busy} not exists (
            select 1 from queue_jobs p
            where p.queue = j.queue and p.ordering_key = j.ordering_key and p.id <> j.id
              and (p.id < j.id or p.locked_until > now()))))
        order by j.run_at, j.id
        limit 1
        for update of j skip locked)
      returning id, message, ordering_key, attempts`);
    return rows[0];
  }

  async function remove(id: string): Promise<void> {
    await database.rows(sql`delete from queue_jobs where id = ${id}`);
  }

  async function run(job: ClaimedJob, handler: (message: unknown) => Promise<void> | void) {
    const id = String(job.id);
    if (job.attempts > maxAttempts) {
      logger.error(
        { jobId: id, attempts: job.attempts },
        "Dropping a job whose workers kept dying",
      );
      await remove(id);
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
    try {
      await runsIn(() => handler(job.message));
    } catch (error) {
      // Fedify retries by enqueueing again (nativeRetrial is false): just record it.
      logger.error({ err: error, jobId: id }, "Queue handler failed");
    } finally {
      clearInterval(heartbeat);
    }
    await remove(id);
  }

  async function listen(
    handler: (message: unknown) => Promise<void> | void,
    listenOptions: MessageQueueListenOptions = {},
  ): Promise<void> {
    const { signal } = listenOptions;
    const inFlight = new Set<Promise<void>>();
    while (!signal?.aborted) {
      if (inFlight.size >= concurrency) {
        await Promise.race(inFlight);
        continue;
      }
      const since = bell.generation;
      let job: ClaimedJob | undefined;
      try {
        job = await claim();
      } catch (error) {
        logger.error({ err: error, queue }, "Could not claim a job");
      }
      if (!job) {
        await sleep(bell, since, pollIntervalMs, signal);
        continue;
      }
      // Even if the signal fired during the claim, the job is ours now: run it.
      const key = job.ordering_key;
      if (key != null) busyKeys.add(key);
      const task: Promise<void> = run(job, handler)
        .catch((error) => logger.error({ err: error, queue }, "Could not finish a job"))
        .finally(() => {
          if (key != null) busyKeys.delete(key);
          inFlight.delete(task);
          ring(bell);
        });
      inFlight.add(task);
    }
    await Promise.all(inFlight);
  }

  return {
    nativeRetrial: false,
    enqueue: (message, enqueueOptions) => insert([message], enqueueOptions),
    enqueueMany: (messages, enqueueOptions) => insert(messages, enqueueOptions),
    listen,
    async getDepth() {
      const [row] = await database.rows<{ queued: number; ready: number; delayed: number }>(sql`
        select count(*)::int as queued,
               (count(*) filter (where run_at <= now()))::int as ready,
               (count(*) filter (where run_at > now()))::int as delayed
        from queue_jobs
        where queue = ${queue} and (locked_until is null or locked_until <= now())`);
      return { queued: row?.queued ?? 0, ready: row?.ready ?? 0, delayed: row?.delayed ?? 0 };
    },
  };
}
