import { getLogger, type LogRecord } from "@logtape/logtape";
import { describe, expect, it } from "vitest";
import { fedifyRecordToPino, NOT_PUBLIC } from "../src/shared/fedify-log-filter.ts";
import { pinoLevelOf, routeFedifyLogs } from "../src/shared/fedify-logging.ts";
import { capturingLogger } from "./support/captured-logs.ts";

const record = (
  category: string[],
  level: LogRecord["level"],
  properties: Record<string, unknown> = {},
  message: unknown[] = ["x"],
): LogRecord => ({
  category,
  level,
  message,
  rawMessage: "x",
  properties,
  timestamp: Date.now(),
});

describe("the levels Fedify's records are logged at", () => {
  it("a handle that does not resolve is the member's mistake: info, not error", () => {
    expect(pinoLevelOf(record(["fedify", "webfinger", "lookup"], "error"))).toBe("info");
  });

  it("keeps every other level and category as Fedify gave it", () => {
    expect(pinoLevelOf(record(["fedify", "federation", "queue"], "error"))).toBe("error");
    expect(pinoLevelOf(record(["fedify", "webfinger", "lookup"], "warning"))).toBe("warn");
    expect(pinoLevelOf(record(["fedify", "sig", "http"], "debug"))).toBe("debug");
  });
});

const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";
/** A direct answer as Mastodon sends it: to the instance actor only. */
const directAnswer = {
  "@context": "https://www.w3.org/ns/activitystreams",
  id: "https://remote.example/users/rita/statuses/1/activity",
  type: "Create",
  actor: "https://remote.example/users/rita",
  to: ["https://our.example/users/instance"],
  object: {
    id: "https://remote.example/users/rita/statuses/1",
    type: "Note",
    to: ["https://our.example/users/instance"],
    content: "<p>@instance Oui 4, Zorglub</p>",
    contentMap: { fr: "<p>@instance Oui 4, Zorglub</p>" },
    source: { content: "Oui 4, Zorglub" },
  },
};
const publicNote = {
  ...directAnswer,
  to: [PUBLIC],
  object: { ...directAnswer.object, to: PUBLIC, content: "<p>Un café au marché</p>" },
};
const enqueued = (activity: unknown) =>
  record(
    ["fedify", "federation", "inbox"],
    "info",
    { activityId: directAnswer.id, activity, recipient: null },
    ["Activity ", directAnswer.id, " is enqueued."],
  );

describe("what of a Fedify record is written", () => {
  it("at info, a body is only its id and type (and its object's); metadata stays", () => {
    const [fields, message] = fedifyRecordToPino(enqueued(publicNote), { bodies: false });
    expect(fields).toEqual({
      category: "fedify.federation.inbox",
      activityId: directAnswer.id,
      activity: {
        id: directAnswer.id,
        type: "Create",
        object: { id: directAnswer.object.id, type: "Note" },
      },
      recipient: null,
    });
    expect(message).toBe(`Activity ${directAnswer.id} is enqueued.`);
  });

  it("at info, a body is found whatever holds it: a string, another key, the message", () => {
    const line = JSON.stringify(
      fedifyRecordToPino(
        record(
          ["fedify", "federation", "outbox"],
          "error",
          { logData: { inbox: "https://remote.example/inbox", raw: JSON.stringify(publicNote) } },
          ["Unsupported activity type:\n", publicNote],
        ),
        { bodies: false },
      ),
    );
    expect(line).not.toContain("marché");
    expect(line).toContain("https://remote.example/inbox");
  });

  it("at debug, bodies are written, but never the words of what is not public", () => {
    const [direct] = fedifyRecordToPino(enqueued(directAnswer), { bodies: true });
    expect(JSON.stringify(direct)).not.toContain("Zorglub");
    expect(direct.activity).toMatchObject({
      actor: directAnswer.actor,
      object: { id: directAnswer.object.id, content: NOT_PUBLIC, contentMap: NOT_PUBLIC },
    });
    const [open] = fedifyRecordToPino(enqueued(publicNote), { bodies: true });
    expect(JSON.stringify(open)).toContain("Un café au marché");
  });
});

describe("whose log a Fedify record goes to", () => {
  it("the app in whose scope it was made; outside any scope, every open app", async () => {
    const a = capturingLogger("info");
    const b = capturingLogger("info");
    const [routeA, routeB] = [await routeFedifyLogs(a.logger), await routeFedifyLogs(b.logger)];
    try {
      const fedify = getLogger(["fedify", "federation", "outbox"]);
      routeA.run(() => fedify.info("from A {inbox}", { inbox: "https://b.example/inbox" }));
      await routeB.run(async () => {
        await Promise.resolve();
        fedify.info("from B");
      });
      fedify.info("from nowhere");
      fedify.debug("below the level");
      expect(a.logs.map((line) => JSON.parse(line).msg)).toEqual([
        "from A https://b.example/inbox",
        "from nowhere",
      ]);
      expect(b.logs.map((line) => JSON.parse(line).msg)).toEqual(["from B", "from nowhere"]);
      expect(JSON.parse(a.logs[0] as string)).toMatchObject({ component: "fedify" });
    } finally {
      routeA.close();
      routeB.close();
    }
    getLogger(["fedify", "test"]).info("after close");
    expect(a.logs).toHaveLength(2);
  });

  it("below every app's level LogTape builds no record; an app at debug lowers it for itself only", async () => {
    const quiet = capturingLogger("warn");
    const routeQuiet = await routeFedifyLogs(quiet.logger);
    const fedify = getLogger(["fedify", "sig", "http"]);
    // No app in this process writes debug yet: Fedify's debug records are not even made.
    expect(fedify.isEnabledFor("debug")).toBe(false);
    const chatty = capturingLogger("debug");
    const routeChatty = await routeFedifyLogs(chatty.logger);
    try {
      expect(fedify.isEnabledFor("debug")).toBe(true);
      routeChatty.run(() => fedify.debug("checked a signature"));
      routeQuiet.run(() => fedify.debug("not for the quiet one"));
      expect(chatty.logs.map((line) => JSON.parse(line).msg)).toEqual(["checked a signature"]);
      expect(quiet.logs).toEqual([]);
    } finally {
      routeQuiet.close();
      routeChatty.close();
    }
  });
});
