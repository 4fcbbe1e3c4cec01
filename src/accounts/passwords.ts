import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import { DomainError } from "../shared/errors.ts";

const scrypt = promisify(scryptCallback) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

// OWASP's scrypt recommendation (N=2^17, r=8, p=1): about 128 MiB and ~100 ms per hash.
const COST = { N: 2 ** 17, r: 8, p: 1 };
const KEY_LENGTH = 32;
const MAX_MEMORY = 256 * 1024 * 1024;

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 1024;

/** The one rule a new password follows, however it is set (creation, change, reset, the CLI). */
export function isAcceptablePassword(password: string): boolean {
  return password.length >= PASSWORD_MIN_LENGTH && password.length <= PASSWORD_MAX_LENGTH;
}

/** Throws the DomainError that says the rule, unless the password follows it. */
export function assertAcceptablePassword(password: string): void {
  if (!isAcceptablePassword(password)) {
    throw new DomainError(
      "invalid",
      `Password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long.`,
    );
  }
}

/** `scrypt$N$r$p$salt$hash`, so the cost can be raised later without breaking old hashes. */
export async function hashPassword(password: string, N: number = COST.N): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password.normalize("NFKC"), salt, KEY_LENGTH, {
    ...COST,
    N,
    maxmem: MAX_MEMORY,
  });
  return ["scrypt", N, COST.r, COST.p, salt.toString("base64url"), hash.toString("base64url")].join(
    "$",
  );
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash, ...extra] = stored.split("$");
  if (scheme !== "scrypt" || !n || !r || !p || !salt || !hash || extra.length > 0) return false;
  const expected = Buffer.from(hash, "base64url");
  // An empty or truncated hash would match an equally short derivation of any password.
  if (expected.length < KEY_LENGTH) return false;
  try {
    const actual = await scrypt(
      password.normalize("NFKC"),
      Buffer.from(salt, "base64url"),
      expected.length,
      { N: Number(n), r: Number(r), p: Number(p), maxmem: MAX_MEMORY },
    );
    return timingSafeEqual(actual, expected);
  } catch {
    // Cost parameters scrypt refuses (or that exceed the memory cap): not a hash of ours.
    return false;
  }
}

/**
 * A stored hash no password matches (random salt and digest, the same cost as ours): checking a
 * password for an unknown username costs one scrypt too, so timing does not tell who has an account.
 */
export const UNMATCHABLE_HASH = [
  "scrypt",
  COST.N,
  COST.r,
  COST.p,
  randomBytes(16).toString("base64url"),
  randomBytes(KEY_LENGTH).toString("base64url"),
].join("$");

/** Too many password checks are running or waiting: the caller answers 503 with Retry-After. */
export class PasswordHashingBusyError extends Error {
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number) {
    super(`The server is busy checking passwords: try again in ${retryAfterSeconds} seconds.`);
    this.name = "PasswordHashingBusyError";
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Hashing and checking passwords with a bound on the scrypt work running at once. */
export interface PasswordHashing {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string): Promise<boolean>;
  /** Hashes running and waiting now, and the most that ever ran at once. */
  stats(): { running: number; waiting: number; peakRunning: number };
}

/**
 * Each scrypt takes 128 MiB and a libuv thread for ~0.1–0.6 s. Without a bound, a burst of
 * log-ins queues unbounded CPU and memory (and fills libuv's 4 threads, which file and DNS
 * work share). `maxConcurrent` hashes run at once (2: one per core of a small VPS, leaving
 * libuv threads free), `maxWaiting` more wait their turn; beyond that the call fails at once
 * with `PasswordHashingBusyError`. One per app instance, built in the composition root.
 */
export function createPasswordHashing(
  options: {
    maxConcurrent?: number;
    maxWaiting?: number;
    /**
     * scrypt's N for new hashes. Only tests lower it (each hash at the production cost takes
     * ~100 ms and 128 MiB); stored hashes carry their own cost, so any of them still verifies.
     */
    costN?: number;
  } = {},
): PasswordHashing {
  const maxConcurrent = options.maxConcurrent ?? 2;
  const maxWaiting = options.maxWaiting ?? 8;
  const waiting: Array<() => void> = [];
  let running = 0;
  let peakRunning = 0;
  // A running estimate of one hash's duration, for Retry-After.
  let averageMs = 300;

  async function bounded<T>(work: () => Promise<T>): Promise<T> {
    if (running < maxConcurrent) {
      running++;
    } else if (waiting.length < maxWaiting) {
      // The slot is handed over by the hash that finishes: `running` stays the same.
      await new Promise<void>((resolve) => waiting.push(resolve));
    } else {
      const turns = (running + waiting.length) / maxConcurrent;
      throw new PasswordHashingBusyError(Math.max(1, Math.ceil((turns * averageMs) / 1000)));
    }
    peakRunning = Math.max(peakRunning, running);
    const started = performance.now();
    try {
      return await work();
    } finally {
      averageMs = 0.8 * averageMs + 0.2 * (performance.now() - started);
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  }

  return {
    hash: (password) => bounded(() => hashPassword(password, options.costN)),
    verify: (password, stored) => bounded(() => verifyPassword(password, stored)),
    stats: () => ({ running, waiting: waiting.length, peakRunning }),
  };
}

/** A password to print once when the admin did not choose one. */
export function generatePassword(): string {
  return randomBytes(18).toString("base64url");
}
