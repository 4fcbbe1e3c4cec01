import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { AP, membersWithTokens } from "./helpers.ts";

type Json = Record<string, unknown>;

describe(`GET /users/<name>/inbox for C2S clients (${databaseLabel})`, () => {
  let t: TestApp;
  let tokens: Record<string, string>;
  let beaEncounter: string;
  let namingBea: string;

  beforeAll(async () => {
    t = await buildTestApp();
    tokens = await membersWithTokens(t.app, ["bea", "antoine", "carol"]);
    const view = await t.app.encounters.create("bea", { text: "Café", participants: ["@antoine"] });
    beaEncounter = view.iri;
    await t.app.cosign.cosign("antoine", view.id);
    await t.app.likes.likeEncounter("carol", view.id);
    await t.app.replies.reply("carol", view.id, { text: "Bravo" });
    namingBea = (
      await t.app.encounters.create("antoine", { text: "Marché", participants: ["@bea"] })
    ).iri;
  });
  afterAll(() => t?.close());

  const get = (url: string, token?: string) =>
    t.app.http.inject({
      method: "GET",
      url,
      headers: { accept: AP, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });

  it("answers the member's received activities, newest first, with the token granted read", async () => {
    const collection = await get("/users/bea/inbox", tokens.bea);
    expect(collection.statusCode, collection.body).toBe(200);
    expect(collection.headers["content-type"]).toMatch(/application\/activity\+json/);
    expect(collection.json()).toMatchObject({
      type: "OrderedCollection",
      id: `${t.baseUrl}/users/bea/inbox`,
      first: `${t.baseUrl}/users/bea/inbox?page=true`,
    });
    const page = (await get("/users/bea/inbox?page=true", tokens.bea)).json() as Json;
    const items = page.orderedItems as Json[];
    const actor = (name: string) => `${t.baseUrl}/users/${name}`;
    expect(items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: "Create",
          id: `${namingBea}/activity`,
          actor: actor("antoine"),
          object: namingBea,
        }),
        expect.objectContaining({
          type: "Announce",
          actor: actor("antoine"),
          object: beaEncounter,
        }),
        expect.objectContaining({ type: "Like", actor: actor("carol"), object: beaEncounter }),
        expect.objectContaining({ type: "Create", actor: actor("carol") }),
      ]),
    );
    // Nothing bea did herself; newest first.
    expect(items.every((item) => item.actor !== actor("bea"))).toBe(true);
    const dates = items.map((item) => Date.parse(item.published as string));
    expect(dates).toEqual([...dates].sort((a, b) => b - a));
    expect(page.next).toBeUndefined();
  });

  it("pages by date: every item once", async () => {
    for (let i = 0; i < 20; i++) {
      await t.app.encounters.create("carol", { text: `Rencontre ${i}`, participants: ["@bea"] });
    }
    const first = (await get("/users/bea/inbox?page=true", tokens.bea)).json() as Json;
    expect((first.orderedItems as Json[]).length).toBe(20);
    const next = new URL(first.next as string);
    const second = (await get(`${next.pathname}${next.search}`, tokens.bea)).json() as Json;
    const all = [...(first.orderedItems as Json[]), ...(second.orderedItems as Json[])];
    expect(all.length).toBe(24);
    expect(new Set(all.map((item) => `${item.type} ${item.object} ${item.actor}`)).size).toBe(24);
  });

  it("refuses others: 401 without a token, 403 for another member or without read", async () => {
    expect((await get("/users/bea/inbox")).statusCode).toBe(401);
    const other = await get("/users/bea/inbox", tokens.antoine);
    expect(other.statusCode).toBe(403);
    expect(other.json().error).toMatch(/not yours/);
    const { app } = await t.app.oauth.registerApp({
      name: "Writer",
      redirectUris: ["urn:ietf:wg:oauth:2.0:oob"],
      scopes: ["write"],
    });
    const bea = await t.app.members.findByUsername("bea");
    const writeOnly = "write-only-token-for-the-inbox-test-0123456789";
    await t.app.oauth.saveToken({
      appId: app.id,
      memberId: bea?.id ?? null,
      scopes: ["write"],
      accessToken: writeOnly,
    });
    const noRead = await get("/users/bea/inbox", writeOnly);
    expect(noRead.statusCode).toBe(403);
    expect(noRead.json().error).toContain("`read`");
    const bad = await get("/users/bea/inbox?page=true&before=yesterday", tokens.bea);
    expect(bad.statusCode).toBe(422);
  });
});
