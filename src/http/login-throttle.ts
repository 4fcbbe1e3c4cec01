import {
  type AttemptCounters,
  createFailedAttemptLimiter,
} from "../shared/failed-attempt-limiter.ts";

export interface LoginThrottleOptions {
  /** Failed log-ins one address may make (whatever the accounts) per window; then it waits. */
  maxFailuresPerAddress?: number;
  /** Failed log-ins an account may receive (from any address) per window before its checks slow down. */
  accountBudget?: number;
  windowMs?: number;
  /** While an account is under attack, how long each failed check holds that account's lane. */
  failureDelayMs?: number;
  /** Attempts that may wait in one account's lane; more get a short 429. */
  maxLaneWaiting?: number;
  /** How long an address that logged in to an account skips that account's lane. */
  knownAddressMs?: number;
}

export type LoginOutcome<T> =
  | { kind: "ok"; value: T }
  | { kind: "wrong" }
  /** `address`: this address failed too often; `account`: the account's lane is full for now. */
  | { kind: "wait"; scope: "address" | "account"; retryAfter: number };

export interface LoginThrottle {
  /**
   * Runs one password check (`check` resolves to the member, or undefined when wrong) for
   * `account` from `address`, the client's real address (see TRUST_PROXY).
   */
  attempt<T>(
    account: string,
    address: string,
    check: () => Promise<T | undefined>,
  ): Promise<LoginOutcome<T>>;
}

/**
 * Limits password guessing without letting a stranger lock a member out:
 * - an address that failed too often (whatever the accounts) waits until its window ends;
 * - an account that received many failures from any number of addresses is never refused:
 *   its checks go single file, each failure holding the line for `failureDelayMs`, so
 *   guesses against it slow to about one a second while the member still gets their turn;
 * - an address that logged in to the account recently skips that line.
 * The counts live in `counters` (the database's: shared by every process of the instance);
 * the lanes are per process, so with N web processes an account under attack is checked at
 * most N times a second.
 */
export function createLoginThrottle(
  counters: AttemptCounters,
  options: LoginThrottleOptions = {},
): LoginThrottle {
  const windowMs = options.windowMs ?? 15 * 60_000;
  const failureDelayMs = options.failureDelayMs ?? 1_000;
  const maxLaneWaiting = options.maxLaneWaiting ?? 10;
  const addresses = createFailedAttemptLimiter({
    counters,
    scope: "login-address",
    maxFailures: options.maxFailuresPerAddress ?? 20,
    windowMs,
  });
  const accounts = createFailedAttemptLimiter({
    counters,
    scope: "login-account",
    maxFailures: options.accountBudget ?? 10,
    windowMs,
  });
  // One success marks an (account, address) pair as known for `knownAddressMs`.
  const known = createFailedAttemptLimiter({
    counters,
    scope: "login-known",
    maxFailures: 1,
    windowMs: options.knownAddressMs ?? 30 * 24 * 3_600_000,
  });
  // Per account under attack: the last check's end, and the attempts in line (running or waiting).
  const lanes = new Map<string, { tail: Promise<void>; size: number }>();

  /** Runs `check` when the account's earlier checks are done; undefined when the lane is full. */
  async function inLane<T>(account: string, check: () => Promise<T | undefined>) {
    let lane = lanes.get(account);
    if (!lane) {
      lane = { tail: Promise.resolve(), size: 0 };
      lanes.set(account, lane);
    }
    // One attempt runs (or holds the lane after a failure), up to maxLaneWaiting wait.
    if (lane.size > maxLaneWaiting) return undefined;
    const current = lane;
    const previous = current.tail;
    let release = () => {};
    current.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    current.size++;
    await previous;
    let hold = false;
    try {
      const value = await check();
      hold = value === undefined;
      return { value };
    } finally {
      const done = () => {
        release();
        if (--current.size === 0 && lanes.get(account) === current) lanes.delete(account);
      };
      if (hold) setTimeout(done, failureDelayMs).unref();
      else done();
    }
  }

  return {
    async attempt(account, address, check) {
      const wait = await addresses.retryAfter(address);
      if (wait > 0) return { kind: "wait", scope: "address", retryAfter: wait };
      const pair = `${account}\n${address}`;
      const underAttack =
        (await accounts.retryAfter(account)) > 0 && (await known.retryAfter(pair)) === 0;
      const result = underAttack ? await inLane(account, check) : { value: await check() };
      if (!result) {
        const retryAfter = Math.max(1, Math.ceil((maxLaneWaiting * failureDelayMs) / 1000));
        return { kind: "wait", scope: "account", retryAfter };
      }
      if (result.value === undefined) {
        await Promise.all([addresses.recordFailure(address), accounts.recordFailure(account)]);
        return { kind: "wrong" };
      }
      await known.recordFailure(pair);
      return { kind: "ok", value: result.value };
    },
  };
}
