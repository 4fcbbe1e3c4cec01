import { readdirSync, readFileSync } from "node:fs";
import type { DocumentLoader } from "@fedify/fedify";
import { Activity, Note } from "@fedify/vocab";
import jsonld from "@fedify/vocab-runtime/jsonld";
import { describe, expect, it } from "vitest";
import { staticPreloadedContexts } from "../../src/federation/document-loaders.ts";
import {
  copyIfExpanded,
  type Expand,
  installExpansionShortcuts,
  shortcutExpansion,
} from "../../src/federation/json-ld-expansion.ts";

const FIXTURES = new URL("../fixtures/fediverse/", import.meta.url);
const readJson = (path: string) => JSON.parse(readFileSync(new URL(path, FIXTURES), "utf8"));
const LITEPUB = "https://greenish.red/schemas/litepub-0.1.jsonld";
// Pleroma servers each serve their context at their own address.
const LITEPUBS = [LITEPUB, "https://queer.hacktivis.me/schemas/litepub-0.1.jsonld"];

/** Captured before anything installs the shortcuts in this file's process. */
const library = jsonld as unknown as { expand: Expand };
const realExpand: Expand = library.expand.bind(library);

/** Fedify's contexts tagged static, as the app serves them; Pleroma's own context untagged. */
const fetched: string[] = [];
const contextLoader: DocumentLoader = staticPreloadedContexts(async (url) => {
  fetched.push(url);
  if (!LITEPUBS.includes(url)) throw new Error(`no network in tests: ${url}`);
  return { contextUrl: null, documentUrl: url, document: readJson("contexts/litepub-0.1.jsonld") };
});
const options = { documentLoader: contextLoader, keepFreeFloatingNodes: true };

/** Every activity and actor the fixtures hold, as their servers send them. */
const corpus: [string, Record<string, unknown>][] = [
  "mastodon",
  "gotosocial",
  "misskey",
  "pleroma",
  "minimal",
  "socialdapres",
  "actors",
].flatMap((folder) =>
  readdirSync(new URL(`${folder}/`, FIXTURES))
    .filter((name) => name.endsWith(".json"))
    .map((name): [string, Record<string, unknown>] => [
      `${folder}/${name}`,
      readJson(`${folder}/${name}`),
    ]),
);

/** Every node object of an expanded document, the document's own included. */
function nodesOf(value: unknown): Record<string, unknown>[] {
  if (Array.isArray(value)) return value.flatMap(nodesOf);
  if (typeof value !== "object" || value === null || "@value" in value) return [];
  if ("@list" in value) return nodesOf(value["@list"]);
  return [value as Record<string, unknown>, ...Object.values(value).flatMap(nodesOf)];
}

describe("copyIfExpanded", () => {
  it("recognizes every part of every fixture once expanded, and expanding it again changes nothing", async () => {
    expect(corpus.length).toBeGreaterThanOrEqual(15);
    let nodes = 0;
    for (const [name, json] of corpus) {
      const expanded = await realExpand(json, options);
      for (const node of nodesOf(expanded)) {
        nodes++;
        const copy = copyIfExpanded(node);
        expect(copy, `${name}: ${JSON.stringify(node).slice(0, 200)}`).toEqual(node);
        expect(copy).not.toBe(node);
        // The claim the shortcut rests on, checked against the real algorithm.
        expect(await realExpand(node, options), name).toEqual([node]);
      }
    }
    expect(nodes).toBeGreaterThan(100);
  });

  it("turns away what expansion would change or refuse, and what is not in expanded form", () => {
    const AS = "https://www.w3.org/ns/activitystreams#";
    const refused: unknown[] = [
      // As a sender writes it, not expanded.
      { "@context": "https://www.w3.org/ns/activitystreams", type: "Note" },
      { type: "Note", id: "https://remote.example/1" },
      // A bare string where an array of objects goes: expansion would turn it into a value.
      { [`${AS}actor`]: "https://remote.example/users/eve" },
      { [`${AS}actor`]: ["https://remote.example/users/eve"] },
      { [`${AS}actor`]: [[{ "@id": "https://remote.example/users/eve" }]] },
      { [`${AS}content`]: [{ "@value": null }] },
      { [`${AS}content`]: [{ "@value": { html: true } }] },
      { [`${AS}content`]: [{ "@value": "Hi", "@language": "FR" }] },
      { [`${AS}content`]: [{ "@value": "Hi", "@language": "fr", "@type": `${AS}x` }] },
      { [`${AS}content`]: [{ "@value": "Hi", "@direction": "ltr" }] },
      { [`${AS}items`]: [{ "@list": [{ "@list": [{ "@id": "https://remote.example/1" }] }] }] },
      { [`${AS}items`]: [{ "@list": [{ "@id": "https://remote.example/1" }], "@index": "a" }] },
      { [`${AS}items`]: [{ "@list": { "@id": "https://remote.example/1" } }] },
      // Relative or missing IRIs: a base would resolve them.
      { "@id": "notes/1" },
      { "@id": 7 },
      { "@type": "Note" },
      { "@type": ["Note"] },
      { "@type": [] },
      { "@graph": [{ "@id": "https://remote.example/1" }] },
      { "@reverse": {} },
      { name: [{ "@value": "eve" }] },
      {},
      [],
      null,
      "https://remote.example/1",
      new Map(),
    ];
    for (const value of refused) expect(copyIfExpanded(value), JSON.stringify(value)).toBeNull();

    let deep: Record<string, unknown> = { "@id": "https://remote.example/bottom" };
    for (let i = 0; i < 40; i++)
      deep = { "@id": `https://remote.example/${i}`, [`${AS}object`]: [deep] };
    expect(copyIfExpanded(deep)).toBeNull();
  });
});

describe("shortcutExpansion", () => {
  it("answers as the real algorithm for every fixture and every hostile shape, first and second time", async () => {
    const { expand, stats } = shortcutExpansion(realExpand);
    const hostile: unknown[] = [
      { "https://www.w3.org/ns/activitystreams#actor": "https://remote.example/users/eve" },
      { "@id": "notes/1", "https://www.w3.org/ns/activitystreams#name": [{ "@value": "x" }] },
      {
        "@context": { as: "https://www.w3.org/ns/activitystreams#" },
        "as:actor": { "@id": "https://remote.example/users/eve" },
      },
    ];
    const inputs = [...corpus.map(([, json]) => json), ...hostile];
    for (let round = 0; round < 2; round++) {
      for (const input of inputs) {
        const expected = await realExpand(structuredClone(input), options);
        expect(await expand(structuredClone(input), options)).toEqual(expected);
        for (const node of nodesOf(expected)) {
          expect(await expand(node, options)).toEqual(await realExpand(node, options));
        }
      }
    }
    expect(stats.cached).toBeGreaterThanOrEqual(inputs.length - 1);
    expect(stats.alreadyExpanded).toBeGreaterThan(100);
  });

  it("hands out copies: changing one answer leaves the next untouched", async () => {
    const { expand } = shortcutExpansion(realExpand);
    const [json] = corpus[0] ?? [];
    const note = readJson(json ?? "");
    const first = (await expand(note, options))[0] as Record<string, unknown>;
    const again = await realExpand(note, options);
    delete first["@type"];
    delete first["@id"];
    expect(await expand(note, options)).toEqual(again);
    const part = (again[0] as Record<string, unknown[]>)[
      "https://www.w3.org/ns/activitystreams#object"
    ]?.[0] as Record<string, unknown>;
    const copied = (await expand(part, options))[0] as Record<string, unknown>;
    delete copied["@type"];
    expect(part["@type"]).toBeDefined();
  });

  it("keeps no result whose context was fetched from elsewhere: it is expanded every time", async () => {
    const { expand, stats } = shortcutExpansion(realExpand);
    const pleroma = readJson("pleroma/create-note.json");
    expect(JSON.stringify(pleroma)).toContain(LITEPUB);
    fetched.length = 0;
    await expand(pleroma, options);
    await expand(pleroma, options);
    expect(stats.cached).toBe(0);
    expect(stats.expanded).toBe(2);
    expect(fetched).toEqual([LITEPUB, LITEPUB]);
  });

  it("tells results apart by their options, and lets any other option through untouched", async () => {
    const { expand, stats } = shortcutExpansion(realExpand);
    const json = readJson("minimal/create-note-bare-context-hashtag.json");
    await expand(json, options);
    await expand(json, { documentLoader: contextLoader });
    expect(stats).toEqual({ alreadyExpanded: 0, cached: 0, expanded: 2 });
    await expand(json, { ...options, base: "https://remote.example/" });
    expect(stats).toEqual({ alreadyExpanded: 0, cached: 0, expanded: 3 });
    const other = {
      documentLoader: contextLoader,
      expandContext: { "@vocab": "https://example.org/" },
    };
    expect(await expand(json, other)).toEqual(await realExpand(json, other));
    await expand(json, other);
    const expanded = (await realExpand(json, options))[0];
    await expand(expanded, { documentLoader: contextLoader });
    expect(stats).toEqual({ alreadyExpanded: 0, cached: 0, expanded: 6 });
    await expand(json, options);
    await expand(json, { ...options, base: "https://remote.example/" });
    expect(stats.cached).toBe(2);
  });

  it("stays within its bounds: the least recently used result leaves first", async () => {
    const { expand, stats } = shortcutExpansion(realExpand, {
      maxEntries: 2,
      maxInputCharacters: 4_000,
    });
    const note = (n: number) => ({
      "@context": "https://www.w3.org/ns/activitystreams",
      type: "Note",
      id: `https://remote.example/notes/${n}`,
      content: "x".repeat(n === 9 ? 5_000 : 10),
    });
    await expand(note(1), options);
    await expand(note(2), options);
    await expand(note(1), options); // 1 is now the most recently used
    await expand(note(3), options); // 2 leaves
    await expand(note(1), options);
    await expand(note(2), options);
    expect(stats).toEqual({ alreadyExpanded: 0, cached: 2, expanded: 4 });
    await expand(note(9), options);
    await expand(note(9), options);
    expect(stats.expanded).toBe(6);
  });
});

async function tagsOf(note: Note, loaders: { contextLoader: DocumentLoader }) {
  const tags = [];
  for await (const tag of note.getTags(loaders)) tags.push(tag);
  return tags;
}

describe("installExpansionShortcuts", () => {
  it("leaves what Fedify parses out of every fixture exactly as it was, and installs once", async () => {
    const parse = (json: Record<string, unknown>) =>
      parseAll(json).catch((error: Error) => `${error.name}: ${error.message}`);
    const parseAll = async (json: Record<string, unknown>) => {
      const loaders = { contextLoader, documentLoader: contextLoader };
      const object =
        json.type === "Note"
          ? await Note.fromJsonLd(json, loaders)
          : await Activity.fromJsonLd(json, loaders);
      const inner =
        object instanceof Activity ? await object.getObject(loaders).catch(() => null) : null;
      const tags = inner instanceof Note ? await tagsOf(inner, loaders) : [];
      return JSON.stringify({
        object: await object.toJsonLd({ format: "expand", contextLoader }),
        inner: await inner?.toJsonLd({ format: "compact", contextLoader }),
        tags: await Promise.all(tags.map((tag) => tag.toJsonLd({ contextLoader }))),
      });
    };
    const activities = corpus;
    const before = await Promise.all(activities.map(([, json]) => parse(structuredClone(json))));

    const stats = installExpansionShortcuts();
    expect(installExpansionShortcuts()).toBe(stats);
    for (let round = 0; round < 2; round++) {
      const after = await Promise.all(activities.map(([, json]) => parse(structuredClone(json))));
      expect(after).toEqual(before);
    }
    expect(stats.alreadyExpanded).toBeGreaterThan(100);
    expect(stats.cached).toBeGreaterThan(0);
  });
});
