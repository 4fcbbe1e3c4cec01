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

export const SOCIALDAPRES_TAG = "socialdapres";

export interface RemoteNoteOptions {
  /**
   * The Note's JSON as received. Fedify's vocabulary has no `blurhash`
   * (a Mastodon extension), so it is read from here when given.
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
  for await (const tag of note.getTags(loaders)) {
    if (tag instanceof Hashtag) {
      // NFC: the same word typed on two keyboards is one keyword.
      const name = tag.name?.toString().trim().replace(/^#/, "").normalize("NFC") ?? "";
      if (isSocialdapres(name, tag.href)) hasSocialdapresTag = true;
      else if (/^[\p{L}\p{M}\p{N}_]{1,50}$/u.test(name) && !sameKeyword(keywords, name)) {
        keywords.push(name);
      }
    } else if (tag instanceof Mention && tag.href && isHttp(tag.href)) {
      mentions.push({ iri: tag.href.href, name: tag.name?.toString().slice(0, 300) ?? "" });
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
  };
}

/**
 * `#Socialdapres` by name or by a `/tags/socialdapres` link, ignoring case and
 * accents (`#Socialdaprès` is the movement's own spelling; Mastodon folds
 * accents when it matches hashtags, so do we).
 */
export function isSocialdapres(name: string, href?: URL | null): boolean {
  if (fold(name.replace(/^#/, "")) === SOCIALDAPRES_TAG) return true;
  const last = href?.pathname.replace(/\/+$/, "").split("/");
  return (
    last !== undefined &&
    last.at(-2)?.toLowerCase() === "tags" &&
    fold(safeDecode(last.at(-1) ?? "")) === SOCIALDAPRES_TAG
  );
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
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
function visibilityOf(note: Note): Exclude<Visibility, "private"> {
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
