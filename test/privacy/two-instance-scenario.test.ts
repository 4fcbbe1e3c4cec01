import { Create, isActor, Note } from "@fedify/vocab";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API, client } from "../api/helpers.ts";
import { instanceWithCapturedLogs } from "../support/captured-logs.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { noLeakOf, PRIVATE_FIELD_LEAKS, PRIVATE_FIELDS } from "../support/leaks.ts";

/*
 * The privacy proof over a whole scenario between two instances: encounters
 * with every private field set, a co-signature, the weekly question, edits
 * and deletions. Every HTTP request either instance sends is captured (both
 * run in this process and send through the global fetch), with every public
 * page and every log line, and none may contain a private value.
 *
 * The logs are the production ones: each app's own logger at the default level (info), and
 * at debug, with Fedify's records routed to it by buildApp. The weekly question goes to
 * bea's linked account, antoine@B, who answers it by a direct message: neither its words,
 * nor the link request's, nor the answer may appear in any log line of either instance.
 */

const PRIVATE = PRIVATE_FIELDS;
const LEAKS = [...PRIVATE_FIELD_LEAKS, /weak_tie/, /Secret-Zq9/];
/** The words of the direct messages: sent between the instances, never logged. */
const ANSWER = "Oui 4, Zorglub-Qx7";
const DIRECT_WORDS = [
  /Zorglub-Qx7/,
  /relier ce compte/,
  /rencontres satisfaisantes/,
  /Oui !? Kappa-Vw3/,
];

type Instance = Awaited<ReturnType<typeof instanceWithCapturedLogs>>;

describe.each(["info", "debug"] as const)(
  `privacy across two instances, a whole scenario, logs at %s (${databaseLabel})`,
  (level) => {
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
    const expectNoLogLeak = noLeakOf([...LEAKS, ...DIRECT_WORDS]);

    beforeAll(async () => {
      // Capture every outgoing request body of both instances, then send it for real.
      globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
        const request = new Request(input, init);
        const body = request.body ? await request.clone().text() : "";
        sent.push({ url: request.url, body });
        return realFetch(request);
      };
      [a, b] = await Promise.all([
        instanceWithCapturedLogs(level),
        instanceWithCapturedLogs(level),
      ]);
      await a.app.members.create({ username: "bea", password: "bea-password-123" });
      await b.app.members.create({ username: "antoine", password: "antoine-password-1" });
    });
    /** antoine@B answers a direct message of A's instance actor, from B, signed by B. */
    async function answerFromB(inReplyTo: string, text: string, n: number) {
      const ctx = b.app.federation.createContext(b.app.urls.origin, undefined);
      const instance = await ctx.lookupObject(a.app.urls.actor("instance").href);
      if (!isActor(instance) || !instance.id) throw new Error("no instance actor on A");
      const antoine = b.app.urls.actor("antoine");
      const id = new URL(`/notes/answer-${level}-${n}`, b.app.urls.origin);
      await ctx.sendActivity(
        { identifier: "antoine" },
        instance,
        new Create({
          id: new URL(`${id.href}/activity`),
          actor: antoine,
          to: instance.id,
          object: new Note({
            id,
            attribution: antoine,
            to: instance.id,
            replyTarget: new URL(inReplyTo),
            content: `<p><span class="h-card"><a href="${instance.id.href}" class="u-url mention">@<span>instance</span></a></span> ${text}</p>`,
          }),
        }),
      );
    }

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
          (await a.app.encounterRepository.findById(id))?.participants[0]?.cosignState ===
          "cosigned",
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

      // bea links antoine@B to receive the weekly question there; antoine confirms from B.
      const beaId = (await a.app.members.findByUsername("bea"))?.id as string;
      const link = await bea({
        method: "POST",
        url: `${API}/tracker/link`,
        payload: { account: antoineIri },
      });
      expect(link.statusCode, link.body).toBe(202);
      const [linkRequest] = await a.app.database.rows<{ note_iri: string }>(
        sql`select note_iri from tracker_link_requests`,
      );
      await Promise.all([drained(a), drained(b)]);
      await answerFromB(linkRequest?.note_iri as string, "Oui ! Kappa-Vw3", 1);
      await eventually(
        async () => (await a.app.trackerSettings.get(beaId)).linkedAccountConfirmed,
        {
          what: "A to confirm the link",
        },
      );

      // The weekly question, asked at a Sunday evening in Paris: in the app and to antoine@B,
      // who answers « oui 4 » by a direct message; then "oui 2" on the web API.
      await a.app.weeklyQuestions.askDue(new Date("2026-11-22T18:30:00Z"));
      const [question] = await a.app.database.rows<{ note_iris: string[] }>(
        sql`select note_iris from weekly_questions`,
      );
      const toAntoine = question?.note_iris[1] as string;
      await Promise.all([drained(a), drained(b)]);
      await answerFromB(toAntoine, ANSWER, 2);
      await eventually(
        async () => (await a.app.weeklyQuestions.checkins(beaId, 1))[0]?.count === 4,
        { what: "A to record antoine's « oui 4 »" },
      );
      const checkin = await bea({
        method: "POST",
        url: `${API}/tracker/checkins`,
        payload: { answer: "yes", count: 2 },
      });
      expect(checkin.statusCode, checkin.body).toBeLessThan(300);

      // Then the public encounter is deleted.
      expect((await bea({ method: "DELETE", url: `${API}/encounters/${id}` })).statusCode).toBe(
        204,
      );
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
      // And every log line of both instances.
      await Promise.all([drained(a), drained(b)]);
      expectNoLogLeak("A's logs", a.logs.join(""));
      expectNoLogLeak("B's logs", b.logs.join(""));
      // Fedify's records were there, each in the log of the instance that made it: A sent the
      // question (and B did not), B received it (and A did not).
      const questionCreate = JSON.stringify(`${toAntoine}/activity`);
      const fedifyLines = (instance: Instance, text: string) =>
        instance.logs.filter(
          (line) =>
            line.includes('"component":"fedify"') &&
            line.includes(text) &&
            line.includes(questionCreate.slice(1, -1)),
        );
      expect(fedifyLines(a, "Successfully sent activity")).toHaveLength(1);
      expect(fedifyLines(b, "Successfully sent activity")).toHaveLength(0);
      expect(fedifyLines(b, "is enqueued")).toHaveLength(1);
      expect(fedifyLines(a, "is enqueued")).toHaveLength(0);
      const [sentLine] = fedifyLines(a, "Successfully sent activity");
      expect(JSON.parse(sentLine as string)).toMatchObject({
        level: 30,
        activityId: `${toAntoine}/activity`,
        inbox: expect.stringContaining(b.app.urls.origin.origin),
      });
    });
  },
);
