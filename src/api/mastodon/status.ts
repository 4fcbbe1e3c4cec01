import type { EncounterPhoto } from "../../db/schema.ts";
import type { EncounterView } from "../../encounters/encounters-repository.ts";
import type { ReplyView } from "../../encounters/replies-repository.ts";
import { participantActors, SOCIALDAPRES_TAG, tagUrl } from "../../federation/mappers/note.ts";
import { escapeHtml, plainTextToHtml, replyContentHtml } from "../../shared/html.ts";
import type { LocalUrls } from "../../shared/local-urls.ts";
import type { AccountEntity } from "./account.ts";
import { mastodonDate } from "./dates.ts";
import { TO_MASTODON } from "./visibility.ts";

/** What the viewer did with a status: Mastodon's per-viewer flags. */
export interface ViewerState {
  favourited: boolean;
  reblogged: boolean;
}

export const NOT_SEEN: ViewerState = { favourited: false, reblogged: false };

export interface StatusParts {
  /** The author's Account entity. */
  account: AccountEntity;
  /** The content as HTML, safe to show (ours rendered, remote sanitized on arrival). */
  contentHtml: string;
  viewer: ViewerState;
  /** The author's language when known (a member's), else null. */
  language: string | null;
  repliesCount: number;
  /** The participants' accounts, for `mentions` (id, username, acct, url). */
  mentioned: Pick<AccountEntity, "id" | "username" | "acct" | "url">[];
  urls: LocalUrls;
}

/**
 * An encounter as Mastodon's Status entity (https://docs.joinmastodon.org/entities/Status/):
 * its participants are the mentions, its keywords (and #Socialdapres) the tags, its photo the
 * one media attachment. Every field is picked by name from the public encounter: the private
 * tracker fields are not even in the view this reads.
 */
export function encounterStatus(view: EncounterView, parts: StatusParts) {
  const keywords = [
    SOCIALDAPRES_TAG,
    ...view.keywords.filter((k) => k.toLowerCase() !== SOCIALDAPRES_TAG.toLowerCase()),
  ];
  return {
    ...statusBase(parts),
    id: view.id,
    created_at: mastodonDate(view.publishedAt),
    edited_at: view.updatedAt ? mastodonDate(view.updatedAt) : null,
    in_reply_to_id: null,
    in_reply_to_account_id: null,
    sensitive: view.sensitive || view.contentWarning !== null,
    spoiler_text: view.contentWarning ?? "",
    visibility: TO_MASTODON[view.visibility],
    uri: view.iri,
    url: view.url ?? view.iri,
    replies_count: parts.repliesCount,
    reblogs_count: view.announcesCount + cosignCount(view),
    favourites_count: view.likesCount,
    content: parts.contentHtml,
    text: view.isLocal ? view.text : null,
    media_attachments: view.photo ? [photoAttachment(view.id, view.photo)] : [],
    mentions: mentionsOf(view, parts),
    tags: keywords.map((name) => ({ name, url: tagUrl(parts.urls, name).href })),
  };
}

/** A reply under an encounter, as a Status answering it (or the reply it answers). */
export function replyStatus(
  reply: ReplyView,
  parts: StatusParts & { inReplyTo: { id: string; accountId: string } },
) {
  return {
    ...statusBase(parts),
    id: reply.id,
    created_at: mastodonDate(reply.publishedAt),
    edited_at: reply.updatedAt ? mastodonDate(reply.updatedAt) : null,
    in_reply_to_id: parts.inReplyTo.id,
    in_reply_to_account_id: parts.inReplyTo.accountId,
    sensitive: false,
    spoiler_text: "",
    visibility: TO_MASTODON[reply.visibility],
    uri: reply.iri,
    url: reply.url ?? reply.iri,
    replies_count: parts.repliesCount,
    reblogs_count: 0,
    favourites_count: 0,
    content: replyContentHtml(reply),
    text: reply.isLocal ? reply.text : null,
    media_attachments: [],
    mentions: parts.mentioned.map(mentionOf),
    tags: [],
  };
}

export type StatusEntity = ReturnType<typeof encounterStatus> | ReturnType<typeof replyStatus>;

/**
 * A co-sign as Mastodon shows a boost: a status of the co-signer's whose `reblog` is the
 * encounter. Its id is the co-signer's participation.
 */
export function reblogStatus(id: string, at: Date, account: AccountEntity, original: StatusEntity) {
  return {
    ...original,
    id,
    created_at: mastodonDate(at),
    edited_at: null,
    in_reply_to_id: null,
    in_reply_to_account_id: null,
    account,
    content: "",
    text: null,
    media_attachments: [],
    mentions: [],
    tags: [],
    replies_count: 0,
    reblogs_count: 0,
    favourites_count: 0,
    reblog: original,
  };
}

function statusBase(parts: Pick<StatusParts, "account" | "viewer" | "language">) {
  return {
    language: parts.language,
    favourited: parts.viewer.favourited,
    reblogged: parts.viewer.reblogged,
    muted: false,
    bookmarked: false,
    pinned: false,
    quotes_count: 0,
    reblog: null,
    quote: null,
    // Quoting is not part of Socialdapres.
    quote_approval: { automatic: [], manual: [], current_user: "denied" },
    application: null,
    account: parts.account,
    emojis: [],
    card: null,
    poll: null,
    filtered: [],
  };
}

/** Co-signing is boosting: the participants' co-signs count with the others' boosts. */
function cosignCount(view: EncounterView): number {
  return view.participants.filter((p) => p.cosignState === "cosigned").length;
}

function mentionsOf(view: EncounterView, parts: StatusParts) {
  const ids = new Set(participantActors(view).map((a) => a.id));
  return parts.mentioned.filter((m) => ids.has(m.id)).map(mentionOf);
}

const mentionOf = (m: Pick<AccountEntity, "id" | "username" | "acct" | "url">) => ({
  id: m.id,
  username: m.username,
  acct: m.acct,
  url: m.url,
});

/** An encounter's photo as a MediaAttachment; its description is the alt text. */
export function photoAttachment(id: string, photo: EncounterPhoto) {
  return {
    id,
    type: "image" as const,
    url: photo.url,
    preview_url: photo.thumbnailUrl,
    remote_url: null,
    preview_remote_url: null,
    text_url: null,
    meta: {
      original: {
        width: photo.width,
        height: photo.height,
        size: `${photo.width}x${photo.height}`,
        aspect: photo.height > 0 ? photo.width / photo.height : 1,
      },
    },
    description: photo.alt || null,
    blurhash: photo.blurhash,
  };
}

/**
 * The weekly question, as the direct message an app shows: from the instance to the member,
 * answered by replying « oui 2 » or « non ». Its id is the notification's.
 */
export function weeklyQuestionStatus(
  id: string,
  at: Date,
  parts: {
    instance: AccountEntity;
    member: AccountEntity;
    text: string;
    formUrl: string;
    language: string;
  },
) {
  const mention = `<span class="h-card"><a href="${escapeHtml(parts.member.url)}" class="u-url mention">@<span>${escapeHtml(parts.member.username)}</span></a></span>`;
  return {
    ...statusBase({ account: parts.instance, viewer: NOT_SEEN, language: parts.language }),
    id,
    created_at: mastodonDate(at),
    edited_at: null,
    in_reply_to_id: null,
    in_reply_to_account_id: null,
    sensitive: false,
    spoiler_text: "",
    visibility: "direct" as const,
    uri: parts.formUrl,
    url: parts.formUrl,
    replies_count: 0,
    reblogs_count: 0,
    favourites_count: 0,
    content: `<p>${mention} ${escapeHtml(parts.text)}</p><p><a href="${escapeHtml(parts.formUrl)}">${escapeHtml(parts.formUrl)}</a></p>`,
    text: null,
    media_attachments: [],
    mentions: [mentionOf(parts.member)],
    tags: [],
  };
}

/** What the member typed under the weekly question, shown back as their reply. */
export function weeklyAnswerStatus(
  id: string,
  at: Date,
  parts: { member: AccountEntity; text: string; questionId: string; language: string },
) {
  return {
    ...weeklyQuestionStatus(id, at, {
      instance: parts.member,
      member: parts.member,
      text: "",
      formUrl: "",
      language: parts.language,
    }),
    in_reply_to_id: parts.questionId,
    in_reply_to_account_id: "instance",
    uri: "",
    url: null,
    content: plainTextToHtml(parts.text),
    text: parts.text,
    mentions: [],
  };
}
