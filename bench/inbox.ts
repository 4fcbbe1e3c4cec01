/**
 * Incoming throughput: remote servers in a separate process (bench/inbox-sender.ts) POST
 * Mastodon-shaped signed Create(Note) tagged #Socialdapres naming bea, from many actors, to
 * instance A's shared inbox over real HTTP; we time until A has stored them all.
 * Run alone: node bench/inbox.ts --notes 600 --database pglite [--actors 50 --origins 5]
 */
import { type ChildProcess, fork } from "node:child_process";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import {
  type ExpansionStats,
  installExpansionShortcuts,
} from "../src/federation/json-ld-expansion.ts";
import { freePort } from "../test/support/free-port.ts";
import { cpuSecondsOf, type Processes, startProcesses } from "./processes.ts";
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

export interface InboxOptions {
  notes: number;
  database: DatabaseKind;
  timeoutMs: number;
  /** Remote actors sending (one RSA key each), spread over `origins` loopback origins. */
  actors: number;
  origins: number;
  /** POSTs the sender keeps in flight. */
  concurrency: number;
  /**
   * A runs as the PostgreSQL deployment docker-compose.yml ships: a web process (ROLE=web,
   * this one) and a worker process (ROLE=worker, `node src/main.js`) on the same database.
   */
  workerProcess?: boolean;
}

export interface InboxResult {
  scenario: "inbox";
  options: InboxOptions;
  /** How A answered the timed POSTs, by status (202 expected). */
  statuses: Record<string, number>;
  /** From the first timed POST until the sender had every answer (accepted, queued). */
  acceptSeconds: number;
  /** From the first timed POST until A's `encounters` table holds every Note. */
  storeSeconds: number;
  notesPerSecond: number;
  stored: number;
  /** CPU time of A's processes (the receiver alone: the sender is another process) per Note. */
  cpuMsPerNote: number;
  cpuSeconds: number;
  /** Of cpuSeconds, what the worker process used (with `workerProcess`). */
  workerCpuSeconds?: number;
  /** The sender's CPU while sending (its signing was done before the clock started). */
  senderCpuSeconds: number;
  /**
   * Calls to jsonld.expand per Note in A's process, by how they were answered
   * (src/federation/json-ld-expansion.ts); the worker process's are not seen here.
   */
  expansionsPerNote: ExpansionStats;
  /** SQL statements A sent per stored Note (transactions' BEGIN/COMMIT not counted). */
  statementsPerNote: number;
  /** The statements per Note, by their first words, most frequent first (the top 30). */
  statementKinds: [string, number][];
  jobsOnA: JobCounts;
  peakRssMib: number;
  processPeakRssMib: number;
  problemsLogged: number;
}

interface SenderMessage {
  type: "ready" | "prepared" | "sent";
  actors?: string[];
  statuses?: Record<string, number>;
  seconds?: number;
  cpuSeconds?: number;
}

function startSender(options: InboxOptions): {
  child: ChildProcess;
  next: (type: SenderMessage["type"]) => Promise<SenderMessage>;
} {
  const child = fork(
    fileURLToPath(new URL("inbox-sender.ts", import.meta.url)),
    ["--actors", String(options.actors), "--origins", String(options.origins)],
    { stdio: ["ignore", "inherit", "inherit", "ipc"] },
  );
  const waiting: { type: string; resolve: (m: SenderMessage) => void }[] = [];
  child.on("message", (message: SenderMessage) => {
    const index = waiting.findIndex((w) => w.type === message.type);
    if (index >= 0) waiting.splice(index, 1)[0]?.resolve(message);
  });
  const next = (type: SenderMessage["type"]) =>
    new Promise<SenderMessage>((resolve, reject) => {
      waiting.push({ type, resolve });
      child.once("exit", (code) => reject(new Error(`the sender exited (${code})`)));
    });
  return { child, next };
}

const BENCH_POLL = "/* bench poll */";

/** A statement's kind: its first words, without the values. */
function kindOf(query: string): string {
  const words = query.replace(/\s+/g, " ").trim().split(" ");
  const verb = (words[0] ?? "").toLowerCase();
  // drizzle quotes the table it selects from; a subquery in the select list (unquoted, written
  // by hand) must not name the statement.
  const table =
    (verb === "select" ? /\bfrom\s+"([a-z_]+)"/i.exec(query)?.[1] : undefined) ??
    /\b(?:from|into|update)\s+"?([a-z_]+)"?/i.exec(query)?.[1] ??
    (verb === "update" ? words[1] : undefined);
  // A statement opening with a CTE is named by what it changes: `update queue_jobs (with)`.
  const main =
    verb === "with" ? /\)\s*(update|insert into|delete from)\s+"?([a-z_]+)/i.exec(query) : null;
  if (main) return `${(main[1] ?? "").split(" ")[0]?.toLowerCase()} ${main[2]} (with)`;
  return `${verb} ${table ?? ""}`.trim();
}

export async function runInbox(options: InboxOptions): Promise<InboxResult> {
  const { logger, problems } = countingLogger();
  let counting = false;
  // Counted by text while the clock runs, named by kind after it: the receiver's CPU is the
  // measure, so the counting itself must cost next to nothing.
  const statements = new Map<string, number>();
  // BENCH_TRACE_SQL=<regex>: print where each distinct matching statement comes from.
  const trace = process.env.BENCH_TRACE_SQL ? new RegExp(process.env.BENCH_TRACE_SQL) : null;
  const traced = new Set<string>();
  const onQuery = (query: string) => {
    if (!counting || query.includes(BENCH_POLL)) return;
    if (trace?.test(query)) {
      const stack = (new Error().stack ?? "").split("\n").slice(2, 40).join("\n");
      if (!traced.has(stack)) {
        traced.add(stack);
        process.stderr.write(`[inbox] ${query.slice(0, 160)}\n${stack}\n\n`);
      }
    }
    statements.set(query, (statements.get(query) ?? 0) + 1);
  };
  const sender = startSender(options);
  const ready = sender.next("ready");
  let a: BenchApp | undefined;
  let worker: Processes | undefined;
  try {
    a = await startApp(
      options.database,
      logger,
      { onQuery },
      options.workerProcess ? "web" : "all",
    );
    const app = a.app;
    if (options.workerProcess) {
      const config = a.config;
      if (config?.database.kind !== "postgres")
        throw new Error("--worker-process needs PostgreSQL");
      worker = await startProcesses("worker", [await freePort()], {
        dataDir: config.dataDir,
        databaseUrl: config.database.url,
        origin: a.origin,
      });
    }
    const workerPid = worker?.pids[0];
    const workerCpu = async () => (workerPid ? cpuSecondsOf(workerPid) : 0);
    await app.members.create({ username: "bea", password: "bea-password-123" });
    const bea = app.urls.actor("bea").href;
    const inbox = `${a.origin}/inbox`;
    await logQueueJobs(app.database);
    await ready;
    // The polling is the benchmark's, not the inbox's: not counted.
    const storedCount = async () => {
      const [row] = await app.database.rows<{ n: number }>(
        sql`select count(*)::int as n from encounters where not is_local ${sql.raw(BENCH_POLL)}`,
      );
      return row?.n ?? 0;
    };
    const sendAll = async (count: number) => {
      const prepared = sender.next("prepared");
      sender.child.send({ type: "prepare", inbox, mention: bea, count });
      await prepared;
      const sent = sender.next("sent");
      sender.child.send({ type: "send", concurrency: options.concurrency });
      return sent;
    };
    // Warm-up, not timed: each actor's first Note makes A fetch its key and its actor.
    const warm = await sendAll(options.actors);
    await until(async () => (await storedCount()) >= options.actors, "A to store the warm-up", {
      timeoutMs: options.timeoutMs,
      intervalMs: 100,
    });
    if ((warm.statuses?.["202"] ?? 0) !== options.actors) {
      throw new Error(`warm-up refused: ${JSON.stringify(warm.statuses)}`);
    }

    // Signed before the clock starts; then sent as fast as A answers.
    const prepared = sender.next("prepared");
    sender.child.send({ type: "prepare", inbox, mention: bea, count: options.notes });
    await prepared;
    const rss = sampleRss();
    const cpuBefore = process.cpuUsage();
    const workerCpuBefore = await workerCpu();
    const expansions = installExpansionShortcuts();
    const expansionsBefore = { ...expansions };
    counting = true;
    const markStart = process.hrtime.bigint() / 1000n;
    const start = performance.now();
    const sentPromise = sender.next("sent");
    sender.child.send({ type: "send", concurrency: options.concurrency });
    const sent = await sentPromise;
    const acceptSeconds = (performance.now() - start) / 1000;
    const total = options.actors + options.notes;
    await until(async () => (await storedCount()) >= total, "A to store every Note", {
      timeoutMs: options.timeoutMs,
      intervalMs: 50,
    });
    const storeSeconds = (performance.now() - start) / 1000;
    counting = false;
    const cpu = process.cpuUsage(cpuBefore);
    const workerCpuSeconds = (await workerCpu()) - workerCpuBefore;
    const perNote = (key: keyof ExpansionStats) =>
      Math.round(((expansions[key] - expansionsBefore[key]) / options.notes) * 100) / 100;
    const expansionsPerNote: ExpansionStats = {
      alreadyExpanded: perNote("alreadyExpanded"),
      cached: perNote("cached"),
      expanded: perNote("expanded"),
    };
    // The timed phase in the clock of a --cpu-prof profile (µs), to read that part alone.
    process.stderr.write(
      `[inbox] timed phase µs ${markStart} ${process.hrtime.bigint() / 1000n}\n`,
    );
    const peakRssMib = rss.stop();
    const stored = (await storedCount()) - options.actors;
    const cpuSeconds = (cpu.user + cpu.system) / 1e6 + workerCpuSeconds;
    const statementCount = [...statements.values()].reduce((sum, v) => sum + v, 0);
    const byKind = new Map<string, number>();
    for (const [query, count] of statements) {
      const kind = kindOf(query);
      byKind.set(kind, (byKind.get(kind) ?? 0) + count);
    }
    return {
      scenario: "inbox",
      options,
      statuses: sent.statuses ?? {},
      acceptSeconds,
      storeSeconds,
      notesPerSecond: options.notes / storeSeconds,
      stored,
      cpuMsPerNote: (cpuSeconds * 1000) / options.notes,
      cpuSeconds,
      ...(worker ? { workerCpuSeconds } : {}),
      senderCpuSeconds: sent.cpuSeconds ?? 0,
      expansionsPerNote,
      statementsPerNote: statementCount / options.notes,
      statementKinds: [...byKind.entries()]
        .sort((x, y) => y[1] - x[1])
        .slice(0, 30)
        .map(([kind, count]) => [kind, Math.round((count / options.notes) * 100) / 100]),
      jobsOnA: await jobCounts(app.database),
      peakRssMib,
      processPeakRssMib: processPeakRssMib(),
      problemsLogged: problems(),
    };
  } finally {
    sender.child.send({ type: "stop" });
    await worker?.stop();
    await a?.close();
  }
}

if (import.meta.main) {
  const timeoutMs = Number(argument("timeout-ms", "150000"));
  runScenarioMain(timeoutMs + 60_000, () =>
    runInbox({
      notes: Number(argument("notes", "600")),
      database: argument("database", "pglite") as DatabaseKind,
      timeoutMs,
      actors: Number(argument("actors", "50")),
      origins: Number(argument("origins", "5")),
      concurrency: Number(argument("concurrency", "16")),
      workerProcess: process.argv.includes("--worker-process"),
    }),
  );
}
