import { failureLines, type Outcome, ofScenario } from "./outcome.ts";
import { n, signed, table } from "./report-format.ts";
import { SOAK_PLAN } from "./soak.ts";

const isReadPath = ofScenario("read-path");
const isSoak = ofScenario("soak");
const isFootprint = ofScenario("footprint");

/** The runs of a scenario, told by the start of its name. */
const failures = (outcomes: Outcome[], name: string) =>
  failureLines(outcomes, (o) => o.name.startsWith(name));

/** Targets of issue 14: share of the bare route, and p99 by database. */
const TARGET_SHARE: Record<string, number> = {
  "actor JSON": 30,
  "Note JSON": 30,
  WebFinger: 30,
};
const HTML_SHARE = 10;
const P99_MS = { pglite: 200, postgres: 50 };

export function readPathTable(outcomes: Outcome[]): string {
  const rows = outcomes.filter(isReadPath).flatMap(({ database, result }) =>
    result.rows.map((r) => {
      const share = TARGET_SHARE[r.name] ?? HTML_SHARE;
      const met = r.ratioPercent >= share && r.app.p99 <= P99_MS[database] && r.app.failed === 0;
      return [
        r.name,
        database,
        n(r.bytes),
        n(r.app.requestsPerSecond),
        n(r.bare.requestsPerSecond),
        `**${n(r.ratioPercent, 1)} %** (≥ ${share} %)`,
        `${n(r.app.p50)} / ${n(r.app.p99)} (≤ ${P99_MS[database]})`,
        `${n(r.bare.p50)} / ${n(r.bare.p99)}`,
        n(r.app.failed),
        met ? "met" : "**not met**",
        n(r.load, 1),
      ];
    }),
  );
  const header = [
    "request",
    "database",
    "bytes",
    "instance req/s",
    "bare route req/s",
    "share of the bare route",
    "instance p50 / p99 ms",
    "bare p50 / p99 ms",
    "failed",
    "target",
    "load",
  ];
  return [table(header, rows), ...failures(outcomes, "read path")].join("\n");
}

export function soakTable(outcomes: Outcome[]): string {
  const rows = outcomes
    .filter(isSoak)
    .map(({ database, load, result: r }) => [
      database,
      `${n(r.requests)}${r.stoppedEarly ? ` (stopped: ${r.stoppedEarly})` : ""}`,
      n(r.failedRequests),
      n(r.seconds),
      n(r.requestsPerSecond),
      `${n(r.start.rssMib)} / ${n(r.afterWarmup.rssMib)} / ${n(r.end.rssMib)}`,
      `**${signed(r.growthPercent)}** (within ±10 %: ${Math.abs(r.growthPercent) <= 10 ? "met" : "**not met**"})`,
      r.samples.map((x) => n(x.rssMib)).join(" → "),
      `${n(r.afterWarmup.heapUsedMib)} → ${n(r.end.heapUsedMib)}`,
      n(load, 1),
    ]);
  const header = [
    "database",
    "requests",
    "failed",
    "seconds",
    "requests/s",
    "server RSS MiB: start / after warm-up / end",
    "growth after warm-up",
    "every sample, MiB",
    "JS heap used MiB",
    "load",
  ];
  return [table(header, rows), ...failures(outcomes, "soak")].join("\n");
}

const IDLE_RSS_MIB = { pglite: 350, postgres: 200 };
const COLD_START_SECONDS = 2;

export function footprintTable(outcomes: Outcome[]): string {
  const rows = outcomes
    .filter(isFootprint)
    .flatMap(({ database, load, result: r }) =>
      r.starts.map((s) => [
        database,
        s.kind,
        `**${n(s.readySeconds, 2)}**${s.kind === "existing data directory" ? ` (≤ ${COLD_START_SECONDS})` : ""}`,
        `**${n(s.idleRssMib)}** (≤ ${IDLE_RSS_MIB[database]})`,
        s.idleRssAfterRequestsMib === undefined ? "–" : n(s.idleRssAfterRequestsMib),
        n(load, 1),
      ]),
    );
  const header = [
    "database",
    "start",
    "spawn → /readyz s",
    "idle RSS MiB",
    "idle RSS after 200 requests MiB",
    "load",
  ];
  return [table(header, rows), ...failures(outcomes, "start-up")].join("\n");
}

/** What bench/run.ts prints. */
export function readPathTables(outcomes: Outcome[]): string {
  return [readPathTable(outcomes), soakTable(outcomes), footprintTable(outcomes)].join("\n\n");
}

/** The section of docs/BENCHMARKS.md. */
export function readPathSection(outcomes: Outcome[]): string {
  return `## The read path against a bare Fastify route (\`bench/read-path.ts\`)

${readPathTable(outcomes)}

How it is set up: the server runs in a child process (\`bench/read-path-server.ts\`): one instance
built with \`buildApp\` (role \`all\`) on a fresh database, with bea, antoine and 40 public
encounters by bea, and — in the **same process** — a bare Fastify server with one route per path
that answers the very bytes the instance answered (same body, same content type, no hooks).
The client (this process) runs autocannon with 50 connections: for each request, 2 s of
warm-up on the instance, 5 s measured on the instance, then 1 s of warm-up and 5 s measured on
the bare route. The **share** is the instance's requests per second ÷ the bare route's, in the
same run, so that the machine's load weighs on both; the **load** is the 1-minute load average
after each row. Targets (issue 14): actor, Note and WebFinger ≥ 30 %, pages ≥ 10 %, p99 ≤ 50 ms
on PostgreSQL and ≤ 200 ms on PGlite. The JSON requests ask with
\`Accept: application/activity+json\` (WebFinger with \`application/jrd+json\`); the pages with
\`Accept: text/html\` and \`Accept-Language: fr\`, as a visitor, without compression.

What makes the JSON and the pages fast: the documents, and the public pages as a visitor without a
session gets them, are kept per process and checked against the database's document generation
(docs/ARCHITECTURE.md, "Kept ActivityPub documents" and "Kept visitor pages"); a kept answer costs
one indexed query on PostgreSQL, shared by the requests that arrive together, and none on PGlite.
A kept page is sent as it was rendered, its visitor's form token put in (the profile's
remote-follow form), compressed per answer when asked.

## Soak: ${n(SOAK_PLAN.requests)} mixed requests (\`bench/soak.ts\`)

${soakTable(outcomes)}

How it is set up: \`bench/memory.ts\`'s server (\`bench/memory-server.ts\`, a child process started
with \`--expose-gc\`, 100 local and 20 remote public encounters), loaded by ${SOAK_PLAN.concurrency} requests in flight:
one page in every ${SOAK_PLAN.pageEvery} (\`/tags/socialdapres\`, \`/@bea\`, a permalink, \`/tags/BrightMirror\`, in French
and English by turns), otherwise bea's and antoine's actors, a Note and WebFinger. Its RSS is taken
after a full garbage collection before the first request, after the warm-up (${n(SOAK_PLAN.warmup)} requests) and
every ${n(SOAK_PLAN.sampleEvery)} requests. Target: flat within 10 % after the warm-up.

## Start-up and idle memory (\`bench/footprint.ts\`)

${footprintTable(outcomes)}

How it is set up: Node with the arguments of \`npm start\`'s script (read from \`package.json\`:
\`node --max-semi-space-size=16 src/main.js\`, also the Docker image's \`CMD\`), Node itself as the
process, spawned with \`ROLE=all\` and \`LOG_LEVEL=warn\`, timed from the spawn to the first
200 of \`/readyz\` (polled every 20 ms). On PGlite it starts once on a new data directory (the
embedded database is created and migrated), is stopped with SIGTERM, and starts again on the
existing directory: the **cold start** (target ≤ ${COLD_START_SECONDS} s). On PostgreSQL it starts on a fresh database,
then again on the migrated one. The **idle RSS** is the process's \`VmRSS\` after 5 s without
requests (targets: ≤ ${IDLE_RSS_MIB.postgres} MB on PostgreSQL, ≤ ${IDLE_RSS_MIB.pglite} MB on PGlite, whose database lives in the process), and again
5 s after 200 requests (home, #Socialdapres, about, log-in, the instance actor).

What holds the memory (measured on the existing directory and the migrated database, with
\`process.memoryUsage()\`, \`/proc/<pid>/smaps\` and a heap snapshot of the idle server). Before the
young generation was capped, 128 MB of the V8 heap was new space (two 64 MB semi-spaces that
start-up's allocations had grown and that stay committed, mostly garbage): 320 MiB idle on
PostgreSQL, ~450–475 MiB on PGlite. With \`--max-semi-space-size=16\` it is 32 MB, and an idle
server holds roughly what follows. Start-up also left 20–40 MB of garbage that V8 never collected
once nothing allocated, so the idle figure depended on when the last collection had run (177–218 MiB
on PostgreSQL from one start to the next); the server now runs one memory-reducing collection a
second after it is ready (\`src/shared/start-up-garbage.ts\`), which also gives back the young
generation: 168–172 MiB.
- the V8 heap, ~60–75 MB committed once collected: new space, 40–45 MB old space, of which ~25 MB are the
  sources of the loaded modules (Fedify's vocabulary 2.5 MB, the app's 318 files 2.5 MB, undici,
  zod, jsonld, pkijs…) and the rest their compiled code, shapes and closures; the AWS SDK is no
  longer among them (loaded on the first S3 access);
- Node's own binary, ~55–60 MB of file-backed pages, and glibc's heap, ~35 MB;
- on PGlite only, ~140–160 MB more: the WebAssembly memory of its PostgreSQL (128 MB reserved —
  the module's declared minimum, \`initialMemory\` cannot go lower —, ~48 MB touched, the shared buffers
  among them: 16 MB, 25 MiB less idle RSS than 32 MB in alternated runs), pglite.wasm's bytes and the FS image (~15 MB), and ~55 MB of
  glibc arenas left fragmented by V8's optimizing compilation of PGlite's hot functions at start
  (V8 reports a 580–620 MB peak of \`malloc\`ed compiler memory; \`--liftoff-only\` removes both the
  peak and ~55 MB of idle RSS but runs PostgreSQL's code unoptimized, so it is not used;
  \`MALLOC_ARENA_MAX=2\` did not help);
- Node's TypeScript stripper (amaro and its wasm, ~17 MB, ~80 ms at start): the compile cache
  keeps stripped modules between starts, and the entry \`src/main.js\` is plain JavaScript so that
  it turns the cache on before anything is stripped: the stripper is loaded only when a module changed.`;
}
