import { Create, isActor, Note } from "@fedify/vocab";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, membersWithTokens, PUBLIC } from "../api/helpers.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { type Received, type Recorder, startRecorder } from "../support/recording-server.ts";

type Json = Record<string, unknown>;
const list = (value: unknown) =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

describe(`the weekly question to a linked fediverse account (${databaseLabel})`, () => {
  let a: TestApp;
  let rita: Recorder;
  let stranger: Recorder;
  let api: ReturnType<typeof client>;
  let beaId: string;
  let replies = 0;

  beforeAll(async () => {
    [a, rita, stranger] = await Promise.all([
      buildTestApp({ listen: true }),
      startRecorder(),
      startRecorder(),
    ]);
    // The test drives the question with its own clock; the real-time loop stays out of the way.
    await a.app.weeklyQuestionScheduler.stop();
    const tokens = await membersWithTokens(a.app, ["bea"]);
    api = client(a.app, tokens.bea as string);
    beaId = (await a.app.members.findByUsername("bea"))?.id as string;
  });
  afterAll(async () => {
    await Promise.all([a?.close(), rita?.app.close(), stranger?.app.close()]);
  });

  const creates = (rec: Recorder) => rec.received.filter((r) => r.type === "Create");
  const noteOf = (r: Received) => r.json.object as Json;

  /** A direct Note from `rec`'s rita to A's instance actor, replying to `inReplyTo`. */
  async function reply(rec: Recorder, inReplyTo: string, text: string): Promise<string> {
    const ctx = rec.federation.createContext(new URL(rec.origin), undefined);
    const instance = await ctx.lookupObject(a.app.urls.actor("instance").href);
    if (!isActor(instance) || !instance.id) throw new Error("no instance actor on A");
    const id = new URL(`/notes/${++replies}`, rec.origin);
    await ctx.sendActivity(
      { identifier: "rita" },
      instance,
      new Create({
        id: new URL(`/creates/${replies}`, rec.origin),
        actor: new URL(rec.actorIri),
        to: instance.id,
        object: new Note({
          id,
          attribution: new URL(rec.actorIri),
          to: instance.id,
          replyTarget: new URL(inReplyTo),
          content: `<p><span class="h-card"><a href="${instance.id.href}" class="u-url mention">@<span>instance</span></a></span> ${text}</p>`,
        }),
      }),
    );
    return id.href;
  }

  function expectDirect(received: Received, to: string) {
    const note = noteOf(received);
    expect(received.actor).toBe(a.app.urls.actor("instance").href);
    expect(received.recipient).toBe("rita");
    for (const doc of [received.json, note]) {
      expect(list(doc.to)).toEqual([to]);
      expect(doc.cc).toBeUndefined();
      expect(JSON.stringify(doc)).not.toContain(PUBLIC);
      expect(JSON.stringify(doc)).not.toContain("followers");
    }
    expect(list(note.tag)).toEqual([expect.objectContaining({ type: "Mention", href: to })]);
  }

  async function checkins() {
    return a.app.weeklyQuestions.checkins(beaId, 10);
  }

  it("a link request sends rita exactly one direct message; her « oui » confirms the link", async () => {
    const response = await api({
      method: "POST",
      url: "/api/socialdapres/v1/tracker/link",
      payload: { account: rita.actorIri },
    });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ linkedAccountIri: rita.actorIri, confirmed: false });
    const [request] = await eventually(() => creates(rita).length === 1 && creates(rita), {
      what: "the link request",
    });
    expectDirect(request as Received, rita.actorIri);
    expect(String(noteOf(request as Received).content)).toContain("@bea@");

    // Someone else answering the link request confirms nothing.
    await reply(stranger, String(noteOf(request as Received).id), "oui");
    await reply(rita, String(noteOf(request as Received).id), "Oui !");
    await eventually(async () => (await a.app.trackerSettings.get(beaId)).linkedAccountConfirmed, {
      what: "the link to be confirmed",
    });
    expect((await a.app.trackerSettings.get(beaId)).linkedAccountIri).toBe(rita.actorIri);
    expect(creates(rita)).toHaveLength(1);
  });

  it("the scheduler asks rita directly, and her « oui 2 » is the week's check-in", async () => {
    expect(await a.app.weeklyQuestions.askDue(new Date("2026-03-29T16:00:00Z"))).toEqual({
      asked: 1,
    });
    const question = await eventually(() => creates(rita)[1], { what: "the question" });
    expectDirect(question, rita.actorIri);
    const note = noteOf(question);
    expect(String(note.content)).toContain(
      "Durant les 7 derniers jours, as-tu fait des rencontres satisfaisantes ?",
    );
    expect(String(note.content)).toContain(`${a.baseUrl}/tracker`);
    const [row] = await a.app.database.rows<{ note_iris: string[] }>(
      sql`select note_iris from weekly_questions where week_start = '2026-03-23'`,
    );
    expect(row?.note_iris).toHaveLength(2); // the member's own (in-app) and rita's
    expect(row?.note_iris).toContain(note.id);

    await reply(rita, String(note.id), "Oui, 2 ! 🎉");
    const [checkin] = await eventually(
      async () => {
        const rows = await checkins();
        return rows.length === 1 && rows;
      },
      { what: "the check-in" },
    );
    expect(checkin).toMatchObject({
      weekStart: "2026-03-23",
      answer: "yes",
      count: 2,
      source: "direct_message",
    });
  });

  it("« bonjour » gets a short direct answer with the link; another actor is ignored; nothing is an encounter", async () => {
    const questionIri = String(noteOf(creates(rita)[1] as Received).id);
    const bonjour = await reply(rita, questionIri, "bonjour");
    const answer = await eventually(() => creates(rita)[2], { what: "the answer" });
    expectDirect(answer, rita.actorIri);
    expect(noteOf(answer).inReplyTo).toBe(bonjour);
    expect(String(noteOf(answer).content)).toContain(`${a.baseUrl}/tracker`);

    await reply(stranger, questionIri, "non");
    // The stranger's reply reaches A (its inbox answered) but changes nothing; wait for the queue.
    await eventually(async () => {
      const [q] = await a.app.database.rows<{ n: number }>(
        sql`select count(*)::int as n from queue_jobs`,
      );
      return q?.n === 0;
    });
    expect(await checkins()).toMatchObject([{ answer: "yes", count: 2 }]);
    expect(creates(stranger)).toHaveLength(0);
    expect(creates(rita)).toHaveLength(3);
    const [e] = await a.app.database.rows<{ n: number }>(
      sql`select count(*)::int as n from encounters`,
    );
    expect(e?.n).toBe(0);
  });

  it("at most 3 link requests a day, one message each; unlinking stops the question there", async () => {
    const link = () =>
      api({
        method: "POST",
        url: "/api/socialdapres/v1/tracker/link",
        payload: { account: rita.actorIri },
      });
    expect((await link()).statusCode).toBe(202);
    expect((await link()).statusCode).toBe(202);
    const limited = await link();
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error).toMatch(/3 link requests a day/);
    await eventually(() => creates(rita).length === 5, { what: "two more link requests" });

    const bad = await api({
      method: "POST",
      url: "/api/socialdapres/v1/tracker/link",
      payload: { account: 42 },
    });
    expect(bad.statusCode).toBe(422);
    expect(
      (await api({ method: "DELETE", url: "/api/socialdapres/v1/tracker/link" })).statusCode,
    ).toBe(204);
    expect((await a.app.trackerSettings.get(beaId)).linkedAccountIri).toBeNull();
  });
});
