import { stripBidiControls } from "./bidi.ts";

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

/** Plain text with line breaks as the HTML paragraphs Mastodon shows in a bio. */
export function plainTextToHtml(text: string): string {
  const paragraphs = text
    .split(/\n{2,}/)
    .map((p) => p.trim())
    .filter(Boolean);
  return paragraphs.map((p) => `<p>${escapeHtml(p).replace(/\n/g, "<br>")}</p>`).join("");
}

/** What someone wrote, as HTML text: escaped, without bidi controls (see bidi.ts). */
export function userTextHtml(text: string): string {
  return escapeHtml(stripBidiControls(text));
}

/**
 * What someone wrote, inline among our words (a name, a keyword): also in a
 * `<bdi>`, so its direction cannot reorder what sits around it.
 */
export function bdiHtml(text: string): string {
  return `<bdi>${userTextHtml(text)}</bdi>`;
}

/** http(s) URLs in plain text; trailing punctuation is the sentence's, not the URL's. */
const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"'`]+/giu;
const TRAILING_CHAR = /^[.,;:!?…»"')\]]$/u;

/** One URL as a link showing it without its scheme; `rel` says we do not vouch for it. */
function linkHtml(url: string, rel: string): string {
  const shown = url.replace(/^https?:\/\//i, "");
  return `<a href="${escapeHtml(url)}" rel="${rel}">${escapeHtml(shown)}</a>`;
}

/** The URL at `text` itself (trimmed), if it is one `http(s)` URL and nothing else. */
export function wholeHttpUrl(text: string): string | undefined {
  const trimmed = text.trim();
  if (!/^https?:\/\/\S+$/i.test(trimmed)) return undefined;
  const parsed = URL.parse(trimmed);
  return parsed && (parsed.protocol === "https:" || parsed.protocol === "http:")
    ? trimmed
    : undefined;
}

/** Escaped text in which every http(s) URL is a link. */
function linkifiedHtml(text: string, rel: string): string {
  let html = "";
  let last = 0;
  for (const match of text.matchAll(URL_IN_TEXT)) {
    // Trailing punctuation ends the sentence, except a ")" that closes a "(" of the URL.
    let url = match[0];
    while (TRAILING_CHAR.test(url.at(-1) ?? "")) {
      const count = (c: string) => url.split(c).length - 1;
      if (url.endsWith(")") && count("(") >= count(")")) break;
      url = url.slice(0, -1);
    }
    const start = match.index;
    if (!URL.canParse(url)) continue;
    html += escapeHtml(text.slice(last, start)) + linkHtml(url, rel);
    last = start + url.length;
  }
  return html + escapeHtml(text.slice(last));
}

/**
 * A bio as the HTML Mastodon shows: paragraphs, `<br>` for line breaks, everything escaped,
 * and each http(s) URL a link.
 */
export function profileTextToHtml(text: string): string {
  return text
    .split(/\n{2,}/)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => `<p>${linkifiedHtml(p, "nofollow noopener noreferrer").replace(/\n/g, "<br>")}</p>`)
    .join("");
}

/**
 * A profile field's value as HTML: escaped text, or a link when the value is a URL (with
 * `rel="me"`, which is how Mastodon verifies that the page links back to the profile).
 */
export function profileFieldValueHtml(value: string): string {
  const url = wholeHttpUrl(value);
  return url ? linkHtml(url, "me nofollow noopener noreferrer") : escapeHtml(value);
}

/**
 * A reply's words as HTML safe to show: the HTML another server sent (sanitized when it
 * was received), or our rendering of the plain text written here; without bidi controls.
 */
export function replyContentHtml(reply: {
  isLocal: boolean;
  remoteContentHtml: string | null;
  text: string;
}): string {
  if (!reply.isLocal && reply.remoteContentHtml) return stripBidiControls(reply.remoteContentHtml);
  return plainTextToHtml(stripBidiControls(reply.text));
}
