/**
 * Start-up and idle memory of the server as it is deployed: Node with the arguments of
 * package.json's `start` script (`node --max-semi-space-size=16 src/main.js`, also the Docker
 * image's CMD), ROLE=all, in a process of its own. On PGlite: a first start
 * on a new data directory, then a stop (SIGTERM) and a cold start on the existing directory; on
 * PostgreSQL: a start on a fresh, migrated database. Each start is timed from the spawn to the
 * first 200 of /readyz. The RSS (VmRSS of /proc/<pid>/status) is read once the server has been
 * idle for `idle-seconds`, right after it was ready and again after 200 page and JSON views.
 * Run alone: node bench/footprint.ts --database pglite
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { startCommandArguments } from "../test/support/start-command.ts";
import {
  argument,
  type DatabaseKind,
  freePort,
  freshDatabase,
  runScenarioMain,
} from "./support.ts";

export interface FootprintStart {
  /** "new data directory", "existing data directory" or "fresh database". */
  kind: string;
  /** From the spawn to the first 200 of /readyz. */
  readySeconds: number;
  /** RSS once idle after start, and once idle after 200 requests. */
  idleRssMib: number;
  idleRssAfterRequestsMib?: number;
}

export interface FootprintResult {
  scenario: "footprint";
  database: DatabaseKind;
  idleSeconds: number;
  starts: FootprintStart[];
}

const PROJECT_ROOT = fileURLToPath(new URL("..", import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function rssMib(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kib = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? Number.NaN);
  return Math.round((kib / 1024) * 10) / 10;
}

async function startServer(env: Record<string, string>, origin: string) {
  const started = performance.now();
  const child = spawn(process.execPath, startCommandArguments(), {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk;
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited: ${stderr.slice(-500)}`);
    const ok = await fetch(`${origin}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return { child, readySeconds: (performance.now() - started) / 1000 };
    await sleep(20);
  }
  child.kill("SIGKILL");
  throw new Error("the server was not ready after 60 s");
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  await exited;
  clearTimeout(killer);
}

/** A member, a few encounters and 200 views of the pages and documents (through the CLI-free API). */
async function exercise(origin: string): Promise<void> {
  const paths = ["/", "/tags/socialdapres", "/about", "/login", "/users/instance"];
  for (let i = 0; i < 200; i++) {
    const path = paths[i % paths.length] as string;
    const accept = path.startsWith("/users/") ? "application/activity+json" : "text/html";
    const response = await fetch(`${origin}${path}`, { headers: { accept } });
    await response.arrayBuffer();
  }
}

export async function runFootprint(options: {
  database: DatabaseKind;
  idleSeconds: number;
}): Promise<FootprintResult> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const dataDir = await mkdtemp(join(tmpdir(), "socialdapres-footprint-"));
  const fresh = options.database === "postgres" ? await freshDatabase("postgres") : undefined;
  const env: Record<string, string> = {
    PORT: String(port),
    HOST: "127.0.0.1",
    ORIGIN: origin,
    DATA_DIR: dataDir,
    LOG_LEVEL: "warn",
    ROLE: "all",
    ...(fresh?.config.kind === "postgres" ? { DATABASE_URL: fresh.config.url } : {}),
  };
  const starts: FootprintStart[] = [];
  const measure = async (kind: string, withRequests: boolean) => {
    const { child, readySeconds } = await startServer(env, origin);
    try {
      await sleep(options.idleSeconds * 1000);
      const start: FootprintStart = {
        kind,
        readySeconds,
        idleRssMib: await rssMib(child.pid as number),
      };
      if (withRequests) {
        await exercise(origin);
        await sleep(options.idleSeconds * 1000);
        start.idleRssAfterRequestsMib = await rssMib(child.pid as number);
      }
      starts.push(start);
    } finally {
      await stopServer(child);
    }
  };
  try {
    if (options.database === "pglite") {
      await measure("new data directory", false);
      await measure("existing data directory", true);
    } else {
      await measure("fresh database", false);
      await measure("migrated database", true);
    }
  } finally {
    await fresh?.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
  return {
    scenario: "footprint",
    database: options.database,
    idleSeconds: options.idleSeconds,
    starts,
  };
}

if (import.meta.main) {
  const timeoutMs = Number(argument("timeout-ms", "180000"));
  runScenarioMain(timeoutMs, () =>
    runFootprint({
      database: argument("database", "pglite") as DatabaseKind,
      idleSeconds: Number(argument("idle-seconds", "5")),
    }),
  );
}
