import { createHash, randomBytes } from "node:crypto";

/**
 * Bearer tokens carry 256 random bits, so a plain SHA-256 digest is enough to
 * store them: unlike passwords, they cannot be guessed from a dictionary.
 */
export function generateToken(): string {
  return randomBytes(32).toString("base64url");
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
