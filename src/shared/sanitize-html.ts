import sanitize from "sanitize-html";
import { stripBidiControls } from "./bidi.ts";

/**
 * HTML received from other servers (a remote Note's `content`) is shown on our
 * pages, so it goes through an allowlist: the subset Mastodon itself keeps
 * (paragraphs, line breaks, links, mention/hashtag markup, simple emphasis,
 * lists, quotes, code), nothing that runs, loads or styles anything.
 *
 * Links get `rel="nofollow noopener noreferrer"`: nofollow because we do not
 * vouch for what strangers link to (link spam), noreferrer so following a link
 * does not tell the other site who reads what here, noopener so a page opened
 * from ours can never script it. No `target="_blank"` is forced and any sent
 * `target` is dropped: where a link opens is the reader's choice (a new tab
 * out of nowhere is an accessibility problem, WCAG G201), and our pages do not
 * lose state when a reader follows a link.
 *
 * Bidi embeddings, overrides and isolates are taken out of the text (see
 * bidi.ts): an unclosed override would reverse what follows it on our pages.
 */

/** Input beyond this is cut before parsing, so a hostile peer buys bounded work and storage. */
export const MAX_REMOTE_HTML_LENGTH = 100_000;

const LINK_REL = "nofollow noopener noreferrer";

const OPTIONS: sanitize.IOptions = {
  allowedTags: [
    "p",
    "br",
    "a",
    "span",
    "strong",
    "em",
    "b",
    "i",
    "u",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
  ],
  allowedAttributes: { a: ["href", "rel"] },
  // Microformats Mastodon's own styles and clients rely on; any other class is dropped.
  allowedClasses: {
    a: ["mention", "hashtag", "h-card", "u-url"],
    span: ["h-card", "invisible", "ellipsis"],
  },
  allowedSchemes: ["http", "https"],
  allowedSchemesAppliedToAttributes: ["href"],
  allowProtocolRelative: false,
  // Their text is code or markup, not words: drop it with the tag.
  nonTextTags: [
    "script",
    "style",
    "textarea",
    "option",
    "select",
    "noscript",
    "iframe",
    "object",
    "embed",
    "template",
    "title",
    "head",
    "svg",
    "math",
  ],
  disallowedTagsMode: "discard",
  // A fragment, not a document: text after a stray </html> is still content.
  enforceHtmlBoundary: false,
  nestingLimit: 50,
  // Text nodes arrive with their entities decoded: "&#x202E;" is the character here.
  textFilter: stripBidiControls,
  transformTags: {
    a: (tagName, attribs) => {
      const href = absoluteHttpUrl(attribs.href);
      const rel = attribs.rel?.split(/\s+/).includes("tag") ? `${LINK_REL} tag` : LINK_REL;
      const kept: sanitize.Attributes = { rel };
      if (href) kept.href = href;
      if (attribs.class) kept.class = attribs.class;
      return { tagName, attribs: kept };
    },
  },
};

/** Sanitized HTML, safe to insert in our pages as is. */
export function sanitizeRemoteHtml(html: string): string {
  return sanitize(bounded(html), OPTIONS).trim();
}

/**
 * The words of an HTML fragment, with paragraphs and line breaks as newlines:
 * what we search, count and show where HTML cannot go.
 */
export function htmlToPlainText(html: string): string {
  const withBreaks = bounded(html)
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<\/(p|li|blockquote|pre)\s*>/gi, "\n\n");
  const text = sanitize(withBreaks, {
    allowedTags: [],
    allowedAttributes: {},
    nonTextTags: OPTIONS.nonTextTags,
    enforceHtmlBoundary: false,
    textFilter: stripBidiControls,
  });
  return decodeBasicEntities(text)
    .replace(/[ \t]+\n/g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

function bounded(html: string): string {
  return html.length > MAX_REMOTE_HTML_LENGTH ? html.slice(0, MAX_REMOTE_HTML_LENGTH) : html;
}

/** Only absolute http(s) URLs: a relative one would point into our own site. */
function absoluteHttpUrl(value: string | undefined): string | undefined {
  if (!value || !URL.canParse(value)) return undefined;
  const url = new URL(value);
  return url.protocol === "http:" || url.protocol === "https:" ? url.href : undefined;
}

// sanitize-html decodes every entity while parsing and re-escapes only these.
const ENTITIES: Record<string, string> = {
  "&amp;": "&",
  "&lt;": "<",
  "&gt;": ">",
  "&quot;": '"',
  "&#39;": "'",
};

function decodeBasicEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (entity) => ENTITIES[entity] as string);
}
