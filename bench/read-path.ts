/**
 * The read path against a bare Fastify route: for each of the actor JSON, a Note JSON, WebFinger,
 * the profile page and the #Socialdapres page, autocannon (50 connections) loads the instance,
 * then a bare Fastify route of the same server process that answers the same bytes. The server is
 * a child process (bench/read-path-server.ts); this process is the client.
 * Run alone: node bench/read-path.ts --database pglite [--seconds 5] [--connections 50]
 */
import { fork } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import type { ReadPathReady, ReadPathTarget } from "./read-path-server.ts";
import { argument, type DatabaseKind, runScenarioMain } from "./support.ts";

export interface LoadFigures {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  /** Errors, timeouts and answers other than the expected status. */
  failed: number;
}

export interface ReadPathRow {
  name: string;
  path: string;
  bytes: number;
  app: LoadFigures;
  bare: LoadFigures;
  /** app ÷ bare requests per second, in %. */
  ratioPercent: number;
  load: number;
}

export interface ReadPathResult {
  scenario: "read-path";
  options: { seconds: number; warmupSeconds: number; connections: number };
  rows: ReadPathRow[];
}

async function load(
  url: string,
  target: ReadPathTarget,
  seconds: number,
  connections: number,
): Promise<LoadFigures> {
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    headers: target.headers,
    timeout: 10,
  });
  const unexpected = target.status === 200 ? result.non2xx : 0;
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    failed: result.errors + result.timeouts + unexpected,
  };
}

export async function runReadPath(options: {
  database: DatabaseKind;
  seconds: number;
  warmupSeconds: number;
  connections: number;
}): Promise<ReadPathResult> {
  const child = fork(
    fileURLToPath(new URL("read-path-server.ts", import.meta.url)),
    ["--database", options.database],
    { stdio: ["ignore", "pipe", "inherit", "ipc"] },
  );
  child.stdout?.pipe(process.stderr);
  try {
    const ready = await new Promise<ReadPathReady>((resolve, reject) => {
      child.once("message", (message) => resolve(message as ReadPathReady));
      child.once("exit", (code) => reject(new Error(`the server exited (${code})`)));
    });
    const rows: ReadPathRow[] = [];
    for (const target of ready.targets) {
      if (target.status !== 200) throw new Error(`${target.path} answered ${target.status}`);
      const appUrl = new URL(target.path, ready.origin).href;
      const bareUrl = new URL(target.path, ready.bareOrigin).href;
      process.stderr.write(`[read-path] ${options.database}: ${target.name}…\n`);
      await load(appUrl, target, options.warmupSeconds, options.connections);
      const app = await load(appUrl, target, options.seconds, options.connections);
      await load(bareUrl, target, Math.min(1, options.warmupSeconds), options.connections);
      const bare = await load(bareUrl, target, options.seconds, options.connections);
      rows.push({
        name: target.name,
        path: target.path,
        bytes: target.bytes,
        app,
        bare,
        ratioPercent: (app.requestsPerSecond / bare.requestsPerSecond) * 100,
        load: loadavg()[0] ?? 0,
      });
    }
    return { scenario: "read-path", options, rows };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.send({ type: "stop" });
      const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(killer);
    }
  }
}

if (import.meta.main) {
  const timeoutMs = Number(argument("timeout-ms", "180000"));
  runScenarioMain(timeoutMs, () =>
    runReadPath({
      database: argument("database", "pglite") as DatabaseKind,
      seconds: Number(argument("seconds", "5")),
      warmupSeconds: Number(argument("warmup-seconds", "2")),
      connections: Number(argument("connections", "50")),
    }),
  );
}
