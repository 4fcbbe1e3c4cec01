import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createQuestionAsking } from "../../src/exposure/weekly-question-asking.ts";
import { createOutbox } from "../../src/outbox/outbox.ts";
import { API, client, membersWithTokens } from "../api/helpers.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { drainQueue } from "../support/queue.ts";
import { type Recorder, startRecorder } from "../support/recording-server.ts";

/*
 * Asking the weekly question, between an instance and a linked account on another server
 * (a Fedify server on loopback, real signatures): one transaction for the row, the in-app
 * notification and the direct message (the outbox); an account linked after the question
 * time is asked too; a member asks for it again, at most once an hour.
 */
describe(`asking the weekly question, once per week and channel (${databaseLabel})`, () => {
  let a: TestApp;
  let rita: Recorder;
  const ids: Record<string, string> = {};
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    [a, rita] = await Promise.all([
      buildTestApp({ listen: true, outbox: { pollIntervalMs: 50 } }),
      startRecorder(),
    ]);
    // The test drives the question itself; the real-time loop stays out of the way.
    await a.app.weeklyQuestionScheduler.stop();
    Object.assign(tokens, await membersWithTokens(a.app, ["bea", "carol", "dan"]));
    await a.app.actors.upsertRemote(await a.app.remoteLookup.lookupActor(rita.actorIri));
    for (const username of ["bea", "carol", "dan"]) {
      const member = await a.app.members.findByUsername(username);
      ids[username] = member?.id as string;
      // Due from the start of today (UTC), whatever the day the test runs; bea's first.
      await a.app.trackerSettings.update(member?.id as string, {
        timeZone: "UTC",
        questionDay: new Date().getUTCDay(),
        questionHour: 0,
        questionEnabled: username === "bea",
      });
    }
  });
  afterAll(async () => {
    await Promise.all([a?.close(), rita?.app.close()]);
  });

  const questionsTo = () =>
    rita.received.filter(
      (r) =>
        r.type === "Create" &&
        String((r.json.object as { content?: string }).content).includes(
          "rencontres satisfaisantes",
        ),
    );
  const count = async (query: ReturnType<typeof sql>) =>
    (await a.app.database.rows<{ n: number }>(query))[0]?.n ?? 0;
  const rowsOf = (memberId: string) =>
    count(sql`select count(*)::int as n from weekly_questions where member_id = ${memberId}`);
  const notificationsOf = (memberId: string) =>
    count(
      sql`select count(*)::int as n from notifications where member_id = ${memberId} and kind = 'weekly_question'`,
    );
  const link = (memberId: string) =>
    a.app.trackerSettings.setLinkedAccount(memberId, {
      iri: rita.actorIri,
      confirmedAt: new Date(),
    });

  it("a failure between the steps leaves nothing half-done; the next pass asks once", async () => {
    const bea = ids.bea as string;
    await link(bea);
    // The direct message cannot be recorded: the transaction that asks fails at its last step.
    await a.app.database.rows(
      sql`alter table outbox_events add constraint refuses_direct check (type <> 'direct_message.sent')`,
    );
    try {
      await a.app.weeklyQuestions.askDue();
    } finally {
      await a.app.database.rows(sql`alter table outbox_events drop constraint refuses_direct`);
    }
    await drainQueue(a.app);
    expect(await rowsOf(bea)).toBe(0);
    expect(await notificationsOf(bea)).toBe(0);
    expect(questionsTo()).toHaveLength(0);

    // The next pass asks bea, in the app and on rita, once; the one after asks nobody.
    expect(await a.app.weeklyQuestions.askDue()).toEqual({ asked: 1 });
    expect(await a.app.weeklyQuestions.askDue()).toEqual({ asked: 0 });
    await drainQueue(a.app);
    expect(await rowsOf(bea)).toBe(1);
    expect(await notificationsOf(bea)).toBe(1);
    expect(questionsTo()).toHaveLength(1);
  });

  it("a crash after the commit: the outbox's relay sends the question, once", async () => {
    const carol = ids.carol as string;
    await a.app.trackerSettings.update(carol, { questionEnabled: true });
    await link(carol);
    const before = questionsTo().length;
    // A writer that commits the question and dies before dispatching its direct message.
    const dying = createOutbox(a.app.database, { leaseMs: 100 });
    const asking = createQuestionAsking({
      db: a.app.database.db,
      events: { record: dying.record, dispatch: async () => {} },
      notifications: a.app.notifications,
      settings: a.app.trackerSettings,
      newNoteIri: (kind) => a.app.urls.newActivity(kind).href,
      formUrl: new URL("/tracker", a.app.urls.origin).href,
      logger: a.app.logger,
      clock: () => new Date(),
    });
    expect(await asking.askDue()).toEqual({ asked: 1 });
    const [row] = await a.app.database.rows<{ note_iris: string[] }>(
      sql`select note_iris from weekly_questions where member_id = ${carol}`,
    );
    // The app's relay replays it once the dead writer's lease ran out.
    await drainQueue(a.app);
    const sent = questionsTo().slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.json.id).toBe(`${row?.note_iris[1]}/activity`);
    expect(rita.deliveries.filter((d) => d.id === sent[0]?.json.id)).toHaveLength(1);
    // The week is asked: no pass asks carol again.
    await a.app.weeklyQuestions.askDue();
    await drainQueue(a.app);
    expect(questionsTo().slice(before)).toHaveLength(1);
    expect(await notificationsOf(carol)).toBe(1);
  });

  it("an account linked after the question time is asked too, once, unless the week is answered", async () => {
    const dan = ids.dan as string;
    // dan is asked in the app only; then links rita.
    await a.app.trackerSettings.update(dan, { questionEnabled: true });
    expect(await a.app.weeklyQuestions.askDue()).toEqual({ asked: 1 });
    expect(await rowsOf(dan)).toBe(1);
    const before = questionsTo().length;
    await link(dan);
    expect(await a.app.weeklyQuestions.askDue()).toEqual({ asked: 1 });
    expect(await a.app.weeklyQuestions.askDue()).toEqual({ asked: 0 });
    await drainQueue(a.app);
    expect(questionsTo().slice(before)).toHaveLength(1);
    const [row] = await a.app.database.rows<{ note_iris: string[]; linked_account_iri: string }>(
      sql`select note_iris, linked_account_iri from weekly_questions where member_id = ${dan}`,
    );
    expect(row?.note_iris).toHaveLength(2);
    expect(row?.linked_account_iri).toBe(rita.actorIri);
    expect(await notificationsOf(dan)).toBe(1); // the app was not asked twice

    // A member who already answered this week is not asked on a newly linked account.
    await a.app.trackerSettings.setLinkedAccount(dan, { iri: null, confirmedAt: null });
    await a.app.database.rows(
      sql`update weekly_questions set linked_account_iri = null where member_id = ${dan}`,
    );
    await a.app.weeklyQuestions.checkIn(dan, { answer: "no" }, "api");
    await link(dan);
    expect(await a.app.weeklyQuestions.askDue()).toEqual({ asked: 0 });
  });

  it("a member asks for the question again from the settings: at most once an hour", async () => {
    const bea = client(a.app, tokens.bea as string);
    const before = questionsTo().length;
    const tooSoon = await bea({ method: "POST", url: `${API}/tracker/question` });
    expect(tooSoon.statusCode, tooSoon.body).toBe(429);
    expect(Number(tooSoon.headers["retry-after"])).toBeGreaterThan(3000);
    expect(tooSoon.json().error).toMatch(/an hour/);

    // An hour later it goes again, to the app and to rita; and not twice in that hour.
    await a.app.database.rows(
      sql`update weekly_questions set asked_at = asked_at - interval '61 minutes' where member_id = ${ids.bea}`,
    );
    const again = await bea({ method: "POST", url: `${API}/tracker/question` });
    expect(again.statusCode, again.body).toBe(202);
    expect(again.json()).toEqual({
      weekStart: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      channels: ["app", "linked_account"],
    });
    expect((await bea({ method: "POST", url: `${API}/tracker/question` })).statusCode).toBe(429);
    await drainQueue(a.app);
    expect(questionsTo().slice(before)).toHaveLength(1);
    expect(await notificationsOf(ids.bea as string)).toBe(2);
  });
});
