import { sql } from "drizzle-orm";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.ts";
import { registerErrorHandling } from "../../src/http/errors.ts";
import { AP, API, client, membersWithTokens, multipart, postEncounter } from "../api/helpers.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { storedDigest } from "../support/database-digest.ts";

/*
 * Inputs a probe found answered with 500: each now gets a 4xx that says what is wrong,
 * and nothing is stored. test/http/fuzz.test.ts throws random ones at every route.
 */

const DASHES = "-".repeat(36);
const NOT_UUIDS = [DASHES, "abc", "00000000-0000-0000-0000-00000000000g"];
const BROWSER = "text/html,application/xhtml+xml";

describe(`bad input answers 4xx and stores nothing (${databaseLabel})`, () => {
  let t: TestApp;
  let app: App;
  let bea: ReturnType<typeof client>;
  let encounterId: string;

  beforeAll(async () => {
    t = await buildTestApp();
    app = t.app;
    const tokens = await membersWithTokens(app, ["bea", "antoine"]);
    bea = client(app, tokens.bea as string);
    encounterId = (await postEncounter(bea, { text: "Au marché", participants: ["@antoine"] })).id;
    for (let i = 0; i < 3; i++) {
      const host = `remote${i}.example`;
      await app.follows.receiveFollow({
        username: "bea",
        activityIri: `https://${host}/follows/${i}`,
        follower: {
          iri: `https://${host}/users/fan`,
          type: "Person",
          username: "fan",
          host,
          name: "Fan",
          summary: "",
          url: null,
          inboxUrl: `https://${host}/users/fan/inbox`,
          sharedInboxUrl: null,
          followersUrl: null,
          avatarUrl: null,
          manuallyApprovesFollowers: false,
        },
      });
    }
  });
  afterAll(() => t?.close());

  /** Sends each request, expects the status and a message, then that nothing was stored. */
  async function refusedAll(
    requests: Array<Parameters<typeof bea>[0]>,
    status: number,
    message: RegExp,
  ) {
    const before = await storedDigest(app);
    for (const request of requests) {
      const response = await bea(request);
      const what = `${request.method ?? "GET"} ${request.url}`;
      expect(response.statusCode, `${what}: ${response.body.slice(0, 300)}`).toBe(status);
      expect(response.body, what).toMatch(message);
    }
    expect(await storedDigest(app)).toBe(before);
  }

  it("an id that is not a UUID, on every :id route of the API: 404 saying what an id looks like", async () => {
    const routes: Array<[string, string]> = [
      ["GET", "/encounters/:id"],
      ["PATCH", "/encounters/:id"],
      ["DELETE", "/encounters/:id"],
      ["POST", "/encounters/:id/cosign"],
      ["POST", "/encounters/:id/decline"],
      ["POST", "/encounters/:id/like"],
      ["DELETE", "/encounters/:id/like"],
      ["GET", "/encounters/:id/private"],
      ["PUT", "/encounters/:id/private"],
      ["DELETE", "/encounters/:id/private"],
      ["POST", "/notifications/:id/read"],
    ];
    const requests = routes.flatMap(([method, path]) =>
      NOT_UUIDS.map((id) => ({
        method: method as "GET",
        url: `${API}${path.replace(":id", encodeURIComponent(id))}`,
        ...(method === "PATCH" || method === "PUT" ? { payload: { text: "x" } } : {}),
      })),
    );
    await refusedAll(requests, 404, /ids are UUIDs such as [0-9a-f-]{36}/);
  });

  it("an id that is not a UUID on the Note's ActivityPub and HTML addresses: 404", async () => {
    const requests = [
      { url: `/users/bea/encounters/${DASHES}`, headers: { accept: AP } },
      { url: `/users/bea/encounters/${DASHES}`, headers: { accept: BROWSER } },
      { url: `/users/bea/encounters/${DASHES}/activity`, headers: { accept: AP } },
      // The Fedify bridge hands /@bea/<36 characters> to Fedify as the Note's id.
      { url: `/@bea/${DASHES}`, headers: { accept: AP } },
      { url: `/@bea/${DASHES}`, headers: { accept: BROWSER } },
      { url: "/users/bea/encounters/abc", headers: { accept: AP } },
    ];
    await refusedAll(
      requests.map((r) => ({ method: "GET" as const, ...r })),
      404,
      /./,
    );
    expect(await app.encounterRepository.findById(DASHES)).toBeUndefined();
    // The real one is still found.
    const found = await bea({
      url: `/users/bea/encounters/${encounterId}`,
      headers: { accept: AP },
    });
    expect(found.statusCode).toBe(200);
  });

  it("?before= invalid or out of range: 422 on the API, 400 on pages, naming the parameter and ISO 8601", async () => {
    const dates = [
      "0000-01-01T00:00:00Z",
      "9999-12-31T23:59:59-12:00",
      "0001-01-01T00:00:00+14:00",
      "+275760-09-13T00:00:00.001Z",
      "2025-02-30T00:00:00Z",
      "yesterday",
    ];
    const api = dates.flatMap((date) =>
      ["/encounters", "/notifications"].map((path) => ({
        method: "GET" as const,
        url: `${API}${path}?before=${encodeURIComponent(date)}`,
      })),
    );
    await refusedAll(api, 422, /before must be an ISO 8601 date-time with a time zone, such as/);
    const pages = dates.flatMap((date) =>
      ["/@bea", "/tags/socialdapres"].map((path) => ({
        method: "GET" as const,
        url: `${path}?before=${encodeURIComponent(date)}`,
        headers: { accept: BROWSER },
      })),
    );
    await refusedAll(pages, 400, /before.{0,40}ISO 8601/);
    // The edges of the range still work.
    for (const date of ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z"]) {
      const response = await bea({ url: `${API}/encounters?before=${encodeURIComponent(date)}` });
      expect(response.statusCode, date).toBe(200);
    }
  });

  it("followers and following answer an empty page to a cursor they did not mint; the outbox a 404", async () => {
    const page = async (url: string) => {
      const response = await bea({ url, headers: { accept: AP } });
      expect(response.statusCode, `${url}: ${response.body.slice(0, 200)}`).toBe(200);
      return (response.json() as { orderedItems?: unknown }).orderedItems;
    };
    expect(await page("/users/bea/followers?cursor=first")).toHaveLength(3);
    for (const collection of ["followers", "following"]) {
      for (const cursor of [
        "0",
        "-1",
        "abc",
        "",
        "1e400",
        "99999999999999999999",
        "0000-01-01T00:00:00.000Z_00000000-0000-0000-0000-000000000000",
        "2026-01-01T00:00:00.000Z_not-a-uuid",
      ]) {
        const items = await page(`/users/bea/${collection}?cursor=${encodeURIComponent(cursor)}`);
        expect(items ?? [], `${collection} ${cursor}`).toEqual([]);
      }
    }
    for (const cursor of ["0000-01-01T00:00:00Z", "+275760-09-13T00:00:00Z", "-001000-01-01"]) {
      const response = await bea({
        url: `/users/bea/outbox?cursor=${encodeURIComponent(cursor)}`,
        headers: { accept: AP },
      });
      expect(response.statusCode, cursor).toBe(404);
    }
  });

  it("a NUL character is refused at the edge: in a path, a query, WebFinger, JSON, a form, multipart, C2S", async () => {
    await refusedAll(
      [
        { method: "GET", url: "/users/bea%00", headers: { accept: AP } },
        { method: "GET", url: "/users/bea%00/followers", headers: { accept: AP } },
        { method: "GET", url: "/@bea%00", headers: { accept: BROWSER } },
        {
          method: "GET",
          url: `/.well-known/webfinger?resource=acct:bea%00@${app.urls.origin.host}`,
        },
        { method: "GET", url: `${API}/encounters?before=%00` },
        { method: "POST", url: "/users/bea%00/inbox", payload: { type: "Follow" } },
      ],
      400,
      /NUL character \(%00\)/,
    );
    const note = (content: string) =>
      JSON.stringify({ type: "Note", content, tag: [{ type: "Mention", name: "@antoine" }] });
    const form = new FormData();
    form.append("text", "Au\u0000 marché");
    form.append("participants[]", "Marie");
    await refusedAll(
      [
        {
          method: "POST",
          url: `${API}/encounters`,
          payload: { text: "a\u0000b", participants: ["Marie"] },
        },
        {
          method: "PATCH",
          url: `${API}/encounters/${encounterId}`,
          headers: { "content-type": "application/json" },
          // The JSON escape itself, as a client sends it.
          payload: '{"details":{"emotion":"cal\\u0000me"}}',
        },
        { method: "POST", url: `${API}/encounters`, ...(await multipart(form)) },
        {
          method: "POST",
          url: "/users/bea/outbox",
          headers: { "content-type": AP },
          payload: note("x\u0000"),
        },
        {
          method: "PATCH",
          url: `${API}/tracker/settings`,
          payload: { timeZone: "Europe/Paris\u0000" },
        },
        {
          // Found at any depth, without overflowing the stack; the path is cut short.
          method: "POST",
          url: `${API}/encounters`,
          headers: { "content-type": "application/json" },
          payload: `{"text":${'{"a":'.repeat(100_000)}"\\u0000"${"}".repeat(100_001)}`,
        },
        {
          method: "POST",
          url: "/login",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          payload: "username=bea%00&password=whatever",
        },
      ],
      422,
      /(text|details\.emotion|content|timeZone|username|text(\.a)+…) contains a NUL character \(U\+0000\), which cannot be stored: remove it/,
    );
  });

  it("a malformed multipart body is a 400 saying what is wrong, on create and on edit", async () => {
    const part = '--x\r\nContent-Disposition: form-data; name="text"\r\n\r\nAu marché\r\n';
    const bodies: Array<[string, string]> = [
      ["multipart/form-data", `${part}--x--\r\n`],
      ["multipart/form-data; boundary=y", `${part}--x--\r\n`],
      [`multipart/form-data; boundary=${"b".repeat(5000)}`, `${part}--x--\r\n`],
      ["multipart/form-data; boundary=x", part],
      [
        "multipart/form-data; boundary=x",
        `${part}--x\r\nContent-Disposition: form-data; name="photo"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff`,
      ],
    ];
    const requests = ["POST /encounters", `PATCH /encounters/${encounterId}`].flatMap((route) => {
      const [method, path] = route.split(" ") as [string, string];
      return bodies.map(([type, payload]) => ({
        method: method as "POST",
        url: `${API}${path}`,
        headers: { "content-type": type },
        payload,
      }));
    });
    await refusedAll(requests, 400, /boundary|multipart\/form-data body could not be read/);
  });

  it("a value PostgreSQL refuses that got past the edge is a 400, and other database errors stay 500s", async () => {
    const http = Fastify();
    registerErrorHandling(http);
    http.get<{ Querystring: { q: string } }>("/uuid", async (request) =>
      app.database.rows(sql`select ${request.query.q}::uuid as id`),
    );
    http.get("/nul", async () => app.database.rows(sql`select ${"a\u0000b"}::text as t`));
    http.get("/date", async () =>
      app.database.rows(sql`select ${"0000-01-01T00:00:00Z"}::timestamptz as d`),
    );
    http.get("/bug", async () => app.database.rows(sql`select 1 / ${0}::int as n`));
    const uuid = await http.inject({ url: `/uuid?q=${DASHES}` });
    expect(uuid.statusCode).toBe(400);
    expect(uuid.json().error).toMatch(/ids are UUIDs/);
    const nul = await http.inject({ url: "/nul" });
    expect(nul.statusCode).toBe(400);
    expect(nul.json().error).toMatch(/NUL character/);
    const date = await http.inject({ url: "/date" });
    expect(date.statusCode).toBe(400);
    expect(date.json().error).toMatch(/ISO 8601 date between the years 0001 and 9999/);
    const bug = await http.inject({ url: "/bug" });
    expect(bug.statusCode).toBe(500);
    await http.close();
  });
});
