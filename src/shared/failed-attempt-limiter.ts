/**
 * Counts failed attempts (tokens, log-ins, look-ups…) per key in a fixed window. One per use
 * (its `scope`) and per app instance (built where it is wired), over a store of counts:
 * the database's (src/db/attempt-counters.ts), shared by every process of the instance, so
 * a limit behind a load balancer is the same limit whatever process answers; or a
 * process's memory (tests of the logic alone).
 */
export interface FailedAttemptLimiter {
  /** Seconds until the address may try again, or 0 when it may try now. */
  retryAfter(key: string): Promise<number>;
  recordFailure(key: string): Promise<void>;
}

/** Where the counts live. `now` and `resetAt` are milliseconds since the epoch. */
export interface AttemptCounters {
  /** The failures counted for `key` in its open window, and when that window ends. */
  read(
    scope: string,
    key: string,
    now: number,
  ): Promise<{ failures: number; resetAt: number } | undefined>;
  /** Counts one more failure, opening a window of `windowMs` when none is open. */
  add(scope: string, key: string, windowMs: number, now: number): Promise<void>;
}

export function createFailedAttemptLimiter(options: {
  counters: AttemptCounters;
  /** What the limiter counts, unique per use on one store ("login-address", "bearer"…). */
  scope: string;
  maxFailures?: number;
  windowMs?: number;
  now?: () => number;
}): FailedAttemptLimiter {
  const { counters, scope } = options;
  const maxFailures = options.maxFailures ?? 20;
  const windowMs = options.windowMs ?? 10 * 60_000;
  const now = options.now ?? Date.now;
  return {
    async retryAfter(key) {
      const at = now();
      const entry = await counters.read(scope, key, at);
      if (!entry || entry.failures < maxFailures) return 0;
      return Math.max(1, Math.ceil((entry.resetAt - at) / 1000));
    },
    recordFailure: (key) => counters.add(scope, key, windowMs, now()),
  };
}

/** Counts in this process's memory, bounded (`maxTracked` keys, the oldest dropped first). */
export function createMemoryAttemptCounters(
  options: { maxTracked?: number } = {},
): AttemptCounters {
  const maxTracked = options.maxTracked ?? 10_000;
  const windows = new Map<string, { failures: number; resetAt: number }>();

  function current(id: string, now: number) {
    const entry = windows.get(id);
    if (entry && entry.resetAt <= now) {
      windows.delete(id);
      return undefined;
    }
    return entry;
  }

  return {
    async read(scope, key, now) {
      const entry = current(`${scope}\n${key}`, now);
      return entry && { ...entry };
    },
    async add(scope, key, windowMs, now) {
      const id = `${scope}\n${key}`;
      const entry = current(id, now);
      if (entry) {
        entry.failures++;
        return;
      }
      // Bounded memory under a spray of addresses: drop expired windows, then the oldest.
      if (windows.size >= maxTracked) {
        for (const [k, value] of windows) if (value.resetAt <= now) windows.delete(k);
        const oldest = windows.keys().next();
        if (windows.size >= maxTracked && !oldest.done) windows.delete(oldest.value);
      }
      windows.set(id, { failures: 1, resetAt: now + windowMs });
    },
  };
}
