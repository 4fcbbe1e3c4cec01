import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.ts";
import type { DatabaseConfig } from "../../src/db/database.ts";
import { weekStartOf } from "../../src/exposure/model/weeks.ts";
import { createWeeklyQuestionScheduler } from "../../src/exposure/weekly-question-scheduler.ts";
import { questionTimeOf } from "../../src/exposure/weekly-question-service.ts";
import { createLogger } from "../../src/shared/logger.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";

const at = (iso: string) => new Date(iso);
const silent = createLogger({ level: "silent" });

async function asked(app: App) {
  return app.database.rows<{ username: string; week_start: string; notes: number }>(
    sql`select m.username, q.week_start::text as week_start, cardinality(q.note_iris) as notes
        from weekly_questions q join members m on m.id = q.member_id
        order by m.username, q.week_start`,
  );
}

async function memberId(app: App, username: string): Promise<string> {
  const member = await app.members.findByUsername(username);
  if (!member) throw new Error(`no ${username}`);
  return member.id;
}

describe("questionTimeOf: when this week's question is due, in the member's zone", () => {
  it("Sunday 18:00 in Paris on the day clocks go forward is 16:00 UTC, in the week of Monday 23 March", () => {
    expect(questionTimeOf(at("2026-03-29T12:00:00Z"), "Europe/Paris", 0, 18)).toEqual({
      weekStart: "2026-03-23",
      askAt: at("2026-03-29T16:00:00Z"),
    });
    // The Sunday before, still in winter time: 17:00 UTC.
    expect(questionTimeOf(at("2026-03-22T12:00:00Z"), "Europe/Paris", 0, 18).askAt).toEqual(
      at("2026-03-22T17:00:00Z"),
    );
  });

  it("an hour skipped by DST moves forward, a repeated hour takes its first occurrence", () => {
    expect(questionTimeOf(at("2026-03-29T12:00:00Z"), "Europe/Paris", 0, 2).askAt).toEqual(
      at("2026-03-29T01:00:00Z"), // 03:00 CEST
    );
    expect(questionTimeOf(at("2026-10-25T12:00:00Z"), "Europe/Paris", 0, 2).askAt).toEqual(
      at("2026-10-25T00:00:00Z"), // the first 02:00, still CEST
    );
  });

  it("follows the member's own week: Monday 08:00 in Tokyo is Sunday 23:00 UTC", () => {
    expect(questionTimeOf(at("2026-03-23T00:30:00Z"), "Asia/Tokyo", 1, 8)).toEqual({
      weekStart: "2026-03-23",
      askAt: at("2026-03-22T23:00:00Z"),
    });
    // New York after its DST change (8 March 2026): Sunday 18:00 EDT is 22:00 UTC.
    expect(questionTimeOf(at("2026-03-15T12:00:00Z"), "America/New_York", 0, 18).askAt).toEqual(
      at("2026-03-15T22:00:00Z"),
    );
  });
});

describe(`the weekly question scheduler (${databaseLabel})`, () => {
  let t: TestApp;
  let app: App;
  let clock = at("2026-03-29T15:59:00Z");

  beforeAll(async () => {
    t = await buildTestApp();
    app = t.app;
    await app.members.create({ username: "bea", password: "bea-password-123" });
    await app.members.create({ username: "carl", password: "carl-password-123" });
    await app.members.create({ username: "dora", password: "dora-password-123" });
    await app.trackerSettings.update(await memberId(app, "carl"), {
      timeZone: "America/New_York",
    });
    await app.trackerSettings.update(await memberId(app, "dora"), { questionEnabled: false });
  });
  afterAll(() => t?.close());

  const scheduler = () =>
    createWeeklyQuestionScheduler({
      service: app.weeklyQuestions,
      logger: silent,
      now: () => clock,
    });

  it("asks nobody before the hour, then each member at their own local hour, once", async () => {
    const s = scheduler();
    await s.tick();
    expect(await asked(app)).toEqual([]);

    clock = at("2026-03-29T16:00:00Z"); // 18:00 in Paris, 12:00 in New York
    await s.tick();
    expect(await asked(app)).toEqual([{ username: "bea", week_start: "2026-03-23", notes: 1 }]);

    clock = at("2026-03-29T22:00:00Z"); // 18:00 in New York
    await s.tick();
    await s.tick();
    expect(await asked(app)).toEqual([
      { username: "bea", week_start: "2026-03-23", notes: 1 },
      { username: "carl", week_start: "2026-03-23", notes: 1 },
    ]);

    // Each ask is an in-app notification; dora turned the question off.
    const [row] = await app.database.rows<{ n: number }>(
      sql`select count(*)::int as n from notifications where kind = 'weekly_question'`,
    );
    expect(row?.n).toBe(2);
  });

  it("asks again the next week, and concurrent passes in one process ask once", async () => {
    clock = at("2026-04-05T16:30:00Z");
    const [one, two] = await Promise.all([
      app.weeklyQuestions.askDue(clock),
      app.weeklyQuestions.askDue(clock),
    ]);
    expect(one.asked + two.asked).toBe(1);
    expect((await asked(app)).filter((r) => r.week_start === "2026-03-30")).toEqual([
      { username: "bea", week_start: "2026-03-30", notes: 1 },
    ]);
  });

  it("records an API check-in for the week last asked about, and lists the history", async () => {
    const id = await memberId(app, "bea");
    const checkin = await app.weeklyQuestions.checkIn(
      id,
      { answer: "yes", count: 2, weekStart: "2026-03-23" },
      "api",
    );
    expect(checkin).toMatchObject({
      weekStart: "2026-03-23",
      answer: "yes",
      count: 2,
      source: "api",
    });
    // Answering again replaces the week's answer.
    await app.weeklyQuestions.checkIn(id, { answer: "no", weekStart: "2026-03-23" }, "web");
    expect(await app.weeklyQuestions.checkins(id, 10)).toMatchObject([
      { weekStart: "2026-03-23", answer: "no", count: null, source: "web" },
    ]);
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)(
  "two scheduler processes on one PostgreSQL database",
  () => {
    let a: TestApp;
    let b: TestApp;

    beforeAll(async () => {
      a = await buildTestApp();
      b = await buildTestApp({ database: a.app.config.database, origin: a.app.config.origin });
      for (let i = 0; i < 15; i++) {
        await a.app.members.create({ username: `m${i}`, password: `member-password-${i}` });
      }
    });
    afterAll(async () => {
      await b?.close();
      await a?.close();
    });

    it("race for every member: each is asked exactly once, by one of them", async () => {
      const now = at("2026-03-29T16:00:00Z");
      const results = await Promise.all([
        a.app.weeklyQuestions.askDue(now),
        b.app.weeklyQuestions.askDue(now),
        a.app.weeklyQuestions.askDue(now),
        b.app.weeklyQuestions.askDue(now),
      ]);
      expect(results.reduce((sum, r) => sum + r.asked, 0)).toBe(15);
      const rows = await asked(a.app);
      expect(rows).toHaveLength(15);
      const [n] = await a.app.database.rows<{ n: number }>(
        sql`select count(*)::int as n from notifications where kind = 'weekly_question'`,
      );
      expect(n?.n).toBe(15);
    });
  },
);

describe(`a restart (${databaseLabel})`, () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it("asks on start a member whose hour passed while no worker ran, and only once", async () => {
    // PGlite in memory would not survive the restart: keep it on disk.
    let database: DatabaseConfig | undefined;
    if (!process.env.TEST_DATABASE_URL) {
      const dir = await mkdtemp(join(tmpdir(), "sdp-restart-"));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      database = { kind: "pglite", dataDir: dir };
    }
    const first = await buildTestApp(database ? { database } : {});
    cleanups.push(first.close);
    const { member } = await first.app.members.create({
      username: "bea",
      password: "bea-password-123",
    });
    // Monday 00:00 local: always past in the current week, whatever day the suite runs.
    await first.app.trackerSettings.update(member.id, { questionDay: 1, questionHour: 0 });
    await first.app.close(); // the process stops before any pass ran

    const shared = { database: first.app.config.database, origin: first.app.config.origin };
    const second = await buildTestApp({ ...shared, listen: true, role: "worker" });
    const week = weekStartOf(new Date(), "Europe/Paris");
    await eventually(async () => (await asked(second.app)).length === 1, {
      what: "the question asked on start",
    });
    expect(await asked(second.app)).toEqual([{ username: "bea", week_start: week, notes: 1 }]);
    await second.close();

    const third = await buildTestApp({ ...shared, listen: true, role: "worker" });
    cleanups.push(third.close);
    await third.app.weeklyQuestionScheduler.tick();
    expect(await third.app.weeklyQuestions.askDue()).toEqual({ asked: 0 });
    expect(await asked(third.app)).toHaveLength(1);
  });
});
