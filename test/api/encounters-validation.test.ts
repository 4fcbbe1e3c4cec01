import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { API, client, membersWithTokens, multipart, stored } from "./helpers.ts";

type Json = Record<string, unknown>;
const DAY = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const ok = { text: "Un café", participants: ["Marie"] };

describe(`own API: every bad input is a 4xx and stores nothing (${databaseLabel})`, () => {
  let t: TestApp;
  let bea: ReturnType<typeof client>;
  let jpeg: Buffer;

  beforeAll(async () => {
    t = await buildTestApp();
    const tokens = await membersWithTokens(t.app, ["bea"]);
    bea = client(t.app, tokens.bea as string);
    jpeg = await sharp({ create: { width: 320, height: 240, channels: 3, background: "#48c" } })
      .jpeg()
      .toBuffer();
  });
  afterAll(() => t?.close());

  /** Sends, expects the status and an error naming what is wrong, and checks nothing changed. */
  async function refused(
    request: Parameters<typeof bea>[0],
    status: number,
    message: RegExp,
  ): Promise<void> {
    const before = await stored(t.app);
    const response = await bea(request);
    expect(response.statusCode, response.body).toBe(status);
    expect(response.json()).toEqual({ error: expect.stringMatching(message) });
    expect(await stored(t.app)).toEqual(before);
  }

  const badJson: Array<[string, Json, RegExp]> = [
    ["no text", { participants: ["Marie"] }, /^text is required/],
    ["empty text", { ...ok, text: "   " }, /^text is required/],
    ["text not a string", { ...ok, text: 42 }, /^text /],
    ["text of 281 characters", { ...ok, text: "é".repeat(281) }, /text must be at most 280/],
    ["no participants", { text: "Seul" }, /participants is required/],
    ["empty participants", { ...ok, participants: [] }, /participants is required/],
    ["participants not a list", { ...ok, participants: "Marie" }, /participants is required/],
    ["an empty participant", { ...ok, participants: [" "] }, /participants\.0 must not be empty/],
    [
      "a participant of 301 characters",
      { ...ok, participants: ["x".repeat(301)] },
      /participants\.0 is too long/,
    ],
    [
      "21 participants",
      { ...ok, participants: Array.from({ length: 21 }, (_, i) => `P${i}`) },
      /participants must name at most 20/,
    ],
    ["oneself as participant", { ...ok, participants: ["@bea"] }, /must not include yourself/],
    ["an unknown local member", { ...ok, participants: ["@nobody"] }, /@nobody is not a member/],
    [
      "a keyword with a space",
      { ...ok, keywords: ["deux mots"] },
      /keywords\.0 must be 1 to 50 letters/,
    ],
    [
      "a keyword of 51 letters",
      { ...ok, keywords: ["a".repeat(51)] },
      /keywords\.0 must be 1 to 50/,
    ],
    [
      "11 keywords",
      { ...ok, keywords: Array.from({ length: 11 }, (_, i) => `k${i}`) },
      /keywords must be at most 10/,
    ],
    ["keywords not a list", { ...ok, keywords: "café" }, /^keywords /],
    ["an unknown visibility", { ...ok, visibility: "secret" }, /visibility must be one of/],
    ["a malformed date", { ...ok, occurredOn: "2025-13-01" }, /occurredOn must be a date/],
    ["a date in words", { ...ok, occurredOn: "yesterday" }, /occurredOn must be a date/],
    [
      "a future date",
      { ...ok, occurredOn: isoDay(Date.now() + 3 * DAY) },
      /occurredOn is in the future/,
    ],
    [
      "a date two years ago",
      { ...ok, occurredOn: isoDay(Date.now() - 730 * DAY) },
      /more than a year ago/,
    ],
    ["an unknown detail", { ...ok, details: { mood: "ok" } }, /details/],
    [
      "a detail of 201 characters",
      { ...ok, details: { emotion: "x".repeat(201) } },
      /details\.emotion must be at most 200/,
    ],
    ["details not an object", { ...ok, details: "joie" }, /^details /],
    [
      "alt text of 1501 characters",
      { ...ok, photoAlt: "x".repeat(1501) },
      /photoAlt must be at most 1500/,
    ],
    ["alt text without a photo", { ...ok, photoAlt: "Une nappe" }, /photoAlt describes a photo/],
    ["a misspelt field", { ...ok, txt: "typo" }, /txt/],
    ["removePhoto on creation", { ...ok, removePhoto: true }, /removePhoto/],
  ];
  it.each(badJson)("POST /encounters refuses %s with 422", async (_label, payload, message) => {
    await refused({ method: "POST", url: `${API}/encounters`, payload }, 422, message);
  });

  it("refuses bodies that are not a JSON object", async () => {
    await refused(
      {
        method: "POST",
        url: `${API}/encounters`,
        payload: "[1,2]",
        headers: { "content-type": "application/json" },
      },
      400,
      /must be a JSON object/,
    );
    await refused(
      {
        method: "POST",
        url: `${API}/encounters`,
        payload: "{nope",
        headers: { "content-type": "application/json" },
      },
      400,
      /JSON/,
    );
    await refused(
      {
        method: "POST",
        url: `${API}/encounters`,
        payload: "text=hi",
        headers: { "content-type": "text/plain" },
      },
      415,
      /application\/json, or multipart\/form-data/,
    );
  });

  it("multipart: a text file as photo is 415, a damaged JPEG 422, nothing stored", async () => {
    const text = new FormData();
    text.append("data", JSON.stringify(ok));
    text.append("photo", new Blob(["hello, I am not a photo"], { type: "image/jpeg" }), "fake.jpg");
    await refused(
      { method: "POST", url: `${API}/encounters`, ...(await multipart(text)) },
      415,
      /not a photo/,
    );

    const damaged = new FormData();
    damaged.append("data", JSON.stringify(ok));
    damaged.append("photo", new Blob([jpeg.subarray(0, 400)]), "cut.jpg");
    await refused(
      { method: "POST", url: `${API}/encounters`, ...(await multipart(damaged)) },
      422,
      /could not be read/,
    );
  });

  it("multipart: a photo over 10 MiB is 413", async () => {
    const huge = new FormData();
    huge.append("text", "Trop lourd");
    huge.append("participants[]", "Marie");
    huge.append("photo", new Blob([Buffer.alloc(10 * 1024 * 1024 + 1, 1)]), "huge.jpg");
    await refused(
      { method: "POST", url: `${API}/encounters`, ...(await multipart(huge)) },
      413,
      /larger than 10 MiB/,
    );
  });

  it("multipart: bad fields are refused like JSON ones", async () => {
    const cases: Array<[Array<[string, string | Blob]>, number, RegExp]> = [
      [[["data", "{not json"]], 400, /"data" must hold a JSON object/],
      [[["data", "[1]"]], 400, /"data" must hold a JSON object/],
      [[["text", "Sans personne"]], 422, /participants is required/],
      [
        [
          ["text", "x"],
          ["participants[]", "Marie"],
          ["visibility", "secret"],
        ],
        422,
        /visibility/,
      ],
      [
        [
          ["text", "x"],
          ["participants[]", "Marie"],
          ["details[mood]", "ok"],
        ],
        422,
        /details/,
      ],
      [
        [
          ["text", "x"],
          ["participants", "Marie"],
          ["avatar", new Blob([jpeg])],
        ],
        422,
        /send the photo as the part "photo"/,
      ],
      [
        [
          ["text", "x"],
          ["participants", "Marie"],
          ["txt", "typo"],
        ],
        422,
        /txt/,
      ],
    ];
    for (const [fields, status, message] of cases) {
      const form = new FormData();
      for (const [name, value] of fields) form.append(name, value);
      await refused(
        { method: "POST", url: `${API}/encounters`, ...(await multipart(form)) },
        status,
        message,
      );
    }
  });

  it("PATCH refuses bad fields and leaves the encounter as it was", async () => {
    const created = await bea({
      method: "POST",
      url: `${API}/encounters`,
      payload: { ...ok, keywords: ["Lyon"] },
    });
    const { id } = created.json() as { id: string };
    const url = `${API}/encounters/${id}`;
    const cases: Array<[Json, RegExp]> = [
      [{ text: "" }, /text is required/],
      [{ visibility: "secret" }, /visibility/],
      [{ participants: [] }, /participants/],
      [{ keywords: ["a b"] }, /keywords\.0/],
      [{ removePhoto: "yes" }, /removePhoto must be true or false/],
      [{ occurredOn: "tomorrow" }, /occurredOn/],
      [{ title: "no such field" }, /title/],
    ];
    for (const [payload, message] of cases)
      await refused({ method: "PATCH", url, payload }, 422, message);

    const both = new FormData();
    both.append("removePhoto", "true");
    both.append("photo", new Blob([jpeg]), "p.jpg");
    await refused(
      { method: "PATCH", url, ...(await multipart(both)) },
      422,
      /removePhoto cannot be sent with a photo/,
    );
    const notPhoto = new FormData();
    notPhoto.append("photo", new Blob(["plain text"]), "p.txt");
    await refused({ method: "PATCH", url, ...(await multipart(notPhoto)) }, 415, /not a photo/);

    const after = (await bea({ method: "GET", url })).json() as Json;
    expect(after).toMatchObject({
      text: ok.text,
      keywords: ["Lyon"],
      visibility: "public",
      photo: null,
    });
    expect(after.updatedAt).toBeNull();
  });

  it("query parameters are checked: limit, before, author", async () => {
    for (const query of [
      "limit=0",
      "limit=101",
      "limit=abc",
      "before=yesterday",
      "author=antoine",
    ]) {
      const response = await bea({ method: "GET", url: `${API}/encounters?${query}` });
      expect(response.statusCode, query).toBe(422);
      expect(response.json()).toEqual({ error: expect.any(String) });
    }
    const response = await bea({ method: "GET", url: `${API}/notifications?unread=maybe` });
    expect(response.statusCode).toBe(422);
  });
});
