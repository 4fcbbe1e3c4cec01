import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, membersWithTokens } from "../api/helpers.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";

const SETTINGS = "/api/socialdapres/v1/tracker/settings";
const CHECKINS = "/api/socialdapres/v1/tracker/checkins";

describe(`tracker settings and check-ins API (${databaseLabel})`, () => {
  let t: TestApp;
  let bea: ReturnType<typeof client>;
  let carl: ReturnType<typeof client>;

  beforeAll(async () => {
    t = await buildTestApp();
    const tokens = await membersWithTokens(t.app, ["bea", "carl"]);
    bea = client(t.app, tokens.bea as string);
    carl = client(t.app, tokens.carl as string);
  });
  afterAll(() => t?.close());

  const settingsRows = async () =>
    (
      await t.app.database.rows<{ n: number }>(sql`select count(*)::int as n from tracker_settings`)
    )[0]?.n;

  it("needs a token", async () => {
    expect((await t.app.http.inject({ method: "GET", url: SETTINGS })).statusCode).toBe(401);
    expect((await t.app.http.inject({ method: "GET", url: CHECKINS })).statusCode).toBe(401);
  });

  it("shows the defaults: Sunday 18:00 Europe/Paris, question on", async () => {
    const response = await bea({ method: "GET", url: SETTINGS });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      questionEnabled: true,
      questionDay: 0,
      questionHour: 18,
      timeZone: "Europe/Paris",
      floor: 1,
      target: 3,
      ceilingRch: 10,
      distinctPeopleLimit: 15,
      pandemicMode: false,
      budget: "standard",
      linkedAccountIri: null,
      linkedAccountConfirmed: false,
    });
  });

  it.each([
    [{ timeZone: "Mars/Olympus" }, /timeZone/],
    [{ timeZone: "+02:00" }, /timeZone/],
    [{ questionDay: 7 }, /questionDay/],
    [{ questionHour: 24 }, /questionHour/],
    [{ questionHour: 1.5 }, /questionHour/],
    [{ questionEnabled: "yes" }, /questionEnabled/],
    [{ floor: -1 }, /floor/],
    [{ ceilingRch: 0 }, /ceilingRch/],
    [{ testPositivity: 1.5 }, /testPositivity/],
    [{ weeklyIncidence: -3 }, /weeklyIncidence/],
    [{ budget: "reckless" }, /budget/],
    [{ linkedAccountIri: "https://evil.example/users/x" }, /linkedAccountIri|nrecognized/],
    [{ floor: 5, target: 2 }, /target \(2\) must be at least floor \(5\)/],
  ])("refuses %j with a clear 422 and stores nothing", async (payload, message) => {
    const response = await bea({ method: "PATCH", url: SETTINGS, payload });
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toMatch(message);
    expect(await settingsRows()).toBe(0);
  });

  it("saves a valid change, for that member only", async () => {
    const response = await bea({
      method: "PATCH",
      url: SETTINGS,
      payload: {
        questionDay: 1,
        questionHour: 8,
        timeZone: "Asia/Tokyo",
        pandemicMode: true,
        testPositivity: 0.1,
      },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      questionDay: 1,
      questionHour: 8,
      timeZone: "Asia/Tokyo",
      target: 3,
    });
    expect((await carl({ method: "GET", url: SETTINGS })).json()).toMatchObject({
      timeZone: "Europe/Paris",
    });
  });

  it.each([
    [{}, /answer/],
    [{ answer: "maybe" }, /answer/],
    [{ answer: "yes", count: 0 }, /count/],
    [{ answer: "yes", count: 100 }, /count/],
    [{ answer: "no", count: 2 }, /count goes with answer "yes"/],
    [{ answer: "yes", weekStart: "2026-03-24" }, /Monday/],
    [{ answer: "yes", weekStart: "2999-01-07" }, /future/],
  ])("refuses the check-in %j with a 422", async (payload, message) => {
    const response = await bea({ method: "POST", url: CHECKINS, payload });
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toMatch(message);
    expect((await bea({ method: "GET", url: CHECKINS })).json()).toEqual({ items: [] });
  });

  it("records a check-in from the API and lists it, newest week first", async () => {
    const first = await bea({
      method: "POST",
      url: CHECKINS,
      payload: { answer: "yes", count: 2, weekStart: "2026-03-23" },
    });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({
      weekStart: "2026-03-23",
      answer: "yes",
      count: 2,
      source: "api",
    });
    const now = await bea({ method: "POST", url: CHECKINS, payload: { answer: "no" } });
    expect(now.statusCode).toBe(201);
    const list = (await bea({ method: "GET", url: `${CHECKINS}?limit=5` })).json().items;
    expect(list.map((c: { weekStart: string }) => c.weekStart)).toEqual([
      now.json().weekStart,
      "2026-03-23",
    ]);
    expect((await carl({ method: "GET", url: CHECKINS })).json()).toEqual({ items: [] });
  });

  it("the question is an in-app notification with no encounter", async () => {
    await t.app.weeklyQuestions.askDue(new Date("2026-03-29T16:00:00Z"));
    const response = await carl({ method: "GET", url: "/api/socialdapres/v1/notifications" });
    expect(response.statusCode).toBe(200);
    expect(response.json().items).toMatchObject([{ kind: "weekly_question", encounter: null }]);
    expect((await carl({ method: "GET", url: SETTINGS })).headers["cache-control"]).toBe(
      "private, no-store",
    );
  });
});
