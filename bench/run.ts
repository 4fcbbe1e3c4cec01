/**
 * Runs every benchmark scenario, each in a process of its own, prints a table
 * and rewrites docs/BENCHMARKS.md. `npm run bench` (PGlite), or with
 * BENCH_DATABASE_URL=postgres://… also on a fresh database of that server.
 * `--database pglite|postgres` runs one of them only.
 */
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { cpus, loadavg, totalmem } from "node:os";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { growthSection, growthTable } from "./growth-report.ts";
import type { Outcome } from "./outcome.ts";
import { fanoutTable, inboxTable, memoryTable, renderReport } from "./report.ts";
import { readPathTables } from "./report-read-path.ts";
import { SOAK_PLAN } from "./soak.ts";
import { argument, type DatabaseKind, markedSections, RESULT_PREFIX } from "./support.ts";

interface Plan {
  /** What `--only` names: fanout, inbox, memory, read-path, soak, footprint. */
  id: string;
  name: string;
  script: "fanout.ts" | "inbox.ts" | "memory.ts" | "growth.ts" | ReadPathScript;
  args: string[];
  /** Longer than SCENARIO_TIMEOUT_MS for this scenario. */
  timeoutMs?: number;
  /**
   * Run on one database only: PostgreSQL when the run includes it (the server's
   * memory is then the application's alone), otherwise PGlite.
   */
  oneDatabase?: boolean;
  /** Runs even past BUDGET_MS (its own limit, `timeoutMs`, bounds it). */
  alwaysRuns?: boolean;
}

/**
 * Each scenario gives up after this long; the whole run stops starting new ones
 * after BUDGET, except the memory scenario, which has a limit of its own.
 */
const SCENARIO_TIMEOUT_MS = 120_000;
const BUDGET_MS = 270_000;
/** 20,000 page loads take 3 to 10 minutes on a shared 2-core machine. */
const MEMORY_TIMEOUT_MS = 900_000;

/** Every list from 100 to 100,000 rows (bench/growth.ts): seeding and three passes. */
const GROWTH_PLAN: Plan = {
  id: "growth",
  name: "growth: lists from 100 to 100,000 rows",
  script: "growth.ts",
  args: ["--requests", "15", "--warmup", "3"],
  timeoutMs: 420_000,
  alwaysRuns: true,
};
// The read path, the soak and the footprint (issue 14, items 1, 2 and 4).
type ReadPathScript = "read-path.ts" | "soak.ts" | "footprint.ts";
const READ_PATH_PLANS: Plan[] = [
  {
    id: "read-path",
    name: "read path against a bare Fastify route",
    script: "read-path.ts",
    args: ["--seconds", "5", "--warmup-seconds", "2", "--connections", "50"],
    timeoutMs: 240_000,
    alwaysRuns: true,
  },
  {
    id: "footprint",
    name: "start-up and idle memory",
    script: "footprint.ts",
    args: [],
    timeoutMs: 240_000,
    alwaysRuns: true,
  },
  {
    id: "soak",
    name: `soak, ${SOAK_PLAN.requests.toLocaleString("en")} requests`,
    script: "soak.ts",
    args: ["--requests", String(SOAK_PLAN.requests), "--page-every", String(SOAK_PLAN.pageEvery)],
    timeoutMs: 600_000,
    oneDatabase: true,
  },
];

const PLANS: Plan[] = [
  {
    id: "fanout",
    name: "1,000 followers / 100 servers",
    script: "fanout.ts",
    args: ["--followers", "1000", "--servers", "100"],
  },
  {
    id: "fanout",
    name: "10,000 followers / 500 servers",
    script: "fanout.ts",
    args: ["--followers", "10000", "--servers", "500"],
  },
  {
    id: "fanout",
    name: "10,000 followers / 500 servers, 500 origins",
    script: "fanout.ts",
    args: ["--followers", "10000", "--servers", "500", "--origins", "each"],
  },
  {
    id: "fanout",
    name: "1,000 followers / 100 servers, no shared inbox",
    script: "fanout.ts",
    args: ["--followers", "1000", "--servers", "100", "--shared-inbox", "no", "--origins", "each"],
  },
  {
    id: "inbox",
    name: "600 incoming Create(Note)",
    script: "inbox.ts",
    args: ["--notes", "600"],
    // One of issue 14's targets on each database: never left out for the budget.
    alwaysRuns: true,
  },
  GROWTH_PLAN,
  ...READ_PATH_PLANS,
  {
    id: "memory",
    name: "20,000 page views",
    script: "memory.ts",
    args: ["--requests", "20000", "--warmup", "2000", "--sample-every", "2000"],
    timeoutMs: MEMORY_TIMEOUT_MS,
    oneDatabase: true,
  },
];

function runChild(plan: Plan, database: DatabaseKind): Promise<Outcome> {
  const timeoutMs = plan.timeoutMs ?? SCENARIO_TIMEOUT_MS;
  const args = [...plan.args, "--database", database, "--timeout-ms", String(timeoutMs)];
  const outcome: Outcome = {
    name: plan.name,
    database,
    args,
    load: loadavg()[0] ?? 0,
    wallSeconds: 0,
  };
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [fileURLToPath(new URL(plan.script, import.meta.url)), ...args],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk;
    });
    // The scenario stops itself; this is the backstop if it hangs anyway.
    const killer = setTimeout(() => child.kill("SIGKILL"), timeoutMs + 150_000);
    child.on("close", (code, signal) => {
      clearTimeout(killer);
      outcome.wallSeconds = (performance.now() - started) / 1000;
      const line = stdout.split("\n").find((l) => l.startsWith(RESULT_PREFIX));
      if (line) outcome.result = JSON.parse(line.slice(RESULT_PREFIX.length));
      else {
        const tail = stderr.trim().split("\n").slice(-5).join(" | ");
        outcome.failure = `exit ${code ?? signal}: ${tail || "no output"}`;
      }
      resolve(outcome);
    });
  });
}

async function postgresVersion(url: string): Promise<string> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await client`show server_version`;
    return `PostgreSQL ${row?.server_version ?? "?"}`;
  } finally {
    await client.end();
  }
}

async function main() {
  const only = argument("database", "");
  // `--only read-path` (or several: `--only read-path,soak`) runs those scenarios alone.
  const onlyScenarios = argument("only", "").split(",").filter(Boolean);
  const plans = PLANS.filter((p) => onlyScenarios.length === 0 || onlyScenarios.includes(p.id));
  if (plans.length === 0) {
    throw new Error(`--only names none of: ${[...new Set(PLANS.map((p) => p.id))].join(", ")}`);
  }
  const url = process.env.BENCH_DATABASE_URL;
  const databases: DatabaseKind[] = (["pglite", "postgres"] as const).filter(
    (d) => (only === "" || only === d) && (d === "pglite" || url),
  );
  if (databases.length === 0) throw new Error("--database postgres needs BENCH_DATABASE_URL");
  const runStarted = performance.now();
  const loadAtStart = loadavg();
  const outcomes: Outcome[] = [];
  const memoryDatabase = databases.includes("postgres") ? "postgres" : "pglite";
  for (const database of databases) {
    for (const plan of plans) {
      if (plan.oneDatabase && database !== memoryDatabase) continue;
      // The memory scenario has its own, longer limit: the budget is for the others.
      if (!plan.oneDatabase && !plan.alwaysRuns && performance.now() - runStarted > BUDGET_MS) {
        outcomes.push({
          name: plan.name,
          database,
          args: plan.args,
          load: 0,
          wallSeconds: 0,
          failure: "skipped: time budget",
        });
        continue;
      }
      process.stderr.write(`[bench] ${database}: ${plan.name}…\n`);
      const outcome = await runChild(plan, database);
      if (outcome.failure) process.stderr.write(`[bench]   failed: ${outcome.failure}\n`);
      outcomes.push(outcome);
    }
  }
  const cpuList = cpus();
  const report = renderReport({
    date: new Date(),
    machine: {
      cpu: `${cpuList[0]?.model ?? "unknown"} × ${cpuList.length}`,
      memoryGib: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
      node: process.version,
      load: { start: loadAtStart, end: loadavg() },
      databases: [
        ...(databases.includes("pglite")
          ? [`PGlite ${await pgliteVersion()} (embedded, in-memory)`]
          : []),
        ...(databases.includes("postgres") && url
          ? [`${await postgresVersion(url)} on 127.0.0.1`]
          : []),
      ],
    },
    totalSeconds: (performance.now() - runStarted) / 1000,
    outcomes,
  });
  process.stdout.write(
    `\n${fanoutTable(outcomes)}\n\n${inboxTable(outcomes)}\n\n${memoryTable(outcomes)}\n\n${growthTable(outcomes)}\n`,
  );
  process.stdout.write(`\n${readPathTables(outcomes)}\n`);
  // The sections written by the scenarios run on their own (bench/faults.ts, bench/pages.ts)
  // are kept as they are.
  const kept = await markedSections();
  const file = new URL("../docs/BENCHMARKS.md", import.meta.url);
  await writeFile(
    file,
    report.replace(/\n## How to reproduce/, () =>
      [...kept, growthSection(outcomes), "## How to reproduce"]
        .map((part) => `\n${part}`)
        .join("\n"),
    ),
  );
  process.stderr.write("[bench] wrote docs/BENCHMARKS.md\n");
  if (databases.includes("postgres") && url && !(await runScaling(url))) process.exitCode = 1;
  if (outcomes.some((o) => o.failure && !o.failure.startsWith("skipped"))) process.exitCode = 1;
}

/**
 * The scaling scenario (bench/scaling.ts): 1 vs 2 web and worker processes, PostgreSQL only.
 * It runs `node src/main.js` children and writes its own section of docs/BENCHMARKS.md, which
 * the report written above keeps; here it only runs after the others, when PostgreSQL is in.
 */
async function runScaling(url: string): Promise<boolean> {
  process.stderr.write("[bench] postgres: scaling, 1 vs 2 processes…\n");
  const script = fileURLToPath(new URL("scaling.ts", import.meta.url));
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, BENCH_DATABASE_URL: url },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) process.stderr.write(`[bench]   scaling failed: exit ${code}\n`);
  return code === 0;
}

async function pgliteVersion(): Promise<string> {
  // Its package.json is not in the package's exports: read the installed file.
  const path = new URL("../node_modules/@electric-sql/pglite/package.json", import.meta.url);
  return (JSON.parse(await readFile(path, "utf8")) as { version: string }).version;
}

await main();
