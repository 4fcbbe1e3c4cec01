import { failureLines, type Outcome, ofScenario } from "./outcome.ts";

const isGrowth = ofScenario("growth");

const ms = (v: number) => v.toFixed(1);
const n = (v: number) => v.toLocaleString("en-US");

export function growthTable(outcomes: Outcome[]): string {
  const results = outcomes.filter(isGrowth).map((o) => o.result);
  const rows = results.flatMap((r) =>
    r.timings.map(
      (t) =>
        `| ${t.list} \`${t.path}\` | ${r.database} | ${t.status.small} / ${t.status.large} | ${ms(t.small.p50)} / ${ms(t.small.p99)} | ${ms(t.large.p50)} / ${ms(t.large.p99)} | ${t.ratio <= 2 ? "" : "⚠ "}**${t.ratio.toFixed(2)}×** |`,
    ),
  );
  const failed = failureLines(outcomes, (o) => o.args.join(" ").includes("growth"));
  return [
    "| list | database | status small / large | small p50 / p99 ms | large p50 / p99 ms | large ÷ small (p50) |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows,
    ...failed,
  ].join("\n");
}

export function growthSection(outcomes: Outcome[]): string {
  const results = outcomes.filter(isGrowth);
  const sizes = results
    .map(
      ({ database, load, result: r }) =>
        `- ${database}: small ${Object.entries(r.sizes.small)
          .map(([k, v]) => `${n(v)} ${k}`)
          .join(", ")}; large ${Object.entries(r.sizes.large)
          .map(([k, v]) => `${n(v)} ${k}`)
          .join(
            ", ",
          )}; seeded in ${ms(r.seedSeconds)} s; load ${load.toFixed(1)} before, ${r.load.start.toFixed(1)} → ${r.load.end.toFixed(1)} while measuring`,
    )
    .join("\n");
  return `## Growth: every list from 100 to 100,000 rows (\`bench/growth.ts\`)

A list must cost the same whatever the size of the instance: keyset pages on the index of
their list, counters instead of counts, linked rows loaded once per page (docs/ARCHITECTURE.md,
"Lists and counters"). The target is **large ÷ small ≤ 2×** for every list.

${growthTable(outcomes)}

${sizes}

How it is set up: two instances (\`buildApp\`, role \`all\`) in one process, each on a fresh
database, seeded in bulk SQL (\`generate_series\`), not through the API: a small one (100
encounters, 100 followers of bea, 100 actors she follows, 100 notifications) and a large one
(100,000 encounters — 9 in 10 by bea, 1 in 10 by an actor she follows, each with a plain
participant —, 10,000 followers, 10,000 following, 100,000 notifications naming bea). After
seeding, each database is analyzed, as PGlite's statistics keeper (\`src/db/statistics.ts\`)
or PostgreSQL's autovacuum does after such a batch. The keyword "Rare" is in 1 encounter of 5
among the first 100 and 1 of 100 after them, so both sizes show a full page. Each list is asked
for through \`app.http.inject()\` (the server's time, no network) of the small and the large
instance in alternation, after a few unmeasured requests: what other work does to the machine
meanwhile weighs on both sizes alike. The first page, and for the profile and the followers a
page in the middle of the list (\`?before=<key>\`). Visitor pages as a visitor whose pages are made at each request (a session cookie that opens no session keeps them out of the visitor page cache, which would answer them without running the list's query), member pages with bea's session,
the Mastodon API with a token of bea's, ActivityPub as \`application/activity+json\`.
The machine is shared: ratios from one run are what count, single times move with the load.`;
}
