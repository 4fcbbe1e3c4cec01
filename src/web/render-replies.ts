import type { ActorRow } from "../actors/actors-repository.ts";
import type { ReplyView } from "../encounters/replies-repository.ts";
import { bdiHtml, escapeHtml, replyContentHtml } from "../shared/html.ts";
import { type Language, translate, translateWithHtml } from "./i18n.ts";
import { actorName, formatInstant, personHtml, safeHttpUrl } from "./render-encounter.ts";

/**
 * A person's picture beside their name. It is decoration (the name follows), hence an empty
 * `alt`; only http(s) sources, loaded lazily and without telling the origin who reads what.
 */
export function avatarHtml(actor: ActorRow): string {
  const src = safeHttpUrl(actor.avatarUrl);
  if (!src) return "";
  return `<img class="u-photo reply-avatar" src="${escapeHtml(src)}" alt="" width="48" height="48" loading="lazy" decoding="async" referrerpolicy="no-referrer">`;
}

function replyHtml(
  reply: ReplyView,
  lang: Language,
  byIri: Map<string, ReplyView>,
  reportable: boolean,
): string {
  const parts = [
    `<p class="p-author h-card">${[avatarHtml(reply.author), personHtml(reply.author, "u-url p-name")].filter(Boolean).join(" ")}</p>`,
  ];
  // In a thread, which reply it answers (the encounter itself goes without saying).
  const answered = byIri.get(reply.inReplyToIri);
  if (answered) {
    const link = `<a class="u-in-reply-to" href="#reply-${answered.id}">${bdiHtml(actorName(answered.author))}</a>`;
    parts.push(`<p class="answering">${translateWithHtml(lang, "answering", "name", link)}</p>`);
  }
  parts.push(`<div class="e-content">${replyContentHtml(reply)}</div>`);
  const time = `<time class="dt-published" datetime="${reply.publishedAt.toISOString()}">${escapeHtml(formatInstant(lang, reply.publishedAt))}</time>`;
  const href = safeHttpUrl(reply.url) ?? safeHttpUrl(reply.iri);
  // A member reading may report it (src/web/report-pages.ts).
  const report = reportable
    ? ` · <a href="/report?reply=${reply.id}" rel="nofollow">${escapeHtml(translate(lang, "report"))}</a>`
    : "";
  parts.push(
    `<p class="meta">${href ? `<a class="u-url" href="${escapeHtml(href)}">${time}</a>` : time}${report}</p>`,
  );
  return `<li class="h-entry reply" id="reply-${reply.id}">\n${parts.join("\n")}\n</li>`;
}

/**
 * The replies under an encounter, oldest first, each an h-entry (a comment of the
 * encounter's h-entry in microformats terms); nothing when there are none.
 */
export function renderRepliesHtml(
  replies: ReplyView[],
  lang: Language,
  options: { reportable?: boolean } = {},
): string {
  if (replies.length === 0) return "";
  const byIri = new Map(replies.map((r) => [r.iri, r]));
  return `<section class="replies" id="replies">
<h2>${escapeHtml(translate(lang, "replies"))} (${replies.length})</h2>
<ol class="replies">
${replies.map((r) => replyHtml(r, lang, byIri, options.reportable === true)).join("\n")}
</ol>
</section>`;
}
