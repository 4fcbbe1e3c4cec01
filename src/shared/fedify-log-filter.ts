import type { LogRecord } from "@logtape/logtape";
import { withoutQueryValues } from "./logger.ts";

/*
 * What of a Fedify log record may be written. Fedify puts whole activities in its records,
 * at info level too ("Activity … is enqueued.", "… has been processed.", "Successfully sent
 * activity …"): a member's answer to the weekly question, or a link request naming them,
 * would land in the log. So:
 *
 * - at info level and above, a body (an activity, an object, a JSON-LD document) is replaced
 *   by what identifies it: its `id` and `type` (and its object's); the other values (activity
 *   id, inbox URL, recipient, status, attempt) stay;
 * - at debug level, bodies are written, but the words of anything that is not addressed to
 *   the public (a direct message, a followers-only post: `content`, `summary`, `name`,
 *   `source`, and their language maps) never are;
 * - every value is cut to LOG_VALUE_MAX_CHARS (an unsigned 1 MB POST is not logged whole).
 */

/**
 * The most characters one value of a record (and its message) keeps in a log line. Fedify
 * puts whole activities in its records — an unsigned 1 MB POST to an inbox would be logged
 * whole — so strings, objects and error messages are cut to this length.
 */
export const LOG_VALUE_MAX_CHARS = 2048;

/** How a record's values are written: with bodies (debug) or with what identifies them. */
export interface BodyPolicy {
  bodies: boolean;
}

/** A LogTape record as pino's fields and message: bodies filtered, values capped, errors
 * without query values. */
export function fedifyRecordToPino(
  record: LogRecord,
  policy: BodyPolicy,
): [Record<string, unknown>, string] {
  const fields: Record<string, unknown> = { category: record.category.join(".") };
  for (const [key, value] of Object.entries(record.properties)) {
    fields[key] = capped(filtered(key, value, policy));
  }
  const message = record.message
    .map((part, index) => (index % 2 === 0 ? String(part) : safeString(filtered("", part, policy))))
    .join("");
  return [fields, truncate(message)];
}

/** Properties Fedify (and its signature code) fill with a document or a request body. */
const BODY_KEYS = new Set([
  "activity",
  "object",
  "json",
  "jsonLd",
  "normalizedActivity",
  "body",
  "document",
]);
/** The words of an object: never logged unless it is addressed to the public. */
const WORDS = new Set([
  "content",
  "contentMap",
  "summary",
  "summaryMap",
  "name",
  "nameMap",
  "source",
]);
const ADDRESSING = ["to", "cc", "bto", "bcc", "audience"] as const;
const PUBLIC = new Set(["https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"]);
export const NOT_PUBLIC = "[not logged: not public]";

type Json = Record<string, unknown>;
const isPlainObject = (value: unknown): value is Json =>
  typeof value === "object" &&
  value !== null &&
  (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null);

/** A JSON-LD document or an ActivityStreams object: a body, whatever property holds it. */
function looksLikeDocument(value: Json): boolean {
  if ("@context" in value) return true;
  return (
    "type" in value && ["actor", "object", "content", "attributedTo", "to"].some((k) => k in value)
  );
}

/** A vocabulary object of @fedify/vocab (an Activity, a Note…): it has an id and toJsonLd. */
function isVocabObject(value: object): value is { id: URL | null; toJsonLd: unknown } {
  return "toJsonLd" in value && typeof (value as { toJsonLd: unknown }).toJsonLd === "function";
}

function filtered(key: string, value: unknown, policy: BodyPolicy, depth = 0): unknown {
  if (value instanceof URL) return value.href;
  if (typeof value === "string") {
    const parsed = BODY_KEYS.has(key) || value.trimStart().startsWith("{") ? jsonOf(value) : null;
    return parsed ? filteredBody(parsed, policy) : value;
  }
  if (typeof value !== "object" || value === null || value instanceof Error) return value;
  if (value instanceof Date) return value;
  if (isVocabObject(value)) return summaryOfVocab(value);
  if (Array.isArray(value)) {
    if (BODY_KEYS.has(key)) return filteredBody(value, policy);
    return depth > 4 ? "[…]" : value.map((item) => filtered("", item, policy, depth + 1));
  }
  if (!isPlainObject(value)) return String(value);
  if (BODY_KEYS.has(key) || looksLikeDocument(value)) return filteredBody(value, policy);
  if (depth > 4) return "[…]";
  const copy: Json = {};
  for (const [k, v] of Object.entries(value)) copy[k] = filtered(k, v, policy, depth + 1);
  return copy;
}

function jsonOf(text: string): Json | unknown[] | null {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null ? (parsed as Json | unknown[]) : null;
  } catch {
    return null;
  }
}

function filteredBody(body: Json | unknown[], policy: BodyPolicy): unknown {
  if (policy.bodies) return withoutPrivateWords(body, false);
  return Array.isArray(body) ? body.map((item) => summaryOf(item)) : summaryOf(body);
}

/** What identifies a document: its id and type, and its object's. */
function summaryOf(value: unknown): unknown {
  if (typeof value === "string") return value; // a bare IRI
  if (!isPlainObject(value)) return "[body not logged]";
  const summary: Json = {};
  if (typeof value.id === "string") summary.id = value.id;
  if (value.type !== undefined) summary.type = value.type;
  const object = value.object;
  if (typeof object === "string") summary.object = object;
  else if (isPlainObject(object)) {
    summary.object = {
      ...(typeof object.id === "string" ? { id: object.id } : {}),
      ...(object.type !== undefined ? { type: object.type } : {}),
    };
  }
  return summary;
}

function summaryOfVocab(value: { id: URL | null }): Json {
  return { id: value.id?.href ?? null, type: value.constructor.name };
}

function addressedToPublic(value: Json): boolean | undefined {
  let addressed = false;
  for (const key of ADDRESSING) {
    const targets = value[key];
    if (targets === undefined || targets === null) continue;
    addressed = true;
    for (const target of Array.isArray(targets) ? targets : [targets]) {
      const iri = typeof target === "string" ? target : isPlainObject(target) ? target.id : null;
      if (typeof iri === "string" && PUBLIC.has(iri)) return true;
    }
  }
  // An object that names no audience is as public as the one that holds it.
  return addressed ? false : undefined;
}

/** A copy of `value` without the words of any object not addressed to the public. */
function withoutPrivateWords(value: unknown, parentPublic: boolean, depth = 0): unknown {
  if (Array.isArray(value)) {
    return depth > 16 ? "[…]" : value.map((item) => withoutPrivateWords(item, parentPublic, depth));
  }
  if (!isPlainObject(value)) return value;
  const isPublic = addressedToPublic(value) ?? parentPublic;
  const copy: Json = {};
  for (const [key, inner] of Object.entries(value)) {
    copy[key] =
      !isPublic && WORDS.has(key)
        ? NOT_PUBLIC
        : depth > 16
          ? "[…]"
          : withoutPrivateWords(inner, isPublic, depth + 1);
  }
  return copy;
}

function truncate(text: string): string {
  return text.length <= LOG_VALUE_MAX_CHARS
    ? text
    : `${text.slice(0, LOG_VALUE_MAX_CHARS)}… [${text.length - LOG_VALUE_MAX_CHARS} more characters not logged]`;
}

function capped(value: unknown): unknown {
  if (typeof value === "string") return truncate(value);
  if (value instanceof Error) {
    // Kept an Error, for pino's error serializer (src/shared/logger.ts).
    const error = withoutQueryValues(value) as Error;
    error.message = truncate(error.message);
    if (error.stack) error.stack = truncate(error.stack);
    return error;
  }
  if (typeof value !== "object" || value === null) return value;
  const json = safeString(value);
  return json.length <= LOG_VALUE_MAX_CHARS ? value : truncate(json);
}

function safeString(value: unknown): string {
  if (value instanceof Error) return (withoutQueryValues(value) as Error).message;
  if (typeof value === "object" && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}
