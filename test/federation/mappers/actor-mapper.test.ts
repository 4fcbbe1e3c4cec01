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
  avatarMediaKey: null,
  headerUrl: null,
  headerMediaKey: null,
  fields: [],
  profileUpdatedAt: null,
  autoCosignFromFollowed: false,
  role: "member",
  createdAt: new Date("2021-03-14T09:26:53.589Z"),
  email: null,
  emailVerifiedAt: null,
  deletedAt: null,
  alsoKnownAs: [],
  movedTo: null,
  movedAt: null,
  suspendedAt: null,
  suspensionReason: null,
  frozenAt: null,
  frozenReason: null,
};

/** The same member once she filled in her profile. */
const withProfile: Member = {
  ...member,
  bio: "Rencontres & liens <faibles>.\nMon site : https://bea.example/blog.\n\nMembre depuis 2021.",
  avatarUrl:
    "https://social.example/media/profiles/7d3c1a52-7a55-4a3d-9c6e-0e2f1d4b5a61.avatar.webp",
  avatarMediaKey: "profiles/7d3c1a52-7a55-4a3d-9c6e-0e2f1d4b5a61.avatar.webp",
  headerUrl:
    "https://social.example/media/profiles/c1b0e2a4-3f5d-4e6a-8b7c-9d0e1f2a3b4c.header.webp",
  headerMediaKey: "profiles/c1b0e2a4-3f5d-4e6a-8b7c-9d0e1f2a3b4c.header.webp",
  fields: [
    { name: "Ville", value: "Lyon <3" },
    { name: "Site", value: "https://bea.example/" },
  ],
  profileUpdatedAt: new Date("2026-05-01T10:00:00.000Z"),
  // Moving in: her Mastodon account may move here.
  alsoKnownAs: ["https://mastodon.example/users/bea", "https://other.example/@bea"],
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

  it("sends the whole profile (summary with links, icon, image, PropertyValue fields) exactly as in its snapshot", async () => {
    const json = await jsonOf(memberToPerson(withProfile, urls, keys));
    await expect(`${JSON.stringify(json, null, 2)}\n`).toMatchFileSnapshot(
      "../../__snapshots__/actor-mapper.person-profile.jsonld",
    );
  });

  it("marks a pioneer with one more PropertyValue after her own fields, exactly as in its snapshot", async () => {
    const pioneer = { ...withProfile, email: "bea@example.org", role: "admin" as const };
    const json = await jsonOf(memberToPerson(pioneer, urls, keys, { rank: 12, of: 100 }));
    await expect(`${JSON.stringify(json, null, 2)}\n`).toMatchFileSnapshot(
      "../../__snapshots__/actor-mapper.person-pioneer.jsonld",
    );
    expect((json.attachment as Json[]).at(-1)).toEqual({
      type: "PropertyValue",
      name: "Pionnier·e",
      value: "n° 12 sur 100",
    });
    // Neither the e-mail nor the role is published.
    expect(JSON.stringify(json)).not.toMatch(/bea@example\.org|admin/);
    const english = await jsonOf(
      memberToPerson({ ...member, language: "en" }, urls, keys, { rank: 1, of: 100 }),
    );
    expect(english.attachment).toEqual([
      { type: "PropertyValue", name: "Pioneer", value: "No. 1 of 100" },
    ]);
  });

  it("publishes the accounts that may move here (alsoKnownAs) and where she moved (movedTo)", async () => {
    const json = await jsonOf(memberToPerson(withProfile, urls, keys));
    expect(json.alsoKnownAs).toEqual(withProfile.alsoKnownAs);
    expect(json).not.toHaveProperty("movedTo");
    const moved = await jsonOf(
      memberToPerson({ ...member, movedTo: "https://new.example/users/bea" }, urls, keys),
    );
    expect(moved.movedTo).toBe("https://new.example/users/bea");
    expect(moved).not.toHaveProperty("alsoKnownAs");
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
    expect(json.icon).toMatchObject({
      type: "Image",
      mediaType: "image/png",
      url: "https://social.example/media/bea.png",
    });
    const without = await jsonOf(memberToPerson(member, urls, keys));
    expect(without.icon).toBeUndefined();
    expect(without.image).toBeUndefined();
    expect(without.attachment).toBeUndefined();
  });

  describe("a filled-in profile, as Mastodon reads it", () => {
    let json: Json;
    beforeAll(async () => {
      json = await jsonOf(memberToPerson(withProfile, urls, keys));
    });

    it("has the bio as escaped HTML with its URL as a link, the trailing full stop left out", () => {
      expect(json.summary).toBe(
        '<p>Rencontres &amp; liens &lt;faibles&gt;.<br>Mon site : <a href="https://bea.example/blog" rel="nofollow noopener noreferrer">bea.example/blog</a>.</p><p>Membre depuis 2021.</p>',
      );
    });

    it("has the avatar as icon and the header as image, both WebP from our /media", () => {
      expect(json.icon).toEqual({
        type: "Image",
        mediaType: "image/webp",
        url: withProfile.avatarUrl,
      });
      expect(json.image).toEqual({
        type: "Image",
        mediaType: "image/webp",
        url: withProfile.headerUrl,
      });
    });

    it("has each field as a PropertyValue with Mastodon's schema.org terms, a URL value as a rel=me link", () => {
      expect(json.attachment).toEqual([
        { type: "PropertyValue", name: "Ville", value: "Lyon &lt;3" },
        {
          type: "PropertyValue",
          name: "Site",
          value:
            '<a href="https://bea.example/" rel="me nofollow noopener noreferrer">bea.example/</a>',
        },
      ]);
      const terms = (json["@context"] as unknown[]).find(
        (c): c is Json => typeof c === "object" && c !== null && "PropertyValue" in c,
      );
      // Exactly the terms Mastodon's own actors define.
      expect(terms).toMatchObject({
        schema: "http://schema.org#",
        PropertyValue: "schema:PropertyValue",
        value: "schema:value",
      });
    });

    it("keeps a single field an array, as Pixelfed and others read only arrays", async () => {
      const one = await jsonOf(
        memberToPerson({ ...withProfile, fields: [{ name: "Ville", value: "Lyon" }] }, urls, keys),
      );
      expect(one.attachment).toEqual([{ type: "PropertyValue", name: "Ville", value: "Lyon" }]);
    });
  });
});
