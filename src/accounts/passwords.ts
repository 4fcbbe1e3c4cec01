import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";

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

/** `scrypt$N$r$p$salt$hash`, so the cost can be raised later without breaking old hashes. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password.normalize("NFKC"), salt, KEY_LENGTH, {
    ...COST,
    maxmem: MAX_MEMORY,
  });
  return [
    "scrypt",
    COST.N,
    COST.r,
    COST.p,
    salt.toString("base64url"),
    hash.toString("base64url"),
  ].join("$");
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

/** A password to print once when the admin did not choose one. */
export function generatePassword(): string {
  return randomBytes(18).toString("base64url");
}
