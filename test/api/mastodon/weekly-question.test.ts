import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../../support/app.ts";
import { databaseLabel } from "../../support/database.ts";
import { client, membersWithTokens } from "../helpers.ts";

/** The weekly question arrives in an app as a direct message; replying to it checks in. */
describe(`Mastodon API: the weekly question (${databaseLabel})`, () => {
  let t: TestApp;
  let bea: ReturnType<typeof client>;
  let antoine: ReturnType<typeof client>;

  beforeAll(async () => {
    t = await buildTestApp();
    const tokens = await membersWithTokens(t.app, ["bea", "antoine"]);
    bea = client(t.app, tokens.bea as string);
    antoine = client(t.app, tokens.antoine as string);
    const member = await t.app.members.findByUsername("bea");
    await t.app.notifications.notifyWeeklyQuestion(member?.id as string);
  });
  afterAll(() => t?.close());

  it("is a mention from the instance, a direct status asking the question in her language", async () => {
    const [notification] = (await bea({ method: "GET", url: "/api/v1/notifications" })).json();
    expect(notification).toMatchObject({
      type: "mention",
      account: { username: "instance", bot: true },
      status: { visibility: "direct", mentions: [{ username: "bea" }] },
    });
    expect(notification.status.content).toContain("Durant les 7 derniers jours");
  });

  it("« oui 2 » in reply is this week's check-in; what is not understood is refused with what to write", async () => {
    const [notification] = (await bea({ method: "GET", url: "/api/v1/notifications" })).json();
    const unclear = await bea({
      method: "POST",
      url: "/api/v1/statuses",
      payload: {
        status: "peut-être",
        in_reply_to_id: notification.status.id,
        visibility: "direct",
      },
    });
    expect(unclear.statusCode).toBe(422);
    expect(unclear.json().error).toContain("« oui 2 »");
    const answer = await bea({
      method: "POST",
      url: "/api/v1/statuses",
      payload: {
        status: "@instance oui 2",
        in_reply_to_id: notification.status.id,
        visibility: "direct",
      },
    });
    expect(answer.statusCode, answer.body).toBe(200);
    expect(answer.json()).toMatchObject({
      in_reply_to_id: notification.status.id,
      text: "@instance oui 2",
    });
    const member = await t.app.members.findByUsername("bea");
    expect(await t.app.weeklyQuestions.checkins(member?.id as string, 5)).toEqual([
      expect.objectContaining({ answer: "yes", count: 2, source: "api" }),
    ]);
    // Someone else's question is not theirs to answer: it is no status they can see.
    const other = await antoine({
      method: "POST",
      url: "/api/v1/statuses",
      payload: { status: "non", in_reply_to_id: notification.status.id },
    });
    expect(other.statusCode).toBe(404);
  });
});
