import { readFileSync } from "node:fs";
import { type DocumentLoader, preloadedContexts } from "@fedify/fedify";
import { Person } from "@fedify/vocab";
import { describe, expect, it } from "vitest";
import { actorToRecord } from "../../../src/federation/mappers/remote-actor.ts";

const FIXTURES = new URL("../../fixtures/fediverse/", import.meta.url);
const readJson = (path: string) => JSON.parse(readFileSync(new URL(path, FIXTURES), "utf8"));
const contextLoader: DocumentLoader = async (url) => {
  const document = (preloadedContexts as Record<string, unknown>)[url];
  if (document === undefined) throw new Error(`no network in tests: ${url}`);
  return { contextUrl: null, documentUrl: url, document };
};
const noFetch: DocumentLoader = async (url) => {
  throw new Error(`nothing is fetched: ${url}`);
};
const read = (json: unknown) =>
  Person.fromJsonLd(json, { contextLoader, documentLoader: noFetch }).then((person) =>
    actorToRecord(person, { documentLoader: noFetch }),
  );

describe("what we keep of a remote actor", () => {
  it("reads the actor of Mastodon's Update(Person): name, bio, avatar, inboxes", async () => {
    const update = readJson("mastodon/update-person.json");
    // The fixture's PEM is damaged; the key plays no part here.
    const { publicKey: _, ...object } = update.object;
    expect(await read({ "@context": update["@context"], ...object })).toEqual({
      iri: "http://mastodon.example.org/users/gargron",
      type: "Person",
      username: "gargron",
      host: "mastodon.example.org",
      name: "gargle",
      summary: "<p>Some bio</p>",
      url: "http://mastodon.example.org/@gargron",
      inboxUrl: "http://mastodon.example.org/users/gargron/inbox",
      sharedInboxUrl: "http://mastodon.example.org/inbox",
      followersUrl: "http://mastodon.example.org/users/gargron/followers",
      avatarUrl: "https://cd.niu.moe/accounts/avatars/000/033/323/original/fd7f8ae0b3ffedc9.jpeg",
      manuallyApprovesFollowers: false,
      alsoKnownAs: [],
    });
  });

  it("reads the accounts an actor says are also its own (alsoKnownAs), a few at most", async () => {
    const update = readJson("mastodon/update-person.json");
    const { publicKey: _, ...object } = update.object;
    const aliases = Array.from({ length: 30 }, (_, i) => `https://old${i}.example/users/g`);
    const read1 = await read({
      "@context": update["@context"],
      ...object,
      alsoKnownAs: aliases[0],
    });
    expect(read1.alsoKnownAs).toEqual([aliases[0]]);
    const many = await read({ "@context": update["@context"], ...object, alsoKnownAs: aliases });
    expect(many.alsoKnownAs).toEqual(aliases.slice(0, 20));
  });

  it("reads GoToSocial's and Mastodon's actors as served", async () => {
    expect(await read(readJson("actors/gotosocial-person-with-fields.json"))).toMatchObject({
      name: "happy little turtle :3",
      summary: "<p>i post about things that concern me</p>",
      manuallyApprovesFollowers: true,
      sharedInboxUrl: null,
      avatarUrl: null,
    });
    expect(await read(readJson("actors/mastodon-person-gargron.json"))).toMatchObject({
      username: "Gargron",
      avatarUrl: expect.stringMatching(/^https:\/\//),
    });
  });

  it("keeps no avatar that is not an http(s) URL of a sane length", async () => {
    const actor = (url: string) => ({
      "@context": "https://www.w3.org/ns/activitystreams",
      type: "Person",
      id: "https://remote.example/users/x",
      inbox: "https://remote.example/users/x/inbox",
      icon: { type: "Image", url },
    });
    expect((await read(actor("javascript:alert(1)"))).avatarUrl).toBeNull();
    expect((await read(actor(`https://remote.example/${"a".repeat(3000)}`))).avatarUrl).toBeNull();
    expect((await read(actor("https://remote.example/a.png"))).avatarUrl).toBe(
      "https://remote.example/a.png",
    );
  });
});
