import type { webcrypto } from "node:crypto";
import { importJwk } from "@fedify/fedify";
import type { JwkPair } from "../accounts/key-pairs.ts";

/**
 * Each owner's key pairs imported once per process: importing an RSA key costs milliseconds,
 * and Fedify asks for them to serve an actor and to sign every delivery. The stored JWKs are
 * still read for every call (one indexed query): when they differ from what was imported — a
 * key rotated, by this process or another — they are imported again, so a rotation is never
 * missed.
 */
export interface KeyPairCache {
  /** The pairs, RSA first (Fedify takes the first pair for `publicKey` and HTTP signatures). */
  imported(owner: string, pairs: JwkPair[]): Promise<webcrypto.CryptoKeyPair[]>;
  readonly size: number;
}

export function createKeyPairCache(maxOwners = 10_000): KeyPairCache {
  const byOwner = new Map<string, { stamp: string; keys: Promise<webcrypto.CryptoKeyPair[]> }>();
  return {
    imported(owner, pairs) {
      const ordered = [
        ...pairs.filter((p) => p.algorithm === "RSASSA-PKCS1-v1_5"),
        ...pairs.filter((p) => p.algorithm !== "RSASSA-PKCS1-v1_5"),
      ];
      // The private halves name the pairs: a rotation changes them.
      const stamp = JSON.stringify(ordered.map((p) => [p.algorithm, p.privateKey]));
      const held = byOwner.get(owner);
      if (held?.stamp === stamp) return held.keys;
      const keys = Promise.all(
        ordered.map(async (pair) => ({
          publicKey: await importJwk(pair.publicKey, "public"),
          privateKey: await importJwk(pair.privateKey, "private"),
        })),
      );
      byOwner.delete(owner);
      byOwner.set(owner, { stamp, keys });
      // A failed import is not kept: the next call tries again.
      keys.catch(() => {
        if (byOwner.get(owner)?.keys === keys) byOwner.delete(owner);
      });
      for (const oldest of byOwner.keys()) {
        if (byOwner.size <= maxOwners) break;
        byOwner.delete(oldest);
      }
      return keys;
    },
    get size() {
      return byOwner.size;
    },
  };
}
