import { queryObjects } from "node:v8";

/** Long enough for the first readiness probes and requests to be answered without the pause. */
const SETTLING_MS = 1_000;

/**
 * Start-up reads every module's source, runs the migrations and fills the caches, and leaves
 * 20–40 MB of that behind as garbage. Once the server idles nothing allocates, so V8 never
 * collects it and the idle process keeps it for good: 177–218 MiB idle on PostgreSQL from one
 * start to the next, 168–172 MiB once collected (docs/BENCHMARKS.md, footprint).
 *
 * Node has no public call for a memory-reducing collection without `--expose-gc`;
 * `v8.queryObjects` is documented to run a full collection before it counts, and V8 runs its
 * memory-reducing one (which also gives back the young generation). Counting instances of a
 * class nobody makes costs that collection and nothing else: a pause of about half a second,
 * once, so it runs a moment after the server is ready rather than before.
 */
export function collectStartUpGarbage(): void {
  class NeverInstantiated {}
  // Node marks queryObjects experimental and says so once on stderr; an admin reading the
  // server's output has nothing to do about it, so that warning alone is not shown.
  const emitWarning = process.emitWarning;
  process.emitWarning = () => {};
  try {
    queryObjects(NeverInstantiated, { format: "count" });
  } finally {
    process.emitWarning = emitWarning;
  }
}

/** Runs `collectStartUpGarbage` once, shortly after start-up; never keeps the process alive. */
export function scheduleStartUpCollection(delayMs = SETTLING_MS): void {
  setTimeout(collectStartUpGarbage, delayMs).unref();
}
