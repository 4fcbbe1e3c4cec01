import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trackerSettings, weeklyCheckins, weeklyQuestions } from "../../src/db/schema.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { API, client, membersWithTokens } from "./helpers.ts";

type Json = Record<string, unknown>;

describe(`API: export and delete of the tracker (${databaseLabel})`, () => {
  let t: TestApp;
  let bea: ReturnType<typeof client>;
  let antoine: ReturnType<typeof client>;
  const ids: Record<string, string> = {};

  const count = async (table: string) => {
    const [row] = await t.app.database.rows<{ n: number }>(
      sql`select count(*)::int as n from ${sql.raw(table)}`,
    );
    return row?.n;
  };

  const create = async (as: typeof bea, body: Json) => {
    const response = await as({ method: "POST", url: `${API}/encounters`, payload: body });
    expect(response.statusCode, response.body).toBe(201);
    return response.json().id as string;
  };

  beforeAll(async () => {
    t = await buildTestApp();
    const tokens = await membersWithTokens(t.app, ["bea", "antoine"]);
    bea = client(t.app, tokens.bea as string);
    antoine = client(t.app, tokens.antoine as string);
    ids.public = await create(bea, {
      text: 'Dîner "chez Lucie", avec =SUM(A1)',
      participants: ["=cmd|' /C calc'!A0", "Lucie"],
      occurredOn: new Date().toISOString().slice(0, 10),
    });
    ids.private = await create(bea, {
      text: "Rendez-vous médical",
      participants: ["@antoine"],
      visibility: "private",
    });
    ids.antoine = await create(antoine, { text: "Antoine's", participants: ["Marc"] });
    for (const [id, body] of [
      [
        ids.public,
        {
          othersPresent: 2,
          setting: "indoors",
          durationMinutes: 120,
          satisfying: true,
          circles: [{ position: 1, circle: "friends" }],
        },
      ],
      [ids.private, { durationMinutes: 30, circles: [{ position: 0, circle: "close" }] }],
    ] as const) {
      const r = await bea({ method: "PUT", url: `${API}/encounters/${id}/private`, payload: body });
      expect(r.statusCode, r.body).toBe(200);
    }
    const r = await antoine({
      method: "PUT",
      url: `${API}/encounters/${ids.antoine}/private`,
      payload: { othersPresent: 8, circles: [{ position: 0, circle: "intimate" }] },
    });
    expect(r.statusCode, r.body).toBe(200);
    const { db } = t.app.database;
    const [beaMember, antoineMember] = await Promise.all(
      ["bea", "antoine"].map(async (u) => (await t.app.members.findByUsername(u))?.id as string),
    );
    for (const memberId of [beaMember, antoineMember] as string[]) {
      await db.insert(trackerSettings).values({ memberId, target: 4, timeZone: "Europe/Brussels" });
      await db.insert(weeklyQuestions).values([
        {
          id: randomUUID(),
          memberId,
          weekStart: "2026-10-12",
          askedAt: new Date(Date.now() - 40 * 86_400_000),
          noteIris: ["https://example.test/notes/old"],
        },
        {
          id: randomUUID(),
          memberId,
          weekStart: "2026-11-09",
          noteIris: ["https://example.test/notes/recent"],
        },
      ]);
      await db
        .insert(weeklyCheckins)
        .values({ memberId, weekStart: "2026-11-09", answer: "yes", count: 2, source: "api" });
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  it("JSON export: the member's encounters with private fields and circles, settings, check-ins, questions; nobody else's", async () => {
    const response = await bea({ method: "GET", url: `${API}/tracker/export` });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers["content-disposition"]).toMatch(/attachment; filename="tracker-/);
    const data = response.json();
    expect(data.username).toBe("bea");
    expect(data.settings).toMatchObject({ target: 4, timeZone: "Europe/Brussels" });
    expect(data.checkins).toEqual([
      expect.objectContaining({ weekStart: "2026-11-09", answer: "yes", count: 2 }),
    ]);
    expect(data.questions).toEqual([
      expect.objectContaining({ weekStart: "2026-10-12" }),
      expect.objectContaining({
        weekStart: "2026-11-09",
        noteIris: ["https://example.test/notes/recent"],
      }),
    ]);
    const byId = Object.fromEntries(data.encounters.map((e: Json) => [e.id, e]));
    expect(Object.keys(byId).sort()).toEqual([ids.public, ids.private].sort());
    expect(byId[ids.public as string]).toMatchObject({
      visibility: "public",
      private: { othersPresent: 2, setting: "indoors", durationMinutes: 120, satisfying: true },
    });
    expect(byId[ids.public as string].participants.map((p: Json) => p.circle)).toEqual([
      null,
      "friends",
    ]);
    expect(byId[ids.private as string]).toMatchObject({
      visibility: "private",
      private: { durationMinutes: 30 },
    });
    expect(response.body).not.toMatch(/intimate|Antoine's|"othersPresent":8/);
    expect(JSON.stringify(data)).not.toMatch(/memberId/);
  });

  it("CSV export: a header row, one line per encounter, every cell quoted, formulas defused", async () => {
    const response = await bea({ method: "GET", url: `${API}/tracker/export?format=csv` });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers["content-type"]).toBe("text/csv; charset=utf-8");
    const lines = response.body.split("\r\n");
    expect(lines.at(-1)).toBe("");
    expect(lines[0]).toBe(
      "id,occurredOn,publishedAt,visibility,text,participants,circles,othersPresent,setting,durationMinutes,distance,theirMask,myMask,voice,satisfying",
    );
    expect(lines).toHaveLength(4);
    const publicLine = lines.find((l) => l.startsWith(`"${ids.public}"`)) as string;
    expect(publicLine).toContain(`"Dîner ""chez Lucie"", avec =SUM(A1)"`);
    expect(publicLine).toContain(`"'=cmd|' /C calc'!A0; Lucie","; friends"`);
    expect(publicLine).toMatch(/,"2","indoors","120","","","","","true"$/);
    expect(lines.find((l) => l.startsWith(`"${ids.private}"`))).toContain('"private"');
  });

  it("an unknown format is a 422", async () => {
    const response = await bea({ method: "GET", url: `${API}/tracker/export?format=xml` });
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toMatch(/format must be json or csv/);
  });

  it("DELETE /tracker deletes the member's tracker data and private-only encounters; public ones and others' data stay", async () => {
    const response = await bea({ method: "DELETE", url: `${API}/tracker` });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({
      privateFields: 2,
      circles: 2,
      checkins: 1,
      questions: 1,
      questionsKept: 1,
      directMessages: 0,
      settingsReset: true,
      privateEncounters: 1,
    });
    const publicOne = await bea({ method: "GET", url: `${API}/encounters/${ids.public}` });
    expect(publicOne.statusCode).toBe(200);
    const privateOne = await bea({ method: "GET", url: `${API}/encounters/${ids.private}` });
    expect(privateOne.statusCode).toBe(404);
    // Antoine's tracker is untouched: one of each.
    expect(await count("encounter_private")).toBe(1);
    expect(await count("participant_circles")).toBe(1);
    expect(await count("weekly_checkins")).toBe(1);
    // bea's question of this week stays as the lock that asks once a week, emptied.
    expect(await count("weekly_questions")).toBe(3);
    expect(await count("tracker_settings")).toBe(1);
    const after = (await bea({ method: "GET", url: `${API}/tracker/export` })).json();
    expect(after).toMatchObject({
      settings: null,
      checkins: [],
      questions: [{ weekStart: "2026-11-09", noteIris: [] }],
    });
    expect(after.encounters).toEqual([expect.objectContaining({ id: ids.public, private: null })]);
    const again = await bea({ method: "DELETE", url: `${API}/tracker` });
    expect(again.json()).toMatchObject({ privateFields: 0, privateEncounters: 0 });
  });
});
