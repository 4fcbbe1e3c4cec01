/**
 * Counts failed attempts (tokens, log-ins, look-ups…) per key in a fixed window. One per use
 * and per app instance (built where it is wired), so tests and several apps in one process
 * never share counts.
 */
export interface FailedAttemptLimiter {
  /** Seconds until the address may try again, or 0 when it may try now. */
  retryAfter(ip: string): number;
  recordFailure(ip: string): void;
}

export function createFailedAttemptLimiter(
  options: {
    maxFailures?: number;
    windowMs?: number;
    now?: () => number;
    maxTracked?: number;
  } = {},
): FailedAttemptLimiter {
  const maxFailures = options.maxFailures ?? 20;
  const windowMs = options.windowMs ?? 10 * 60_000;
  const maxTracked = options.maxTracked ?? 10_000;
  const now = options.now ?? Date.now;
  const windows = new Map<string, { failures: number; resetAt: number }>();

  function current(ip: string) {
    const entry = windows.get(ip);
    if (entry && entry.resetAt <= now()) {
      windows.delete(ip);
      return undefined;
    }
    return entry;
  }

  return {
    retryAfter(ip) {
      const entry = current(ip);
      if (!entry || entry.failures < maxFailures) return 0;
      return Math.max(1, Math.ceil((entry.resetAt - now()) / 1000));
    },
    recordFailure(ip) {
      const entry = current(ip);
      if (entry) {
        entry.failures++;
        return;
      }
      // Bounded memory under a spray of addresses: drop expired windows, then the oldest.
      if (windows.size >= maxTracked) {
        for (const [key, value] of windows) if (value.resetAt <= now()) windows.delete(key);
        const oldest = windows.keys().next();
        if (windows.size >= maxTracked && !oldest.done) windows.delete(oldest.value);
      }
      windows.set(ip, { failures: 1, resetAt: now() + windowMs });
    },
  };
}
