import { webcrypto } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ensureKeyPairs, type JwkPair, KEY_ALGORITHMS } from "../../src/accounts/key-pairs.ts";
import { createKeyPairCache } from "../../src/federation/key-pair-cache.ts";
import { useMigratedDatabase } from "../support/database.ts";

/** Key pairs are imported once per process, and again only when the stored keys change. */
describe("the key pair cache", () => {
  const database = useMigratedDatabase();

  it("imports an owner's pairs once, RSA first, and again after a rotation", async () => {
    const db = database.current().db;
    const cache = createKeyPairCache();
    const pairs = await ensureKeyPairs(db, "owner-1");
    expect(pairs.map((p) => p.algorithm).sort()).toEqual([...KEY_ALGORITHMS].sort());
    const first = await cache.imported("owner-1", [...pairs].reverse());
    expect(first.map((p) => p.privateKey.algorithm.name)).toEqual(["RSASSA-PKCS1-v1_5", "Ed25519"]);
    // The same stored keys, read again: the very same imported objects.
    const again = await cache.imported("owner-1", await ensureKeyPairs(db, "owner-1"));
    expect(again[0]?.privateKey).toBe(first[0]?.privateKey);
    expect(again[1]?.publicKey).toBe(first[1]?.publicKey);

    // Another owner's keys are theirs.
    const other = await cache.imported("owner-2", await ensureKeyPairs(db, "owner-2"));
    expect(other[0]?.privateKey).not.toBe(first[0]?.privateKey);
    expect(cache.size).toBe(2);

    // A rotated Ed25519 pair (another owner's, as a rotation would store a new one): imported anew.
    const ed = (await ensureKeyPairs(db, "owner-3")).find((p) => p.algorithm === "Ed25519");
    const rotated = pairs.map((p) => (p.algorithm === "Ed25519" && ed ? ed : p));
    const afterRotation = await cache.imported("owner-1", rotated);
    expect(afterRotation[1]?.publicKey).not.toBe(first[1]?.publicKey);
    const exported = await webcrypto.subtle.exportKey(
      "jwk",
      afterRotation[1]?.publicKey as webcrypto.CryptoKey,
    );
    expect(exported.x).toBe(ed?.publicKey.x);
  });

  it("does not keep a failed import", async () => {
    const cache = createKeyPairCache();
    const broken: JwkPair[] = [
      { algorithm: "Ed25519", publicKey: { kty: "OKP" }, privateKey: { kty: "OKP" } },
    ];
    await expect(cache.imported("broken", broken)).rejects.toThrow();
    expect(cache.size).toBe(0);
  });
});
