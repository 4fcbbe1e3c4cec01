/**
 * The figures issue 14 sets as targets, gathered from one run's outcomes into the table at the
 * top of docs/BENCHMARKS.md: each target, what this run measured, whether it is met, and the
 * figure measured before the work on it (from the issue's own report, for comparison).
 */
import type { FootprintResult } from "./footprint.ts";
import type { GrowthResult } from "./growth.ts";
import type { InboxResult } from "./inbox.ts";
import type { MemoryResult } from "./memory.ts";
import { type Outcome, ofScenario } from "./outcome.ts";
import type { ReadPathResult } from "./read-path.ts";
import { n, signed, table } from "./report-format.ts";
import type { SoakResult } from "./soak.ts";
import type { DatabaseKind } from "./support.ts";

function resultsOf<S extends NonNullable<Outcome["result"]>["scenario"]>(
  outcomes: Outcome[],
  scenario: S,
) {
  return outcomes.filter(ofScenario(scenario));
}

interface TargetRow {
  target: string;
  database: DatabaseKind;
  measured: string;
  met: boolean;
  before: string;
}

const JSON_REQUESTS = ["actor JSON", "Note JSON", "WebFinger"];
const P99_MS: Record<DatabaseKind, number> = { pglite: 200, postgres: 50 };
const NOTES_PER_SECOND: Record<DatabaseKind, number> = { pglite: 60, postgres: 150 };
const IDLE_RSS_MB: Record<DatabaseKind, number> = { pglite: 350, postgres: 200 };

/** What the issue measured before the work (its text, 2026-11-29), per database. */
const BEFORE = {
  json: { pglite: "0.4–1.6 %", postgres: "0.4–1.6 %" },
  html: { pglite: "0.2–0.6 %", postgres: "0.2–0.6 %" },
  p99: { pglite: "6–7 s", postgres: "–" },
  inbox: { pglite: "20 /s", postgres: "29 /s" },
  idle: { pglite: "520–720 MiB", postgres: "290–320 MiB" },
  cold: { pglite: "4.5–4.8 s (new directory)", postgres: "–" },
  growth: { pglite: "profile 48 ms, keyword 109 ms at 10,000 rows", postgres: "–" },
  leak: "3.1 GB after ~6,500 tag pages, never flat",
} as const;

function readPathRows(database: DatabaseKind, result: ReadPathResult): TargetRow[] {
  const json = result.rows.filter((r) => JSON_REQUESTS.includes(r.name));
  const html = result.rows.filter((r) => !JSON_REQUESTS.includes(r.name));
  const lowest = (rows: typeof json) => Math.min(...rows.map((r) => r.ratioPercent));
  const worstP99 = Math.max(...result.rows.map((r) => r.app.p99));
  const rows: TargetRow[] = [];
  if (json.length > 0) {
    rows.push({
      target: "actor, Note, WebFinger JSON ≥ 30 % of the bare route (lowest)",
      database,
      measured: `${n(lowest(json), 1)} %`,
      met: lowest(json) >= 30,
      before: BEFORE.json[database],
    });
  }
  if (html.length > 0) {
    rows.push({
      target: "profile and tag HTML ≥ 10 % of the bare route (lowest)",
      database,
      measured: `${n(lowest(html), 1)} %`,
      met: lowest(html) >= 10,
      before: BEFORE.html[database],
    });
  }
  rows.push({
    target: `p99 ≤ ${P99_MS[database]} ms at 50 connections (worst request)`,
    database,
    measured: `${n(worstP99)} ms`,
    met: worstP99 <= P99_MS[database],
    before: BEFORE.p99[database],
  });
  return rows;
}

function inboxRow(database: DatabaseKind, result: InboxResult): TargetRow {
  return {
    target: `≥ ${NOTES_PER_SECOND[database]} signed Create(Note)/s stored, separate sender`,
    database,
    measured: `${n(result.notesPerSecond, 1)} /s (${n(result.cpuMsPerNote, 1)} ms CPU, ${n(result.statementsPerNote, 1)} statements per Note)`,
    met:
      result.notesPerSecond >= NOTES_PER_SECOND[database] && result.stored === result.options.notes,
    before: BEFORE.inbox[database],
  };
}

/** The start a server runs on day to day: its database already made and migrated. */
const RESTARTS = ["existing data directory", "migrated database"];
const MB_PER_MIB = 1.048576;

function footprintRows(database: DatabaseKind, result: FootprintResult): TargetRow[] {
  const rows: TargetRow[] = [];
  for (const start of result.starts.filter((s) => RESTARTS.includes(s.kind))) {
    const idle = Math.max(start.idleRssMib, start.idleRssAfterRequestsMib ?? 0);
    const mb = idle * MB_PER_MIB;
    rows.push({
      target: `idle RSS ≤ ${IDLE_RSS_MB[database]} MB (${start.kind}, the higher of before and after 200 requests)`,
      database,
      measured: `${n(mb)} MB (${n(idle)} MiB)`,
      met: mb <= IDLE_RSS_MB[database],
      before: BEFORE.idle[database],
    });
  }
  const existing = result.starts.find((s) => s.kind === "existing data directory");
  if (existing) {
    rows.push({
      target: "cold start ≤ 2 s on an existing PGlite directory",
      database,
      measured: `${n(existing.readySeconds, 2)} s`,
      met: existing.readySeconds <= 2,
      before: BEFORE.cold[database],
    });
  }
  return rows;
}

function growthRow(database: DatabaseKind, result: GrowthResult): TargetRow {
  const worst = result.timings.reduce((a, b) => (b.ratio > a.ratio ? b : a));
  return {
    target: "every list ≤ 2× from 100 to 100,000 rows (worst list, p50)",
    database,
    measured: `${n(worst.ratio, 2)}× (${worst.list}); ${result.timings.filter((t) => t.ratio <= 2).length} of ${result.timings.length} within 2×`,
    met: result.timings.every((t) => t.ratio <= 2),
    before: BEFORE.growth[database],
  };
}

function flatRow(
  database: DatabaseKind,
  what: string,
  result: SoakResult | MemoryResult,
): TargetRow {
  return {
    target: `${what}: RSS flat within 10 % after the warm-up`,
    database,
    measured: signed(result.growthPercent),
    met: Math.abs(result.growthPercent) <= 10 && !result.stoppedEarly,
    before: BEFORE.leak,
  };
}

export function targetRows(outcomes: Outcome[]): TargetRow[] {
  return [
    ...resultsOf(outcomes, "soak").map(({ database, result }) =>
      flatRow(database, `soak, ${n(result.requests)} requests`, result),
    ),
    ...resultsOf(outcomes, "memory").map(({ database, result }) =>
      flatRow(database, `${n(result.requests)} page views`, result),
    ),
    ...resultsOf(outcomes, "read-path").flatMap(({ database, result }) =>
      readPathRows(database, result),
    ),
    ...resultsOf(outcomes, "inbox").map(({ database, result }) => inboxRow(database, result)),
    ...resultsOf(outcomes, "footprint").flatMap(({ database, result }) =>
      footprintRows(database, result),
    ),
    ...resultsOf(outcomes, "growth").map(({ database, result }) => growthRow(database, result)),
  ];
}

/** The section at the top of docs/BENCHMARKS.md. */
export function targetsSection(outcomes: Outcome[]): string {
  const rows = targetRows(outcomes);
  const met = rows.filter((r) => r.met).length;
  const body =
    rows.length === 0
      ? "_No scenario of issue 14 ran in this run._"
      : table(
          ["target (issue 14)", "database", "this run", "verdict", "before the work"],
          rows.map((r) => [
            r.target,
            r.database,
            r.measured,
            r.met ? "met" : "**not met**",
            r.before,
          ]),
        );
  return `## Targets of issue 14 in this run

${rows.length === 0 ? "" : `${met} of ${rows.length} met. `}Each figure comes from the scenario's own section below, measured in this one run;
"before the work" is what the issue measured on 2026-11-29 on the same kind of machine.

${body}`;
}
