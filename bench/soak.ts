/**
 * The soak: at least 100,000 requests to a server in a process of its own (bench/memory-server.ts),
 * one public page in every `page-every` (the #Socialdapres and keyword lists, a profile, a
 * permalink, in French and English) and ActivityPub JSON and WebFinger otherwise; the server's
 * RSS is sampled after a full garbage collection every `sample-every` requests. It must stay
 * flat after the warm-up, within 10 %.
 * Run alone: node bench/soak.ts --database pglite [--requests 100000] [--page-every 50]
 */
import { type MemoryResult, runMemory } from "./memory.ts";
import { argument, type DatabaseKind, runScenarioMain } from "./support.ts";

export type SoakResult = Omit<MemoryResult, "scenario"> & { scenario: "soak" };

/** What bench/run.ts asks for: about 3 to 5 minutes on a shared 2-core machine. */
export const SOAK_PLAN = {
  requests: 100_000,
  // PGlite's WebAssembly memory takes a step while its buffers fill (seen between 10,000 and
  // 20,000 requests), then stays: growth is measured from there.
  warmup: 20_000,
  sampleEvery: 10_000,
  pageEvery: 50,
  concurrency: 16,
};

export async function runSoak(
  options: typeof SOAK_PLAN & { database: DatabaseKind; timeoutMs: number },
): Promise<SoakResult> {
  const result = await runMemory({
    ...options,
    localEncounters: 100,
    remoteEncounters: 20,
    maxRssMib: 3072,
  });
  return { ...result, scenario: "soak" };
}

if (import.meta.main) {
  const timeoutMs = Number(argument("timeout-ms", "420000"));
  runScenarioMain(timeoutMs + 120_000, () =>
    runSoak({
      requests: Number(argument("requests", String(SOAK_PLAN.requests))),
      warmup: Number(argument("warmup", String(SOAK_PLAN.warmup))),
      sampleEvery: Number(argument("sample-every", String(SOAK_PLAN.sampleEvery))),
      pageEvery: Number(argument("page-every", String(SOAK_PLAN.pageEvery))),
      concurrency: Number(argument("concurrency", String(SOAK_PLAN.concurrency))),
      database: argument("database", "pglite") as DatabaseKind,
      timeoutMs,
    }),
  );
}
