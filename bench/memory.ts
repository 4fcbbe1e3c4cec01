/**
 * Memory under page views: a server (bench/memory-server.ts, a child process)
 * seeded with a few hundred public encounters serves the public pages
 * `requests` times in all; its resident set size is sampled (after a full
 * garbage collection) before the first request, after the warm-up and then
 * every `sample-every` requests. A server whose memory keeps growing with
 * page views can be brought down by any visitor.
 * Run alone: node bench/memory.ts --requests 20000 --database pglite
 */
import { fork } from "node:child_process";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import type { MemorySample, MemoryServerMessage, MemoryServerReady } from "./memory-server.ts";
import { argument, type DatabaseKind, runScenarioMain } from "./support.ts";

export interface MemoryOptions {
  requests: number;
  /** Requests before the "after warm-up" sample; growth is measured from there. */
  warmup: number;
  sampleEvery: number;
  /** Requests in flight at once. */
  concurrency: number;
  /**
   * 0: pages only. n: one page in every n requests, the others ActivityPub JSON and WebFinger
   * (the soak, bench/soak.ts).
   */
  pageEvery?: number;
  localEncounters: number;
  remoteEncounters: number;
  database: DatabaseKind;
  /** The run stops early when the server's RSS passes this, so a leak cannot take the machine down. */
  maxRssMib: number;
  timeoutMs: number;
}

export interface MemoryResult {
  scenario: "memory";
  options: MemoryOptions;
  paths: string[];
  seedSeconds: number;
  /** Requests answered (fewer than asked when the run was stopped early). */
  requests: number;
  /** Why the run stopped before `options.requests`, if it did. */
  stoppedEarly?: string;
  failedRequests: number;
  seconds: number;
  requestsPerSecond: number;
  /** Every sample, with the number of requests answered when it was taken. */
  samples: Array<MemorySample & { requests: number }>;
  start: MemorySample;
  afterWarmup: MemorySample;
  end: MemorySample;
  /** The highest sample. */
  peak: MemorySample;
  /** (end − after warm-up) ÷ after warm-up, in %. */
  growthPercent: number;
  /** (end − start) ÷ start, in %: what the warm-up itself added shows here. */
  growthFromStartPercent: number;
  problemsLogged: number;
}

/** The server process, and a way to ask it for a sample. */
function startServer(options: MemoryOptions) {
  const child = fork(
    fileURLToPath(new URL("memory-server.ts", import.meta.url)),
    [
      "--database",
      options.database,
      "--local",
      String(options.localEncounters),
      "--remote",
      String(options.remoteEncounters),
    ],
    // Its stdout would mix with this scenario's result line: it goes to stderr.
    { execArgv: ["--expose-gc"], stdio: ["ignore", "pipe", "inherit", "ipc"] },
  );
  child.stdout?.pipe(process.stderr);
  const next = <T extends MemoryServerMessage>(type: T["type"]) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (message: MemoryServerMessage) => {
        if (message.type !== type) return;
        child.off("message", onMessage);
        child.off("exit", onExit);
        resolve(message as T);
      };
      const onExit = (code: number | null) => reject(new Error(`the server exited (${code})`));
      child.on("message", onMessage);
      child.once("exit", onExit);
    });
  return {
    ready: () => next<MemoryServerReady>("ready"),
    async sample(): Promise<MemorySample> {
      const answer = next<MemorySample>("sample");
      child.send({ type: "sample" });
      return answer;
    },
    async stop(): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.send({ type: "stop" });
      const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

const AP_ACCEPT = "application/activity+json";

/** What request number `i` asks for: a page, or (with `pageEvery`) mostly JSON. */
function requestTarget(ready: MemoryServerReady, pageEvery: number) {
  const pages = ready.paths.map((path) => new URL(path, ready.origin).href);
  const json = ready.jsonPaths.map((path) => new URL(path, ready.origin).href);
  return (i: number): { url: string; headers: Record<string, string> } => {
    if (pageEvery === 0 || i % pageEvery === 0) {
      const n = pageEvery === 0 ? i : i / pageEvery;
      // French and English pages alike: each language has its own formatters.
      return {
        url: pages[n % pages.length] as string,
        headers: { accept: "text/html", "accept-language": n % 2 ? "en" : "fr" },
      };
    }
    return { url: json[i % json.length] as string, headers: { accept: AP_ACCEPT } };
  };
}

export async function runMemory(options: MemoryOptions): Promise<MemoryResult> {
  const server = startServer(options);
  try {
    const ready = await server.ready();
    const target = requestTarget(ready, options.pageEvery ?? 0);
    const samples: MemoryResult["samples"] = [];
    const sampleAt = async (requests: number) => {
      const sample = { ...(await server.sample()), requests };
      samples.push(sample);
      return sample;
    };
    const start = await sampleAt(0);
    let afterWarmup: MemorySample | undefined;
    let answered = 0;
    let failed = 0;
    let stoppedEarly: string | undefined;
    const begun = performance.now();
    const deadline = Date.now() + options.timeoutMs;

    /** Loads pages until `upTo` requests have been sent, `concurrency` at a time. */
    async function load(upTo: number): Promise<void> {
      let sent = answered;
      const worker = async () => {
        while (sent < upTo) {
          const i = sent++;
          const { url, headers } = target(i);
          const response = await fetch(url, { headers });
          await response.arrayBuffer();
          if (response.status !== 200) failed++;
          answered++;
        }
      };
      await Promise.all(Array.from({ length: options.concurrency }, worker));
    }

    while (answered < options.requests) {
      const target =
        answered < options.warmup
          ? options.warmup
          : Math.min(options.requests, answered + options.sampleEvery);
      await load(target);
      const sample = await sampleAt(answered);
      if (answered === options.warmup) afterWarmup = sample;
      if (sample.rssMib > options.maxRssMib) {
        stoppedEarly = `server RSS ${sample.rssMib} MiB passed ${options.maxRssMib} MiB`;
        break;
      }
      if (Date.now() > deadline) {
        stoppedEarly = `time limit of ${options.timeoutMs} ms`;
        break;
      }
    }
    const seconds = (performance.now() - begun) / 1000;
    const end = samples.at(-1) as MemorySample;
    const warm = afterWarmup ?? start;
    return {
      scenario: "memory",
      options,
      paths: ready.paths,
      seedSeconds: ready.seedSeconds,
      requests: answered,
      stoppedEarly,
      failedRequests: failed,
      seconds,
      requestsPerSecond: answered / seconds,
      samples,
      start,
      afterWarmup: warm,
      end,
      peak: samples.reduce((a, b) => (b.rssMib > a.rssMib ? b : a)),
      growthPercent: ((end.rssMib - warm.rssMib) / warm.rssMib) * 100,
      growthFromStartPercent: ((end.rssMib - start.rssMib) / start.rssMib) * 100,
      problemsLogged: end.problemsLogged,
    };
  } finally {
    await server.stop();
  }
}

if (import.meta.main) {
  const timeoutMs = Number(argument("timeout-ms", "150000"));
  const requests = Number(argument("requests", "20000"));
  runScenarioMain(timeoutMs + 120_000, () =>
    runMemory({
      requests,
      warmup: Number(argument("warmup", String(Math.min(2000, Math.floor(requests / 10))))),
      sampleEvery: Number(argument("sample-every", "2000")),
      concurrency: Number(argument("concurrency", "4")),
      pageEvery: Number(argument("page-every", "0")),
      localEncounters: Number(argument("local", "300")),
      remoteEncounters: Number(argument("remote", "60")),
      database: argument("database", "pglite") as DatabaseKind,
      maxRssMib: Number(argument("max-rss-mib", "3072")),
      timeoutMs,
    }),
  );
}
