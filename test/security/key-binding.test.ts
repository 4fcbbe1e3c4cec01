import { readFileSync } from "node:fs";
import { type DocumentLoader, preloadedContexts } from "@fedify/fedify";
import { describe, expect, it } from "vitest";
import { bindKeysToOwners } from "../../src/federation/key-binding.ts";

const FIXTURES = new URL("../fixtures/fediverse/", import.meta.url);
const readJson = (path: string) => JSON.parse(readFileSync(new URL(path, FIXTURES), "utf8"));

// Pleroma servers each serve the litepub context at their own address.
const litepub = readJson("contexts/litepub-0.1.jsonld");
const contexts: Record<string, unknown> = {
  ...preloadedContexts,
  "https://queer.hacktivis.me/schemas/litepub-0.1.jsonld": litepub,
};
const contextLoader: DocumentLoader = async (url) => {
  if (!(url in contexts)) throw new Error(`no network in tests: ${url}`);
  return { contextUrl: null, documentUrl: url, document: contexts[url] };
};

const AS = "https://www.w3.org/ns/activitystreams";
const SEC = "https://w3id.org/security/v1";
const PEM =
  "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";

/**
 * A fediverse in a table: each URL serves a document, possibly from another URL (a redirect).
 * `loaded` lists what the binding fetched.
 */
function web(pages: Record<string, unknown>, redirects: Record<string, string> = {}) {
  const loaded: string[] = [];
  const loader: DocumentLoader = async (url) => {
    loaded.push(url);
    const servedFrom = redirects[url] ?? url;
    const document = pages[servedFrom.replace(/#.*$/, "")];
    if (document === undefined) throw new Error(`404 ${url}`);
    return { contextUrl: null, documentUrl: servedFrom, document };
  };
  return { load: bindKeysToOwners(loader, contextLoader), loaded };
}

const person = (id: string, key: Record<string, unknown>) => ({
  "@context": [AS, SEC],
  type: "Person",
  id,
  inbox: `${id}/inbox`,
  publicKey: key,
});

describe("keys bound to the actors that list them", () => {
  it.each([
    ["Mastodon", "actors/mastodon-person-gargron.json"],
    ["GoToSocial (keyId without a fragment)", "actors/gotosocial-person.json"],
    ["Misskey (publicKey of type Key)", "actors/misskey-person.json"],
    ["Pleroma (litepub context)", "actors/pleroma-person.json"],
  ])("accepts %s actors as they are served", async (_name, path) => {
    const actor = readJson(path);
    const keyId: string = actor.publicKey.id;
    const { load } = web({ [actor.id]: actor, [keyId.replace(/#.*$/, "")]: actor });
    await expect(load(keyId)).resolves.toMatchObject({ document: actor });
    await expect(load(actor.id)).resolves.toMatchObject({ document: actor });
  });

  it("accepts a standalone key document that its owner lists", async () => {
    const owner = person("https://good.example/users/ann", {
      id: "https://good.example/keys/1",
      owner: "https://good.example/users/ann",
      publicKeyPem: PEM,
    });
    const key = {
      "@context": SEC,
      type: "CryptographicKey",
      id: "https://good.example/keys/1",
      owner: "https://good.example/users/ann",
      publicKeyPem: PEM,
    };
    const { load, loaded } = web({ [owner.id]: owner, [key.id]: key });
    await expect(load(key.id)).resolves.toMatchObject({ document: key });
    expect(loaded).toEqual([key.id, owner.id]);
  });

  it("refuses a key document that claims an owner on another server", async () => {
    const key = {
      "@context": SEC,
      type: "CryptographicKey",
      id: "https://evil.example/keys/1",
      owner: "https://victim.example/users/x",
      publicKeyPem: PEM,
    };
    const { load, loaded } = web({ [key.id]: key });
    await expect(load(key.id)).rejects.toThrow("claims an owner on another server");
    // Refused without asking the victim's server anything.
    expect(loaded).toEqual([key.id]);
  });

  it("refuses a key whose owner, on the same server, does not list it", async () => {
    const owner = person("https://shared.example/users/x", {
      id: "https://shared.example/users/x#main-key",
      owner: "https://shared.example/users/x",
      publicKeyPem: PEM,
    });
    const key = {
      "@context": SEC,
      type: "CryptographicKey",
      id: "https://shared.example/uploads/evil-key",
      owner: owner.id,
      publicKeyPem: PEM,
    };
    const { load } = web({ [owner.id]: owner, [key.id]: key });
    await expect(load(key.id)).rejects.toThrow(`${owner.id} does not list key ${key.id}`);
  });

  it("refuses an actor document whose key claims another owner", async () => {
    const mallory = person("https://evil.example/users/mallory", {
      id: "https://evil.example/users/mallory#main-key",
      owner: "https://victim.example/users/x",
      publicKeyPem: PEM,
    });
    const { load } = web({ [mallory.id]: mallory });
    await expect(load(`${mallory.id}#main-key`)).rejects.toThrow("claims another owner");
  });

  it("refuses a Multikey whose controller is on another server", async () => {
    const multikey = {
      "@context": "https://w3id.org/security/multikey/v1",
      type: "Multikey",
      id: "https://evil.example/keys/ed",
      controller: "https://victim.example/users/x",
      publicKeyMultibase: "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
    };
    const { load } = web({ [multikey.id]: multikey });
    await expect(load(multikey.id)).rejects.toThrow("claims an owner on another server");
  });

  it("refuses an object served from a server other than its id's (a redirect)", async () => {
    const victim = person("https://victim.example/users/x", {
      id: "https://victim.example/users/x#main-key",
      owner: "https://victim.example/users/x",
      publicKeyPem: PEM,
    });
    // An open redirect on the victim's server, towards a document the attacker wrote.
    const { load } = web(
      { "https://evil.example/fake": victim },
      { "https://victim.example/redirect": "https://evil.example/fake" },
    );
    await expect(load("https://victim.example/redirect")).rejects.toThrow(
      "https://evil.example/fake served an object of https://victim.example",
    );
  });
});
