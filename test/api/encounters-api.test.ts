import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  encounterJsonSchema,
  meJsonSchema,
  notificationJsonSchema,
} from "../../src/api/encounter-json.ts";
import { localDateOf } from "../../src/exposure/model/weeks.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { API, client, membersWithTokens } from "./helpers.ts";

type Json = Record<string, unknown>;

describe(`own API: encounters, notifications, me (${databaseLabel})`, () => {
  let t: TestApp;
  let bea: ReturnType<typeof client>;
  let antoine: ReturnType<typeof client>;
  let carol: ReturnType<typeof client>;

  beforeAll(async () => {
    t = await buildTestApp();
    const tokens = await membersWithTokens(t.app, ["bea", "antoine", "carol"]);
    bea = client(t.app, tokens.bea as string);
    antoine = client(t.app, tokens.antoine as string);
    carol = client(t.app, tokens.carol as string);
  });
  afterAll(() => t?.close());

  const create = async (body: Json) => {
    const response = await bea({ method: "POST", url: `${API}/encounters`, payload: body });
    expect(response.statusCode, response.body).toBe(201);
    return response.json() as Json;
  };

  it("POST /encounters creates one and answers 201, its Location and the API JSON", async () => {
    const response = await bea({
      method: "POST",
      url: `${API}/encounters`,
      payload: {
        text: "Ravie d'avoir croisé Antoine au café",
        participants: ["@antoine", "Marie Curie"],
        keywords: ["#BrightMirror", "café"],
        details: { emotion: "joie", howTheyAre: "Il va bien." },
        visibility: "unlisted",
      },
    });
    expect(response.statusCode, response.body).toBe(201);
    const body = encounterJsonSchema.parse(response.json());
    expect(response.headers.location).toBe(`${API}/encounters/${body.id}`);
    expect(body).toMatchObject({
      text: "Ravie d'avoir croisé Antoine au café",
      keywords: ["BrightMirror", "café"],
      visibility: "unlisted",
      details: { emotion: "joie", howTheyAre: "Il va bien." },
      author: { username: "bea", local: true },
      photo: null,
      occurredOn: localDateOf(new Date(), "Europe/Paris").toString(),
    });
    expect(
      body.participants.map((p) => [p.name, p.actor?.username ?? null, p.cosignState]),
    ).toEqual([
      [`@antoine@${t.app.urls.origin.host}`, "antoine", "pending"],
      ["Marie Curie", null, "pending"],
    ]);
    expect(body.iri).toBe(t.app.urls.encounter("bea", body.id).href);
    // Nothing internal leaks: no storage keys, no member secrets.
    expect(response.body).not.toMatch(/passwordHash|password_hash|tokenHash|"key"|memberId/);
  });

  it("PATCH changes only the fields sent: visibility and keywords stay", async () => {
    const made = await create({
      text: "Avant",
      participants: ["Marie"],
      keywords: ["Lyon"],
      visibility: "followers",
    });
    const response = await bea({
      method: "PATCH",
      url: `${API}/encounters/${made.id}`,
      payload: { text: "Après" },
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({
      text: "Après",
      keywords: ["Lyon"],
      visibility: "followers",
    });
    const other = await antoine({
      method: "PATCH",
      url: `${API}/encounters/${made.id}`,
      payload: { text: "Pirate" },
    });
    expect(other.statusCode).toBe(404);
  });

  it("GET /encounters/:id: the author, and others only as the visibility allows", async () => {
    const forParticipants = await create({
      text: "Entre nous",
      participants: ["@antoine"],
      visibility: "participants",
    });
    const path = `${API}/encounters/${forParticipants.id}`;
    expect((await bea({ method: "GET", url: path })).statusCode).toBe(200);
    expect((await antoine({ method: "GET", url: path })).statusCode).toBe(200);
    const stranger = await carol({ method: "GET", url: path });
    expect(stranger.statusCode).toBe(404);
    expect(stranger.json()).toEqual({ error: expect.stringMatching(/No encounter/) });
    const publicOne = await create({ text: "Pour tous", participants: ["Marie"] });
    expect(
      (await carol({ method: "GET", url: `${API}/encounters/${publicOne.id}` })).statusCode,
    ).toBe(200);
    const followersOnly = await create({
      text: "Abonnés",
      participants: ["Marie"],
      visibility: "followers",
    });
    expect(
      (await carol({ method: "GET", url: `${API}/encounters/${followersOnly.id}` })).statusCode,
    ).toBe(404);
    expect((await bea({ method: "GET", url: `${API}/encounters/not-a-uuid` })).statusCode).toBe(
      404,
    );
  });

  it("GET /encounters lists one's own, newest first, paged with before", async () => {
    const all = await bea({ method: "GET", url: `${API}/encounters?author=me&limit=100` });
    expect(all.statusCode).toBe(200);
    const items = (all.json() as { items: Json[] }).items;
    expect(items.length).toBeGreaterThanOrEqual(5);
    expect(items.every((item) => (item.author as Json).username === "bea")).toBe(true);
    // Every visibility is listed for the author, participants-only included.
    expect(items.map((i) => i.visibility)).toContain("participants");

    const first = (await bea({ method: "GET", url: `${API}/encounters?limit=2` })).json() as {
      items: Json[];
      nextBefore: string;
    };
    expect(first.items.map((i) => i.id)).toEqual(items.slice(0, 2).map((i) => i.id));
    const second = (
      await bea({
        method: "GET",
        url: `${API}/encounters?limit=2&before=${encodeURIComponent(first.nextBefore)}`,
      })
    ).json() as { items: Json[] };
    expect(second.items.map((i) => i.id)).toEqual(items.slice(2, 4).map((i) => i.id));
    // Carol wrote nothing.
    expect((await carol({ method: "GET", url: `${API}/encounters` })).json()).toEqual({
      items: [],
      nextBefore: null,
    });
  });

  it("notifications: antoine is notified, co-signs, declines; marking read", async () => {
    const made = await create({ text: "Café", participants: ["@antoine"] });
    const list = await antoine({ method: "GET", url: `${API}/notifications?unread=true` });
    expect(list.statusCode).toBe(200);
    const items = (list.json() as { items: Json[] }).items.map((n) =>
      notificationJsonSchema.parse(n),
    );
    const notification = items.find((n) => n.encounter?.id === made.id);
    expect(notification).toMatchObject({ kind: "named_in_encounter", readAt: null });

    const cosigned = await antoine({ method: "POST", url: `${API}/encounters/${made.id}/cosign` });
    expect(cosigned.statusCode, cosigned.body).toBe(200);
    expect((cosigned.json() as { participants: Json[] }).participants[0]).toMatchObject({
      cosignState: "cosigned",
    });
    // Co-signing reads the notification.
    const unread = (
      await antoine({ method: "GET", url: `${API}/notifications?unread=true` })
    ).json() as {
      items: Json[];
    };
    expect(unread.items.some((n) => (n.encounter as Json | null)?.id === made.id)).toBe(false);

    const declined = await antoine({ method: "POST", url: `${API}/encounters/${made.id}/decline` });
    expect((declined.json() as { participants: Json[] }).participants[0]).toMatchObject({
      cosignState: "declined",
    });
    // Carol is not named: 404, not 403.
    expect(
      (await carol({ method: "POST", url: `${API}/encounters/${made.id}/cosign` })).statusCode,
    ).toBe(404);

    const another = await create({ text: "Thé", participants: ["@antoine"] });
    const [fresh] = (
      (
        await antoine({ method: "GET", url: `${API}/notifications?unread=true&limit=1` })
      ).json() as { items: Json[] }
    ).items;
    expect((fresh?.encounter as Json | undefined)?.id).toBe(another.id);
    const read = await antoine({ method: "POST", url: `${API}/notifications/${fresh?.id}/read` });
    expect(read.statusCode).toBe(200);
    expect((read.json() as Json).readAt).toEqual(expect.any(String));
    expect(
      (await bea({ method: "POST", url: `${API}/notifications/${fresh?.id}/read` })).statusCode,
    ).toBe(404);
    expect((await bea({ method: "POST", url: `${API}/notifications/nope/read` })).statusCode).toBe(
      404,
    );
  });

  it("co-signing a participants-only encounter is refused with 422", async () => {
    const made = await create({
      text: "Secret",
      participants: ["@antoine"],
      visibility: "participants",
    });
    const response = await antoine({ method: "POST", url: `${API}/encounters/${made.id}/cosign` });
    expect(response.statusCode).toBe(422);
    expect(response.json()).toEqual({ error: expect.stringMatching(/public or unlisted/) });
  });

  it("DELETE answers 204, then the encounter is gone; others cannot delete it", async () => {
    const made = await create({ text: "Bientôt effacé", participants: ["Marie"] });
    expect(
      (await antoine({ method: "DELETE", url: `${API}/encounters/${made.id}` })).statusCode,
    ).toBe(404);
    const deleted = await bea({ method: "DELETE", url: `${API}/encounters/${made.id}` });
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe("");
    expect((await bea({ method: "GET", url: `${API}/encounters/${made.id}` })).statusCode).toBe(
      404,
    );
    expect((await bea({ method: "DELETE", url: `${API}/encounters/${made.id}` })).statusCode).toBe(
      404,
    );
  });

  it("GET /me and PATCH /me/settings", async () => {
    const me = await bea({ method: "GET", url: `${API}/me` });
    expect(me.statusCode).toBe(200);
    expect(meJsonSchema.parse(me.json())).toMatchObject({
      username: "bea",
      actor: t.app.urls.actor("bea").href,
      settings: { autoCosignFromFollowed: false },
    });
    expect(me.body).not.toMatch(/password/i);

    const changed = await bea({
      method: "PATCH",
      url: `${API}/me/settings`,
      payload: { autoCosignFromFollowed: true },
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toEqual({ autoCosignFromFollowed: true });
    expect((await bea({ method: "GET", url: `${API}/me` })).json()).toMatchObject({
      settings: { autoCosignFromFollowed: true },
    });
    for (const payload of [{ autoCosignFromFollowed: "yes" }, { autoCosign: true }, [true]]) {
      const bad = await bea({ method: "PATCH", url: `${API}/me/settings`, payload });
      expect(bad.statusCode, JSON.stringify(payload)).toBe(422);
      expect(bad.json()).toEqual({ error: expect.any(String) });
    }
    expect((await t.app.members.findByUsername("bea"))?.autoCosignFromFollowed).toBe(true);
  });
});
