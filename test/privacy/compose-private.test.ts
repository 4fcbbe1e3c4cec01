import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.ts";
import { AP } from "../api/helpers.ts";
import { instanceWithCapturedLogs } from "../support/captured-logs.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { noLeakOf } from "../support/leaks.ts";
import { drainQueue } from "../support/queue.ts";
import { type Recorder, recorderFollows, startRecorder } from "../support/recording-server.ts";
import { WebClient } from "../support/web.ts";

/*
 * The private tracker fields typed in the compose form stay on the instance: stored apart,
 * absent from what a follower's server receives (Create, Update), from the Note and the
 * public page, from another member's view, and from every log line at the production level
 * (info), a refused form included.
 */

const PRIVATE_FORM = {
  othersPresent: "737",
  durationMinutes: "1313",
  setting: "ventilated",
  distance: "three_metres",
  theirMask: "ffp2",
  myMask: "cloth",
  voice: "quiet",
  satisfying: "no",
};
const LEAKS = [
  /(?<![\w.])737(?![\w.])/,
  /(?<![\w.])1313(?![\w.])/,
  /ventilated/,
  /three_metres/,
  // A word of its own: a signature in base58 may hold the letters "ffp2" in any case.
  /(?<![A-Za-z0-9])(ffp2|FFP2)(?![A-Za-z0-9])/,
  /intimate/,
  /weak_tie/,
];
const expectNoLeak = noLeakOf(LEAKS);

describe(`privacy of the compose form (${databaseLabel})`, () => {
  let a: Awaited<ReturnType<typeof instanceWithCapturedLogs>>;
  let app: App;
  let rec: Recorder;
  let bea: WebClient;
  let carl: WebClient;
  let id: string;
  let iri: string;

  beforeAll(async () => {
    [a, rec] = await Promise.all([instanceWithCapturedLogs("info"), startRecorder()]);
    app = a.app;
    for (const username of ["bea", "carl"]) {
      await app.members.create({ username, password: `${username}-password-123` });
    }
    // rita@R follows bea: R receives what bea publishes.
    await recorderFollows(rec, app, "bea");
    await drainQueue(app);
    bea = await new WebClient(app.http).login("bea", "bea-password-123");
    carl = await new WebClient(app.http).login("carl", "carl-password-123");
  });
  afterAll(async () => {
    await Promise.all([a?.close(), rec?.app.close()]);
  });

  it("a refused form keeps the private values for its author only, and logs none of them", async () => {
    const refused = await bea.postMultipart("/compose", {
      participants: ["@carl", "Marie"],
      text: "",
      ...PRIVATE_FORM,
      circle: ["intimate", "weak_tie"],
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.headers["cache-control"]).toBe("private, no-store");
    expect(refused.body).toContain('name="othersPresent" value="737"');
  });

  it("published with private fields: stored apart; what R receives, the Note and the pages carry none", async () => {
    const posted = await bea.postMultipart("/compose", {
      participants: ["@carl", "Marie"],
      text: "Balade au bord du canal",
      visibility: "public",
      ...PRIVATE_FORM,
      circle: ["intimate", "weak_tie"],
    });
    expect(posted.statusCode, posted.body.slice(0, 300)).toBe(303);
    id = /\/@bea\/([0-9a-f-]{36})$/.exec(String(posted.headers.location))?.[1] as string;
    iri = app.urls.encounter("bea", id).href;
    const priv = await app.privateFields.getPrivateFields("bea", id);
    expect(priv).toMatchObject({ othersPresent: 737, durationMinutes: 1313, satisfying: false });
    expect(priv.participants.map((p) => p.circle)).toEqual(["intimate", "weak_tie"]);
    const view = await app.encounterRepository.findById(id);
    expectNoLeak("the encounter row", JSON.stringify(view));

    // The edit form shows them to bea; saving sends an Update without them.
    const form = await bea.get(`/@bea/${id}/edit`);
    expect(form.body).toContain('name="durationMinutes" value="1313"');
    const saved = await bea.postMultipart(`/@bea/${id}/edit`, {
      participants: ["@carl", "Marie"],
      text: "Balade au bord du canal, au soleil",
      visibility: "public",
      ...PRIVATE_FORM,
      circle: ["intimate", "weak_tie"],
    });
    expect(saved.statusCode).toBe(303);
    await drainQueue(app);
    await eventually(() => rec.received.some((r) => r.type === "Update"), { what: "the Update" });
    expect(rec.received.some((r) => r.type === "Create")).toBe(true);
    for (const received of rec.received) {
      expectNoLeak(`${received.type} received by R`, JSON.stringify(received.json));
    }

    const note = await fetch(iri, { headers: { accept: AP } });
    expect(note.status).toBe(200);
    expectNoLeak("the Note", await note.text());
    for (const [who, client] of [
      ["a visitor", new WebClient(app.http)],
      ["carl", carl],
      ["bea", bea],
    ] as const) {
      const page = await client.get(`/@bea/${id}`);
      expect(page.statusCode).toBe(200);
      expectNoLeak(`the page, for ${who}`, page.body);
    }
    for (const url of ["/@bea", "/tags/socialdapres"]) {
      expectNoLeak(url, (await carl.get(url)).body);
    }
    // carl cannot open bea's edit form, where they are.
    const theirs = await carl.get(`/@bea/${id}/edit`);
    expect(theirs.statusCode).toBe(404);
    expectNoLeak("another member's edit page", theirs.body);
  });

  it("no log line at the production level held a private value", () => {
    expect(a.logs.length).toBeGreaterThan(10);
    expect(a.logs.join("")).toContain('"level":30');
    expectNoLeak("the logs", a.logs.join(""));
  });
});
