import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encounterToApiJson } from "../../src/api/encounter-json.ts";
import type { App } from "../../src/app.ts";
import { API, client } from "../api/helpers.ts";
import { instanceWithCapturedLogs } from "../support/captured-logs.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { noLeakOf } from "../support/leaks.ts";
import { drainQueue } from "../support/queue.ts";
import { type Recorder, recorderFollows, startRecorder } from "../support/recording-server.ts";

/*
 * Private tracker values never leave the instance. Every private field is set to a
 * value that appears nowhere else (737 people, 1313 minutes, rare enum values), then
 * every way out is checked: the activities a remote server receives, the Note and
 * outbox, the public pages, another member's API answers, and every log line at
 * "trace" level.
 */

const PRIVATE_VALUES = {
  othersPresent: 737,
  setting: "ventilated",
  durationMinutes: 1313,
  distance: "three_metres",
  theirMask: "ffp2",
  myMask: "cloth",
  voice: "quiet",
  satisfying: false,
} as const;
const PRIVATE_TEXT = "Rendez-vous-confidentiel-Qx7";
const PRIVATE_KEYWORD = "lieusecretqx7";

/** Numbers stand alone (not inside a timestamp, a port, a key or a UUID). */
const LEAKS = [
  /(?<![\w.])737(?![\w.])/,
  /(?<![\w.])1313(?![\w.])/,
  /ventilated/,
  /three_metres/,
  // A word of its own: a signature in base58 may hold the letters "ffp2" in any case.
  /(?<![A-Za-z0-9])(ffp2|FFP2)(?![A-Za-z0-9])/,
  /intimate/,
  /weak_tie/,
  new RegExp(PRIVATE_TEXT),
];
/** The private encounter's keyword: not in the logs (a test requests its tag page by name). */
const KEYWORD = new RegExp(PRIVATE_KEYWORD, "i");

const expectNoLeak = noLeakOf(LEAKS);

describe(`privacy of the tracker (${databaseLabel})`, () => {
  let a: Awaited<ReturnType<typeof instanceWithCapturedLogs>>;
  let app: App;
  let rec: Recorder;
  let bea: ReturnType<typeof client>;
  let antoine: ReturnType<typeof client>;
  let publicId: string;
  let privateId: string;
  let publicIri: string;
  let privateIri: string;

  async function drained() {
    await eventually(
      async () => {
        const [row] = await app.database.rows<{ n: number }>(
          sql`select count(*)::int as n from queue_jobs`,
        );
        return row?.n === 0;
      },
      { what: "the queue to drain" },
    );
  }

  const setPrivate = async (id: string, circles: Array<{ position: number; circle: string }>) => {
    const response = await bea({
      method: "PUT",
      url: `${API}/encounters/${id}/private`,
      payload: { ...PRIVATE_VALUES, circles },
    });
    expect(response.statusCode, response.body).toBe(200);
  };

  beforeAll(async () => {
    [a, rec] = await Promise.all([instanceWithCapturedLogs(), startRecorder()]);
    app = a.app;
    for (const username of ["bea", "antoine"]) {
      await app.members.create({ username, password: `${username}-password-123` });
    }
    bea = client(app, await app.members.createToken("bea", "test"));
    antoine = client(app, await app.members.createToken("antoine", "test"));
    // rita@R follows bea with a real signed Follow: R is a server bea delivers to.
    await recorderFollows(rec, app, "bea");
    await drained();
    await eventually(() => rec.received.some((r) => r.type === "Accept"), { what: "the Accept" });
  });
  afterAll(async () => {
    await Promise.all([a?.close(), rec?.app.close()]);
  });

  it("a private-only encounter naming a remote actor sends nothing, not even to that participant", async () => {
    const before = rec.received.length;
    const response = await bea({
      method: "POST",
      url: `${API}/encounters`,
      payload: {
        text: PRIVATE_TEXT,
        participants: [rec.actorIri, "@antoine"],
        keywords: [PRIVATE_KEYWORD],
        visibility: "private",
      },
    });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json().visibility).toBe("private");
    privateId = response.json().id;
    privateIri = response.json().iri;
    await setPrivate(privateId, [
      { position: 0, circle: "intimate" },
      { position: 1, circle: "weak_tie" },
    ]);
    await bea({
      method: "PATCH",
      url: `${API}/encounters/${privateId}`,
      payload: { text: `${PRIVATE_TEXT} (edited)` },
    });
    // Every event dispatched and every job run, then not even a job left for later: a
    // wrongly queued delivery would have arrived, or would still be queued.
    await drainQueue(app);
    await drained();
    expect(rec.received.slice(before)).toEqual([]);
    // The local participant is not notified either.
    const notifications = await antoine({ method: "GET", url: `${API}/notifications` });
    expect(notifications.json().items).toEqual([]);
  });

  it("a public encounter with every private field set: what R receives carries none of them", async () => {
    const response = await bea({
      method: "POST",
      url: `${API}/encounters`,
      payload: { text: "Balade au bord du canal", participants: [rec.actorIri, "@antoine"] },
    });
    expect(response.statusCode, response.body).toBe(201);
    publicId = response.json().id;
    publicIri = response.json().iri;
    await setPrivate(publicId, [
      { position: 0, circle: "intimate" },
      { position: 1, circle: "weak_tie" },
    ]);
    const cosigned = await antoine({ method: "POST", url: `${API}/encounters/${publicId}/cosign` });
    expect(cosigned.statusCode, cosigned.body).toBe(200);
    await bea({
      method: "PATCH",
      url: `${API}/encounters/${publicId}`,
      payload: { text: "Balade au bord du canal, au soleil" },
    });
    await drained();
    await eventually(() => rec.received.some((r) => r.type === "Update"), { what: "the Update" });
    expect(rec.received.some((r) => r.type === "Create")).toBe(true);
    for (const received of rec.received) {
      expectNoLeak(`${received.type} received by R`, JSON.stringify(received.json));
      expect(JSON.stringify(received.json)).not.toContain(privateId);
      expect(JSON.stringify(received.json)).not.toMatch(KEYWORD);
    }
  });

  it("the API JSON of an encounter never includes private fields, for its author either", async () => {
    const own = await bea({ method: "GET", url: `${API}/encounters/${publicId}` });
    expectNoLeak("the author's API JSON", own.body);
    const view = await app.encounterRepository.findById(publicId);
    expectNoLeak("encounterToApiJson", JSON.stringify(encounterToApiJson(view as never)));
    const list = await bea({ method: "GET", url: `${API}/encounters` });
    expect(list.json().items.map((e: { id: string }) => e.id)).toContain(privateId);
    expect(JSON.stringify(list.json().items)).not.toMatch(/"othersPresent"|"durationMinutes"/);
  });

  it("another member: the public encounter without private values; 404 for its private side and for the private-only encounter", async () => {
    const seen = await antoine({ method: "GET", url: `${API}/encounters/${publicId}` });
    expect(seen.statusCode).toBe(200);
    expectNoLeak("another member's API JSON", seen.body);
    for (const id of [publicId, privateId]) {
      for (const method of ["GET", "PUT", "DELETE"] as const) {
        const response = await antoine({
          method,
          url: `${API}/encounters/${id}/private`,
          ...(method === "PUT" ? { payload: { othersPresent: 1 } } : {}),
        });
        expect(response.statusCode, `${method} ${id}`).toBe(404);
        expectNoLeak(`${method} private as another member`, response.body);
      }
    }
    for (const url of [
      `${API}/encounters/${privateId}`,
      `${API}/encounters/${privateId}/cosign`,
      `${API}/encounters/${privateId}/like`,
    ]) {
      const response = await antoine({ method: url.endsWith(privateId) ? "GET" : "POST", url });
      expect(response.statusCode, url).toBe(404);
    }
    const list = await antoine({ method: "GET", url: `${API}/encounters` });
    expect(list.body).not.toContain(privateId);
  });

  it("the Note, its Create, the outbox and the pages carry no private value; the private encounter is a 404 everywhere", async () => {
    const origin = app.urls.origin.origin;
    const get = async (url: string, accept: string) => {
      const response = await fetch(new URL(url, origin), {
        headers: { accept },
        redirect: "manual",
      });
      return { status: response.status, body: await response.text() };
    };
    const AP = "application/activity+json";
    const note = await get(publicIri, AP);
    expect(note.status).toBe(200);
    expectNoLeak("the Note", note.body);
    const create = await get(`${publicIri}/activity`, AP);
    expect(create.status).toBe(200);
    expectNoLeak("the Create", create.body);
    for (const accept of [AP, "text/html"]) {
      expect((await get(privateIri, accept)).status, `Note ${accept}`).toBe(404);
      expect((await get(`${privateIri}/activity`, accept)).status).toBe(404);
      expect((await get(`/@bea/${privateId}`, accept)).status, `permalink ${accept}`).toBe(404);
    }
    for (const url of ["/users/bea/outbox", "/users/bea/outbox?cursor=first"]) {
      const outbox = await get(url, AP);
      expect(outbox.status).toBe(200);
      expectNoLeak(url, outbox.body);
      expect(outbox.body).not.toContain(privateId);
      expect(outbox.body).not.toMatch(KEYWORD);
    }
    for (const url of [
      "/",
      "/@bea",
      `/@bea/${publicId}`,
      "/tags/socialdapres",
      `/tags/${PRIVATE_KEYWORD}`,
    ]) {
      const page = await get(url, "text/html");
      expect(page.status, url).toBeLessThan(500);
      expectNoLeak(`page ${url}`, page.body);
      expect(page.body).not.toContain(privateId);
    }
  });

  it("deleting both sends a Delete for the public one only; no log line ever held a private value", async () => {
    const before = rec.received.length;
    for (const id of [privateId, publicId]) {
      const response = await bea({ method: "DELETE", url: `${API}/encounters/${id}` });
      expect(response.statusCode).toBe(204);
    }
    await drained();
    await eventually(() => rec.received.slice(before).some((r) => r.type === "Delete"));
    const after = rec.received.slice(before);
    expect(after.map((r) => r.type)).toEqual(["Delete"]);
    expect(JSON.stringify(after)).not.toContain(privateId);
    expect(a.logs.length).toBeGreaterThan(50);
    expect(a.logs.join("")).toContain('"level":30');
    expectNoLeak("the logs", a.logs.join(""));
  });
});
