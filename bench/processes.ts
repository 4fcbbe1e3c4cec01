/**
 * Server processes for the scaling benchmark: `node src/main.js` children on one PostgreSQL
 * database and one data directory (as in test/scaling/multi-process.test.ts), their CPU time
 * read from /proc, and a load generator that spreads requests over them as a load balancer
 * would (round robin).
 */
import { readFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { serverProcessEnv, startServerProcess } from "../test/support/server-process.ts";

export interface Processes {
  pids: number[];
  stop: () => Promise<void>;
}

/** Starts `count` processes of `role`, each on its own port, and waits until they serve. */
export async function startProcesses(
  role: "web" | "worker",
  ports: number[],
  env: { dataDir: string; databaseUrl: string; origin: string; extra?: NodeJS.ProcessEnv },
): Promise<Processes> {
  const started: import("node:child_process").ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(
      started.map((child) =>
        child.exitCode === null
          ? new Promise((resolve) => {
              child.once("exit", resolve);
              child.kill("SIGTERM");
            })
          : null,
      ),
    );
  };
  try {
    await Promise.all(
      ports.map((port) => {
        const server = startServerProcess(
          serverProcessEnv(env.dataDir, port, {
            ROLE: role,
            DATABASE_URL: env.databaseUrl,
            ORIGIN: env.origin,
            FEDERATION_ALLOW_PRIVATE_ADDRESS: "true",
            LOG_LEVEL: "info",
            ...env.extra,
          }),
          started,
        );
        return server.printed(role === "web" ? "listening on" : "worker running");
      }),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { pids: started.map((child) => child.pid as number), stop };
}

/** User + system CPU seconds a process has used (Linux /proc; 0 elsewhere). */
export async function cpuSecondsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  // Fields after the command name (which may hold spaces): utime and stime are 14th and 15th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  return ticks / 100;
}

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p95Ms: number;
}

/**
 * `concurrency` clients send `request(base)` back to back for `durationMs`, each request to
 * the next base in turn. An answer that is not 2xx/3xx counts as an error.
 */
export async function hammer(
  bases: string[],
  options: { durationMs: number; concurrency: number },
  request: (base: string) => Promise<Response>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const until = started + options.durationMs;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < until) {
        const base = bases[next++ % bases.length] as string;
        const at = performance.now();
        try {
          const response = await request(base);
          await response.arrayBuffer();
          if (response.status >= 400) errors++;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - at);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    requests: latencies.length,
    errors,
    seconds,
    perSecond: (latencies.length - errors) / seconds,
    p50Ms: at(0.5),
    p95Ms: at(0.95),
  };
}
