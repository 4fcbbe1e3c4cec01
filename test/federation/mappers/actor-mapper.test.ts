import { createPublicKey, type webcrypto } from "node:crypto";
import { importJwk } from "@fedify/fedify";
import { CryptographicKey, Multikey, type Person } from "@fedify/vocab";
import { beforeAll, describe, expect, it } from "vitest";
import type { Member } from "../../../src/accounts/members-service.ts";
import { type ActorKeys, memberToPerson } from "../../../src/federation/mappers/actor.ts";
import { type LocalUrls, localUrls } from "../../../src/shared/local-urls.ts";

// Generated once with WebCrypto and frozen here, so the snapshot never changes.
const RSA_PUBLIC_JWK: webcrypto.JsonWebKey = {
  key_ops: ["verify"],
  ext: true,
  alg: "RS256",
  kty: "RSA",
  n: "sUvZtXdYbyJ3rzCex2_Bx4B5kQOJnu7RtLarrvLWfEhOqkYlmDttd-0IGpWnsP7eersr56EM6Hbw5THuSkekr9ttKFUmeereHJq2WQTfxz_vpBZmDTGJ3OQCBRuO5DLe3LNE_CWfGKnGZT83NKK54fByWCZsOfSMwryl-FcUjwHIdCCIPFIAB_J_aPQcKhU3ge6Z5oLLDFl8YZeB4UC0bV1KZ0xugFNwALH0mekpae3wpQ56KXhHtaES2OQJEvprvHVpG1NnTkVl0tDjtzCgUf48Ti2A5Mo8cCf2XtVLkZK8Kr5trqcJFyxlpmW8wWeqNUQjfviqk2ya6OgFcGC42Q",
  e: "AQAB",
};
const ED25519_PUBLIC_JWK: webcrypto.JsonWebKey = {
  key_ops: ["verify"],
  ext: true,
  alg: "Ed25519",
  crv: "Ed25519",
  x: "fOfxgyfbUvBn49PDyOsSyAZq8ZjQuoSbZRyI5o7_R_I",
  kty: "OKP",
};

const member: Member = {
  id: "0b6f1c1e-5b5e-4a3a-9d55-2f7f3c2a1b10",
  username: "bea",
  displayName: "Béa Martin",
  bio: "Rencontres & liens <faibles>.\nLyon\n\nMembre depuis 2021.",
  passwordHash: "scrypt$131072$8$1$c2FsdHNhbHRzYWx0c2FsdA$not-a-real-hash-and-never-published",
  manuallyApprovesFollowers: false,
  discoverable: true,
  indexable: true,
  language: "fr",
  avatarUrl: null,
  autoCosignFromFollowed: false,
  createdAt: new Date("2021-03-14T09:26:53.589Z"),
};

type Json = Record<string, unknown>;

const urls: LocalUrls = localUrls(new URL("https://social.example"));
let keys: ActorKeys;

beforeAll(async () => {
  const actor = urls.actor(member.username);
  const rsa = await importJwk(RSA_PUBLIC_JWK, "public");
  const ed25519 = await importJwk(ED25519_PUBLIC_JWK, "public");
  // The same ids Fedify's getActorKeyPairs() gives: #main-key, then #multikey-N.
  keys = {
    rsa: new CryptographicKey({
      id: new URL("#main-key", actor),
      owner: actor,
      publicKey: rsa,
    }),
    multikeys: [rsa, ed25519].map(
      (publicKey, i) =>
        new Multikey({ id: new URL(`#multikey-${i + 1}`, actor), controller: actor, publicKey }),
    ),
  };
});

async function jsonOf(person: Person): Promise<Json> {
  return (await person.toJsonLd({ format: "compact" })) as Json;
}

describe("memberToPerson", () => {
  it("sends exactly the JSON-LD of the snapshot", async () => {
    const json = await jsonOf(memberToPerson(member, urls, keys));
    await expect(`${JSON.stringify(json, null, 2)}\n`).toMatchFileSnapshot(
      "../../__snapshots__/actor-mapper.person.jsonld",
    );
  });

  it("is pure: the same member and keys give the same JSON", async () => {
    const first = await jsonOf(memberToPerson(member, urls, keys));
    const second = await jsonOf(memberToPerson({ ...member }, urls, keys));
    expect(second).toEqual(first);
  });

  describe("carries every field Mastodon reads", () => {
    let json: Json;
    beforeAll(async () => {
      json = await jsonOf(memberToPerson(member, urls, keys));
    });

    it("names the actor and links its pages and collections", () => {
      expect(json).toMatchObject({
        id: "https://social.example/users/bea",
        type: "Person",
        preferredUsername: "bea",
        name: "Béa Martin",
        url: "https://social.example/@bea",
        inbox: "https://social.example/users/bea/inbox",
        outbox: "https://social.example/users/bea/outbox",
        followers: "https://social.example/users/bea/followers",
        following: "https://social.example/users/bea/following",
        endpoints: { sharedInbox: "https://social.example/inbox" },
        manuallyApprovesFollowers: false,
        discoverable: true,
        indexable: true,
        published: "2021-03-14T09:26:53.589Z",
      });
      expect(json["@context"]).toEqual(
        expect.arrayContaining([
          "https://www.w3.org/ns/activitystreams",
          "https://w3id.org/security/v1",
        ]),
      );
    });

    it("gives the bio as escaped HTML paragraphs", () => {
      expect(json.summary).toBe(
        "<p>Rencontres &amp; liens &lt;faibles&gt;.<br>Lyon</p><p>Membre depuis 2021.</p>",
      );
    });

    it("has a single RSA publicKey object whose PEM is the member's key", () => {
      const publicKey = json.publicKey as Json;
      expect(Array.isArray(publicKey)).toBe(false);
      expect(publicKey).toMatchObject({
        id: "https://social.example/users/bea#main-key",
        owner: "https://social.example/users/bea",
      });
      const pem = publicKey.publicKeyPem as string;
      expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n?$/);
      const fromPem = createPublicKey(pem).export({ format: "jwk" });
      expect(fromPem).toEqual({ kty: "RSA", n: RSA_PUBLIC_JWK.n, e: RSA_PUBLIC_JWK.e });
    });

    it("lists the Ed25519 key (and the RSA one) in assertionMethod", () => {
      const methods = json.assertionMethod as Json[];
      expect(Array.isArray(methods)).toBe(true);
      expect(methods).toHaveLength(2);
      for (const method of methods) {
        expect(method).toMatchObject({
          type: "Multikey",
          controller: "https://social.example/users/bea",
        });
      }
      // Multibase base58btc of the multicodec ed25519-pub key starts with "z6Mk".
      const ed = methods.find((m) => (m.publicKeyMultibase as string).startsWith("z6Mk"));
      expect(ed?.id).toBe("https://social.example/users/bea#multikey-2");
    });

    it("publishes nothing private", () => {
      const text = JSON.stringify(json);
      expect(text).not.toContain(member.passwordHash);
      expect(text).not.toContain("scrypt");
      expect(text).not.toContain(member.id);
    });
  });

  it("falls back to the username without a display name, and has no summary paragraphs without a bio", async () => {
    const json = await jsonOf(memberToPerson({ ...member, displayName: "", bio: "" }, urls, keys));
    expect(json.name).toBe("bea");
    expect(json.summary ?? "").toBe("");
  });

  it("follows the member's choices on approval, discovery and indexing", async () => {
    const json = await jsonOf(
      memberToPerson(
        { ...member, manuallyApprovesFollowers: true, discoverable: false, indexable: false },
        urls,
        keys,
      ),
    );
    expect(json).toMatchObject({
      manuallyApprovesFollowers: true,
      discoverable: false,
      indexable: false,
    });
  });

  it("gives the avatar as an icon Image", async () => {
    const json = await jsonOf(
      memberToPerson({ ...member, avatarUrl: "https://social.example/media/bea.png" }, urls, keys),
    );
    expect(json.icon).toMatchObject({ type: "Image", url: "https://social.example/media/bea.png" });
    const without = await jsonOf(memberToPerson(member, urls, keys));
    expect(without.icon).toBeUndefined();
  });
});
