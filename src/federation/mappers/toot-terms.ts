import { Create, Document, Note, Person, Update } from "@fedify/vocab";

/**
 * Mastodon's `blurhash` (toot:blurhash), which Fedify's vocabulary does not
 * have. Mastodon reads it as a plain `blurhash` key of each attachment, so the
 * JSON we send must use that exact key and define it in its @context.
 */
const BLURHASH_IRI = "http://joinmastodon.org/ns#blurhash";
const TOOT_IRI = "http://joinmastodon.org/ns#";

type JsonLdOptions = Parameters<Document["toJsonLd"]>[0];
type Json = Record<string, unknown>;

/** A `Document` attachment that carries a blurhash. */
export class TootDocument extends Document {
  blurhash: string | null = null;

  static of(
    values: ConstructorParameters<typeof Document>[0],
    blurhash: string | null,
  ): TootDocument {
    const document = new TootDocument(values);
    document.blurhash = blurhash;
    return document;
  }

  // Fedify clones with `new this.constructor(…)`, which would lose the blurhash.
  override clone(...args: Parameters<Document["clone"]>): TootDocument {
    const copy = super.clone(...args) as TootDocument;
    copy.blurhash = this.blurhash;
    return copy;
  }

  override async toJsonLd(options: JsonLdOptions = {}): Promise<unknown> {
    const json = await super.toJsonLd(options);
    if (!this.blurhash) return json;
    if (options.format === "expand") {
      // A parent compacting the whole tree reads the expanded form.
      const [node] = json as Json[];
      if (node) node[BLURHASH_IRI] = [{ "@value": this.blurhash }];
      return json;
    }
    return withTootTerms({ ...(json as Json), blurhash: this.blurhash });
  }
}

// The objects that embed attachments and are sent or served at the top level. Clones keep the
// class (Fedify clones an activity to sign it), so what is signed is what is sent.

export class TootNote extends Note {
  override async toJsonLd(options: JsonLdOptions = {}): Promise<unknown> {
    const json = await super.toJsonLd(options);
    return options.format === "expand" ? json : withTootTerms(json);
  }
}

export class TootCreate extends Create {
  override async toJsonLd(options: JsonLdOptions = {}): Promise<unknown> {
    const json = await super.toJsonLd(options);
    return options.format === "expand" ? json : withTootTerms(json);
  }
}

export class TootUpdate extends Update {
  override async toJsonLd(options: JsonLdOptions = {}): Promise<unknown> {
    const json = await super.toJsonLd(options);
    return options.format === "expand" ? json : withTootTerms(json);
  }
}

/** A member's actor: its profile fields are an `attachment` array, whatever their number. */
export class TootPerson extends Person {
  override async toJsonLd(options: JsonLdOptions = {}): Promise<unknown> {
    const json = await super.toJsonLd(options);
    return options.format === "expand" ? json : withTootTerms(json);
  }
}

const AUDIENCE_KEYS = new Set(["to", "cc", "bto", "bcc", "audience"]);
const PUBLIC_IRI = "https://www.w3.org/ns/activitystreams#Public";
const publicIri = (value: unknown): unknown =>
  Array.isArray(value) ? value.map(publicIri) : value === "as:Public" ? PUBLIC_IRI : value;

/**
 * What Mastodon reads as plain JSON, written so:
 * - compaction writes `toot:blurhash` (the context has the `toot` prefix but
 *   no `blurhash` term): rename it `blurhash` and define the term;
 * - `as:Public` in the audience becomes the full IRI and a lone attachment an
 *   array (Pixelfed reads only arrays), as Fedify does to what it sends, so a
 *   Note fetched at its id reads the same as the one delivered.
 * Each spelling expands to the same IRI, so signatures over the result hold.
 */
export function withTootTerms(json: unknown): unknown {
  let found = false;
  const rename = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rename);
    if (value === null || typeof value !== "object") return value;
    const out: Json = {};
    for (const [key, inner] of Object.entries(value)) {
      if (key === "toot:blurhash" || key === BLURHASH_IRI || key === "blurhash") {
        found = true;
        out.blurhash = inner;
      } else if (AUDIENCE_KEYS.has(key)) {
        out[key] = publicIri(inner);
      } else if (key === "attachment" && !Array.isArray(inner)) {
        out[key] = [rename(inner)];
      } else {
        out[key] = key === "@context" ? inner : rename(inner);
      }
    }
    return out;
  };
  const renamed = rename(json) as Json;
  if (!found || !("@context" in renamed)) return renamed;
  renamed["@context"] = defineBlurhash(renamed["@context"]);
  return renamed;
}

function defineBlurhash(context: unknown): unknown {
  const list = Array.isArray(context) ? [...context] : [context];
  const index = list.findIndex((c) => typeof c === "object" && c !== null && "toot" in c);
  if (index >= 0) {
    list[index] = { ...(list[index] as Json), blurhash: "toot:blurhash" };
  } else {
    list.push({ toot: TOOT_IRI, blurhash: "toot:blurhash" });
  }
  return list;
}

/**
 * The Note of a reply written here: in JSON the very same `Note` (with `blurhash` terms like
 * `TootNote`). Fedify keeps one object dispatcher per type, and encounters already have the
 * `Note` one: this subclass's own type id gives replies a route of their own. Nothing is
 * serialized from the type id (Fedify writes `"type": "Note"`).
 */
export class ReplyNote extends TootNote {
  static override get typeId(): URL {
    return new URL("urn:socialdapres:ReplyNote");
  }
}

/**
 * The Note of one of the instance actor's direct messages (src/federation/weekly-question-
 * delivery.ts): like `ReplyNote`, a type id of its own only for Fedify's one object
 * dispatcher per type; in JSON a plain `Note`.
 */
export class DirectNote extends Note {
  static override get typeId(): URL {
    return new URL("urn:socialdapres:DirectNote");
  }
}
