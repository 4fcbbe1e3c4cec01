import {
  exportJwk,
  generateCryptoKeyPair,
  preloadedContexts,
  signJsonLd,
  signObject,
  signRequest,
} from "@fedify/fedify";
import { Activity } from "@fedify/vocab";
import { exportMultibaseKey, exportSpki } from "@fedify/vocab-runtime";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { startHost, type TestHost } from "../support/hosts.ts";
import { drainQueue } from "../support/queue.ts";

type Json = Record<string, unknown>;
const AS = "https://www.w3.org/ns/activitystreams";
const SEC = "https://w3id.org/security/v1";
const contextLoader = async (url: string) => {
  const document = (preloadedContexts as Record<string, unknown>)[url];
  if (document === undefined) throw new Error(`no network in tests: ${url}`);
  return { contextUrl: null, documentUrl: url, document };
};

/**
 * A hostile server publishes keys that claim to belong to other people's actors, and signs
 * activities in their name four ways: a standalone key document naming the victim as owner,
 * its own actor document embedding a key "owned" by the victim, a Linked Data signature by
 * such a key, and an Object Integrity Proof by a Multikey "controlled" by the victim (the
 * last two beside an HTTP signature that claims the victim's real key and does not verify).
 */
async function startKeyForger() {
  const rsa = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  const ed = await generateCryptoKeyPair("Ed25519");
  const pem = await exportSpki(rsa.publicKey);
  const multibase = await exportMultibaseKey(ed.publicKey);
  let origin = "";
  const documents = new Map<string, (victim: string) => Json>();
  const host: TestHost = await startHost("127.0.0.1", (request, response) => {
    const url = new URL(request.url ?? "/", origin);
    const victim = url.searchParams.get("victim") ?? "";
    const make = documents.get(url.pathname);
    if (!make) return response.writeHead(404).end();
    response
      .writeHead(200, { "content-type": "application/activity+json" })
      .end(JSON.stringify(make(victim)));
  });
  origin = host.origin;
  // The victim is part of the key's URL, so one server forges for everyone.
  documents.set("/keys/rsa", (victim) => ({
    "@context": SEC,
    type: "CryptographicKey",
    id: `${origin}/keys/rsa?victim=${encodeURIComponent(victim)}`,
    owner: victim,
    publicKeyPem: pem,
  }));
  documents.set("/users/mallory", (victim) => ({
    "@context": [AS, SEC],
    type: "Person",
    id: `${origin}/users/mallory?victim=${encodeURIComponent(victim)}`,
    inbox: `${origin}/users/mallory/inbox`,
    publicKey: {
      id: `${origin}/users/mallory?victim=${encodeURIComponent(victim)}#main-key`,
      owner: victim,
      publicKeyPem: pem,
    },
  }));
  documents.set("/keys/ed", (victim) => ({
    "@context": "https://w3id.org/security/multikey/v1",
    type: "Multikey",
    id: `${origin}/keys/ed?victim=${encodeURIComponent(victim)}`,
    controller: victim,
    publicKeyMultibase: multibase,
  }));
  const forgedKey = (path: string, victim: string) =>
    `${origin}${path}?victim=${encodeURIComponent(victim)}`;

  type Way = "key document" | "embedded key" | "LD signature" | "integrity proof";
  const ways: Way[] = ["key document", "embedded key", "LD signature", "integrity proof"];

  async function signedPost(inbox: string, activity: Json, way: Way): Promise<Response> {
    const victim = activity.actor as string;
    let body: Json = activity;
    let keyId: string;
    if (way === "key document") keyId = forgedKey("/keys/rsa", victim);
    else if (way === "embedded key") keyId = `${forgedKey("/users/mallory", victim)}#main-key`;
    else {
      // The victim's own key id, with a signature that cannot verify against it.
      keyId = `${victim}#main-key`;
      if (way === "LD signature") {
        body = (await signJsonLd(
          activity,
          rsa.privateKey,
          new URL(forgedKey("/keys/rsa", victim)),
          {
            contextLoader,
          },
        )) as Json;
      } else {
        const parsed = await Activity.fromJsonLd(activity, {
          contextLoader,
          documentLoader: contextLoader,
        });
        const proven = await signObject(
          parsed,
          ed.privateKey,
          new URL(forgedKey("/keys/ed", victim)),
          {
            contextLoader,
          },
        );
        body = (await proven.toJsonLd({ contextLoader, format: "compact" })) as Json;
      }
    }
    const request = new Request(inbox, {
      method: "POST",
      headers: { "content-type": "application/activity+json" },
      body: JSON.stringify(body),
    });
    const signed = await signRequest(request, rsa.privateKey, new URL(keyId), {
      spec: "draft-cavage-http-signatures-12",
    });
    return fetch(signed);
  }

  async function signedGet(url: string, victim: string, way: "key document" | "embedded key") {
    const keyId =
      way === "key document"
        ? forgedKey("/keys/rsa", victim)
        : `${forgedKey("/users/mallory", victim)}#main-key`;
    const request = new Request(url, { headers: { accept: "application/activity+json" } });
    return fetch(
      await signRequest(request, rsa.privateKey, new URL(keyId), {
        spec: "draft-cavage-http-signatures-12",
      }),
    );
  }

  return { host, origin, ways, signedPost, signedGet, jwk: () => exportJwk(rsa.privateKey) };
}

describe(`no activity in someone else's name (${databaseLabel})`, () => {
  let a: TestApp;
  let b: TestApp;
  let forger: Awaited<ReturnType<typeof startKeyForger>>;
  const iri = (app: TestApp, username: string) => app.app.urls.actor(username).href;
  let beaEncounterIri: string;
  let beaFollowersOnlyIri: string;
  let antoineEncounterIri: string;

  beforeAll(async () => {
    [a, b, forger] = await Promise.all([
      buildTestApp({ listen: true }),
      buildTestApp({ listen: true }),
      startKeyForger(),
    ]);
    await Promise.all([
      a.app.members.create({ username: "bea", password: "bea-password-123" }),
      a.app.members.create({ username: "zoe", password: "zoe-password-123" }),
      b.app.members.create({ username: "antoine", password: "antoine-password-1" }),
      b.app.members.create({ username: "carol", password: "carol-password-12" }),
      b.app.members.create({
        username: "dave",
        password: "dave-password-123",
        manuallyApprovesFollowers: true,
      }),
    ]);
    // Real relations, made with real signatures: antoine and bea follow each other, bea
    // asked to follow dave (pending), bea named antoine, antoine wrote an encounter A keeps.
    await b.app.follows.follow("antoine", await b.app.remoteLookup.lookupActor(iri(a, "bea")));
    await a.app.follows.follow("bea", await a.app.remoteLookup.lookupActor(iri(b, "antoine")));
    await a.app.follows.follow("bea", await a.app.remoteLookup.lookupActor(iri(b, "dave")));
    await eventually(
      async () =>
        (await a.app.follows.followState(iri(b, "antoine"), "bea")) === "accepted" &&
        (await b.app.follows.followState(iri(a, "bea"), "antoine")) === "accepted" &&
        (await b.app.follows.followState(iri(a, "bea"), "dave")) === "pending",
      { what: "the follows to settle" },
    );
    beaEncounterIri = (
      await a.app.encounters.create("bea", {
        text: "Croisé Antoine au marché",
        participants: [iri(b, "antoine")],
      })
    ).iri;
    beaFollowersOnlyIri = (
      await a.app.encounters.create("bea", {
        text: "Pour mes abonnés seulement",
        participants: ["Marie"],
        visibility: "followers",
      })
    ).iri;
    antoineEncounterIri = (
      await b.app.encounters.create("antoine", {
        text: "Café avec Béa",
        participants: [iri(a, "bea")],
      })
    ).iri;
    await eventually(() => a.app.encounterRepository.findByIri(antoineEncounterIri), {
      what: "A to keep antoine's encounter",
    });
    await drainQueue(a.app, b.app);
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close(), forger?.host.close()]);
  });

  /** Everything the forged activities could change on A, read before and after them. */
  async function stateOfA() {
    const tables = [
      "actors",
      "follows",
      "encounters",
      "encounter_participants",
      "encounter_reactions",
      "notifications",
    ];
    const state: Record<string, unknown> = {};
    for (const table of tables) {
      state[table] = await a.app.database.rows(sql.raw(`select * from ${table} order by 1`));
    }
    // The actors rows keep when they were last fetched; that is not a change of state.
    state.actors = (state.actors as Json[]).map(({ fetchedAt, fetched_at, ...rest }) => rest);
    return state;
  }

  function forgeries(): Array<[string, Json]> {
    const antoine = iri(b, "antoine");
    const at = (path: string) =>
      `${b.baseUrl}/forged/${path}-${Math.random().toString(36).slice(2)}`;
    return [
      [
        "a co-signature (Announce) by antoine",
        {
          type: "Announce",
          id: at("announce"),
          actor: antoine,
          object: beaEncounterIri,
          to: [`${AS}#Public`],
        },
      ],
      [
        "a like by antoine",
        { type: "Like", id: at("like"), actor: antoine, object: beaEncounterIri },
      ],
      [
        "a Follow of bea by carol",
        { type: "Follow", id: at("follow"), actor: iri(b, "carol"), object: iri(a, "bea") },
      ],
      [
        "an Undo of antoine's real follow",
        {
          type: "Undo",
          id: at("undo"),
          actor: antoine,
          object: { type: "Follow", id: at("follow"), actor: antoine, object: iri(a, "bea") },
        },
      ],
      [
        "an Update of antoine's encounter",
        {
          type: "Update",
          id: at("update"),
          actor: antoine,
          object: {
            type: "Note",
            id: antoineEncounterIri,
            attributedTo: antoine,
            content: "<p>Forged words #Socialdapres</p>",
            updated: new Date(Date.now() + 60_000).toISOString(),
            to: [`${AS}#Public`],
            tag: [
              {
                type: "Hashtag",
                name: "#Socialdapres",
                href: "https://x.example/tags/socialdapres",
              },
            ],
          },
        },
      ],
      [
        "a Delete of antoine's encounter",
        { type: "Delete", id: at("delete"), actor: antoine, object: antoineEncounterIri },
      ],
      [
        "a Delete of antoine's account",
        { type: "Delete", id: at("delete-actor"), actor: antoine, object: antoine },
      ],
      [
        "an Accept, by dave, of the follow bea asked for",
        {
          type: "Accept",
          id: at("accept"),
          actor: iri(b, "dave"),
          object: { type: "Follow", actor: iri(a, "bea"), object: iri(b, "dave") },
        },
      ],
      [
        "a post tagged #Socialdapres in antoine's name",
        {
          type: "Create",
          id: at("create"),
          actor: antoine,
          object: {
            type: "Note",
            id: at("note"),
            attributedTo: antoine,
            content: "<p>Forged encounter with @bea #Socialdapres</p>",
            to: [`${AS}#Public`],
            cc: [iri(a, "bea")],
            tag: [
              { type: "Mention", href: iri(a, "bea"), name: "@bea" },
              {
                type: "Hashtag",
                name: "#Socialdapres",
                href: "https://x.example/tags/socialdapres",
              },
            ],
          },
        },
      ],
    ];
  }

  it("refuses every forged activity, whichever key trick signs it, and changes nothing", async () => {
    const before = await stateOfA();
    // What the forgeries aim at, as it stands.
    const beaEncounter = await a.app.encounterRepository.findByIri(beaEncounterIri);
    expect(beaEncounter?.participants.map((p) => p.cosignState)).toEqual(["pending"]);
    expect(await a.app.follows.followState(iri(b, "antoine"), "bea")).toBe("accepted");
    expect(await a.app.encounterRepository.findByIri(antoineEncounterIri)).toMatchObject({
      text: expect.stringContaining("Café avec Béa"),
      deletedAt: null,
    });

    const answers: string[] = [];
    for (const [what, activity] of forgeries()) {
      for (const way of forger.ways) {
        for (const inbox of [`${a.baseUrl}/inbox`, `${iri(a, "bea")}/inbox`]) {
          const response = await forger.signedPost(inbox, { "@context": AS, ...activity }, way);
          answers.push(`${response.status} ${what} (${way}) → ${new URL(inbox).pathname}`);
        }
      }
    }
    expect(answers.filter((line) => !line.startsWith("401 "))).toEqual([]);
    await drainQueue(a.app, b.app);
    expect(await stateOfA()).toEqual(before);
  });

  it("never takes one of its own members as the sender of a received activity", async () => {
    const before = await stateOfA();
    const zoe = iri(a, "zoe");
    for (const way of forger.ways) {
      const response = await forger.signedPost(
        `${a.baseUrl}/inbox`,
        {
          "@context": AS,
          type: "Like",
          id: `${a.baseUrl}/forged/like-${way.replaceAll(" ", "-")}`,
          actor: zoe,
          object: beaEncounterIri,
        },
        way,
      );
      expect(response.status, way).toBe(401);
    }
    const response = await forger.signedPost(
      `${a.baseUrl}/inbox`,
      {
        "@context": AS,
        type: "Follow",
        id: `${a.baseUrl}/forged/follow`,
        actor: zoe,
        object: iri(a, "bea"),
      },
      "key document",
    );
    expect(await response.json()).toEqual({
      error: "Activities of this instance's members are never received from another server.",
    });
    await drainQueue(a.app);
    expect(await stateOfA()).toEqual(before);
  });

  it("never serves a followers-only Note to a fetch signed with a forged follower's key", async () => {
    const antoine = iri(b, "antoine");
    for (const way of ["key document", "embedded key"] as const) {
      const response = await forger.signedGet(beaFollowersOnlyIri, antoine, way);
      expect(response.status, way).not.toBe(200);
      expect(await response.text()).not.toContain("Pour mes abonnés seulement");
    }
  });
});
