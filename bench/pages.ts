/**
 * Server time of the main HTML pages: for each page, `--requests` sequential requests through
 * `app.http.inject()` (no socket, no client: the server's own work, compression included),
 * after a warm-up, as a visitor or as a logged-in member. Prints the table and writes its
 * section of docs/BENCHMARKS.md (bench/run.ts keeps it).
 *
 *   node bench/pages.ts [--requests 200] [--warmup 20]            # PGlite
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node bench/pages.ts   # and PostgreSQL
 */
import { cpus, loadavg, totalmem } from "node:os";
import { performance } from "node:perf_hooks";
import { WebClient } from "../test/support/web.ts";
import {
  argument,
  countingLogger,
  type DatabaseKind,
  startApp,
  writeMarkedSection,
} from "./support.ts";

const requests = Number(argument("requests", "200"));
const warmup = Number(argument("warmup", "20"));
const PASSWORD = "bea-bench-password-1";

interface PageTiming {
  database: DatabaseKind;
  page: string;
  status: number;
  bytes: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  load: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;

async function measure(database: DatabaseKind): Promise<PageTiming[]> {
  const { logger, problems } = countingLogger();
  const bench = await startApp(database, logger);
  try {
    const { app } = bench;
    await app.members.create({ username: "bea", password: PASSWORD, displayName: "Béa" });
    await app.members.create({ username: "antoine", password: "antoine-bench-password" });
    // Forty public encounters: the lists show a full page of twenty.
    let last = "";
    for (let i = 0; i < 40; i++) {
      const view = await app.encounters.create("bea", {
        text: `Rencontre ${i} avec @antoine au marché #Socialdapres`,
        participants: ["@antoine", "Zoé"],
        keywords: ["marché", "café"],
      });
      last = view.id;
    }
    const headers = { "accept-encoding": "br, gzip", "accept-language": "fr" };
    const visitor = new WebClient(app.http, headers);
    // Logged in without compression (the client reads the form's token), measured with it.
    const loggedIn = await new WebClient(app.http).login("bea", PASSWORD);
    const member = new WebClient(app.http, headers);
    for (const [name, value] of loggedIn.cookies) member.cookies.set(name, value);
    // antoine, logged in too: named in bea's encounters, his notifications are full.
    const antoineSession = await new WebClient(app.http).login("antoine", "antoine-bench-password");
    const antoine = new WebClient(app.http, headers);
    for (const [name, value] of antoineSession.cookies) antoine.cookies.set(name, value);
    const pages: Array<[string, WebClient, string]> = [
      ["home", visitor, "/"],
      ["#Socialdapres", visitor, "/tags/socialdapres"],
      ["profile", visitor, "/@bea"],
      ["encounter", visitor, `/@bea/${last}`],
      ["log-in form", visitor, "/login"],
      ["404", visitor, "/nowhere"],
      ["tracker (member)", member, "/tracker"],
      ["exposure (member)", member, "/exposure"],
      ["authorized apps (member)", member, "/settings/apps"],
      ["home timeline (member)", member, "/home"],
      ["my encounters (member)", member, "/encounters"],
      ["encounter with actions (member)", member, `/@bea/${last}`],
      ["compose (member)", member, "/compose"],
      ["settings (member)", member, "/settings"],
      ["tracker settings (member)", member, "/settings/tracker"],
      ["notifications (named member)", antoine, "/notifications"],
      ["join (visitor)", visitor, "/join"],
    ];
    const timings: PageTiming[] = [];
    for (const [page, client, path] of pages) {
      process.stderr.write(`[pages] ${database}: ${page}…\n`);
      for (let i = 0; i < warmup; i++) await client.get(path);
      const times: number[] = [];
      let response = await client.get(path);
      for (let i = 0; i < requests; i++) {
        const started = performance.now();
        response = await client.get(path);
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      timings.push({
        database,
        page: `${page} \`${path.replace(last, "<id>")}\``,
        status: response.statusCode,
        bytes: response.rawPayload.length,
        p50: percentile(times, 50),
        p90: percentile(times, 90),
        p99: percentile(times, 99),
        max: times.at(-1) ?? 0,
        load: loadavg()[0] ?? 0,
      });
    }
    if (problems() > 0) throw new Error(`${problems()} warnings or errors logged`);
    return timings;
  } finally {
    await bench.close();
  }
}

const databases: DatabaseKind[] = process.env.BENCH_DATABASE_URL
  ? ["pglite", "postgres"]
  : ["pglite"];
const started = performance.now();
const timings: PageTiming[] = [];
for (const database of databases) timings.push(...(await measure(database)));

const ms = (value: number) => value.toFixed(1);
const cpuList = cpus();
const table = [
  "| page | database | status | bytes sent | p50 ms | p90 ms | p99 ms | max ms | load |",
  "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ...timings.map(
    (t) =>
      `| ${t.page} | ${t.database} | ${t.status} | ${t.bytes.toLocaleString("en")} | **${ms(t.p50)}** | ${ms(t.p90)} | ${ms(t.p99)} | ${ms(t.max)} | ${t.load.toFixed(1)} |`,
  ),
].join("\n");
process.stdout.write(`${table}\n`);

await writeMarkedSection(
  "pages",
  `## Server time of the HTML pages (\`bench/pages.ts\`)

Written by \`node bench/pages.ts --requests ${requests} --warmup ${warmup}\` on ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC
in ${Math.round((performance.now() - started) / 1000)} s; ${cpuList[0]?.model ?? "unknown CPU"} × ${cpuList.length}, ${Math.round(totalmem() / 1024 ** 3)} GiB, Node ${process.version}.
Each page is asked for ${requests} times in a row (after ${warmup} unmeasured requests) through
\`app.http.inject()\`: the time the server takes from the request to the last byte of its
answer (routing, session, database, rendering, brotli compression), without a network or a
browser. Forty public encounters by bea; the member pages with bea's session. The machine is
shared: **load** is the 1-minute load average after each page.

${table}`,
);
process.stderr.write("[pages] wrote docs/BENCHMARKS.md\n");
process.exit(0);
