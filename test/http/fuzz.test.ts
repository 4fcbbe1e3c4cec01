import fc from "fast-check";
import type { InjectOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.ts";
import { AP, API, client, LD, membersWithTokens, postEncounter } from "../api/helpers.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { storedDigest } from "../support/database-digest.ts";
import { WebClient } from "../support/web.ts";

/*
 * Hostile requests to every route Fastify knows (read from Fastify itself, so a new route
 * is fuzzed without editing this file): wrong types, huge and tiny numbers, NUL and bidi
 * characters, long strings, broken percent-encoding and multipart, wrong content types,
 * nested junk, invalid dates, ids that are not UUIDs. Every answer must be below 500, an
 * inbox must refuse unsigned or garbage-signed bodies with a 4xx, and a refused request
 * must leave the database and the photo folder exactly as they were.
 * The seed is fixed: a failure reproduces; change SEED to explore other inputs.
 */
const SEED = 20_260_321;
const RUNS_PER_ROUTE = 8;

interface Route {
  method: string;
  /** Fastify's pattern, e.g. "/api/socialdapres/v1/encounters/:id". */
  path: string;
}

/** Routes from `printRoutes()`'s radix tree: each line's label completes its parent's path. */
function fastifyRoutes(tree: string): Route[] {
  const routes: Route[] = [];
  const labels: string[] = [];
  for (const line of tree.split("\n")) {
    const match = /^((?:[│ ] {3})*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = (match[1] as string).length / 4;
    labels.length = depth;
    labels.push(match[2] as string);
    if (!match[3]) continue;
    // "/users/:username|:identifier": two routes share the parameter; either name will do.
    const path = labels.join("").replace(/(:\w+)(?:\|:\w+)+/g, "$1");
    for (const method of match[3].split(", ")) {
      // Fastify answers HEAD with the GET route.
      if (method !== "HEAD") routes.push({ method, path });
    }
  }
  return routes;
}

// --- hostile values --------------------------------------------------------------------

const hostileString = fc.oneof(
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "bea\u0000",
    "\u202Eevil\u202C",
    "\u2066x\u2069\u200F",
    "\uFEFF",
    "%",
    "%ZZ",
    "%00",
    "%E2%82",
    "../../etc/passwd",
    "null",
    "NaN",
    "-1",
    "1e400",
    "9".repeat(400),
    "0x10",
    "true",
    "[]",
    "{}",
    "<script>alert(1)</script>",
    "'; drop table encounters; --",
    "0000-01-01",
    "0000-01-01T00:00:00Z",
    "9999-12-31T23:59:59-12:00",
    "+275760-09-13T00:00:00.001Z",
    "-271821-04-20T00:00:00Z",
    "2025-02-30T00:00:00Z",
    "-".repeat(36),
    "00000000-0000-0000-0000-00000000000g",
    "@a@localhost:1",
    "acct:nobody@localhost:1",
    "http://localhost:1/users/x",
    "https://localhost:1/x?y=%00",
    "a".repeat(5000),
    "é".repeat(3000),
  ),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.string({ unit: "grapheme", maxLength: 30 }),
);

const hostileNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(1e308, -1e308, 5e-324, 2 ** 53 + 1, -0, 1e21, -1, 0, 0.5),
);

const hostileValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", maxDepth: 4 },
    hostileString,
    hostileNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(hostileString, tie("value"), { maxKeys: 4 }),
  ),
})).value;

/** A body nested deeper than a recursive walk can go (some 5,000 levels), sent to every route that takes one. */
const DEEP = 20_000;
const DEEP_BODY = `{"text":${'{"a":'.repeat(DEEP)}"\\u0000"${"}".repeat(DEEP + 1)}`;

/** Bytes that are no valid JSON, form or UTF-8. */
const junkBody = fc.oneof(
  fc.constantFrom(
    '{"text":',
    "{bad json}",
    '"just a string"',
    "[1,2,3]",
    "null",
    "%ZZ=%",
    "a=%00&b=%E2%82",
    "\u0000\u0000",
  ),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
  fc.constant(Buffer.from([0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0, 0x80])),
);

const contentType = fc.constantFrom(
  "application/json",
  "application/json",
  AP,
  LD,
  "application/json; charset=utf-99",
  "application/x-www-form-urlencoded",
  "text/plain",
  "image/png",
  "",
  "multipart/form-data",
  "\u0001garbage/\u0002",
);

// --- plausible values from the OpenAPI document, to get past the first checks -----------

type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
};

const plausibleString = fc.constantFrom(
  "Marie",
  "@antoine",
  "BrightMirror",
  "2026-01-05",
  "yes",
  "Europe/Paris",
  "Au marché",
);

function plausible(
  schema: JsonSchema,
  components: Record<string, JsonSchema>,
  depth = 0,
): fc.Arbitrary<unknown> {
  if (schema.$ref) {
    const target = components[schema.$ref.split("/").at(-1) as string];
    return target && depth < 5 ? plausible(target, components, depth + 1) : hostileValue;
  }
  if (schema.enum && schema.enum.length > 0) return fc.constantFrom(...schema.enum);
  const choices = schema.anyOf ?? schema.oneOf;
  if (choices && choices.length > 0) {
    return fc.oneof(
      ...choices.map((s): fc.Arbitrary<unknown> => plausible(s, components, depth + 1)),
    );
  }
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const type = types.find((t) => t !== "null");
  const min = schema.minimum ?? 0;
  const max = schema.maximum ?? 100;
  switch (type) {
    case "string":
      return plausibleString;
    case "integer":
      return fc.integer({ min: Math.ceil(min), max: Math.floor(max) });
    case "number":
      return fc.double({ min, max, noNaN: true });
    case "boolean":
      return fc.boolean();
    case "array":
      return fc.array(plausible(schema.items ?? {}, components, depth + 1), { maxLength: 3 });
    case "object": {
      const properties = Object.entries(schema.properties ?? {});
      if (properties.length === 0 || depth > 4) return fc.constant({});
      const shape: Record<string, fc.Arbitrary<unknown>> = Object.fromEntries(
        properties.map(([name, s]) => [name, plausible(s, components, depth + 1)]),
      );
      return fc.record(shape, { requiredKeys: [] });
    }
    default:
      return hostileValue;
  }
}

/** A plausible value with one of its fields replaced by a hostile one (or an unknown field added). */
function mutated(base: fc.Arbitrary<unknown>, fields: string[]) {
  return fc
    .tuple(base, fc.constantFrom(...fields, "unknownField"), hostileValue)
    .map(([value, field, bad]) =>
      typeof value === "object" && value !== null && !Array.isArray(value)
        ? { ...value, [field]: bad }
        : bad,
    );
}

// --- activities for the C2S outbox and the inboxes --------------------------------------

function activityArb(app: App, encounterIri: string) {
  const actor = app.urls.actor("bea").href;
  const iri = fc.constantFrom(
    encounterIri,
    actor,
    app.urls.actor("antoine").href,
    "http://localhost:1/users/x",
    "https://www.w3.org/ns/activitystreams#Public",
  );
  const note = fc.record(
    {
      type: fc.constantFrom("Note", "Article", "Image"),
      content: fc.oneof(plausibleString, hostileString),
      tag: fc.array(
        fc.record({
          type: fc.constantFrom("Mention", "Hashtag", "Emoji"),
          name: fc.oneof(fc.constantFrom("@antoine", "#Parc"), hostileString),
          href: fc.oneof(iri, hostileString),
        }),
        { maxLength: 3 },
      ),
      to: fc.oneof(iri, fc.array(iri, { maxLength: 2 })),
      "socialdapres:occurredOn": fc.oneof(plausibleString, hostileString),
      "socialdapres:details": hostileValue,
    },
    { requiredKeys: ["type"] },
  );
  const object = fc.oneof(iri, note, hostileValue);
  const activity = fc.record(
    {
      "@context": fc.oneof(
        fc.constant("https://www.w3.org/ns/activitystreams"),
        fc.constant("http://localhost:1/context.jsonld"),
        hostileValue,
      ),
      id: fc.oneof(iri, hostileString),
      type: fc.oneof(
        fc.constantFrom(
          "Create",
          "Update",
          "Delete",
          "Follow",
          "Undo",
          "Announce",
          "Like",
          "Accept",
          "Note",
          "Block",
        ),
        hostileString,
      ),
      actor: fc.oneof(fc.constant(actor), iri, hostileValue),
      object: fc.oneof(
        object,
        fc.record({ type: fc.constantFrom("Follow", "Like", "Announce"), object }),
      ),
      published: hostileString,
    },
    { requiredKeys: ["type"] },
  );
  return fc.oneof(activity, mutated(activity, ["type", "object", "actor", "@context"]));
}

// --- bodies ---------------------------------------------------------------------------

interface Body {
  contentType?: string;
  payload?: string | Buffer;
}

const form = fc.array(fc.tuple(hostileString, hostileString), { maxLength: 4 });

const formBody = fc.tuple(form, fc.boolean()).map(([pairs, raw]) => ({
  contentType: "application/x-www-form-urlencoded",
  payload: pairs
    .map(([k, v]) => (raw ? `${k}=${v}` : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`))
    .join("&"),
}));

/** A multipart body: well formed, or without boundary, with another one, a 5,000-character one, or cut short. */
const multipartBody = fc
  .tuple(
    fc.array(
      fc.tuple(
        fc.constantFrom("text", "participants[]", "data", "details[emotion]", "x"),
        hostileString,
      ),
      {
        maxLength: 3,
      },
    ),
    fc.boolean(),
    fc.constantFrom("ok", "noBoundary", "otherBoundary", "longBoundary", "truncated"),
    fc.double({ min: 0, max: 1, noNaN: true }),
  )
  .map(([fields, photo, variant, cut]): Body => {
    const boundary = variant === "longBoundary" ? "b".repeat(5000) : "fuzzboundary";
    const parts = fields.map(
      ([name, value]) =>
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
    );
    if (photo) {
      parts.push(
        `--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="p.jpg"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff\xe0junk\r\n`,
      );
    }
    let payload = `${parts.join("")}--${boundary}--\r\n`;
    if (variant === "truncated") payload = payload.slice(0, Math.floor(payload.length * cut));
    const header =
      variant === "noBoundary"
        ? "multipart/form-data"
        : `multipart/form-data; boundary=${variant === "otherBoundary" ? "another" : boundary}`;
    return { contentType: header, payload: Buffer.from(payload, "latin1") };
  });

function bodyArb(json: fc.Arbitrary<unknown>): fc.Arbitrary<Body> {
  return fc.oneof(
    {
      weight: 5,
      arbitrary: fc
        .tuple(json, contentType)
        .map(([v, t]) => ({ contentType: t, payload: JSON.stringify(v) ?? "" })),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(junkBody, contentType).map(([p, t]) => ({ contentType: t, payload: p })),
    },
    { weight: 2, arbitrary: multipartBody },
    { weight: 1, arbitrary: formBody },
    { weight: 1, arbitrary: fc.constant({}) },
  );
}

// --- the test -----------------------------------------------------------------------------

/** Fedify's own GET routes (not Fastify's): collections, objects, WebFinger. */
const FEDIFY_ROUTES: Route[] = [
  { method: "GET", path: "/users/:username/followers" },
  { method: "GET", path: "/users/:username/following" },
  { method: "GET", path: "/users/:username/outbox" },
  { method: "GET", path: "/users/:username/encounters/:id/activity" },
  { method: "GET", path: "/users/:username/encounters/:id/replies" },
  { method: "GET", path: "/users/:username/replies/:id" },
  { method: "GET", path: "/activities/:kind/:id" },
  { method: "GET", path: "/.well-known/webfinger" },
];

/** Parameter names left out: routes sharing a pattern print one of their names only. */
const routeKey = (method: string, path: string) => `${method} ${path.replace(/:\w+/g, ":")}`;

const BODY_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
/** Percent-encoded; a lone surrogate, which has no UTF-8, becomes the bytes no decoder accepts. */
const encode = (text: string) => {
  try {
    return encodeURIComponent(text);
  } catch {
    return [...text]
      .map((c) => (/[\uD800-\uDFFF]/.test(c) ? "%ED%A0%80" : encodeURIComponent(c)))
      .join("");
  }
};
/** Encoded, or with only what an HTTP request line cannot carry encoded (`%`, `&`, `=` stay raw). */
const percentEncodedOrBroken = (value: string, raw: boolean) =>
  raw ? value.replace(/[^\x21-\x7e]|[#?/]/gu, encode) : encode(value);

describe(`fuzzing every route (${databaseLabel})`, () => {
  let t: TestApp;
  let app: App;
  let tokens: Record<string, string>;
  let routes: Route[];
  const reached = new Set<string>();
  let openapi: {
    paths: Record<string, Record<string, unknown>>;
    components: { schemas: Record<string, JsonSchema> };
  };
  const valid: Record<string, string[]> = {};
  let browserHeaders: Record<string, string> = {};
  let encounterIri = "";

  beforeAll(async () => {
    t = await buildTestApp();
    app = t.app;
    app.http.addHook("onResponse", async (request) => {
      if (request.routeOptions.url) reached.add(routeKey(request.method, request.routeOptions.url));
    });
    tokens = await membersWithTokens(app, ["bea", "antoine"]);
    const created = await postEncounter(client(app, tokens.bea as string), {
      text: "Au marché",
      participants: ["@antoine", "Marie"],
      keywords: ["Parc"],
    });
    encounterIri = created.iri;
    const notifications = await client(
      app,
      tokens.antoine as string,
    )({ url: `${API}/notifications` });
    const reply = await app.replies.reply("antoine", created.id, { text: "Bravo" });
    valid.id = [created.id, notifications.json().items[0].id, reply.id];
    valid.username = ["bea", "antoine"];
    valid.identifier = valid.username;
    valid.keyword = ["Parc", "socialdapres"];
    valid.format = ["json", "csv"];
    valid.lang = ["fr", "en"];
    // bea's browser: her session and a CSRF token, so that hostile forms reach the pages' handlers.
    const browser = await new WebClient(app.http).login("bea", "bea-password-123");
    browserHeaders = { cookie: browser.cookieHeader, "x-csrf-token": await browser.csrfToken() };
    valid.decision = ["approve", "refuse"];
    valid["*"] = ["photos/none.webp"];
    // Key pairs are made on first use; made now, they are not mistaken for something a
    // refused request stored.
    for (const name of ["bea", "antoine", "instance"]) {
      const actor = await app.http.inject({ url: `/users/${name}`, headers: { accept: AP } });
      expect(actor.statusCode, name).toBe(200);
    }
    openapi = (await app.http.inject({ url: "/api/docs/openapi.json" })).json();
    routes = fastifyRoutes(app.http.printRoutes());
  });
  afterAll(() => t?.close());

  /** The JSON bodies worth sending to a route: plausible ones from its OpenAPI schema, mutated; activities; junk. */
  function jsonFor(route: Route): fc.Arbitrary<unknown> {
    if (/\/(inbox|outbox)$/.test(route.path)) return activityArb(app, encounterIri);
    const operation = openapi.paths[route.path.replace(/:(\w+)/g, "{$1}")]?.[
      route.method.toLowerCase()
    ] as { requestBody?: { content: Record<string, { schema: JsonSchema }> } } | undefined;
    const schema = Object.values(operation?.requestBody?.content ?? {})[0]?.schema;
    if (!schema) return hostileValue;
    const components = openapi.components.schemas;
    const resolved = schema.$ref ? components[schema.$ref.split("/").at(-1) as string] : schema;
    const fields = Object.keys(resolved?.properties ?? {});
    const base = plausible(schema, components);
    return fields.length > 0
      ? fc.oneof(base, mutated(base, fields), mutated(base, fields), hostileValue)
      : hostileValue;
  }

  function requestArb(route: Route): fc.Arbitrary<InjectOptions> {
    const names = [...route.path.matchAll(/:(\w+)|\*/g)].map((m) => m[1] ?? "*");
    const param = (name: string) =>
      fc.oneof(
        { weight: 2, arbitrary: fc.constantFrom(...(valid[name] ?? ["x"])) },
        {
          weight: 3,
          arbitrary: fc
            .tuple(hostileString, fc.boolean())
            .map(([v, raw]) => percentEncodedOrBroken(v, raw)),
        },
      );
    const queryKeys = fc.constantFrom(
      "before",
      "limit",
      "cursor",
      "resource",
      "weeks",
      "format",
      "unread",
      "author",
      "x",
    );
    const query = fc.array(
      fc.tuple(
        fc.oneof(queryKeys, hostileString),
        fc.oneof(hostileString, plausibleString),
        fc.boolean(),
      ),
      { maxLength: 3 },
    );
    const inbox = route.path.endsWith("/inbox");
    return fc
      .record({
        params: fc.tuple(...names.map(param)),
        query,
        who: fc.constantFrom("bea", "bea", "bea", "antoine", "nobody", "browser"),
        accept: fc.constantFrom(undefined, AP, "text/html", "application/json", "*/*", "x/\u00ff"),
        body: BODY_METHODS.has(route.method) ? bodyArb(jsonFor(route)) : fc.constant<Body>({}),
        signed: fc.boolean(),
      })
      .map(({ params, query, who, accept, body, signed }) => {
        let i = 0;
        const path = route.path.replace(/:\w+|\*/g, () => params[i++] as string);
        const search = query
          .map(
            ([k, v, raw]) => `${percentEncodedOrBroken(k, raw)}=${percentEncodedOrBroken(v, raw)}`,
          )
          .join("&");
        const headers: Record<string, string> = {};
        if (who === "browser") Object.assign(headers, browserHeaders);
        else if (who !== "nobody") headers.authorization = `Bearer ${tokens[who]}`;
        if (accept) headers.accept = accept;
        if (body.contentType !== undefined) headers["content-type"] = body.contentType;
        if (inbox && signed) {
          // A signature nobody can verify: its key lives nowhere.
          headers.date = new Date().toUTCString();
          headers.digest = "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=";
          headers.signature =
            'keyId="http://localhost:1/users/x#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="AAAA"';
        }
        return {
          method: route.method as InjectOptions["method"],
          url: search ? `${path}?${search}` : path,
          headers,
          ...(body.payload !== undefined ? { payload: body.payload } : {}),
        };
      });
  }

  /** Requests every run starts with, whatever the seed draws: known bad inputs. */
  function examplesFor(route: Route): InjectOptions[] {
    if (!BODY_METHODS.has(route.method)) return [];
    const path = route.path.replace(
      /:(\w+)|\*/g,
      (_, name: string | undefined) => valid[name ?? "*"]?.[0] ?? "x",
    );
    const type = /\/(inbox|outbox)$/.test(route.path) ? AP : "application/json";
    return [
      {
        method: route.method as InjectOptions["method"],
        url: path,
        headers: { authorization: `Bearer ${tokens.bea}`, "content-type": type },
        payload: DEEP_BODY,
      },
    ];
  }

  it("reads the routes from Fastify", () => {
    expect(routes.length).toBeGreaterThan(40);
    for (const expected of [
      "POST /api/socialdapres/v1/encounters",
      "PUT /api/socialdapres/v1/encounters/:id/private",
      "POST /users/:username/outbox",
      "POST /users/:username/inbox",
      "POST /inbox",
      "GET /media/*",
    ]) {
      expect(routes.map((r) => `${r.method} ${r.path}`)).toContain(expected);
    }
  });

  it("no route answers 5xx; inboxes refuse with 4xx; a refused request stores nothing", async () => {
    const started = Date.now();
    let baseline = await storedDigest(app);
    let sent = 0;
    for (const [index, route] of [...routes, ...FEDIFY_ROUTES].entries()) {
      const examples = examplesFor(route).map((request): [InjectOptions] => [request]);
      await fc.assert(
        fc.asyncProperty(requestArb(route), async (request) => {
          const response = await app.http.inject(request);
          sent++;
          const what = `${request.method} ${request.url} → ${response.statusCode} ${response.body.slice(0, 200)}`;
          expect(response.statusCode, what).toBeLessThan(500);
          // An inbox POST is unsigned or garbage-signed here; its GET (C2S) may answer bea.
          if (route.path.endsWith("/inbox") && route.method === "POST")
            expect(response.statusCode, what).toBeGreaterThanOrEqual(400);
          const after = await storedDigest(app);
          if (response.statusCode >= 400)
            expect(after, `stored on refusal: ${what}`).toBe(baseline);
          baseline = after;
        }),
        {
          seed: SEED + index,
          // The examples run first, within numRuns.
          numRuns: RUNS_PER_ROUTE + examples.length,
          examples,
        },
      );
    }
    // Every route was reached by some request (not only answered by the not-found handler).
    const missed = routes
      .filter((r) => !reached.has(routeKey(r.method, r.path)))
      .map((r) => `${r.method} ${r.path}`);
    expect(missed, "routes no fuzzed request reached").toEqual([]);
    console.info(
      `fuzz: ${sent} requests to ${routes.length + FEDIFY_ROUTES.length} routes in ${Date.now() - started} ms`,
    );
  }, 120_000);
});
