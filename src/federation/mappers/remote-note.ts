import type { DocumentLoader } from "@fedify/fedify";
import {
  type Object as APObject,
  Document,
  Hashtag,
  Image,
  Link,
  Mention,
  type Note,
} from "@fedify/vocab";
import type { Visibility } from "../../db/schema.ts";
import type { RemoteEncounterRecord } from "../../encounters/remote-encounter-record.ts";
import { htmlToPlainText, sanitizeRemoteHtml } from "../../shared/sanitize-html.ts";
import { visibilityFromAddressing } from "./addressing.ts";
import {
  hashtagsFromContent,
  hashtagsFromJson,
  type ReceivedHashtag,
  tagNameFromHref,
} from "./received-tags.ts";

export const SOCIALDAPRES_TAG = "socialdapres";

export interface RemoteNoteOptions {
  /**
   * The Note's JSON as its sender wrote it (src/federation/received-json.ts). What JSON-LD
   * processing loses is read from here when given: Mastodon's `blurhash` (not in Fedify's
   * vocabulary), and `Hashtag` tags and `sensitive` sent under a context that does not
   * define them (received-tags.ts).
   */
  raw?: unknown;
  /** For JSON-LD contexts only; the mapper itself never fetches anything. */
  contextLoader?: DocumentLoader;
}

/** Refuses every fetch: a tag or attachment given only by IRI is skipped, not dereferenced. */
const offline: DocumentLoader = async (url) => {
  throw new Error(`not fetched while mapping a note: ${url}`);
};

/**
 * A remote Note as what we keep of an encounter. Pure: reads the object it is
 * given (and `raw`), fetches nothing. Throws a TypeError for a Note without id
 * or author, which the caller checks first.
 */
export async function noteToRemoteEncounter(
  note: Note,
  options: RemoteNoteOptions = {},
): Promise<RemoteEncounterRecord> {
  if (!note.id || !note.attributionId) {
    throw new TypeError("a note without id or attributedTo cannot be an encounter");
  }
  const loaders = {
    documentLoader: offline,
    contextLoader: options.contextLoader,
    suppressError: true,
  };
  const html = note.content?.toString() ?? "";

  let hasSocialdapresTag = false;
  const keywords: string[] = [];
  const mentions: { iri: string; name: string }[] = [];
  const hashtags: ReceivedHashtag[] = [];
  for await (const tag of note.getTags(loaders)) {
    if (tag instanceof Hashtag) {
      hashtags.push({ name: tag.name?.toString() ?? "", href: tag.href?.href ?? null });
    } else if (tag instanceof Mention && tag.href && isHttp(tag.href)) {
      mentions.push({ iri: tag.href.href, name: tag.name?.toString().slice(0, 300) ?? "" });
    }
  }
  // JSON-LD drops a Hashtag its context does not define: read the JSON as sent too, and
  // when neither gives any hashtag, the content's tag links (received-tags.ts).
  hashtags.push(...hashtagsFromJson(options.raw));
  if (hashtags.length === 0) hashtags.push(...hashtagsFromContent(html));
  for (const tag of hashtags) {
    // NFC: the same word typed on two keyboards is one keyword.
    const name = tag.name.trim().replace(/^#/, "").normalize("NFC") || tagNameFromHref(tag.href);
    if (!name) continue;
    if (isSocialdapres(name, tag.href)) hasSocialdapresTag = true;
    else if (/^[\p{L}\p{M}\p{N}_]{1,50}$/u.test(name) && !sameKeyword(keywords, name)) {
      keywords.push(name);
    }
  }

  return {
    iri: note.id.href,
    url: httpHref(note.url),
    authorIri: note.attributionId.href,
    contentHtml: sanitizeRemoteHtml(html),
    text: htmlToPlainText(html),
    hasSocialdapresTag,
    keywords,
    mentions,
    photo: await firstPhoto(note, loaders, options.raw),
    inReplyTo: note.replyTargetId && isHttp(note.replyTargetId) ? note.replyTargetId.href : null,
    visibility: visibilityOf(note),
    publishedAt: note.published ? new Date(note.published.epochMilliseconds) : null,
    updatedAt: note.updated ? new Date(note.updated.epochMilliseconds) : null,
    ...contentWarningOf(note, options.raw),
    occurredOn: occurredOnOf(note),
  };
}

/**
 * A content warning: Mastodon's `summary` (plain text; an empty one is none) and
 * `sensitive`. Under the bare ActivityStreams context `sensitive` is not defined, so the
 * JSON as received is read too.
 */
function contentWarningOf(note: Note, raw: unknown) {
  const summary = note.summary ? htmlToPlainText(note.summary.toString()) : "";
  const sentSensitive = (raw as { sensitive?: unknown } | null | undefined)?.sensitive === true;
  return {
    contentWarning: summary.replace(/\s+/g, " ").trim() || null,
    sensitive: note.sensitive === true || sentSensitive,
  };
}

/**
 * The day the encounter happened, as a Socialdapres instance sends it (`startTime`, the
 * start of that day in UTC: src/federation/mappers/note.ts); null for other posts.
 */
function occurredOnOf(note: Note): string | null {
  if (!note.startTime) return null;
  const day = new Date(note.startTime.epochMilliseconds);
  const year = day.getUTCFullYear();
  // A day anyone could have met someone; anything else is junk, not a reason to drop the post.
  return Number.isNaN(year) || year < 1900 || year > 2200 ? null : day.toISOString().slice(0, 10);
}

/**
 * `#Socialdapres` by name or by a link to its tag page, whatever that link's shape
 * (`/tags/socialdapres`, `?t=socialdapres`, …), ignoring case and
 * accents (`#Socialdaprès` is the movement's own spelling; Mastodon folds
 * accents when it matches hashtags, so do we).
 */
export function isSocialdapres(name: string, href?: URL | string | null): boolean {
  if (fold(name.replace(/^#/, "")) === SOCIALDAPRES_TAG) return true;
  const linked = tagNameFromHref(href instanceof URL ? href.href : href);
  return linked !== undefined && fold(linked) === SOCIALDAPRES_TAG;
}

function fold(text: string): string {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

function sameKeyword(keywords: string[], name: string): boolean {
  const folded = name.toLocaleLowerCase();
  return keywords.some((k) => k.toLocaleLowerCase() === folded);
}

/**
 * A followers collection is recognised by its path, as every server we know names it
 * (Mastodon, GoToSocial, Pleroma, Misskey, Lemmy).
 */
export function visibilityOf(note: Note): Exclude<Visibility, "private"> {
  return visibilityFromAddressing(
    note.toIds.map((u) => u.href),
    note.ccIds.map((u) => u.href),
    (iri) => URL.parse(iri)?.pathname.endsWith("/followers") ?? false,
  );
}

type Photo = NonNullable<RemoteEncounterRecord["photo"]>;

/** The first image attached (a video or audio Document is not a photo). */
async function firstPhoto(
  note: Note,
  loaders: Parameters<Note["getAttachments"]>[0],
  raw: unknown,
): Promise<Photo | null> {
  for await (const attachment of note.getAttachments(loaders)) {
    if (!(attachment instanceof Document)) continue;
    const mediaType = attachment.mediaType?.slice(0, 100) ?? "";
    if (!(attachment instanceof Image) && !mediaType.startsWith("image/")) continue;
    const url = httpHref(attachment.url);
    if (!url) continue;
    return {
      url,
      mediaType,
      width: dimension(attachment.width),
      height: dimension(attachment.height),
      blurhash: blurhashOf(raw, url),
      alt: altOf(attachment),
    };
  }
  return null;
}

/** Alt text: Mastodon sends it as `name`, some servers as `summary`. */
function altOf(attachment: APObject): string {
  const alt = attachment.name?.toString() || attachment.summary?.toString() || "";
  return alt.trim();
}

function dimension(value: number | null): number | null {
  return value !== null && Number.isInteger(value) && value > 0 ? value : null;
}

/** The blurhash of the raw attachment at `url`: a short string of Base83 characters. */
function blurhashOf(raw: unknown, url: string): string | null {
  const attachments = (raw as { attachment?: unknown } | null)?.attachment;
  const list = Array.isArray(attachments) ? attachments : [attachments];
  for (const item of list) {
    if (!item || typeof item !== "object") continue;
    const { url: itemUrl, blurhash } = item as { url?: unknown; blurhash?: unknown };
    const href =
      typeof itemUrl === "string" ? itemUrl : (itemUrl as { href?: unknown } | null)?.href;
    if (href !== url && !(URL.canParse(String(href)) && new URL(String(href)).href === url)) {
      continue;
    }
    return typeof blurhash === "string" &&
      /^[0-9A-Za-z#$%*+,\-.:;=?@[\]^_{|}~]{6,200}$/.test(blurhash)
      ? blurhash
      : null;
  }
  return null;
}

function httpHref(value: URL | Link | null | undefined): string | null {
  const url = value instanceof Link ? value.href : value;
  return url && isHttp(url) ? url.href : null;
}

function isHttp(url: URL): boolean {
  return url.protocol === "https:" || url.protocol === "http:";
}
