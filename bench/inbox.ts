/**
 * Incoming throughput: instance B's member antoine sends `notes` signed
 * Create(Note) tagged #Socialdapres naming bea on instance A, over real HTTP
 * with real signatures; we time until A has stored them all.
 * Run alone: node bench/inbox.ts --notes 300 --database pglite
 */
import { performance } from "node:perf_hooks";
import { Create, Hashtag, Mention, Note, PUBLIC_COLLECTION } from "@fedify/vocab";
import { Temporal } from "@js-temporal/polyfill";
import { sql } from "drizzle-orm";
import { actorRowToRecipient } from "../src/federation/recipients.ts";
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
}

export interface InboxResult {
  scenario: "inbox";
  options: InboxOptions;
  /** Time for B to enqueue all the Creates (signing and delivery happen later, in B's worker). */
  enqueueSeconds: number;
  /** From the first send until A has stored every Note. */
  storeSeconds: number;
  notesPerSecond: number;
  stored: number;
  /** Jobs on A: one "inbox" job per activity received. */
  jobsOnA: JobCounts;
  /** Jobs on B: one "outbox" job per activity sent (one recipient each: no fan-out job). */
  jobsOnB: JobCounts;
  cpuSeconds: number;
  peakRssMib: number;
  processPeakRssMib: number;
  problemsLogged: number;
}

const instant = (epochMs: number) =>
  Temporal.Instant.fromEpochMilliseconds(epochMs) as unknown as globalThis.Temporal.Instant;

async function storedCount(a: BenchApp): Promise<number> {
  const [row] = await a.app.database.rows<{ n: number }>(
    sql`select count(*)::int as n from encounters where not is_local`,
  );
  return row?.n ?? 0;
}

export async function runInbox(options: InboxOptions): Promise<InboxResult> {
  const { logger, problems } = countingLogger();
  const started: BenchApp[] = [];
  try {
    // One after the other: on PGlite, two initdb at once only compete for the same two cores.
    const a = await startApp(options.database, logger);
    started.push(a);
    const b = await startApp(options.database, logger);
    started.push(b);
    await a.app.members.create({ username: "bea", password: "bea-password-123" });
    await b.app.members.create({ username: "antoine", password: "antoine-password-12" });
    const beaIri = a.app.urls.actor("bea");
    const antoineIri = b.app.urls.actor("antoine");
    // B learns bea's actor (and her inbox) as it would before writing to her.
    const beaOnB = await b.app.actors.upsertRemote(
      await b.app.remoteLookup.lookupActor(beaIri.href),
    );
    const recipient = actorRowToRecipient(beaOnB);
    await logQueueJobs(a.app.database);
    await logQueueJobs(b.app.database);

    const ctx = b.app.federation.createContext(b.app.urls.origin, undefined);
    const rss = sampleRss();
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    for (let i = 0; i < options.notes; i++) {
      const id = new URL(`${antoineIri.href}/notes/bench-${i}`);
      const note = new Note({
        id,
        attribution: antoineIri,
        content: `<p>Crossed paths with <span class="h-card"><a href="${beaIri.href}" class="u-url mention">@<span>bea</span></a></span> #Socialdapres #BrightMirror (${i})</p>`,
        tags: [
          new Hashtag({ name: "#Socialdapres", href: new URL("/tags/socialdapres", b.origin) }),
          new Hashtag({ name: "#BrightMirror", href: new URL("/tags/brightmirror", b.origin) }),
          new Mention({ href: beaIri, name: `@bea@${beaIri.host}` }),
        ],
        to: PUBLIC_COLLECTION,
        ccs: [new URL(`${antoineIri.href}/followers`), beaIri],
        published: instant(Date.now()),
      });
      const create = new Create({
        id: b.app.urls.newActivity("create"),
        actor: antoineIri,
        object: note,
        to: PUBLIC_COLLECTION,
        ccs: [beaIri],
      });
      await ctx.sendActivity({ identifier: "antoine" }, recipient, create);
    }
    const enqueueSeconds = (performance.now() - start) / 1000;
    await until(async () => (await storedCount(a)) >= options.notes, "A to store every Note", {
      timeoutMs: options.timeoutMs,
      intervalMs: 50,
    });
    const storeSeconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const peakRssMib = rss.stop();
    // Storing is the listener's last step; let A's worker delete the jobs before counting.
    await until(
      async () => {
        const [row] = await a.app.database.rows<{ n: number }>(
          sql`select count(*)::int as n from queue_jobs`,
        );
        return row?.n === 0;
      },
      "A's queue to be empty",
      { timeoutMs: 10_000 },
    );
    return {
      scenario: "inbox",
      options,
      enqueueSeconds,
      storeSeconds,
      notesPerSecond: options.notes / storeSeconds,
      stored: await storedCount(a),
      jobsOnA: await jobCounts(a.app.database),
      jobsOnB: await jobCounts(b.app.database),
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      peakRssMib,
      processPeakRssMib: processPeakRssMib(),
      problemsLogged: problems(),
    };
  } finally {
    for (const bench of started.reverse()) await bench.close();
  }
}

if (import.meta.main) {
  const timeoutMs = Number(argument("timeout-ms", "150000"));
  runScenarioMain(timeoutMs + 60_000, () =>
    runInbox({
      notes: Number(argument("notes", "300")),
      database: argument("database", "pglite") as DatabaseKind,
      timeoutMs,
    }),
  );
}
