import { createFailedAttemptLimiter } from "../shared/failed-attempt-limiter.ts";

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
 * script filling the instance (each sign-up also costs a password hash). One per app, in
 * memory: a restart forgets it.
 */
export interface SignUpThrottle {
  /** Seconds until the address may send a sign-up form again, 0 when it may now. */
  retryAfter(address: string): number;
  attempted(address: string): void;
  created(address: string): void;
}

export function createSignUpThrottle(options: SignUpThrottleOptions = {}): SignUpThrottle {
  const windowMs = options.windowMs ?? 3_600_000;
  const attempts = createFailedAttemptLimiter({ maxFailures: options.maxAttempts ?? 30, windowMs });
  const created = createFailedAttemptLimiter({ maxFailures: options.maxCreated ?? 10, windowMs });
  return {
    retryAfter: (address) => Math.max(attempts.retryAfter(address), created.retryAfter(address)),
    attempted: (address) => attempts.recordFailure(address),
    created: (address) => created.recordFailure(address),
  };
}
