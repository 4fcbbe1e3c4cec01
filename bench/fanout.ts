/**
 * Outgoing fan-out: one public encounter by bea, who has `followers` remote
 * followers spread evenly over `servers` fake servers, all answered by one
 * loopback receiver. DESIGN.md promises one request per server (shared
 * inboxes). Run alone: node bench/fanout.ts --followers 1000 --servers 100 --database pglite
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { sql } from "drizzle-orm";
import { actors, follows } from "../src/db/schema.ts";
import { type Receiver, startReceiver } from "./receiver.ts";
import {
  argument,
  type BenchApp,
  countingLogger,
  type DatabaseKind,
  type JobCounts,
  jobCounts,
  logQueueJobs,
  processPeakRssMib,
  runScenarioMain,
  sampleRss,
  startApp,
  until,
} from "./support.ts";

export interface FanoutOptions {
  followers: number;
  servers: number;
  database: DatabaseKind;
  /** False: the followers' actors advertise no shared inbox (some servers do not). */
  sharedInbox: boolean;
  /**
   * "one": every fake server is a path on one origin, as the brief asks; Fedify then runs
   * their deliveries one at a time (one ordering key per Note and origin). "each": each
   * fake server gets a loopback port of its own, as real servers have distinct origins.
   */
  origins: "one" | "each";
  /** Gives up waiting for the queue to drain after this long. */
  timeoutMs: number;
}

export interface FanoutResult {
  scenario: "fanout";
  options: FanoutOptions;
  seedSeconds: number;
  /** `encounters.create()` itself: store, load the followers, enqueue the fan-out job. */
  createMs: number;
  firstRequestMs: number | null;
  /** From the call to create() until `queue_jobs` is empty. */
  drainSeconds: number;
  posts: number;
  sharedInboxPosts: number;
  personalInboxPosts: number;
  nonPostRequests: number;
  distinctPaths: number;
  maxPostsPerPath: number;
  maxConcurrentPosts: number;
  postsPerSecond: number;
  /** CPU time of this process (app, receiver and, on PGlite, the database) while draining. */
  cpuSeconds: number;
  bodyBytes: { min: number; max: number; total: number };
  jobs: JobCounts;
  peakRssMib: number;
  processPeakRssMib: number;
  problemsLogged: number;
}

const BATCH = 1_000;

/** Remote followers and their accepted follows of `followingId`, inserted in batches. */
export async function seedFollowers(
  bench: BenchApp,
  receiver: Receiver,
  followingId: string,
  options: FanoutOptions,
) {
  const { db } = bench.app.database;
  const rows: (typeof actors.$inferInsert)[] = [];
  for (let i = 0; i < options.followers; i++) {
    const n = i % options.servers;
    const k = Math.floor(i / options.servers);
    const base = receiver.bases[n % receiver.bases.length] as string;
    const server = `${base}/s/${n}`;
    rows.push({
      id: randomUUID(),
      iri: `${server}/users/u${k}`,
      type: "Person",
      username: `u${k}`,
      host: new URL(base).host,
      inboxUrl: `${server}/users/u${k}/inbox`,
      sharedInboxUrl: options.sharedInbox ? `${server}/inbox` : null,
      followersUrl: `${server}/users/u${k}/followers`,
      fetchedAt: new Date(),
    });
  }
  for (let start = 0; start < rows.length; start += BATCH) {
    const batch = rows.slice(start, start + BATCH);
    await db.insert(actors).values(batch);
    await db.insert(follows).values(
      batch.map((row) => ({
        id: randomUUID(),
        followerId: row.id,
        followingId,
        state: "accepted" as const,
        activityIri: `${row.iri}#follows/bea`,
        acceptedAt: new Date(),
      })),
    );
  }
}

export async function runFanout(options: FanoutOptions): Promise<FanoutResult> {
  if (options.followers % options.servers !== 0) {
    throw new Error("followers must be a multiple of servers");
  }
  const { logger, problems } = countingLogger();
  const receiver = await startReceiver(options.origins === "each" ? options.servers : 1);
  const bench = await startBenchOrClose(options, logger, receiver);
  try {
    const { app } = bench;
    const { member } = await app.members.create({ username: "bea", password: "bea-password-123" });
    const bea = await app.actors.findByMemberId(member.id);
    if (!bea) throw new Error("bea has no actor");

    const seedStart = performance.now();
    await seedFollowers(bench, receiver, bea.id, options);
    const seedSeconds = (performance.now() - seedStart) / 1000;
    const followerCount = (await app.follows.followers("bea", { limit: Number.MAX_SAFE_INTEGER }))
      .items.length;
    if (followerCount !== options.followers) throw new Error(`seeded ${followerCount} followers`);
    await logQueueJobs(app.database);

    const rss = sampleRss();
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    await app.encounters.create("bea", {
      text: "Glad to have crossed paths with Antoine at the market. He is doing well.",
      participants: ["Antoine Brachet"],
      keywords: ["BrightMirror"],
      visibility: "public",
    });
    const createMs = performance.now() - start;
    await until(
      async () => {
        const [row] = await app.database.rows<{ n: number }>(
          sql`select count(*)::int as n from queue_jobs`,
        );
        return row?.n === 0;
      },
      "queue_jobs to be empty",
      { timeoutMs: options.timeoutMs, intervalMs: 100 },
    );
    const drainSeconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const peakRssMib = rss.stop();

    const { stats } = receiver;
    const paths = [...stats.byPath.entries()];
    const count = (pattern: RegExp) =>
      paths.filter(([path]) => pattern.test(path)).reduce((sum, [, n]) => sum + n, 0);
    return {
      scenario: "fanout",
      options,
      seedSeconds,
      createMs,
      firstRequestMs: stats.firstAt === undefined ? null : stats.firstAt - start,
      drainSeconds,
      posts: stats.posts,
      sharedInboxPosts: count(/^\/s\/\d+\/inbox$/),
      personalInboxPosts: count(/^\/s\/\d+\/users\/[^/]+\/inbox$/),
      nonPostRequests: stats.others,
      distinctPaths: paths.length,
      maxPostsPerPath: Math.max(0, ...paths.map(([, n]) => n)),
      maxConcurrentPosts: stats.maxConcurrent,
      postsPerSecond: stats.posts / drainSeconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      bodyBytes: {
        min: Math.min(...stats.bodyBytes),
        max: Math.max(...stats.bodyBytes),
        total: stats.bodyBytes.reduce((a, b) => a + b, 0),
      },
      jobs: await jobCounts(app.database),
      peakRssMib,
      processPeakRssMib: processPeakRssMib(),
      problemsLogged: problems(),
    };
  } finally {
    await bench.close();
    await receiver.close();
  }
}

async function startBenchOrClose(
  options: FanoutOptions,
  logger: Parameters<typeof startApp>[1],
  receiver: Receiver,
): Promise<BenchApp> {
  try {
    return await startApp(options.database, logger);
  } catch (error) {
    await receiver.close();
    throw error;
  }
}

if (import.meta.main) {
  const timeoutMs = Number(argument("timeout-ms", "150000"));
  runScenarioMain(timeoutMs + 60_000, () =>
    runFanout({
      followers: Number(argument("followers", "1000")),
      servers: Number(argument("servers", "100")),
      database: argument("database", "pglite") as DatabaseKind,
      sharedInbox: argument("shared-inbox", "yes") !== "no",
      origins: argument("origins", "one") === "each" ? "each" : "one",
      timeoutMs,
    }),
  );
}
