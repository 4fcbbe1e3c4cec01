import jsonld from "@fedify/vocab-runtime/jsonld";

/**
 * Fedify 2.3.6 parses a received Create(Note) about 65 times over with `jsonld.expand`: the
 * inbox parses the activity twice and the queue's worker once more; each parse expands the
 * sender's JSON once per class it passes through (Activity, then Create), and expands again
 * every part it already expanded (the Note, each tag, each mention, the replies collection)
 * as it hands them to the class that reads them. Two facts make most of that work avoidable
 * without touching what the parse decides:
 *
 * - expanding a document already in expanded form gives the same document (expanded form is
 *   a fixed point of the JSON-LD expansion algorithm), so such an input is answered with a
 *   copy. "Already in expanded form" is checked strictly on the input itself, not trusted
 *   from where it came from: anything outside the plain subset Fedify produces (nested
 *   lists, @graph, @reverse, relative or missing IRIs, bare strings where arrays of objects
 *   go…) goes through the real algorithm;
 * - the same JSON expanded with the same options and contexts that never change gives the
 *   same result, so the result is kept, by the JSON's text, in a small bounded cache. Only
 *   expansions whose every loaded context was tagged "static" are kept (Fedify's preloaded
 *   contexts, src/federation/document-loaders.ts): a document naming a context fetched from
 *   elsewhere is expanded anew each time, as before.
 *
 * Every answer is a fresh copy: Fedify deletes keys from what it gets back.
 */

type JsonObject = Record<string, unknown>;
type DocumentLoader = (url: string, options?: unknown) => Promise<{ tag?: unknown } | unknown>;
export type Expand = (input: unknown, options?: JsonObject) => Promise<unknown[]>;

export interface ExpansionStats {
  /** Inputs already in expanded form, answered with a copy. */
  alreadyExpanded: number;
  /** Answered from the cache of earlier expansions. */
  cached: number;
  /** Run through the JSON-LD expansion algorithm. */
  expanded: number;
}

export interface ExpansionShortcutOptions {
  /** Results kept at most (least recently used first out). */
  maxEntries?: number;
  /** Characters of JSON (inputs and results) kept at most. */
  maxCharacters?: number;
  /** A larger input is never kept. */
  maxInputCharacters?: number;
}

/** An absolute IRI (a scheme, then anything) or a blank node identifier. */
const ABSOLUTE_IRI = /^(?:_:|[a-z][a-z0-9+.-]*:)/i;
/** Properties: http(s) IRIs, or blank node identifiers (Mastodon's context maps some to those). */
const PROPERTY_IRI = /^(?:https?:\/\/|_:)/;
/** Deeper than anything a real activity nests; a deeper input takes the real algorithm. */
const MAX_DEPTH = 24;

/**
 * A deep copy of `value` when it is a node object in the strict expanded form Fedify's
 * parsers produce; null otherwise (the caller then runs the real algorithm).
 */
export function copyIfExpanded(value: unknown, depth = 0): JsonObject | null {
  if (depth > MAX_DEPTH || !isPlainObject(value)) return null;
  const copy: JsonObject = {};
  let keys = 0;
  for (const key in value) {
    const item = value[key];
    keys++;
    if (key === "@id") {
      if (typeof item !== "string" || !ABSOLUTE_IRI.test(item)) return null;
      copy[key] = item;
    } else if (key === "@type") {
      if (!Array.isArray(item) || item.length === 0) return null;
      for (const type of item)
        if (typeof type !== "string" || !ABSOLUTE_IRI.test(type)) return null;
      copy[key] = item.slice();
    } else if (PROPERTY_IRI.test(key)) {
      // An empty array stays: Mastodon sends `"attachment": []`.
      if (!Array.isArray(item)) return null;
      const values = copyIfValues(item, depth, true);
      if (values === null) return null;
      copy[key] = values;
    } else {
      return null;
    }
  }
  return keys === 0 ? null : copy;
}

/** A property's values: value objects, node objects, and (not nested) list objects. */
function copyIfValues(items: unknown[], depth: number, listAllowed: boolean): unknown[] | null {
  const values: unknown[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const element = items[i];
    let copied: unknown = null;
    if (isPlainObject(element) && "@value" in element) copied = copyIfValueObject(element);
    else if (isPlainObject(element) && "@list" in element) {
      const list = element["@list"];
      if (listAllowed && Array.isArray(list) && Object.keys(element).length === 1) {
        const items = copyIfValues(list, depth, false);
        copied = items === null ? null : { "@list": items };
      }
    } else copied = copyIfExpanded(element, depth + 1);
    if (copied === null) return null;
    values[i] = copied;
  }
  return values;
}

function copyIfValueObject(value: JsonObject): JsonObject | null {
  const copy: JsonObject = {};
  for (const key in value) {
    const item = value[key];
    if (key === "@value") {
      const kind = typeof item;
      if (kind === "string" || kind === "boolean" || (kind === "number" && Number.isFinite(item))) {
        copy[key] = item;
      } else return null;
    } else if (key === "@type") {
      if (typeof item !== "string" || !ABSOLUTE_IRI.test(item)) return null;
      copy[key] = item;
    } else if (key === "@language") {
      if (typeof item !== "string" || item !== item.toLowerCase()) return null;
      copy[key] = item;
    } else {
      return null;
    }
  }
  if ("@type" in copy && "@language" in copy) return null;
  return copy;
}

function isPlainObject(value: unknown): value is JsonObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** The options that decide a result, as text; undefined when they hold something else. */
function optionsKey(options: JsonObject | undefined): string | undefined {
  if (!options || typeof options.documentLoader !== "function") return undefined;
  const rest: JsonObject = {};
  for (const key of Object.keys(options).sort()) {
    if (key === "documentLoader") continue;
    const value = options[key];
    if (typeof value === "function" || (typeof value === "object" && value !== null)) {
      return undefined;
    }
    rest[key] = value;
  }
  return JSON.stringify(rest);
}

/** `expand` with the two shortcuts above; `stats` counts which way each call went. */
export function shortcutExpansion(
  expand: Expand,
  limits: ExpansionShortcutOptions = {},
): { expand: Expand; stats: ExpansionStats } {
  const maxEntries = limits.maxEntries ?? 512;
  const maxCharacters = limits.maxCharacters ?? 8_000_000;
  const maxInputCharacters = limits.maxInputCharacters ?? 64_000;
  const stats: ExpansionStats = { alreadyExpanded: 0, cached: 0, expanded: 0 };
  const kept = new Map<string, string>();
  let keptCharacters = 0;

  const keep = (key: string, result: string) => {
    if (kept.has(key)) return;
    kept.set(key, result);
    keptCharacters += key.length + result.length;
    for (const [oldKey, oldResult] of kept) {
      if (kept.size <= maxEntries && keptCharacters <= maxCharacters) break;
      kept.delete(oldKey);
      keptCharacters -= oldKey.length + oldResult.length;
    }
  };

  const shortcut: Expand = async (input, options) => {
    const decisive = optionsKey(options);
    if (decisive === undefined) {
      stats.expanded++;
      return expand(input, options);
    }
    if (options?.keepFreeFloatingNodes === true && Object.keys(options).length === 2) {
      const copy = copyIfExpanded(input);
      if (copy) {
        stats.alreadyExpanded++;
        return [copy];
      }
    }
    const text = JSON.stringify(input);
    const key =
      text !== undefined && text.length <= maxInputCharacters ? `${decisive}\n${text}` : undefined;
    const hit = key === undefined ? undefined : kept.get(key);
    if (key !== undefined && hit !== undefined) {
      // Most recently used last: deleted and set again.
      kept.delete(key);
      kept.set(key, hit);
      stats.cached++;
      return JSON.parse(hit) as unknown[];
    }
    stats.expanded++;
    const load = options?.documentLoader as DocumentLoader;
    let onlyStatic = true;
    const result = await expand(input, {
      ...options,
      documentLoader: async (url: string, loadOptions?: unknown) => {
        const document = await load(url, loadOptions);
        if ((document as { tag?: unknown } | null)?.tag !== "static") onlyStatic = false;
        return document;
      },
    });
    if (key !== undefined && onlyStatic) keep(key, JSON.stringify(result));
    return result;
  };
  return { expand: shortcut, stats };
}

const INSTALLED = Symbol.for("socialdapres.jsonLdExpansion");

/**
 * Puts the shortcuts in front of the `jsonld.expand` Fedify's parsers call (one per process:
 * that library is one per process). Returns the counters; a second call returns the same.
 */
export function installExpansionShortcuts(): ExpansionStats {
  const library = jsonld as unknown as { expand: Expand; [INSTALLED]?: ExpansionStats };
  const installed = library[INSTALLED];
  if (installed) return installed;
  const { expand, stats } = shortcutExpansion(library.expand.bind(library));
  library.expand = expand;
  library[INSTALLED] = stats;
  return stats;
}
