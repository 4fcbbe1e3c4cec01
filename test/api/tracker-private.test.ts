import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { AP, API, client, membersWithTokens, PUBLIC } from "./helpers.ts";

type Json = Record<string, unknown>;

describe(`API: private fields of an encounter (${databaseLabel})`, () => {
  let t: TestApp;
  let bea: ReturnType<typeof client>;
  let antoine: ReturnType<typeof client>;
  let encounterId: string;

  const privateRows = async () => {
    const [row] = await t.app.database.rows<{ p: number; c: number }>(
      sql`select (select count(*)::int from encounter_private) as p,
                 (select count(*)::int from participant_circles) as c`,
    );
    return row;
  };
  const put = (id: string, body: unknown, as = bea) =>
    as({ method: "PUT", url: `${API}/encounters/${id}/private`, payload: body as Json });

  beforeAll(async () => {
    t = await buildTestApp();
    const tokens = await membersWithTokens(t.app, ["bea", "antoine"]);
    bea = client(t.app, tokens.bea as string);
    antoine = client(t.app, tokens.antoine as string);
    const created = await bea({
      method: "POST",
      url: `${API}/encounters`,
      payload: { text: "Café au marché", participants: ["@antoine", "Lucie"] },
    });
    expect(created.statusCode, created.body).toBe(201);
    encounterId = created.json().id;
  });
  afterAll(async () => {
    await t?.close();
  });

  it("GET before anything is set: every field null, participants listed with their positions", async () => {
    const response = await bea({ method: "GET", url: `${API}/encounters/${encounterId}/private` });
    expect(response.statusCode, response.body).toBe(200);
    const json = response.json();
    expect(json).toMatchObject({
      encounterId,
      othersPresent: null,
      satisfying: null,
      updatedAt: null,
    });
    expect(json.participants.map((p: Json) => [p.position, p.name, p.circle])).toEqual([
      [0, `@antoine@${t.app.urls.origin.host}`, null],
      [1, "Lucie", null],
    ]);
    expect(response.headers["cache-control"]).toBe("private, no-store");
  });

  it("PUT sets fields and circles (by position or id); a later PUT completes them, null clears one", async () => {
    const first = await put(encounterId, {
      othersPresent: 3,
      setting: "outdoors",
      durationMinutes: 90,
      satisfying: true,
      circles: [{ position: 0, circle: "close" }],
    });
    expect(first.statusCode, first.body).toBe(200);
    const lucie = first.json().participants[1].participantId;
    const second = await put(encounterId, {
      distance: "one_metre",
      theirMask: "ffp2",
      myMask: "surgical",
      voice: "loud",
      setting: null,
      circles: [{ participantId: lucie, circle: "weak_tie" }],
    });
    expect(second.statusCode, second.body).toBe(200);
    expect(second.json()).toMatchObject({
      othersPresent: 3,
      setting: null,
      durationMinutes: 90,
      distance: "one_metre",
      theirMask: "ffp2",
      myMask: "surgical",
      voice: "loud",
      satisfying: true,
    });
    expect(second.json().participants.map((p: Json) => p.circle)).toEqual(["close", "weak_tie"]);
    const read = await bea({ method: "GET", url: `${API}/encounters/${encounterId}/private` });
    expect(read.json()).toEqual(second.json());
  });

  it.each([
    [{ othersPresent: 1001 }, /othersPresent must be at most 1000/],
    [{ othersPresent: -1 }, /othersPresent must be at least 0/],
    [{ othersPresent: 2.5 }, /othersPresent must be a whole number/],
    [{ durationMinutes: 1441 }, /durationMinutes must be at most 1440 minutes \(24 h\)/],
    [{ durationMinutes: 0 }, /durationMinutes must be at least 1/],
    [{ setting: "garden" }, /setting must be one of outdoors, ventilated, indoors/],
    [{ distance: "far" }, /distance must be one of close, one_metre, two_metres, three_metres/],
    [{ theirMask: "n95" }, /theirMask must be one of none, cloth, surgical, ffp2/],
    [{ voice: "shouting" }, /voice must be one of quiet, normal, loud/],
    [{ satisfying: "yes" }, /satisfying must be true or false/],
    [{ circles: [{ position: 0, circle: "family" }] }, /circle must be one of intimate, close/],
    [{ circles: [{ position: 7, circle: "close" }] }, /circles.0 names no participant/],
    [{ circles: [{ circle: "close" }] }, /participantId or by position/],
    [
      {
        circles: [
          { position: 0, circle: "close" },
          { position: 0, circle: "friends" },
        ],
      },
      /a second time/,
    ],
    [{ mood: "great" }, /Unrecognized key/],
  ] as Array<[Json, RegExp]>)("PUT %j → 422, nothing changed", async (body, message) => {
    const before = await bea({ method: "GET", url: `${API}/encounters/${encounterId}/private` });
    const counts = await privateRows();
    // Valid fields alongside the bad one are not stored either.
    const response = await put(encounterId, { ...body, othersPresent: body.othersPresent ?? 9 });
    expect(response.statusCode, response.body).toBe(422);
    expect(response.json().error).toMatch(message);
    expect(await privateRows()).toEqual(counts);
    const after = await bea({ method: "GET", url: `${API}/encounters/${encounterId}/private` });
    expect(after.json()).toEqual(before.json());
  });

  it("another member (even one named in it) gets 404 for GET, PUT and DELETE, and nothing changes", async () => {
    const counts = await privateRows();
    for (const response of [
      await antoine({ method: "GET", url: `${API}/encounters/${encounterId}/private` }),
      await put(encounterId, { othersPresent: 5 }, antoine),
      await antoine({ method: "DELETE", url: `${API}/encounters/${encounterId}/private` }),
    ]) {
      expect(response.statusCode, response.body).toBe(404);
      expect(response.body).not.toMatch(/ffp2|loud|weak_tie/);
    }
    expect(await privateRows()).toEqual(counts);
    const unknown = await bea({ method: "GET", url: `${API}/encounters/not-an-id/private` });
    expect(unknown.statusCode).toBe(404);
  });

  it("without a token: 401", async () => {
    const response = await t.app.http.inject({
      method: "GET",
      url: `${API}/encounters/${encounterId}/private`,
    });
    expect(response.statusCode).toBe(401);
  });

  it("works on an encounter posted through the C2S outbox", async () => {
    const antoineIri = t.app.urls.actor("antoine").href;
    const posted = await bea({
      method: "POST",
      url: "/users/bea/outbox",
      headers: { "content-type": AP },
      payload: JSON.stringify({
        "@context": "https://www.w3.org/ns/activitystreams",
        type: "Note",
        content: `<p>@antoine au parc</p>`,
        tag: [{ type: "Mention", href: antoineIri, name: "@antoine" }],
        to: [PUBLIC],
      }),
    });
    expect(posted.statusCode, posted.body).toBe(201);
    const [row] = await t.app.database.rows<{ id: string }>(
      sql`select id from encounters where text like '%au parc%'`,
    );
    const response = await put(row?.id as string, {
      satisfying: false,
      circles: [{ position: 0, circle: "intimate" }],
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().participants[0].circle).toBe("intimate");
  });

  it("DELETE removes the fields and circles; the encounter stays", async () => {
    const response = await bea({
      method: "DELETE",
      url: `${API}/encounters/${encounterId}/private`,
    });
    expect(response.statusCode).toBe(204);
    const read = await bea({ method: "GET", url: `${API}/encounters/${encounterId}/private` });
    expect(read.json()).toMatchObject({ othersPresent: null, voice: null, updatedAt: null });
    expect(read.json().participants.map((p: Json) => p.circle)).toEqual([null, null]);
    const encounter = await bea({ method: "GET", url: `${API}/encounters/${encounterId}` });
    expect(encounter.statusCode).toBe(200);
  });

  it("deleting the encounter deletes its private side", async () => {
    await put(encounterId, { othersPresent: 4, circles: [{ position: 1, circle: "friends" }] });
    const [row] = await t.app.database.rows<{ id: string }>(
      sql`select id from encounters where id <> ${encounterId} and deleted_at is null limit 1`,
    );
    const others = await t.app.database.rows<{ n: number }>(
      sql`select count(*)::int as n from encounter_private where encounter_id = ${row?.id}`,
    );
    await bea({ method: "DELETE", url: `${API}/encounters/${encounterId}` });
    const left = await t.app.database.rows<{ p: number; c: number }>(
      sql`select (select count(*)::int from encounter_private where encounter_id = ${encounterId}) as p,
                 (select count(*)::int from participant_circles pc join encounter_participants ep
                    on ep.id = pc.participant_id where ep.encounter_id = ${encounterId}) as c`,
    );
    expect(left[0]).toEqual({ p: 0, c: 0 });
    const othersAfter = await t.app.database.rows<{ n: number }>(
      sql`select count(*)::int as n from encounter_private where encounter_id = ${row?.id}`,
    );
    expect(othersAfter).toEqual(others);
  });
});
