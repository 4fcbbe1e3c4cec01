import { createHash, webcrypto } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Member } from "../src/accounts/members-service.ts";
import {
  createPasswordHashing,
  generatePassword,
  hashPassword,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  PasswordHashingBusyError,
  UNMATCHABLE_HASH,
  verifyPassword,
} from "../src/accounts/passwords.ts";
import { normalizeUsername } from "../src/accounts/usernames.ts";
import type { App } from "../src/app.ts";
import { DomainError } from "../src/shared/errors.ts";
import { buildTestApp, type TestApp } from "./support/app.ts";
import { databaseLabel } from "./support/database.ts";

/** The DomainError a call throws (or rejects with), to check its code and message. */
async function domainErrorOf(action: () => unknown): Promise<DomainError> {
  try {
    await action();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error("expected a DomainError, but nothing was thrown");
}

describe("usernames", () => {
  it.each([
    ["bea", "bea"],
    ["Bea", "bea"],
    ["BEA_2021", "bea_2021"],
    ["@bea", "bea"],
    ["  @Bea  ", "bea"],
    ["a", "a"],
    ["x".repeat(30), "x".repeat(30)],
  ])("normalizes %j to %j", (input, expected) => {
    expect(normalizeUsername(input)).toBe(expected);
  });

  it.each([
    "",
    "@",
    "x".repeat(31),
    "bé",
    "bea-2",
    "bea.2",
    "bea smith",
    "bea@example.org",
    "@@bea",
    "../bea",
    "be\na",
  ])("refuses %j with an invalid DomainError that says what is allowed", async (input) => {
    const error = await domainErrorOf(() => normalizeUsername(input));
    expect(error.code).toBe("invalid");
    expect(error.message).toMatch(/a–z, digits or underscores/);
  });

  it.each([
    "admin",
    "Admin",
    "@root",
    "instance",
    "actor",
    "socialdapres",
    "users",
    "inbox",
    "nodeinfo",
  ])("refuses the reserved name %j", async (input) => {
    const error = await domainErrorOf(() => normalizeUsername(input));
    expect(error.code).toBe("invalid");
    expect(error.message).toContain("reserved");
  });
});

describe("passwords", () => {
  // scrypt is deliberately slow: hash once, concurrently, and share the results.
  const password = "correct horse battery staple";
  const composed = "café-crème-2021"; // é as one code point
  let stored: string;
  let again: string;
  let composedStored: string;

  beforeAll(async () => {
    [stored, again, composedStored] = await Promise.all([
      hashPassword(password),
      hashPassword(password),
      hashPassword(composed),
    ]);
  });

  it("stores scrypt$N$r$p$salt$hash and never the password itself", () => {
    expect(stored).toMatch(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    const [, n, r, p] = stored.split("$").map(Number);
    // Costs below OWASP's scrypt recommendation would be a silent weakening.
    expect(n).toBeGreaterThanOrEqual(2 ** 17);
    expect(r).toBeGreaterThanOrEqual(8);
    expect(p).toBeGreaterThanOrEqual(1);
    for (const hash of [stored, again]) {
      expect(hash).not.toContain(password);
      expect(hash).not.toContain(Buffer.from(password).toString("base64url"));
      expect(hash).not.toContain(Buffer.from(password).toString("hex"));
    }
  });

  it("salts every hash", () => {
    expect(again).not.toBe(stored);
    expect(again.split("$")[4]).not.toBe(stored.split("$")[4]);
  });

  it("verifies the right password and refuses others", async () => {
    const [right, rightAgain, shorter, longer, otherCase, empty] = await Promise.all([
      verifyPassword(password, stored),
      verifyPassword(password, again),
      verifyPassword(password.slice(0, -1), stored),
      verifyPassword(`${password} `, stored),
      verifyPassword("Correct horse battery staple", stored),
      verifyPassword("", stored),
    ]);
    expect([right, rightAgain]).toEqual([true, true]);
    expect([shorter, longer, otherCase, empty]).toEqual([false, false, false, false]);
  });

  it("treats canonically equivalent Unicode spellings as the same password", async () => {
    const decomposed = composed.normalize("NFD"); // e + combining accent
    expect(decomposed).not.toBe(composed);
    expect(await verifyPassword(decomposed, composedStored)).toBe(true);
  });

  it.each([
    "",
    "plain",
    "bcrypt$10$abc$def",
    "scrypt$131072$8$1$c2FsdHNhbHRzYWx0c2FsdA",
    // A hash that decodes to nothing would compare equal to any empty derivation.
    "scrypt$131072$8$1$c2FsdHNhbHRzYWx0c2FsdA$",
    "scrypt$131072$8$1$c2FsdHNhbHRzYWx0c2FsdA$!!!!",
    "scrypt$abc$8$1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
    "scrypt$3$8$1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
    "scrypt$1099511627776$8$1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
  ])("answers false, without throwing, for the malformed stored value %j", async (bad) => {
    expect(await verifyPassword("anything at all", bad)).toBe(false);
    expect(await verifyPassword("", bad)).toBe(false);
  });

  it("runs at most two hashes at once; a burst beyond the waiting line is refused with a retry delay", async () => {
    const hashing = createPasswordHashing({ maxConcurrent: 2, maxWaiting: 3 });
    const burst = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        i === 0 ? hashing.verify(password, stored) : hashing.verify(password, UNMATCHABLE_HASH),
      ),
    );
    // Two run, three wait their turn, three are refused at once.
    expect(burst.map((r) => r.status)).toEqual([
      ...Array(5).fill("fulfilled"),
      ...Array(3).fill("rejected"),
    ]);
    expect(burst.slice(0, 5).map((r) => (r as PromiseFulfilledResult<boolean>).value)).toEqual([
      true,
      false,
      false,
      false,
      false,
    ]);
    for (const refused of burst.slice(5)) {
      const error = (refused as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(PasswordHashingBusyError);
      expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(error.message).toMatch(/busy checking passwords: try again in \d+ seconds/);
    }
    expect(hashing.stats()).toEqual({ running: 0, waiting: 0, peakRunning: 2 });
    // The line is free again.
    expect(await hashing.verify(password, again)).toBe(true);
  });

  it("has an unmatchable hash of the same cost for unknown usernames", async () => {
    expect(UNMATCHABLE_HASH.split("$").slice(0, 4)).toEqual(stored.split("$").slice(0, 4));
    expect(await verifyPassword("", UNMATCHABLE_HASH)).toBe(false);
    expect(await verifyPassword(password, UNMATCHABLE_HASH)).toBe(false);
  });

  it("generates passwords long enough to be accepted, and different each time", () => {
    const generated = new Set(Array.from({ length: 20 }, () => generatePassword()));
    expect(generated.size).toBe(20);
    for (const p of generated) {
      expect(p.length).toBeGreaterThanOrEqual(PASSWORD_MIN_LENGTH);
      expect(p.length).toBeLessThanOrEqual(PASSWORD_MAX_LENGTH);
      expect(p).toMatch(/^[A-Za-z0-9_-]+$/);
    }
  });
});

describe(`members and tokens (${databaseLabel})`, () => {
  let testApp: TestApp;
  let app: App;
  let bea: Member;
  let beaGeneratedPassword: string | undefined;
  const beaPassword = "tres-secret-2021";

  beforeAll(async () => {
    testApp = await buildTestApp();
    app = testApp.app;
    ({ member: bea, generatedPassword: beaGeneratedPassword } = await app.members.create({
      username: "Bea",
      password: beaPassword,
      displayName: "  Béa Martin ",
      bio: "Rencontres & liens faibles.\n\nLyon",
    }));
  });
  afterAll(() => testApp?.close());

  it("creates a member with a normalized username and trimmed profile", async () => {
    expect(bea.username).toBe("bea");
    expect(bea.displayName).toBe("Béa Martin");
    expect(bea.bio).toBe("Rencontres & liens faibles.\n\nLyon");
    expect(bea.manuallyApprovesFollowers).toBe(false);
    expect(bea.discoverable).toBe(true);
    expect(await app.members.findByUsername("BEA")).toEqual(bea);
    expect(await app.members.findByUsername("@bea")).toEqual(bea);
    expect(await app.members.findById(bea.id)).toEqual(bea);
    expect(await app.members.findByUsername("nobody")).toBeUndefined();
  });

  it("stores a hash of the password that verifies, never the password", async () => {
    expect(bea.passwordHash).not.toContain(beaPassword);
    expect(
      await Promise.all([
        verifyPassword(beaPassword, bea.passwordHash),
        verifyPassword("wrong-password", bea.passwordHash),
      ]),
    ).toEqual([true, false]);
    const rows = await app.database.rows(sql`select * from members`);
    expect(JSON.stringify(rows)).not.toContain(beaPassword);
  });

  it("checks a password: the member for the right one, nothing for a wrong one or an unknown name", async () => {
    const [right, anyCase, wrong, unknown] = await Promise.all([
      app.members.checkPassword("bea", beaPassword),
      app.members.checkPassword("@BEA", beaPassword),
      app.members.checkPassword("bea", `${beaPassword}x`),
      app.members.checkPassword("nobody", beaPassword),
    ]);
    expect(right?.id).toBe(bea.id);
    expect(anyCase?.id).toBe(bea.id);
    expect(wrong).toBeUndefined();
    expect(unknown).toBeUndefined();
  });

  it("refuses a username taken in any case, with a conflict", async () => {
    for (const username of ["bea", "BEA", "@Bea"]) {
      const error = await domainErrorOf(() =>
        app.members.create({ username, password: "another-password" }),
      );
      expect(error.code).toBe("conflict");
      expect(error.message).toContain('"bea"');
    }
    expect(await app.members.count()).toBe(1);
  });

  it("lets exactly one of two simultaneous sign-ups for the same name through", async () => {
    const results = await Promise.allSettled([
      app.members.create({ username: "zoe", password: "zoe-password-1" }),
      app.members.create({ username: "ZOE", password: "zoe-password-2" }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const failures = results.filter((r) => r.status === "rejected");
    expect(failures).toHaveLength(1);
    const reason = (failures[0] as PromiseRejectedResult).reason as DomainError;
    expect(reason).toBeInstanceOf(DomainError);
    expect(reason.code).toBe("conflict");
    const rows = await app.database.rows<{ n: number }>(
      sql`select count(*)::int as n from actors where username = 'zoe'`,
    );
    expect(rows[0]?.n).toBe(1);
  });

  it.each([
    ["a reserved name", { username: "admin", password: "long-enough-pw" }, /reserved/],
    ["a bad name", { username: "bad name", password: "long-enough-pw" }, /not valid/],
    ["a short password", { username: "shortpw", password: "123456789" }, /Password must be/],
    [
      "a long password",
      { username: "longpw", password: "p".repeat(PASSWORD_MAX_LENGTH + 1) },
      /Password must be/,
    ],
    [
      "a long display name",
      { username: "longname", password: "long-enough-pw", displayName: "n".repeat(101) },
      /Display name/,
    ],
    [
      "a long bio",
      { username: "longbio", password: "long-enough-pw", bio: "b".repeat(1001) },
      /Bio/,
    ],
  ])("refuses %s as invalid", async (_label, input, message) => {
    const before = await app.members.count();
    const error = await domainErrorOf(() => app.members.create(input));
    expect(error.code).toBe("invalid");
    expect(error.message).toMatch(message);
    expect(await app.members.count()).toBe(before);
  });

  it("generates a password when none is given, and it verifies", async () => {
    const { member, generatedPassword } = await app.members.create({ username: "gen" });
    expect(generatedPassword).toBeDefined();
    expect(await verifyPassword(generatedPassword as string, member.passwordHash)).toBe(true);
    // Béa chose hers: nothing to show.
    expect(beaGeneratedPassword).toBeUndefined();
  });

  it("creates the member's actor row with the instance's IRIs", async () => {
    const actor = await app.actors.findByMemberId(bea.id);
    const base = testApp.baseUrl;
    expect(actor).toMatchObject({
      memberId: bea.id,
      iri: `${base}/users/bea`,
      type: "Person",
      username: "bea",
      host: new URL(base).host,
      name: "Béa Martin",
      url: `${base}/@bea`,
      inboxUrl: `${base}/users/bea/inbox`,
      sharedInboxUrl: `${base}/inbox`,
      followersUrl: `${base}/users/bea/followers`,
      manuallyApprovesFollowers: false,
    });
    expect(await app.actors.findByIri(`${base}/users/bea`)).toEqual(actor);
    expect(app.urls.usernameOf(actor?.iri as string)).toBe("bea");
  });

  it("records manual approval on both the member and its actor", async () => {
    const { member } = await app.members.create({
      username: "shy",
      password: "shy-password",
      manuallyApprovesFollowers: true,
    });
    expect(member.manuallyApprovesFollowers).toBe(true);
    expect((await app.actors.findByMemberId(member.id))?.manuallyApprovesFollowers).toBe(true);
  });

  describe("key pairs", () => {
    it("creates one RSA-2048 and one Ed25519 pair with the member", async () => {
      const rows = await app.database.rows<{ algorithm: string }>(
        sql`select algorithm from actor_keys where owner = ${bea.id} order by algorithm`,
      );
      expect(rows.map((r) => r.algorithm)).toEqual(["Ed25519", "RSASSA-PKCS1-v1_5"]);
      const pairs = await app.members.keyPairs(bea);
      const rsa = pairs.find((p) => p.algorithm === "RSASSA-PKCS1-v1_5");
      const ed = pairs.find((p) => p.algorithm === "Ed25519");
      expect(rsa?.publicKey.kty).toBe("RSA");
      expect(Buffer.from(rsa?.publicKey.n as string, "base64url").length * 8).toBe(2048);
      expect(rsa?.publicKey.d).toBeUndefined();
      expect(rsa?.privateKey.d).toBeDefined();
      expect(ed?.publicKey).toMatchObject({ kty: "OKP", crv: "Ed25519" });
      expect(ed?.publicKey.d).toBeUndefined();
      expect(ed?.privateKey.d).toBeDefined();
    });

    it("returns the same keys every time", async () => {
      const first = await app.members.keyPairs(bea);
      const second = await app.members.keyPairs(bea);
      expect(second).toEqual(first);
      const rows = await app.database.rows<{ n: number }>(
        sql`select count(*)::int as n from actor_keys where owner = ${bea.id}`,
      );
      expect(rows[0]?.n).toBe(2);
    });

    it("gives each private key its matching public key", async () => {
      const data = new TextEncoder().encode("Signed by Béa");
      for (const pair of await app.members.keyPairs(bea)) {
        const algorithm =
          pair.algorithm === "Ed25519"
            ? { name: "Ed25519" }
            : { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
        const privateKey = await webcrypto.subtle.importKey(
          "jwk",
          pair.privateKey,
          algorithm,
          false,
          ["sign"],
        );
        const publicKey = await webcrypto.subtle.importKey(
          "jwk",
          pair.publicKey,
          algorithm,
          false,
          ["verify"],
        );
        const signature = await webcrypto.subtle.sign(algorithm, privateKey, data);
        expect(await webcrypto.subtle.verify(algorithm, publicKey, signature, data)).toBe(true);
      }
    });

    it("creates the instance's keys once, even when asked for them concurrently", async () => {
      const all = await Promise.all([
        app.members.instanceKeyPairs(),
        app.members.instanceKeyPairs(),
        app.members.instanceKeyPairs(),
      ]);
      expect(all[1]).toEqual(all[0]);
      expect(all[2]).toEqual(all[0]);
      expect(await app.members.instanceKeyPairs()).toEqual(all[0]);
      const memberKeys = await app.members.keyPairs(bea);
      expect(all[0]?.map((p) => p.publicKey)).not.toEqual(memberKeys.map((p) => p.publicKey));
    });
  });

  describe("tokens", () => {
    it("stores a token only as its digest", async () => {
      const token = await app.members.createToken("bea", "my client");
      expect(token.length).toBeGreaterThanOrEqual(40);
      const rows = await app.database.rows(sql`select * from access_tokens`);
      expect(rows).toHaveLength(1);
      const dumped = JSON.stringify(rows);
      expect(dumped).not.toContain(token);
      expect(dumped).not.toContain(Buffer.from(token, "base64url").toString("hex"));
      expect(rows[0]).toMatchObject({
        token_hash: createHash("sha256").update(token).digest("hex"),
        member_id: bea.id,
        label: "my client",
      });
    });

    it("authenticates a good token as its member and refuses bad ones", async () => {
      const token = await app.members.createToken("@BEA");
      const grant = await app.members.authenticateToken(token);
      expect(grant?.member.id).toBe(bea.id);
      expect(grant?.scopes).toEqual(["read", "write", "follow"]);
      const flipped = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
      for (const bad of ["", "x", flipped, token.slice(1), `${token}x`, token.toUpperCase()]) {
        expect(await app.members.authenticateToken(bad)).toBeUndefined();
      }
      expect(await app.members.authenticateToken("t".repeat(10_000))).toBeUndefined();
    });

    it("gives every call a new token, each of which works", async () => {
      const tokens = await Promise.all([1, 2, 3].map(() => app.members.createToken("bea")));
      expect(new Set(tokens).size).toBe(3);
      for (const token of tokens) {
        expect((await app.members.authenticateToken(token))?.member.username).toBe("bea");
      }
    });

    it("refuses a token for an unknown member", async () => {
      const error = await domainErrorOf(() => app.members.createToken("nobody"));
      expect(error.code).toBe("not_found");
    });
  });

  it("counts members and lists the discoverable ones, oldest first", async () => {
    const listed = await app.members.listDiscoverable(100);
    expect(listed.length).toBe(await app.members.count());
    expect(listed[0]?.username).toBe("bea");
    const times = listed.map((m) => m.createdAt.getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(await app.members.listDiscoverable(1)).toHaveLength(1);
  });
});
