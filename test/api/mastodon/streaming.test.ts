import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../../support/app.ts";
import { databaseLabel } from "../../support/database.ts";
import { eventually } from "../../support/eventually.ts";

type Message = { stream?: string[]; event?: string; payload?: string; error?: string };

/** Elk and Phanpy update live over `GET /api/v1/streaming` (a WebSocket). */
describe(`Mastodon API: the streaming WebSocket (${databaseLabel})`, () => {
  let t: TestApp;
  let beaToken: string;
  let antoineToken: string;

  beforeAll(async () => {
    t = await buildTestApp({ listen: true });
    await t.app.members.create({ username: "bea", password: "bea-password-123" });
    await t.app.members.create({ username: "antoine", password: "antoine-password-1" });
    beaToken = await t.app.members.createToken("bea", "stream");
    antoineToken = await t.app.members.createToken("antoine", "stream");
  });
  afterAll(() => t?.close());

  function connect(query: string) {
    const messages: Message[] = [];
    const socket = new WebSocket(`${t.baseUrl.replace(/^http/, "ws")}/api/v1/streaming?${query}`);
    socket.addEventListener("message", (event) => messages.push(JSON.parse(String(event.data))));
    const opened = new Promise<void>((resolve, reject) => {
      socket.addEventListener("open", () => resolve());
      socket.addEventListener("error", () => reject(new Error("the WebSocket was refused")));
    });
    return { socket, messages, opened };
  }

  it("is refused without a valid token", async () => {
    const { opened } = connect("stream=user&access_token=not-a-valid-token-at-all");
    await expect(opened).rejects.toThrow(/refused/);
    const health = await fetch(`${t.baseUrl}/api/v1/streaming/health`);
    expect(await health.text()).toBe("OK");
  });

  it("pushes a new status of the home timeline and the notification of being named", async () => {
    const bea = connect(`stream=user&access_token=${beaToken}`);
    const antoine = connect(`access_token=${antoineToken}`);
    await Promise.all([bea.opened, antoine.opened]);
    antoine.socket.send(JSON.stringify({ type: "subscribe", stream: "user:notification" }));
    antoine.socket.send(JSON.stringify({ type: "subscribe", stream: "nowhere" }));
    const view = await t.app.encounters.create("bea", {
      text: "Coffee with Antoine",
      participants: ["@antoine"],
    });
    const update = await eventually(async () => bea.messages.find((m) => m.event === "update"), {
      what: "bea's update",
      timeoutMs: 20_000,
    });
    expect(update.stream).toEqual(["user"]);
    expect(JSON.parse(update.payload as string)).toMatchObject({ id: view.id });
    const notification = await eventually(
      async () => antoine.messages.find((m) => m.event === "notification"),
      { what: "antoine's notification", timeoutMs: 20_000 },
    );
    expect(notification.stream).toEqual(["user:notification"]);
    expect(JSON.parse(notification.payload as string)).toMatchObject({
      type: "mention",
      status: { id: view.id },
    });
    expect(antoine.messages.some((m) => m.error?.includes("Unknown stream"))).toBe(true);
    bea.socket.close();
    antoine.socket.close();
  });
});
