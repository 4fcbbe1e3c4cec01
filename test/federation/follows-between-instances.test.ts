import { generateCryptoKeyPair, importJwk, signRequest } from "@fedify/fedify";
import { Delete, Follow } from "@fedify/vocab";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actorRowToRecipient } from "../../src/federation/recipients.ts";
import { buildTestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { drainQueue } from "../support/queue.ts";

type TestInstance = Awaited<ReturnType<typeof buildTestApp>>;

const AP = "application/activity+json";

async function collectionIris(url: string): Promise<string[]> {
  // The first page, as the collection names it (its cursor is ours to mint).
  const collection = (await (await fetch(url, { headers: { accept: AP } })).json()) as {
    first: string;
  };
  const response = await fetch(collection.first, { headers: { accept: AP } });
  const page = (await response.json()) as { orderedItems?: string[] | string };
  const items = page.orderedItems ?? [];
  return Array.isArray(items) ? items : [items];
}

async function totalItems(url: string): Promise<number> {
  const response = await fetch(url, { headers: { accept: AP } });
  return ((await response.json()) as { totalItems: number }).totalItems;
}

describe(`follows between two instances over real HTTP (${databaseLabel})`, () => {
  let a: TestInstance;
  let b: TestInstance;
  let beaIri: string;
  let antoineIri: string;

  beforeAll(async () => {
    [a, b] = await Promise.all([buildTestApp({ listen: true }), buildTestApp({ listen: true })]);
    await a.app.members.create({
      username: "bea",
      password: "bea-password-123",
      displayName: "Béa",
    });
    await b.app.members.create({ username: "antoine", password: "antoine-password-1" });
    await b.app.members.create({
      username: "carol",
      password: "carol-password-12",
      manuallyApprovesFollowers: true,
    });
    beaIri = a.app.urls.actor("bea").href;
    antoineIri = b.app.urls.actor("antoine").href;
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it("bea@A follows antoine@B: B stores and accepts it, A records the Accept", async () => {
    const antoine = await a.app.remoteLookup.lookupActor(antoineIri);
    expect(antoine).toMatchObject({
      iri: antoineIri,
      username: "antoine",
      inboxUrl: `${antoineIri}/inbox`,
    });
    await a.app.follows.follow("bea", antoine);

    await eventually(
      async () => (await b.app.follows.followState(beaIri, "antoine")) === "accepted",
      {
        what: "B to accept the follow",
      },
    );
    await eventually(
      async () =>
        (await a.app.follows.following("bea", { limit: 10 })).items.some(
          (actor) => actor.iri === antoineIri,
        ),
      { what: "A to record the Accept" },
    );

    expect(await collectionIris(`${antoineIri}/followers`)).toEqual([beaIri]);
    expect(await totalItems(`${antoineIri}/followers`)).toBe(1);
    expect(await collectionIris(`${beaIri}/following`)).toEqual([antoineIri]);
    expect(await totalItems(`${beaIri}/following`)).toBe(1);
  });

  it("a repeated Follow changes nothing", async () => {
    const [follow] = await b.app.database.rows<{ activity_iri: string }>(
      sql`select activity_iri from follows`,
    );
    const ctx = a.app.federation.createContext(a.app.urls.origin, undefined);
    const antoineRow = await a.app.actors.findByIri(antoineIri);
    if (!antoineRow || !follow) throw new Error("setup failed");
    await ctx.sendActivity(
      { identifier: "bea" },
      actorRowToRecipient(antoineRow),
      new Follow({
        id: new URL(follow.activity_iri),
        actor: new URL(beaIri),
        object: new URL(antoineIri),
      }),
    );
    // The repeated Follow is answered with a fresh Accept; wait for B to have handled it.
    await eventually(async () => {
      const [row] = await b.app.database.rows<{ n: number }>(
        sql`select count(*)::int as n from queue_jobs`,
      );
      return row?.n === 0;
    });
    expect(await totalItems(`${antoineIri}/followers`)).toBe(1);
  });

  it("Undo(Follow) removes it on both sides", async () => {
    await a.app.follows.unfollow("bea", antoineIri);
    expect(await totalItems(`${beaIri}/following`)).toBe(0);
    await eventually(async () => (await totalItems(`${antoineIri}/followers`)) === 0, {
      what: "B to apply the Undo",
    });
  });

  it("a member who approves followers by hand keeps the follow pending, then accepts it", async () => {
    const carolIri = b.app.urls.actor("carol").href;
    await a.app.follows.follow("bea", await a.app.remoteLookup.lookupActor(carolIri));
    await eventually(async () => (await b.app.follows.followState(beaIri, "carol")) === "pending", {
      what: "the pending follow on B",
    });
    expect(await totalItems(`${carolIri}/followers`)).toBe(0);
    expect((await b.app.follows.pendingFollowers("carol")).map((actor) => actor.iri)).toEqual([
      beaIri,
    ]);

    await b.app.follows.approveFollower("carol", beaIri);
    expect(await totalItems(`${carolIri}/followers`)).toBe(1);
    await eventually(
      async () =>
        (await a.app.follows.following("bea", { limit: 10 })).items.some(
          (actor) => actor.iri === carolIri,
        ),
      { what: "A to record carol's Accept" },
    );
  });

  it("a rejected follow request disappears on both sides", async () => {
    const [dave] = await Promise.all([
      b.app.members.create({
        username: "dave",
        password: "dave-password-12",
        manuallyApprovesFollowers: true,
      }),
    ]);
    const daveIri = b.app.urls.actor(dave.member.username).href;
    await a.app.follows.follow("bea", await a.app.remoteLookup.lookupActor(daveIri));
    await eventually(async () => (await b.app.follows.followState(beaIri, "dave")) === "pending");
    const pendingOnA = await a.app.database.rows<{ n: number }>(
      sql`select count(*)::int as n from follows where state = 'pending'`,
    );
    expect(pendingOnA[0]?.n).toBe(1);

    await b.app.follows.rejectFollower("dave", beaIri);
    expect(await b.app.follows.followState(beaIri, "dave")).toBeUndefined();
    await eventually(
      async () => {
        const rows = await a.app.database.rows<{ n: number }>(
          sql`select count(*)::int as n from follows where state = 'pending'`,
        );
        return rows[0]?.n === 0;
      },
      { what: "A to drop the rejected follow" },
    );
  });

  it("refuses unsigned and forged inbox POSTs and stores nothing", async () => {
    const follow = {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${beaIri}#follows/forged`,
      type: "Follow",
      actor: beaIri,
      object: b.app.urls.actor("antoine").href,
    };
    const body = JSON.stringify(follow);
    const inbox = `${antoineIri}/inbox`;

    const unsigned = await fetch(inbox, { method: "POST", headers: { "content-type": AP }, body });
    expect(unsigned.status).toBe(401);

    // Signed with a key that is not bea's, while claiming bea's key id.
    const impostor = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
    const forged = await signRequest(
      new Request(inbox, { method: "POST", headers: { "content-type": AP }, body }),
      impostor.privateKey,
      new URL(`${beaIri}#main-key`),
      { spec: "draft-cavage-http-signatures-12" },
    );
    const forgedResponse = await fetch(forged);
    expect(forgedResponse.status).toBe(401);

    // A valid signature on other bytes: the Digest no longer matches the body.
    const bea = await a.app.members.findByUsername("bea");
    const rsaJwk =
      bea && (await a.app.members.keyPairs(bea)).find((p) => p.algorithm === "RSASSA-PKCS1-v1_5");
    if (!rsaJwk) throw new Error("setup failed");
    const signed = await signRequest(
      new Request(inbox, { method: "POST", headers: { "content-type": AP }, body }),
      await importJwk(rsaJwk.privateKey, "private"),
      new URL(`${beaIri}#main-key`),
      { spec: "draft-cavage-http-signatures-12" },
    );
    const tampered = await fetch(inbox, {
      method: "POST",
      headers: signed.headers,
      body: body.replace("forged", "tampered"),
    });
    expect(tampered.status).toBe(401);

    await drainQueue(a.app, b.app);
    expect(await b.app.follows.followState(beaIri, "antoine")).toBeUndefined();
  });

  it("Delete of a remote actor removes what B holds of it", async () => {
    expect(await b.app.actors.findByIri(beaIri)).toBeDefined();
    const ctx = a.app.federation.createContext(a.app.urls.origin, undefined);
    const carolRow = await a.app.actors.findByIri(b.app.urls.actor("carol").href);
    if (!carolRow) throw new Error("setup failed");
    await ctx.sendActivity(
      { identifier: "bea" },
      actorRowToRecipient(carolRow),
      new Delete({
        id: new URL(`${beaIri}#delete`),
        actor: new URL(beaIri),
        object: new URL(beaIri),
      }),
    );
    await eventually(async () => (await b.app.actors.findByIri(beaIri)) === undefined, {
      what: "B to forget bea",
    });
    expect(await totalItems(`${b.app.urls.actor("carol").href}/followers`)).toBe(0);
  });
});
