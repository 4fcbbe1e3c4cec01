import { webcrypto } from "node:crypto";
import { and, eq } from "drizzle-orm";
import type { Db } from "../db/database.ts";
import { actorKeys } from "../db/schema.ts";

type JsonWebKey = webcrypto.JsonWebKey;

export type KeyAlgorithm = "RSASSA-PKCS1-v1_5" | "Ed25519";
export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ["RSASSA-PKCS1-v1_5", "Ed25519"];

export interface JwkPair {
  algorithm: KeyAlgorithm;
  publicKey: JsonWebKey;
  privateKey: JsonWebKey;
}

async function generateJwkPair(algorithm: KeyAlgorithm): Promise<JwkPair> {
  const params =
    algorithm === "Ed25519"
      ? { name: "Ed25519" }
      : {
          name: "RSASSA-PKCS1-v1_5",
          modulusLength: 2048,
          publicExponent: new Uint8Array([1, 0, 1]),
          hash: "SHA-256",
        };
  const pair = (await webcrypto.subtle.generateKey(params, true, [
    "sign",
    "verify",
  ])) as webcrypto.CryptoKeyPair;
  return {
    algorithm,
    publicKey: await webcrypto.subtle.exportKey("jwk", pair.publicKey),
    privateKey: await webcrypto.subtle.exportKey("jwk", pair.privateKey),
  };
}

/**
 * The key pairs of an owner (member id or "instance"), created on first use
 * and kept forever: remote servers cache public keys, so rotating them
 * silently would break every signature they check.
 */
export async function ensureKeyPairs(db: Db, owner: string): Promise<JwkPair[]> {
  const existing = await db.select().from(actorKeys).where(eq(actorKeys.owner, owner));
  const pairs: JwkPair[] = [];
  for (const algorithm of KEY_ALGORITHMS) {
    const row = existing.find((r) => r.algorithm === algorithm);
    if (row) {
      pairs.push({
        algorithm,
        publicKey: row.publicKey as JsonWebKey,
        privateKey: row.privateKey as JsonWebKey,
      });
      continue;
    }
    const fresh = await generateJwkPair(algorithm);
    // Two processes may race to create the same pair: the first insert wins, everyone reads it.
    await db
      .insert(actorKeys)
      .values({ owner, algorithm, publicKey: fresh.publicKey, privateKey: fresh.privateKey })
      .onConflictDoNothing();
    const [stored] = await db
      .select()
      .from(actorKeys)
      .where(and(eq(actorKeys.owner, owner), eq(actorKeys.algorithm, algorithm)));
    if (!stored) throw new Error(`key pair ${algorithm} for ${owner} vanished after insert`);
    pairs.push({
      algorithm,
      publicKey: stored.publicKey as JsonWebKey,
      privateKey: stored.privateKey as JsonWebKey,
    });
  }
  return pairs;
}
