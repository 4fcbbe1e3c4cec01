import {
  type AttemptCounters,
  createFailedAttemptLimiter,
} from "../shared/failed-attempt-limiter.ts";

export interface SignUpThrottleOptions {
  /** Sign-up forms (valid or not) one address may send per window. */
  maxAttempts?: number;
  /** Accounts and applications one address may create per window. */
  maxCreated?: number;
  windowMs?: number;
}

/**
 * Sign-ups per client address (its real address, see TRUST_PROXY): 30 forms and 10 accounts
 * or applications an hour by default — room for a welcome evening on one Wi-Fi, none for a
 * script filling the instance (each sign-up also costs a password hash). Counted in
 * `counters` (the database's: every process of the instance counts together).
 */
export interface SignUpThrottle {
  /** Seconds until the address may send a sign-up form again, 0 when it may now. */
  retryAfter(address: string): Promise<number>;
  attempted(address: string): Promise<void>;
  created(address: string): Promise<void>;
}

export function createSignUpThrottle(
  counters: AttemptCounters,
  options: SignUpThrottleOptions = {},
): SignUpThrottle {
  const windowMs = options.windowMs ?? 3_600_000;
  const limit = (scope: string, maxFailures: number) =>
    createFailedAttemptLimiter({ counters, scope, maxFailures, windowMs });
  const attempts = limit("signup-form", options.maxAttempts ?? 30);
  const created = limit("signup-created", options.maxCreated ?? 10);
  return {
    retryAfter: async (address) =>
      Math.max(await attempts.retryAfter(address), await created.retryAfter(address)),
    attempted: (address) => attempts.recordFailure(address),
    created: (address) => created.recordFailure(address),
  };
}
