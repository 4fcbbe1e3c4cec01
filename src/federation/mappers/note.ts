import {
  Collection,
  Hashtag,
  LanguageString,
  Mention,
  Note,
  PUBLIC_COLLECTION,
  Source,
  Tombstone,
} from "@fedify/vocab";
import type { ActorRow } from "../../actors/actors-repository.ts";
import type { EncounterDetails } from "../../db/schema.ts";
import type { EncounterView } from "../../encounters/encounters-repository.ts";
import { escapeHtml, plainTextToHtml } from "../../shared/html.ts";
import type { LocalUrls } from "../../shared/local-urls.ts";
import { toInstant } from "./instant.ts";
import { TootDocument, TootNote } from "./toot-terms.ts";

/** The hashtag every encounter carries: it is how the fediverse finds them. */
export const SOCIALDAPRES_TAG = "Socialdapres";

export interface NoteContext {
  urls: LocalUrls;
  /** The author's language (`members.language`): labels of the details, and `contentMap`. */
  language: string;
  /**
   * How many replies anyone who reads the encounter may read (`SHOWN_REPLIES`): the
   * `totalItems` of its `replies` collection. Without it, the Note has no `replies`.
   */
  repliesCount?: number;
}

export interface Audience {
  to: URL[];
  cc: URL[];
}

/**
 * Who an encounter is addressed to, following Mastodon's visibilities. Every
 * participant with an account is in `to` or `cc` (and has a Mention tag):
 * Mastodon notifies a mentioned account only when both hold.
 */
export function encounterAudience(encounter: EncounterView, urls: LocalUrls): Audience {
  const followers = urls.followers(encounter.author.username);
  const participants = participantActors(encounter).map((actor) => new URL(actor.iri));
  switch (encounter.visibility) {
    case "public":
      return { to: [PUBLIC_COLLECTION], cc: [followers, ...participants] };
    case "unlisted":
      return { to: [followers], cc: [PUBLIC_COLLECTION, ...participants] };
    case "followers":
      return { to: [followers], cc: participants };
    case "participants":
      return { to: participants, cc: [] };
    case "private":
      // Never sent (encounter-delivery.ts stops first); addressed to nobody all the same.
      return { to: [], cc: [] };
  }
}

/** The participants who have a fediverse account, each once, in the order they were named. */
export function participantActors(encounter: EncounterView): ActorRow[] {
  const seen = new Set<string>();
  return encounter.participants.flatMap((p) => {
    if (!p.actor || seen.has(p.actor.iri)) return [];
    seen.add(p.actor.iri);
    return [p.actor];
  });
}

/**
 * An encounter written here as the `Note` we send and serve (a `Tombstone`
 * once deleted). Pure: the same encounter gives the same JSON.
 */
export function encounterToNote(encounter: EncounterView, ctx: NoteContext): Note | Tombstone {
  if (encounter.deletedAt) return encounterToTombstone(encounter);
  const { urls } = ctx;
  const { to, cc } = encounterAudience(encounter, urls);
  const content = encounterContentHtml(encounter, ctx);
  const keywords = withoutSocialdapres(encounter.keywords);
  const photo = encounter.photo;
  return new TootNote({
    id: new URL(encounter.iri),
    attribution: new URL(encounter.author.iri),
    url: encounter.url ? new URL(encounter.url) : null,
    published: toInstant(encounter.publishedAt),
    updated: encounter.updatedAt ? toInstant(encounter.updatedAt) : null,
    // The day of the encounter (the start of that day, UTC): what a Socialdapres reader shows.
    startTime: encounter.occurredOn
      ? toInstant(new Date(`${encounter.occurredOn}T00:00:00Z`))
      : null,
    tos: to,
    ccs: cc,
    sensitive: false,
    contents: [content, new LanguageString(content, ctx.language)],
    source: new Source({ content: encounter.text, mediaType: "text/plain" }),
    replies:
      ctx.repliesCount === undefined
        ? null
        : new Collection({
            id: urls.encounterReplies(encounter.author.username, encounter.id),
            totalItems: ctx.repliesCount,
          }),
    tags: [
      hashtag(urls, SOCIALDAPRES_TAG),
      ...keywords.map((keyword) => hashtag(urls, keyword)),
      ...participantActors(encounter).map(
        (actor) =>
          new Mention({ href: new URL(actor.iri), name: `@${actor.username}@${actor.host}` }),
      ),
    ],
    attachments: photo
      ? [
          TootDocument.of(
            {
              url: new URL(photo.url),
              mediaType: photo.mediaType,
              name: photo.alt || null,
              width: photo.width,
              height: photo.height,
            },
            photo.blurhash,
          ),
        ]
      : [],
  });
}

export function encounterToTombstone(encounter: EncounterView): Tombstone {
  return new Tombstone({
    id: new URL(encounter.iri),
    formerType: Note,
    deleted: encounter.deletedAt ? toInstant(encounter.deletedAt) : null,
  });
}

/** The page of a hashtag on this instance; lower case, as Mastodon links them. */
export function tagUrl(urls: LocalUrls, keyword: string): URL {
  return new URL(
    `/tags/${encodeURIComponent(keyword.normalize("NFC").toLowerCase())}`,
    urls.origin,
  );
}

function hashtag(urls: LocalUrls, keyword: string): Hashtag {
  return new Hashtag({ href: tagUrl(urls, keyword), name: `#${keyword}` });
}

function withoutSocialdapres(keywords: string[]): string[] {
  return keywords.filter((k) => k.toLowerCase() !== SOCIALDAPRES_TAG.toLowerCase());
}

const LABELS = {
  fr: {
    with: "Avec",
    and: "et",
    emotion: "Ce que j’ai ressenti",
    learned: "Ce que j’ai appris",
    lookingFor: "Cherche",
    canOffer: "Peut offrir",
    howTheyAre: "Comment ça va",
    colon: "&nbsp;: ",
  },
  en: {
    with: "With",
    and: "and",
    emotion: "How I felt",
    learned: "What I learned",
    lookingFor: "Looking for",
    canOffer: "Can offer",
    howTheyAre: "How they are doing",
    colon: ": ",
  },
} as const;

const DETAIL_ORDER: (keyof EncounterDetails)[] = [
  "emotion",
  "learned",
  "lookingFor",
  "canOffer",
  "howTheyAre",
];

/**
 * The text, then who was met (mention links, plain names as text), the
 * public details as labelled lines, and the hashtags: what Mastodon shows (the Note's
 * `content`, and the `content` of the Mastodon API's Status).
 */
export function encounterContentHtml(encounter: EncounterView, ctx: NoteContext): string {
  const labels = ctx.language.toLowerCase().startsWith("fr") ? LABELS.fr : LABELS.en;
  const parts = [plainTextToHtml(encounter.text)];

  const seen = new Set<string>();
  const people = encounter.participants.flatMap((p) => {
    if (!p.actor) return p.plainName ? [escapeHtml(p.plainName)] : [];
    if (seen.has(p.actor.iri)) return [];
    seen.add(p.actor.iri);
    return [mentionLink(p.actor)];
  });
  if (people.length > 0) parts.push(`<p>${labels.with} ${joinList(people, labels.and)}</p>`);

  const details = DETAIL_ORDER.flatMap((key) => {
    const value = encounter.details[key]?.trim();
    return value ? [`${labels[key]}${labels.colon}${escapeHtml(value)}`] : [];
  });
  if (details.length > 0) parts.push(`<p>${details.join("<br>")}</p>`);

  const tags = [SOCIALDAPRES_TAG, ...withoutSocialdapres(encounter.keywords)].map((keyword) => {
    const href = escapeHtml(tagUrl(ctx.urls, keyword).href);
    return `<a href="${href}" class="mention hashtag" rel="tag">#<span>${escapeHtml(keyword)}</span></a>`;
  });
  parts.push(`<p>${tags.join(" ")}</p>`);
  return parts.join("");
}

/** Mastodon's mention markup: its clients turn it into a link to the account. */
export function mentionLink(actor: ActorRow): string {
  const href = escapeHtml(actor.url ?? actor.iri);
  return `<span class="h-card" translate="no"><a href="${href}" class="u-url mention">@<span>${escapeHtml(actor.username)}</span></a></span>`;
}

function joinList(items: string[], and: string): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} ${and} ${items[items.length - 1]}`;
}
