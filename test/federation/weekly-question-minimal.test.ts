import { Temporal } from "@js-temporal/polyfill";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { weekStartOf } from "../../src/exposure/model/weeks.ts";
import { client, membersWithTokens, PUBLIC } from "../api/helpers.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { drainQueue } from "../support/queue.ts";
import { fixture, type SmallServer, startSmallServer } from "../support/small-server.ts";

type Json = Record<string, unknown>;

/**
 * The weekly question with a small server that sends only the ActivityStreams context
 * (fixtures/fediverse/minimal/): its private replies, written as it writes them, confirm
 * the link and are recorded as answers; its public reply is refused; each of our messages
 * answers its latest private Note.
 */
describe(`the weekly question with a bare-context server (${databaseLabel})`, () => {
  let a: TestApp;
  let small: SmallServer;
  let beaId: string;
  let instanceIri: string;
  let sequence = 0;

  beforeAll(async () => {
    [a, small] = await Promise.all([buildTestApp({ listen: true }), startSmallServer()]);
    await a.app.weeklyQuestionScheduler.stop();
    const tokens = await membersWithTokens(a.app, ["bea"]);
    const bea = client(a.app, tokens.bea as string);
    beaId = (await a.app.members.findByUsername("bea"))?.id as string;
    instanceIri = a.app.urls.actor("instance").href;
    const linked = await bea({
      method: "POST",
      url: "/api/socialdapres/v1/tracker/link",
      payload: { account: small.actorIri },
    });
    expect(linked.statusCode, linked.body).toBe(202);
    await drainQueue(a.app);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), small?.close()]);
  });

  /** alice's reply as her server writes it (the minimal fixture), to `inReplyTo`. */
  async function reply(inReplyTo: string, text: string, visibility: "direct" | "public") {
    const create = fixture("minimal/create-note-reply-bare-context.json", {
      small: small.origin,
      ours: a.baseUrl,
    });
    const note = create.object as Json;
    const id = `${small.origin}/alice/p/${Date.now()}.${++sequence}`;
    const audience =
      visibility === "direct" ? { to: [instanceIri], cc: [] } : { to: [PUBLIC], cc: [instanceIri] };
    Object.assign(create, { id: `${id}#create`, ...audience });
    Object.assign(note, {
      id,
      url: id,
      ...audience,
      inReplyTo,
      content: `<span class="h-card"><a href="${instanceIri}" class="u-url mention">@instance@${new URL(a.baseUrl).host}</a></span> ${text}<br>`,
      sourceContent: `@instance@${new URL(a.baseUrl).host} ${text}`,
      tag: [{ type: "Mention", href: instanceIri, name: `@instance@${new URL(a.baseUrl).host}` }],
    });
    const response = await small.post(`${instanceIri}/inbox`, create);
    expect(response.status).toBe(202);
    await drainQueue(a.app);
    return id;
  }

  /** What the instance actor sent alice, oldest first, as kept. */
  const sent = async () =>
    (
      await a.app.database.rows<{ note: Json }>(
        sql`select note from direct_messages where recipient_iri = ${small.actorIri} order by sent_at, iri`,
      )
    ).map((r) => r.note);

  const checkins = () => a.app.weeklyQuestions.checkins(beaId, 10);

  it("alice's private « oui », with only the ActivityStreams context, confirms the link", async () => {
    const [request] = await sent();
    expect(request).toMatchObject({ to: small.actorIri });
    const confirmation = await reply(String(request?.id), "oui", "direct");
    expect((await a.app.trackerSettings.get(beaId)).linkedAccountConfirmed).toBe(true);
    const messages = await sent();
    expect(messages).toHaveLength(2);
    expect(messages[1]).toMatchObject({ inReplyTo: confirmation, to: small.actorIri });
  });

  it("the question answers her confirmation; her private « oui 3 » is recorded; a public « oui 4 » is not", async () => {
    const monday = Temporal.PlainDate.from(weekStartOf(new Date(), "Europe/Paris"));
    const sunday = new Date(`${monday.subtract({ days: 1 }).toString()}T20:00:00Z`);
    expect(await a.app.weeklyQuestions.askDue(sunday)).toEqual({ asked: 1 });
    await drainQueue(a.app);
    const before = await sent();
    const question = before[2] as Json;
    expect(question.inReplyTo).toBe(before[1]?.inReplyTo);
    expect(String(question.content)).toContain("as-tu fait des rencontres satisfaisantes ?");

    const answer = await reply(String(question.id), "Oui 3 !", "direct");
    expect(await checkins()).toMatchObject([{ answer: "yes", count: 3, source: "direct_message" }]);
    const ack = (await sent())[3] as Json;
    expect(ack).toMatchObject({ inReplyTo: answer, to: small.actorIri });
    expect(String(ack.content)).toContain("Noté : 3 rencontres satisfaisantes cette semaine.");

    const publicAnswer = await reply(String(question.id), "oui 4", "public");
    expect(await checkins()).toMatchObject([{ answer: "yes", count: 3 }]);
    const warning = (await sent())[4] as Json;
    expect(warning).toMatchObject({ inReplyTo: publicAnswer, to: small.actorIri });
    expect(JSON.stringify(warning)).not.toContain(PUBLIC);
    expect(String(warning.content)).toContain("je ne l’ai pas enregistrée");
  });
});
