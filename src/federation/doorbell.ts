/**
 * Wakes idle listeners of this queue when a job is enqueued or finished, so
 * local work does not wait for the next poll. The generation counter catches
 * a wake-up that lands between an empty claim and the start of the sleep.
 */
export interface Doorbell {
  generation: number;
  sleepers: Set<() => void>;
}

/**
 * `jobs` new or freed jobs: at most that many idle listeners are woken (each claims what
 * it has slots for), not every one of them for a single job.
 */
export function ring(bell: Doorbell, jobs = Number.POSITIVE_INFINITY): void {
  bell.generation++;
  let woken = 0;
  for (const wake of [...bell.sleepers]) {
    if (woken++ >= jobs) break;
    wake();
  }
}

export function sleep(
  bell: Doorbell,
  since: number,
  ms: number,
  signal?: AbortSignal,
): Promise<void> {
  if (bell.generation !== since || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      bell.sleepers.delete(done);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    bell.sleepers.add(done);
    signal?.addEventListener("abort", done, { once: true });
  });
}
