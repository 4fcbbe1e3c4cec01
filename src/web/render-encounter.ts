import type { ActorRow } from "../actors/actors-repository.ts";
import type { EncounterDetails } from "../db/schema.ts";
import type { EncounterView, ParticipantView } from "../encounters/encounters-repository.ts";
import { stripBidiControls } from "../shared/bidi.ts";
import { bdiHtml, escapeHtml, userTextHtml } from "../shared/html.ts";
import { dateTimeFormat } from "../shared/intl.ts";
import type { LocalUrls } from "../shared/local-urls.ts";
import { type Language, LOCALES, type MessageKey, translate, translateWithHtml } from "./i18n.ts";
import { remoteText } from "./remote-text.ts";

/** The URLs the renderer needs; a subset of LocalUrls so tests can pass their own. */
export type RenderUrls = Pick<LocalUrls, "origin" | "encounterPage">;

/**
 * Only http(s) URLs become links or image sources: a remote server could send
 * `javascript:` or `data:` URLs in an actor's `url` or a Note's `url`.
 */
export function safeHttpUrl(url: string | null | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

export const tagPath = (keyword: string) => `/tags/${encodeURIComponent(keyword)}`;

export const actorHandle = (actor: ActorRow) => `@${actor.username}@${actor.host}`;

export const actorName = (actor: ActorRow) => actor.name.trim() || actor.username;

/** A person's page: the profile of a member here, the `url` (or id) of a remote actor. */
export const actorHref = (actor: ActorRow) => safeHttpUrl(actor.url) ?? safeHttpUrl(actor.iri);

/** Where an encounter is read: our permalink for local ones, the original `url` for remote ones. */
export function encounterHref(view: EncounterView, urls: RenderUrls): string | undefined {
  if (view.isLocal) return urls.encounterPage(view.author.username, view.id).href;
  return safeHttpUrl(view.url) ?? safeHttpUrl(view.iri);
}

const DETAIL_LABELS: Array<[keyof EncounterDetails, MessageKey]> = [
  ["emotion", "detailEmotion"],
  ["learned", "detailLearned"],
  ["lookingFor", "detailLookingFor"],
  ["canOffer", "detailCanOffer"],
  ["howTheyAre", "detailHowTheyAre"],
];

const formatDay = (lang: Language, isoDate: string) =>
  dateTimeFormat(LOCALES[lang], { dateStyle: "long", timeZone: "UTC" }).format(
    new Date(`${isoDate}T00:00:00Z`),
  );

// The reader's time zone is unknown without JavaScript: say it is UTC.
export const formatInstant = (lang: Language, date: Date) =>
  `${dateTimeFormat(LOCALES[lang], { dateStyle: "long", timeStyle: "short", timeZone: "UTC" }).format(date)} UTC`;

/**
 * A name, linked when it can be, and the handle: each isolated, so neither a
 * bidi control nor a right-to-left name reorders the words around them.
 */
export function personHtml(actor: ActorRow, classes: string): string {
  const href = actorHref(actor);
  const name = actorName(actor);
  const person = href
    ? `<bdi><a class="${classes}" href="${escapeHtml(href)}">${userTextHtml(name)}</a></bdi>`
    : bdiHtml(name);
  // A handle is an address: read left to right whatever its letters.
  return `${person} <span class="handle" dir="ltr">${userTextHtml(actorHandle(actor))}</span>`;
}

function participantHtml(participant: ParticipantView): string {
  if (participant.actor) return personHtml(participant.actor, "u-category h-card");
  return bdiHtml(participant.plainName ?? "");
}

/** Hashtags, and mentions of the encounter's participants, in the author's plain text. */
const TOKEN =
  /(?<![\p{L}\p{M}\p{N}_@/])(?:#([\p{L}\p{M}\p{N}_]{1,50})|@(\w+(?:[.-]\w+)*)(?:@(\w+(?:[.-]\w+)*(?::\d+)?))?)/gu;

function linkedText(text: string, participants: ParticipantView[]): string {
  const mentioned = (username: string, host: string | undefined) =>
    participants.find(
      (p) =>
        p.actor &&
        p.actor.username.toLowerCase() === username.toLowerCase() &&
        (host ? p.actor.host.toLowerCase() === host.toLowerCase() : p.actor.memberId !== null),
    )?.actor;
  let html = "";
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    const [whole, tag, username, host] = match;
    let link: string | undefined;
    if (tag && !/^[\p{N}_]+$/u.test(tag)) {
      link = `<a class="p-category" rel="tag" href="${escapeHtml(tagPath(tag))}">#${escapeHtml(tag)}</a>`;
    } else if (username) {
      const actor = mentioned(username, host);
      const href = actor && actorHref(actor);
      if (href)
        link = `<a class="u-category h-card" href="${escapeHtml(href)}">${escapeHtml(whole)}</a>`;
    }
    if (!link) continue;
    html += escapeHtml(text.slice(last, match.index)) + link;
    last = match.index + whole.length;
  }
  return (html + escapeHtml(text.slice(last))).replace(/\n/g, "<br>");
}

/**
 * The text as HTML: the sanitized remote HTML as received, or our own rendering
 * of the plain text; without bidi controls either way (rows stored before the
 * sanitizer removed them included).
 */
function contentHtml(view: EncounterView): string {
  if (!view.isLocal && view.remoteContentHtml) return stripBidiControls(view.remoteContentHtml);
  return stripBidiControls(view.text)
    .split(/\n{2,}/)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => `<p>${linkedText(p, view.participants)}</p>`)
    .join("");
}

/**
 * The photo: our own files for local encounters; for remote ones, the thumbnail we made of
 * it (src/media/remote-media.ts), linked to the original. A remote photo we hold no copy of
 * is only a link: the reader's browser never loads anything from another server by itself.
 */
function photoHtml(view: EncounterView, lang: Language, urls: RenderUrls): string {
  const photo = view.photo;
  if (!photo) return "";
  const full = safeHttpUrl(photo.url);
  const ours = view.isLocal || (photo.thumbnailKey !== "" && isOurs(photo.thumbnailUrl, urls));
  const src = ours ? (safeHttpUrl(photo.thumbnailUrl) ?? safeHttpUrl(photo.url)) : undefined;
  if (!src) {
    if (!full) return "";
    const alt = photo.alt.trim() ? ` (${userTextHtml(photo.alt)})` : "";
    return `<p class="photo-link"><a href="${escapeHtml(full)}" rel="nofollow noopener noreferrer">${escapeHtml(translate(lang, "originalPhoto"))}</a>${alt}</p>`;
  }
  // width/height give the browser the aspect ratio before the image loads (no layout shift).
  const size =
    photo.width > 0 && photo.height > 0 ? ` width="${photo.width}" height="${photo.height}"` : "";
  const img = `<img class="u-photo" src="${escapeHtml(src)}" alt="${userTextHtml(photo.alt)}"${size} loading="lazy" decoding="async">`;
  const title = translate(lang, view.isLocal ? "fullImage" : "originalPhoto");
  const rel = view.isLocal ? "" : ` rel="nofollow noopener noreferrer"`;
  const linked = full
    ? `<a href="${escapeHtml(full)}"${rel} title="${escapeHtml(title)}">${img}</a>`
    : img;
  return `<figure>${linked}</figure>`;
}

function isOurs(url: string | null | undefined, urls: RenderUrls): boolean {
  return safeHttpUrl(url) !== undefined && new URL(url as string).origin === urls.origin.origin;
}

function detailsHtml(details: EncounterDetails, lang: Language): string {
  const rows = DETAIL_LABELS.flatMap(([field, label]) => {
    const value = details[field]?.trim();
    return value
      ? [`<dt>${escapeHtml(translate(lang, label))}</dt><dd>${userTextHtml(value)}</dd>`]
      : [];
  });
  return rows.length > 0 ? `<dl>${rows.join("")}</dl>` : "";
}

/**
 * One encounter as an h-entry. Everything is escaped text except
 * `remoteContentHtml`, which was sanitized when it was received.
 */
export function renderEncounterHtml(view: EncounterView, lang: Language, urls: RenderUrls): string {
  const t = (key: MessageKey) => escapeHtml(translate(lang, key));
  const parts: string[] = [];
  parts.push(`<p class="p-author h-card">${personHtml(view.author, "u-url p-name")}</p>`);
  const body: string[] = [`<div class="e-content">${contentHtml(view)}</div>`];

  // A remote post's text already names people and carries hashtags (a Socialdapres Note
  // says "Avec …" and lists them): add only who and what it does not show (remote-text.ts).
  const remote = remoteText(view);
  const named = view.participants.filter(
    (p) => (p.actor || p.plainName) && !remote?.names(p.actor, p.plainName),
  );
  if (named.length > 0) {
    body.push(`<p class="with">${t("with")} ${named.map(participantHtml).join(", ")}</p>`);
  }
  const keywords = view.keywords.filter((k) => !remote?.tags(k));
  if (keywords.length > 0) {
    // "#" outside the isolate: it stays before the word, as Mastodon shows it.
    const tags = keywords.map(
      (k) => `<a class="p-category" rel="tag" href="${escapeHtml(tagPath(k))}">#${bdiHtml(k)}</a>`,
    );
    body.push(`<p class="tags">${tags.join(" ")}</p>`);
  }
  body.push(detailsHtml(view.details ?? {}, lang));
  body.push(photoHtml(view, lang, urls));
  parts.push(collapsed(view, lang, body.filter(Boolean).join("\n")));

  const cosigners = view.participants.flatMap((p) =>
    p.cosignState === "cosigned" && p.actor ? [personHtml(p.actor, "h-card")] : [],
  );
  if (cosigners.length > 0) {
    parts.push(`<p class="cosigned">${t("cosignedBy")} ${cosigners.join(", ")}</p>`);
  }

  const meta: string[] = [];
  if (view.occurredOn) {
    const day = `<time datetime="${escapeHtml(view.occurredOn)}">${escapeHtml(formatDay(lang, view.occurredOn))}</time>`;
    meta.push(translateWithHtml(lang, "metOn", "date", day));
  }
  const published = `<time class="dt-published" datetime="${view.publishedAt.toISOString()}">${escapeHtml(formatInstant(lang, view.publishedAt))}</time>`;
  const href = encounterHref(view, urls);
  const publishedText = translateWithHtml(lang, "publishedOn", "date", published);
  meta.push(
    href ? `<a class="u-url" href="${escapeHtml(href)}">${publishedText}</a>` : publishedText,
  );
  if (!view.isLocal && href) meta.push(`<a href="${escapeHtml(href)}">${t("remoteOrigin")}</a>`);
  parts.push(`<p class="meta">${meta.join(" · ")}</p>`);
  parts.push(
    `<p class="reactions counts"><span><strong>${view.likesCount}</strong> ${t("likes")}</span> <span><strong>${view.announcesCount}</strong> ${t("boosts")}</span></p>`,
  );
  return `<article class="h-entry">\n${parts.filter(Boolean).join("\n")}\n</article>`;
}

/**
 * Behind its content warning (or "sensitive content"), closed: the reader opens it. The
 * warning is the author's plain text.
 */
function collapsed(view: EncounterView, lang: Language, html: string): string {
  const warning = view.contentWarning?.trim();
  if (!warning && !view.sensitive) return html;
  const label = warning ? userTextHtml(warning) : escapeHtml(translate(lang, "sensitiveContent"));
  return `<details class="content-warning"><summary class="p-summary">${label}</summary>\n${html}\n</details>`;
}

/** A page of encounters, with a link to the older ones when there are more. */
export function renderEncounterList(
  views: EncounterView[],
  lang: Language,
  urls: RenderUrls,
  olderHref: string | undefined,
): string {
  if (views.length === 0) return `<p>${escapeHtml(translate(lang, "noEncounters"))}</p>`;
  const older = olderHref
    ? `\n<nav><a rel="next" href="${escapeHtml(olderHref)}">${escapeHtml(translate(lang, "older"))} →</a></nav>`
    : "";
  return `<div class="h-feed">\n${views.map((v) => renderEncounterHtml(v, lang, urls)).join("\n")}\n</div>${older}`;
}
