/** Renders benchmark outcomes as the tables printed by bench/run.ts and docs/BENCHMARKS.md. */

import type { FanoutResult } from "./fanout.ts";
import type { InboxResult } from "./inbox.ts";
import { failureLines, type Outcome, ofScenario } from "./outcome.ts";
import { n, signed, table } from "./report-format.ts";
import { readPathSection } from "./report-read-path.ts";
import { targetsSection } from "./report-targets.ts";

export interface ReportInput {
  date: Date;
  machine: {
    cpu: string;
    memoryGib: number;
    node: string;
    databases: string[];
    /** The load averages (1, 5, 15 min) when the run began and when it ended. */
    load?: { start: number[]; end: number[] };
  };
  totalSeconds: number;
  outcomes: Outcome[];
}

const isFanout = ofScenario("fanout");
const isInbox = ofScenario("inbox");
const isMemory = ofScenario("memory");

const expectedPosts = (r: FanoutResult) =>
  r.options.sharedInbox ? r.options.servers : r.options.followers;

/** The runs of a scenario, told by an argument only it takes. */
const failures = (outcomes: Outcome[], argument: string) =>
  failureLines(outcomes, (o) => o.args.join(" ").includes(argument));

export function fanoutTable(outcomes: Outcome[]): string {
  const rows = outcomes.filter(isFanout).map(({ name, database, load, result: r }) => [
    name,
    database,
    `${n(r.posts)} (expected ${n(expectedPosts(r))})`,
    `${n(r.sharedInboxPosts)} / ${n(r.personalInboxPosts)} / ${n(r.nonPostRequests)}`,
    Object.entries(r.jobs.created)
      .map(([type, count]) => `${n(count)} ${type}`)
      .join(" + "),
    n(r.createMs),
    r.firstRequestMs === null ? "–" : n(r.firstRequestMs / 1000, 2),
    n(r.drainSeconds, 1),
    n(r.postsPerSecond),
    n(r.cpuSeconds, 1),
    n(r.bodyBytes.max),
    `${n(r.peakRssMib)} / ${n(r.processPeakRssMib)}`,
    n(load, 1),
  ]);
  const header = [
    "scenario",
    "database",
    "POSTs received",
    "shared inbox / personal inbox / other requests",
    "Fedify jobs created",
    "`create()` ms",
    "first POST s",
    "queue empty s",
    "POSTs/s",
    "CPU s",
    "body bytes",
    "peak RSS MiB (delivery / process)",
    "load",
  ];
  return [table(header, rows), ...failures(outcomes, "--followers")].join("\n");
}

export function inboxTable(outcomes: Outcome[]): string {
  const rows = outcomes
    .filter(isInbox)
    .map(({ database, load, result: r }) => [
      database,
      n(r.options.notes),
      statusesOf(r.statuses),
      n(r.stored),
      n(r.acceptSeconds, 1),
      n(r.storeSeconds, 1),
      `**${n(r.notesPerSecond, 1)}**`,
      n(r.cpuMsPerNote, 1),
      n(r.statementsPerNote, 1),
      expansionsOf(r.expansionsPerNote),
      n(r.senderCpuSeconds, 1),
      `${n(r.peakRssMib)} / ${n(r.processPeakRssMib)}`,
      n(load, 1),
    ]);
  const header = [
    "database",
    "Creates sent",
    "answers",
    "stored",
    "all accepted s",
    "all stored s",
    "notes/s",
    "receiver CPU ms per note",
    "SQL statements per note",
    "JSON-LD expansions per note: run / copied / cached",
    "sender CPU s",
    "peak RSS MiB (run / process)",
    "load",
  ];
  return [table(header, rows), ...failures(outcomes, "--notes")].join("\n");
}

const expansionsOf = (e: InboxResult["expansionsPerNote"] | undefined) =>
  e ? `${n(e.expanded, 1)} / ${n(e.alreadyExpanded, 1)} / ${n(e.cached, 1)}` : "–";

const statusesOf = (statuses: Record<string, number>) =>
  Object.entries(statuses)
    .map(([status, count]) => `${n(count)} × ${status}`)
    .join(", ");

/** The incoming scenario's section of docs/BENCHMARKS.md: its table and its method. */
export function inboxSection(outcomes: Outcome[]): string {
  const kinds = outcomes
    .filter(isInbox)
    .map(
      ({ database, result: r }) =>
        `- ${database}, statements per Note by kind: ${r.statementKinds
          .map(([kind, count]) => `${kind} ${n(count, 2)}`)
          .join(", ")}.`,
    );
  return `## Incoming: Create(Note) naming a member (\`bench/inbox.ts\`)

${inboxTable(outcomes)}
${kinds.length > 0 ? `\n${kinds.join("\n")}\n` : ""}
How it is set up: instance A (\`buildApp\`, role \`all\`, a fresh database) with the member
\`bea\`, and **the remote servers in a process of their own** (\`bench/inbox-sender.ts\`,
started with \`fork\`): 5 loopback origins serving 50 Mastodon-shaped actors (one RSA key
each, a shared inbox). Each sends \`Create(Note)\` bodies shaped as Mastodon 4 sends a public
post (its JSON-LD context, \`atomUri\`, \`conversation\`, \`contentMap\`, \`replies\`, a
\`Mention\` of bea and the hashtags \`#Socialdapres\` and \`#BrightMirror\`), with a Linked
Data signature (\`RsaSignature2017\`) in the body and a draft-cavage HTTP signature, to A's
shared inbox \`/inbox\`, 16 POSTs in flight. A verifies each, answers 202 and queues it; A's
worker stores it as a remote encounter and notifies bea.

- **Warm-up, not timed**: each actor sends one Note first, so A has fetched and cached every
  key and stored every actor before the clock starts.
- Every request is **signed before the clock starts** (the sender's CPU during the timed
  part is the "sender CPU s" column): what is measured is A.
- **all accepted s**: until the sender had A's answer to every POST; **all stored s**,
  **notes/s**: until A's \`encounters\` table holds every Note (polled every 50 ms).
- **receiver CPU ms per note**: A's process CPU time (\`process.cpuUsage\`, user + system,
  its thread pool included) over the timed part, divided by the Notes. PostgreSQL's own CPU
  is not in it; PGlite's is (it runs inside A). It depends much less on the machine's load
  than notes/s does: on this shared 2-core machine, notes/s is bounded by the CPU A gets.
- **JSON-LD expansions per note**: calls to \`jsonld.expand\` in A's process during the
  timed part, per Note: run through the algorithm / answered with a copy of an input already
  expanded / answered from the cache (\`src/federation/json-ld-expansion.ts\`).
- **SQL statements per note**: every statement A's code sent through drizzle during the
  timed part (\`BuildAppOptions.onQuery\`), without the benchmark's own polling; the
  \`BEGIN\`/\`COMMIT\` of transactions are not seen there.
- Profile: \`npx node --cpu-prof bench/inbox.ts\` writes one profile per process; the
  scenario prints the timed part's bounds in the profile's clock (\`[inbox] timed phase µs\`).

**Before the changes of issue 14** (commit \`169734a\`, the same script, 400 Notes, measured
by hand on 2026-11-30 on the shared 2-core machine): on PGlite **36.9 ms** of receiver CPU and
**24.0** statements per Note (8.5 Notes/s at a load of 19), on PostgreSQL 15 **18.0 ms** and
**22.0** statements (19.9 Notes/s at a load of 15). Fedify verified each body's Linked Data
signature (JSON-LD compaction and RDF canonicalization: about half of the accept path's CPU
in the profile) and never the HTTP signature; the instance actor's key pairs were read and
imported at the request and again in the worker; the remote encounters service read the
actors one by one (5 statements); the queue claimed one job per statement, about 3 claims per
job on PGlite. Now the actor's own HTTP signature is what Fedify verifies
(\`docs/SECURITY.md\`), the instance key is imported once, the author and the actors named
are read in one statement, and a claim takes a job per free slot.

**Fewer statements per activity** (measured by hand on 2026-11-30, 600 Notes, alternating
with the previous commit on the shared machine at a load of 7 to 11): on PostgreSQL
**15.8 → 11.7** statements and **9.2–11.7 → 7.8–8.6 ms** of receiver CPU per Note; on PGlite
**15.5 → 11.4** statements and 14.2 → 13.7 ms. Fedify 2.3.6's request-side duplicate check
reads, when a queue is set, a record (by inbox) that only its queue-less path writes: it is
switched off (\`withIdempotency(() => null)\`), the worker keeping its own check. The worker's
record of a processed activity is written in the statement that deletes its job (a
data-modifying CTE), and a job that queued nothing completes in that one statement instead of
a transaction (\`BEGIN\`, delete, \`COMMIT\`). The ingestion hands the author it holds to the
notification filter and to \`notifyNamed\` instead of reading it twice. Left in the receiver's
profile (PostgreSQL): JSON-LD expansion, about 12% of the samples — Fedify parses each activity
three times (at the request in \`verifyObject\`, looking for integrity proofs, then again once
the HTTP signature verified; in the worker a third time), and each \`Activity.fromJsonLd\`
expands the body twice (to find its type, then in \`Create\`); the socket writes to PostgreSQL,
about 14% (one per statement, transactions' \`BEGIN\`/\`COMMIT\` included); the public key
parsed and imported for every request (Fedify's key cache keeps no object in memory; the row it
reads is kept by the process for 30 s since, one statement less: \`docs/SECURITY.md\`); HTML
sanitizing, 2%.

**Fewer round trips, contexts kept** (measured by hand on 2026-11-30 on a slower 2-core
machine, Intel Xeon at 2.3 GHz, 600 Notes, PostgreSQL): from **85 to 95–106** Notes/s and from
**11.4 to 8.8–10.0 ms** of receiver CPU per Note. A received Note's encounter and its
participants are written by one statement (a data-modifying CTE) instead of a transaction of
two inserts: \`BEGIN\`, insert, insert, \`COMMIT\` become one round trip (85 → 101/s alone).
The naming notifications are one insert that selects who may hear from the author, instead
of a read then an insert. The JSON-LD contexts Fedify ships are answered as one document each,
tagged \`static\`, so jsonld keeps them resolved and processed across expansions instead of
processing them again at each of the four expansions per Note (about 3% of the samples). What
is left: the socket writes, about 15% (a round trip per statement); JSON-LD expansion, about
20% (Fedify's three parses of each activity and one of the signer's key).

**Expansions answered without the algorithm** (measured by hand on 2026-11-30 on another
Intel Xeon 2-core machine, slower again: the unchanged code received 67–72 Notes/s on
PostgreSQL and 45 on PGlite there, 10.9–13.4 and 23.2 ms of receiver CPU per Note): Fedify
2.3.6 called \`jsonld.expand\` **65 times per Note** (counted): each of its three parses
expands the sender's JSON once per class it passes (\`Activity\`, then \`Create\`), and
expands again every part it already expanded (the Note, each hashtag and mention, the replies
collection) as it hands it to the class that reads it. \`src/federation/json-ld-expansion.ts\`
answers an input already in strict expanded form with a copy (expanded form is a fixed point
of expansion; checked on the input itself, never trusted from where it came from) and the same
JSON expanded with the same options and only static contexts from a bounded cache; the
algorithm now runs about twice per Note (the \`expansions per note\` of the result). After:
**74–93** Notes/s on PostgreSQL and **61.5** on PGlite, 9.8–11.1 and 18.7 ms per Note. The
same code as docker-compose.yml runs it on PostgreSQL, a web process and a worker process
(\`node bench/inbox.ts --database postgres --worker-process\`): 83–100 Notes/s, 10.6–12.8 ms
per Note across both — on 2 cores that the sender and PostgreSQL share, a second process
finds little idle CPU (docs/SCALING.md).

**Fewer statements, one round trip each** (measured by hand on 2026-11-30 on a 2-core Intel
Xeon at 2.3 GHz, 600 Notes, three pairs alternated with commit \`0729142\` on PostgreSQL):
from **107–139 to 136–150** Notes/s and from **6.6–8.4 to 6.2–6.8 ms** of receiver CPU per
Note, **6.7 → 4.5** statements (on PGlite 6.6 → 4.1). A job enqueued in a process whose
listener has a free slot (an activity received by a \`ROLE=all\` process) is inserted already
leased and run at once: no claim, and no wait for the listener to wake. The statement that
claims a job, or inserts it to run at once, also reads Fedify's record that its activity was
processed, the first thing Fedify's worker asks (\`prefetch\`). The actors named are read with
whether the author is in any block, so naming needs no block check when it is in none. Drizzle
prepares no statement, and postgres.js then sends each statement with parameters in two round
trips (describe it, then bind and execute); a statement is now prepared from its second run
(\`src/db/prepared-statements.ts\`), with a custom plan at each run. The receiver's profile
still shows about 15 % of its samples in socket writes to PostgreSQL: on 2 cores shared with
PostgreSQL, that is mostly the database running the statement on the core the receiver was
on. The figures of one machine moved by a quarter from one run to the next this evening
(the unchanged code gave 107, 139 and 113 Notes/s in a row).`;
}

export function memoryTable(outcomes: Outcome[]): string {
  const rows = outcomes
    .filter(isMemory)
    .map(({ database, load, result: r }) => [
      database,
      `${n(r.requests)}${r.stoppedEarly ? ` (stopped: ${r.stoppedEarly})` : ""}`,
      n(r.failedRequests),
      n(r.seconds),
      n(r.requestsPerSecond),
      `${n(r.start.rssMib)} / ${n(r.afterWarmup.rssMib)} / ${n(r.end.rssMib)}`,
      n(r.peak.rssMib),
      `**${signed(r.growthPercent)}**`,
      signed(r.growthFromStartPercent),
      `${n(r.start.heapUsedMib)} / ${n(r.start.heapTotalMib)} → ${n(r.end.heapUsedMib)} / ${n(r.end.heapTotalMib)}`,
      n(load, 1),
    ]);
  const header = [
    "database",
    "requests",
    "failed",
    "seconds",
    "requests/s",
    "server RSS MiB: start / after warm-up / end",
    "peak RSS MiB",
    "growth after warm-up",
    "growth from start",
    "JS heap MiB, used / total: start → end",
    "load",
  ];
  return [table(header, rows), ...failures(outcomes, "--requests")].join("\n");
}

/** Every sample of each memory run: RSS as the requests went by. */
function memorySeries(outcomes: Outcome[]): string {
  return outcomes
    .filter(isMemory)
    .map(
      ({ database, result: r }) =>
        `- ${database}, server RSS MiB after ${r.samples.map((x) => `${n(x.requests)} requests: ${n(x.rssMib)}`).join("; ")}.`,
    )
    .join("\n");
}

/** What the figures say about the shared-inbox promise, per database. */
function verdicts(outcomes: Outcome[]): string[] {
  return outcomes
    .filter(isFanout)
    .filter(({ result: r }) => r.options.sharedInbox)
    .map(({ name, database, result: r }) => {
      const outbox = r.jobs.created.outbox ?? 0;
      const holds =
        r.posts === r.options.servers && r.personalInboxPosts === 0 && r.maxPostsPerPath === 1;
      return `- ${name} (${database}): ${n(r.options.followers)} followers → **${n(r.posts)} POSTs**, one per shared inbox (${n(r.distinctPaths)} distinct paths, at most ${r.maxPostsPerPath} per path), from 1 fan-out job and ${n(outbox)} delivery jobs: ${holds ? "the promise holds" : "**the promise does not hold**"}.`;
    });
}

/** Deliveries per second as the queue gets longer, per database (rows with distinct origins). */
function queueLengthNote(outcomes: Outcome[]): string {
  const byDatabase = new Map<string, string[]>();
  for (const { database, result: r } of outcomes.filter(isFanout)) {
    if (r.options.origins !== "each") continue;
    const jobs = `${n(r.jobs.created.outbox ?? 0)} jobs at ${n(r.postsPerSecond)} POSTs/s`;
    byDatabase.set(database, [...(byDatabase.get(database) ?? []), jobs]);
  }
  const parts = [...byDatabase].map(([database, runs]) => `on ${database}, ${runs.join(" and ")}`);
  return parts.length > 0 ? ` This run: ${parts.join("; ")}.` : "";
}

/** What bench/run.ts asks of bench/memory.ts, for the text when no memory run is in the report. */
const MEMORY_PLAN = {
  localEncounters: 300,
  remoteEncounters: 60,
  concurrency: 4,
  warmup: 2000,
  sampleEvery: 2000,
  maxRssMib: 3072,
};

export function renderReport(input: ReportInput): string {
  const { machine, outcomes } = input;
  const memory = outcomes.find(isMemory)?.result.options ?? MEMORY_PLAN;
  return `# Benchmarks

Written by \`npm run bench\` (\`bench/run.ts\`) on ${input.date.toISOString().slice(0, 16).replace("T", " ")} UTC;
every run rewrites this file. Performance is measured here, never in timed unit tests.
The whole run took ${n(input.totalSeconds)} s.

## Machine

- CPU: ${machine.cpu}; memory: ${n(machine.memoryGib, 1)} GiB; Node ${machine.node}
- Databases: ${machine.databases.join("; ")}
${
  machine.load
    ? `- Load average (1, 5, 15 min): ${machine.load.start.map((x) => n(x, 2)).join(", ")} at the start, ${machine.load.end.map((x) => n(x, 2)).join(", ")} at the end
`
    : ""
}- The machine is shared with other work: the **load** column is the 1-minute load average
  just before each scenario. With a load above the number of cores, every figure here is
  slower than the same code on an idle machine.

${targetsSection(outcomes)}

## Outgoing: one encounter to many followers (\`bench/fanout.ts\`)

DESIGN.md promises: "10,000 followers on 500 servers cost 500 requests, not 10,000".

${verdicts(outcomes).join("\n")}

${fanoutTable(outcomes)}

How it is set up: one instance built with \`buildApp\` (role \`all\`, \`allowPrivateAddress\`,
origin \`http://127.0.0.1:<free port>\`, listening, queue consumed in the same process) on a
fresh database; member \`bea\`. One loopback \`node:http\` receiver stands for all the remote
servers: fake server \`n\` is the path prefix \`/s/<n>/\`, its actors have the personal inbox
\`/s/<n>/users/u<k>/inbox\` and the shared inbox \`/s/<n>/inbox\`. The remote actors and their
accepted follows of bea are inserted straight into \`actors\` and \`follows\` (batches of 1,000),
evenly spread over the servers. Then \`app.encounters.create("bea", …)\` posts one public
encounter whose only participant is a plain name, so its followers are its only audience.

What the columns mean:

- **POSTs received**: POSTs the receiver got, split by path into shared and personal
  inboxes; **other requests** (GETs) are expected to be 0: delivering fetches nothing.
- **Fedify jobs created**: rows inserted into \`queue_jobs\`, counted by a trigger on the
  throw-away benchmark database (so none is missed however fast the worker deletes it).
  Fedify sends to 5 inboxes or more through one \`fanout\` job, which expands into one
  \`outbox\` job per inbox; each \`outbox\` job is one signed POST.
- **\`create()\` ms**: the call itself: store the encounter, load every follower, build and
  sign the \`Create\` and enqueue the fan-out job.
- **first POST s**, **queue empty s**: from the call to \`create()\` until the receiver got
  its first POST, and until \`queue_jobs\` was empty (polled every 100 ms).
- **POSTs/s**: POSTs ÷ "queue empty" time. **CPU s**: CPU time of the benchmark process
  (the app, the receiver and, on PGlite, the database itself) over the same time; the
  PostgreSQL server's own CPU is not counted.
- **body bytes**: size of one delivered \`Create\` (all are the same).
- **peak RSS**: sampled every 50 ms while delivering / the process's peak since it started
  (setup included: on PGlite, creating and migrating the embedded database dominates it, and
  the database lives inside the process).

What they do not say:

- The receiver answers 202 at once and **does not verify signatures** (it only counts; the
  federation tests verify them, e.g. \`test/federation/follows-between-instances.test.ts\`).
  Real servers answer after checking the signature, over TLS, across a network: each
  request takes longer, and the delivery rate is then bounded by their latency and the
  queue's concurrency (4 jobs at once per worker, \`src/federation/message-queue.ts\`), not
  by this machine's CPU. No request fails here, so no retry is measured.
- **One origin for every fake server.** Fedify gives each delivery job the ordering key
  "Note id + inbox origin", and the queue runs one job per key at a time. With one receiver,
  every fake server shares one origin, so the rows without "origins" deliver strictly one
  after the other. The "500 origins" row serves the same handler on one loopback port per
  fake server, as real servers have distinct origins, so up to 4 deliveries can overlap.
- **The queue's length matters.** Claiming a job checks every ready job against the other
  jobs of its ordering key (\`src/federation/message-queue.ts\`). Without useful statistics
  for \`queue_jobs\` (a fresh table, or one analyzed while nearly empty, as a queue usually
  is) PostgreSQL picks a plan whose cost grows with the square of the number of ready jobs.
  Checked by hand with \`EXPLAIN ANALYZE\` on PostgreSQL 15 (8 KB messages, one key each):
  one claim took 14 ms with 1,000 ready jobs, 59 ms with 2,000 and 247 ms with 5,000
  (1.3, 2.7 and 7.7 ms once the table is analyzed). Compare the "no shared inbox" row
  (1,000 delivery jobs) with the "500 origins" row (500).${queueLengthNote(outcomes)}
- **Followers without a shared inbox each cost a request.** The promise holds for servers
  whose actors advertise \`endpoints.sharedInbox\` (Mastodon, Pleroma/Akkoma and Misskey
  do); GoToSocial's actors advertise none (\`gotosocial-person.json\` in the shared
  fixtures), so each GoToSocial follower is one request to their personal inbox, as the
  "no shared inbox" row shows. Fedify merges recipients by the exact shared inbox URL.
- Participants with a fediverse account add one delivery each (to their own inbox);
  co-signatures (\`Announce\`) are separate deliveries, not measured here.

${inboxSection(outcomes)}

## Memory under page views (\`bench/memory.ts\`)

Any visitor can load the public pages as often as they like: the server's memory must not
grow with the number of page views.

${memoryTable(outcomes)}

${memorySeries(outcomes)}

How it is set up: the server runs in **a child process of its own** (\`bench/memory-server.ts\`,
started with \`fork\` and \`--expose-gc\`), so the client's requests and buffers are not in its
memory. It is built with \`buildApp\` (role \`all\`) on a fresh database and seeded with
${n(memory.localEncounters)} public encounters written through \`app.encounters.create\` by two members (each naming
two members and a plain name, with two keywords and public details) and ${n(memory.remoteEncounters)}
remote ones stored as ingestion stores them (sanitized HTML from five remote actors, naming
bea). The client, the scenario process, then loads four pages in turn, ${memory.concurrency} requests in
flight, half of them in French and half in English: \`/tags/socialdapres\`, \`/@bea\`, one permalink and
\`/tags/BrightMirror\` (three lists of 20 encounters and one encounter). Over the IPC channel
the server is asked for its \`process.memoryUsage()\`, taken right after a full garbage
collection (\`gc()\`), before the first request, after the warm-up (the first
${n(memory.warmup)} requests) and then every ${n(memory.sampleEvery)} requests; the run would stop
early past ${n(memory.maxRssMib)} MiB of RSS.

- **growth after warm-up**: (end − after warm-up) ÷ after warm-up; expected flat, within
  about 10 %. **growth from start** includes the warm-up itself (JIT, the database's caches
  and connections, on PGlite the embedded database's own memory).
- **JS heap** against RSS tells where growth is: RSS growing while the heap stays flat is
  native memory, outside V8's heap, which a garbage collection does not bring back.
- Read the series too: RSS may settle in a step or two over the first thousands of
  requests (freed memory mostly stays with the process, so RSS keeps the high-water mark of
  the busiest moments), while memory that leaks goes on growing with the number of requests.

The table above measures the code as it is now. **Before the fix** (commit \`fdf543b\`,
measured on 2026-11-29 with the same script and seed on PostgreSQL 15: a short run of
**5,000 requests** with the same 2,000-request warm-up, load average 8 to 12 on the shared
2-core machine; 176 s, 28 requests/s): server RSS **358 MiB** at start, **1,723 MiB** after
the warm-up, then 1,724 / 1,721 / 1,721 MiB after 3,000 / 4,000 / 5,000 requests, while the JS
heap stayed at 45 to 52 MiB. Each encounter shown built two new \`Intl.DateTimeFormat\` objects
(\`src/web/render-encounter.ts\`), about 150,000 over that run, and their native memory stays
with the process after they are collected. The jump came during the warm-up and RSS stayed
at that level: measured from the warm-up the growth was −0.2 %, measured from the start it
was **+380 %**. A 2,000-request run the same day rose 355 → 656 → 739 MiB after 0 / 500 /
1,000 requests, and a 5,000-request run on PGlite rose in steps (676 → 879 → 1,250 MiB after
0 / 1,000 / 4,000 requests): how high it climbed varied from run to run, and it never came
back down (3.1 GB was reported after about 6,500 views of \`/tags/socialdapres\`). Since the
fix the formats are made once per language, style and time zone (\`src/shared/intl.ts\`), as
are the ones \`isValidTimeZone\` used to build on every call of the tracker's week arithmetic.

${readPathSection(outcomes)}

## How to reproduce

\`\`\`sh
npm ci
npm run bench                                  # PGlite only
BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench   # PGlite, then PostgreSQL
npm run bench -- --database postgres           # one database only (needs BENCH_DATABASE_URL)
npm run bench -- --only read-path              # some scenarios only: fanout, inbox, memory, read-path, soak, footprint
# One scenario (Node 24 through npx; JSON result on stdout):
npx node bench/fanout.ts --followers 10000 --servers 500 --database pglite [--origins each] [--shared-inbox no]
npx node bench/inbox.ts --notes 300 --database pglite
npx node bench/memory.ts --requests 20000 --database pglite   # --warmup 2000 --sample-every 2000
npx node bench/growth.ts --database pglite    # every list at 100 and 100,000 rows (--requests 15 --warmup 3)
npx node bench/read-path.ts --database pglite  # --seconds 5 --connections 50
npx node bench/soak.ts --database pglite       # --requests 100000 --page-every 50
npx node bench/footprint.ts --database pglite
# Run on their own, each rewriting its section only:
npx node bench/pages.ts [--requests 200]      # server time of the HTML pages (PGlite; with BENCH_DATABASE_URL also PostgreSQL)
BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx node bench/faults.ts
\`\`\`

With \`BENCH_DATABASE_URL\`, each scenario creates a fresh database on that server and drops it
afterwards; PGlite runs in memory. Only loopback addresses are used. Each scenario runs in a
process of its own, gives up after ${n(120)} s, and the whole run starts no new scenario after
${n(270)} s, except the memory scenario: it runs once, last, on PostgreSQL when the run includes
it (otherwise on PGlite), and gives up after ${n(900)} s. On a 2-core machine a full run on
both databases takes 3 to 4 minutes, plus 3 to 10 for the memory scenario.
`;
}
