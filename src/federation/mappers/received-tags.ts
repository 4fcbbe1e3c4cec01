import sanitize from "sanitize-html";
import { MAX_REMOTE_HTML_LENGTH } from "../../shared/sanitize-html.ts";

/**
 * Hashtags of a received Note, read from what the sender wrote rather than from the
 * JSON-LD graph. Many servers send `{"type": "Hashtag", …}` under the bare ActivityStreams
 * context, which does not define `Hashtag`: JSON-LD processing then drops the tag silently,
 * and Fedify's `getTags()` returns only the Mentions. So the tags are read three ways, and
 * their union kept: Fedify's parsed tags, the `tag` array of the JSON as received, and the
 * `rel="tag"` links of `content`. Pure: nothing is fetched.
 *
 * Whatever a sender puts there is bounded here: at most `MAX_TAG_ENTRIES` entries are looked
 * at, each name or href at most a few hundred characters, anything not a string skipped.
 */

export interface ReceivedHashtag {
  /** Without the leading `#`, NFC-normalised; may be empty when only `href` was given. */
  name: string;
  /** As sent; any shape (`/tags/x`, `?t=x`, `/tag/x`, …). */
  href: string | null;
}

/** More than any real post carries; a hostile one gets the first ones looked at, no more. */
export const MAX_TAG_ENTRIES = 200;
const MAX_NAME = 300;
const MAX_HREF = 2048;

const HASHTAG_TYPES = new Set([
  "Hashtag",
  "as:Hashtag",
  "https://www.w3.org/ns/activitystreams#Hashtag",
  "toot:Hashtag",
  "http://joinmastodon.org/ns#Hashtag",
]);

/**
 * The embedded Note of a received activity, as sent, when its `id` is `noteId`: only
 * the very object being handled is read (an activity can embed anything in `object`).
 */
export function embeddedObjectJson(
  activityJson: unknown,
  noteId: string,
): Record<string, unknown> | undefined {
  if (!isRecord(activityJson)) return undefined;
  if (activityJson.id === noteId && activityJson.type !== undefined) return activityJson;
  const object = Array.isArray(activityJson.object) ? activityJson.object[0] : activityJson.object;
  return isRecord(object) && object.id === noteId ? object : undefined;
}

/** The `Hashtag` entries of a Note's `tag` as sent: an array or a single object. */
export function hashtagsFromJson(noteJson: unknown): ReceivedHashtag[] {
  if (!isRecord(noteJson)) return [];
  const tag = noteJson.tag;
  const entries = Array.isArray(tag) ? tag.slice(0, MAX_TAG_ENTRIES) : [tag];
  const found: ReceivedHashtag[] = [];
  for (const entry of entries) {
    if (!isRecord(entry) || !isHashtagType(entry.type)) continue;
    const name = typeof entry.name === "string" ? cleanName(entry.name) : "";
    const href = hrefOf(entry.href);
    if (name || href) found.push({ name, href });
  }
  return found;
}

/**
 * Hashtag links of a Note's HTML: `<a rel="tag">` (or `class="hashtag"`) whose text is a
 * `#word`, as Mastodon, Pleroma, GoToSocial and small servers write them.
 */
export function hashtagsFromContent(html: string): ReceivedHashtag[] {
  const found: ReceivedHashtag[] = [];
  if (!html.includes("<a") && !html.includes("<A")) return found;
  sanitize(html.slice(0, MAX_REMOTE_HTML_LENGTH), {
    allowedTags: ["a"],
    allowedAttributes: { a: ["href", "rel", "class"] },
    allowedClasses: { a: false },
    exclusiveFilter(frame) {
      if (frame.tag !== "a" || found.length >= MAX_TAG_ENTRIES) return false;
      const words = (value: string | undefined) => (value ?? "").toLowerCase().split(/\s+/);
      const isTagLink =
        words(frame.attribs.rel).includes("tag") || words(frame.attribs.class).includes("hashtag");
      const text = frame.text.trim();
      if (isTagLink && text.startsWith("#")) {
        const name = cleanName(text);
        if (name) found.push({ name, href: hrefOf(frame.attribs.href) });
      }
      return false;
    },
  });
  return found;
}

/**
 * The word a hashtag link points at, whatever the server's URL shape: the last path
 * segment of `/tags/x`, `/tag/x`, `/t/x`, or the value of a `?t=x`, `?tag=x`, `?q=x` query.
 */
export function tagNameFromHref(href: string | null | undefined): string | undefined {
  const url = href ? URL.parse(href) : null;
  if (!url) return undefined;
  for (const key of ["t", "tag", "tags", "hashtag", "q", "name"]) {
    const value = url.searchParams.get(key);
    if (value) return cleanName(value) || undefined;
  }
  const segments = url.pathname.split("/").filter(Boolean);
  const last = segments.at(-1);
  const before = segments.at(-2)?.toLowerCase();
  if (!last || !before || !["tags", "tag", "t", "hashtag", "hashtags"].includes(before)) {
    return undefined;
  }
  return cleanName(safeDecode(last)) || undefined;
}

function isHashtagType(type: unknown): boolean {
  if (typeof type === "string") return HASHTAG_TYPES.has(type);
  return Array.isArray(type) && type.slice(0, 10).some((t) => HASHTAG_TYPES.has(t));
}

function hrefOf(value: unknown): string | null {
  const href = isRecord(value) ? value.href : value;
  return typeof href === "string" && href.length <= MAX_HREF && URL.canParse(href) ? href : null;
}

function cleanName(name: string): string {
  return name.slice(0, MAX_NAME).trim().replace(/^#/, "").trim().normalize("NFC");
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
