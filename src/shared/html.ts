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
