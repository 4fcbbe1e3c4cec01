import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API, client } from "../api/helpers.ts";
import { instanceWithCapturedLogs } from "../support/captured-logs.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { noLeakOf } from "../support/leaks.ts";

/*
 * The privacy proof over a whole scenario between two instances: encounters
 * with every private field set, a co-signature, the weekly question, edits
 * and deletions. Every HTTP request either instance sends is captured (both
 * run in this process and send through the global fetch), with every public
 * page and every log line, and none may contain a private value.
 */

const PRIVATE = {
  othersPresent: 919,
  setting: "ventilated",
  durationMinutes: 1171,
  distance: "three_metres",
  theirMask: "ffp2",
  myMask: "cloth",
  voice: "quiet",
  satisfying: true,
} as const;
const LEAKS = [
  /(?<![\w.])919(?![\w.])/,
  /(?<![\w.])1171(?![\w.])/,
  /ventilated/,
  /three_metres/,
  /ffp2/i,
  /intimate/,
  /weak_tie/,
  /Secret-Zq9/,
];

type Instance = Awaited<ReturnType<typeof instanceWithCapturedLogs>>;

describe(`privacy across two instances, a whole scenario (${databaseLabel})`, () => {
  let a: Instance;
  let b: Instance;
  const sent: Array<{ url: string; body: string }> = [];
  const realFetch = globalThis.fetch;

  const drained = (instance: Instance) =>
    eventually(async () => {
      const [row] = await instance.app.database.rows<{ n: number }>(
        sql`select count(*)::int as n from queue_jobs`,
      );
      return row?.n === 0;
    });

  const expectNoLeak = noLeakOf(LEAKS);

  beforeAll(async () => {
    // Capture every outgoing request body of both instances, then send it for real.
    globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
      const request = new Request(input, init);
      const body = request.body ? await request.clone().text() : "";
      sent.push({ url: request.url, body });
      return realFetch(request);
    };
    [a, b] = await Promise.all([instanceWithCapturedLogs(), instanceWithCapturedLogs()]);
    await a.app.members.create({ username: "bea", password: "bea-password-123" });
    await b.app.members.create({ username: "antoine", password: "antoine-password-1" });
  });
  afterAll(async () => {
    globalThis.fetch = realFetch;
    await Promise.all([a?.close(), b?.close()]);
  });

  it("runs the scenario, and nothing private leaves A or B", async () => {
    const bea = client(a.app, await a.app.members.createToken("bea", "test"));
    const antoine = client(b.app, await b.app.members.createToken("antoine", "test"));
    const antoineIri = b.app.urls.actor("antoine").href;

    // antoine@B follows bea@A, so B receives what bea publishes.
    await antoine({
      method: "POST",
      url: `/users/antoine/outbox`,
      headers: { "content-type": "application/activity+json" },
      payload: {
        "@context": "https://www.w3.org/ns/activitystreams",
        type: "Follow",
        object: a.app.urls.actor("bea").href,
      },
    });
    await eventually(
      async () => (await a.app.follows.followState(antoineIri, "bea")) === "accepted",
    );

    // A public encounter naming antoine, with every private field and circle set.
    const created = await bea({
      method: "POST",
      url: `${API}/encounters`,
      payload: {
        text: "Un café au marché",
        participants: [antoineIri, "Marie"],
        keywords: ["marché"],
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const { id, iri } = created.json();
    const put = await bea({
      method: "PUT",
      url: `${API}/encounters/${id}/private`,
      payload: {
        ...PRIVATE,
        circles: [
          { position: 0, circle: "intimate" },
          { position: 1, circle: "weak_tie" },
        ],
      },
    });
    expect(put.statusCode, put.body).toBe(200);

    // B stores it; antoine co-signs; A records the co-signature.
    const onB = await eventually(() => b.app.encounterRepository.findByIri(iri), {
      what: "B to store it",
    });
    const cosign = await antoine({ method: "POST", url: `${API}/encounters/${onB.id}/cosign` });
    expect(cosign.statusCode, cosign.body).toBe(200);
    await eventually(
      async () =>
        (await a.app.encounterRepository.findById(id))?.participants[0]?.cosignState === "cosigned",
      { what: "A to record the co-signature" },
    );

    // A private-only encounter naming antoine, and edits of both.
    const hidden = await bea({
      method: "POST",
      url: `${API}/encounters`,
      payload: {
        text: "Secret-Zq9 rendez-vous",
        participants: [antoineIri],
        visibility: "private",
      },
    });
    expect(hidden.statusCode, hidden.body).toBe(201);
    await bea({
      method: "PUT",
      url: `${API}/encounters/${hidden.json().id}/private`,
      payload: { ...PRIVATE, circles: [{ position: 0, circle: "intimate" }] },
    });
    await bea({
      method: "PATCH",
      url: `${API}/encounters/${id}`,
      payload: { text: "Un café au marché, corrigé" },
    });
    await bea({
      method: "PUT",
      url: `${API}/encounters/${id}/private`,
      payload: { durationMinutes: 1171, satisfying: true },
    });
    await eventually(
      async () => (await b.app.encounterRepository.findByIri(iri))?.text.includes("corrigé"),
      { what: "B to apply the edit" },
    );

    // The weekly question, asked at a Sunday evening in Paris, answered "oui 2" on the web API.
    await a.app.weeklyQuestions.askDue(new Date("2026-11-22T18:30:00Z"));
    const checkin = await bea({
      method: "POST",
      url: `${API}/tracker/checkins`,
      payload: { answer: "yes", count: 2 },
    });
    expect(checkin.statusCode, checkin.body).toBeLessThan(300);

    // Then the public encounter is deleted.
    expect((await bea({ method: "DELETE", url: `${API}/encounters/${id}` })).statusCode).toBe(204);
    await eventually(
      async () => (await b.app.encounterRepository.findByIri(iri))?.deletedAt instanceof Date,
      { what: "B to apply the delete" },
    );
    await Promise.all([drained(a), drained(b)]);
    expect(await b.app.encounterRepository.findByIri(hidden.json().iri)).toBeUndefined();

    // Every request body that left either instance.
    expect(sent.filter((r) => r.body).length).toBeGreaterThan(5);
    for (const request of sent) expectNoLeak(`request to ${request.url}`, request.body);

    // Every public page of both instances.
    for (const [instance, paths] of [
      [
        a,
        [
          "/",
          "/@bea",
          `/@bea/${id}`,
          `/@bea/${hidden.json().id}`,
          "/tags/socialdapres",
          "/tags/marché",
        ],
      ],
      [b, ["/", "/@antoine", "/tags/socialdapres"]],
    ] as const) {
      for (const path of paths) {
        for (const accept of ["text/html", "application/activity+json"]) {
          const page = await instance.app.http.inject({
            method: "GET",
            url: encodeURI(path),
            headers: { accept },
          });
          expectNoLeak(`${accept} ${path}`, page.body);
        }
      }
    }
    // And every log line, at trace level.
    expectNoLeak("A's logs", a.logs.join(""));
    expectNoLeak("B's logs", b.logs.join(""));
  });
});
