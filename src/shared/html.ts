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
