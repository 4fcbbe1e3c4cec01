import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { client, membersWithTokens, postEncounter } from "./helpers.ts";

type Json = Record<string, unknown>;
type ObjectSchema = { properties: Record<string, Json>; required?: string[] };

/** Every property name a JSON Schema declares, at any depth. */
function propertyNames(schema: unknown, names = new Set<string>()): Set<string> {
  if (schema === null || typeof schema !== "object") return names;
  for (const [key, value] of Object.entries(schema)) {
    if (key === "properties") for (const name of Object.keys(value as Json)) names.add(name);
    propertyNames(value, names);
  }
  return names;
}

describe(`API documentation (${databaseLabel})`, () => {
  let t: TestApp;
  let document: Json;

  beforeAll(async () => {
    t = await buildTestApp();
    const response = await t.app.http.inject({ method: "GET", url: "/api/docs/openapi.json" });
    expect(response.statusCode).toBe(200);
    document = response.json() as Json;
  });
  afterAll(() => t?.close());

  const operations = () =>
    Object.entries(document.paths as Record<string, Record<string, Json>>).flatMap(
      ([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })),
    );

  it("is an OpenAPI 3.1 document whose schemas come from the zod schemas", () => {
    expect(document).toMatchObject({ openapi: "3.1.0", servers: [{ url: t.baseUrl }] });
    const schemas = (document.components as { schemas: Record<string, Json> }).schemas;
    // The domain's own rules, not a copy: limits and the closed list of visibilities.
    expect(schemas.EncounterInput).toMatchObject({
      type: "object",
      required: ["text", "participants"],
      additionalProperties: false,
      properties: {
        participants: { maxItems: 20 },
        keywords: { maxItems: 10 },
        visibility: { enum: ["public", "unlisted", "followers", "participants", "private"] },
      },
    });
    expect(schemas.EncounterPatch?.required).toBeUndefined();
    expect((schemas.EncounterPatch?.properties as Json | undefined)?.removePhoto).toMatchObject({
      type: "boolean",
    });
    // Every $ref points at a schema that exists.
    const refs = JSON.stringify(document).match(/#\/components\/schemas\/\w+/g) ?? [];
    for (const ref of new Set(refs))
      expect(schemas).toHaveProperty(ref.split("/").at(-1) as string);
  });

  it("documents the Encounter the API answers: every field it sends, none of the private tracker's", async () => {
    const schemas = (document.components as { schemas: Record<string, ObjectSchema> }).schemas;
    const encounter = schemas.Encounter as ObjectSchema;
    const tokens = await membersWithTokens(t.app, ["bea"]);
    const answer: Json = await postEncounter(client(t.app, tokens.bea as string), {
      text: "Café avec Antoine",
      participants: ["Antoine"],
    });
    const fields = Object.keys(encounter.properties).toSorted();
    expect(Object.keys(answer).toSorted()).toEqual(fields);
    expect(encounter.required?.toSorted()).toEqual(fields);
    const author = encounter.properties.author as ObjectSchema;
    expect(Object.keys(answer.author as Json).toSorted()).toEqual(
      Object.keys(author.properties).toSorted(),
    );
    // The private fields (PrivateFields, read by their owner only) share no name with what
    // other members read, but for the participants' names and the date of the last change.
    const readByOthers = propertyNames(encounter);
    const shared = [...propertyNames(schemas.PrivateFields)].filter((name) =>
      readByOthers.has(name),
    );
    expect(shared.toSorted()).toEqual(["name", "participants", "updatedAt"]);
  });

  it("documents operations that exist: each answers 401 without a token, not 404", async () => {
    const ops = operations();
    expect(ops.length).toBe(36);
    for (const { path, method } of ops) {
      const url = path
        .replace("{id}", "00000000-0000-4000-8000-000000000000")
        .replace("{username}", "bea");
      const response = await t.app.http.inject({ method: method.toUpperCase() as "GET", url });
      expect(response.statusCode, `${method} ${url}`).toBe(401);
    }
  });

  it("/api/docs is a self-contained HTML page listing every operation", async () => {
    const response = await t.app.http.inject({
      method: "GET",
      url: "/api/docs",
      headers: { accept: "text/html" },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^text\/html/);
    for (const { path, method } of operations()) {
      expect(response.body).toContain(
        `<code>${method.toUpperCase()}</code></td><td><code>${path}</code>`,
      );
    }
    // Nothing loaded from elsewhere: no scripts, no external stylesheets.
    expect(response.body).not.toMatch(/<script|<link|https?:\/\/(?!localhost)/);
  });
});
