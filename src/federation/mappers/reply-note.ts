import { LanguageString, Mention, Note, PUBLIC_COLLECTION, Source, Tombstone } from "@fedify/vocab";
import type { ActorRow } from "../../actors/actors-repository.ts";
import type { ReplyView } from "../../encounters/replies-repository.ts";
import { plainTextToHtml } from "../../shared/html.ts";
import type { LocalUrls } from "../../shared/local-urls.ts";
import { toInstant } from "./instant.ts";
import { type Audience, mentionLink } from "./note.ts";
import { ReplyNote } from "./toot-terms.ts";

export interface ReplyNoteContext {
  urls: LocalUrls;
  /** The replier's language, for `contentMap`. */
  language: string;
  /** The actors the reply addresses (`reply.mentions`), as far as we know them, in that order. */
  addressed: ActorRow[];
}

/**
 * Who a member's reply is addressed to, following Mastodon's visibilities for a reply:
 * whom it addresses (the encounter's author first) are always in `to` or `cc`, each with a
 * Mention tag, so Mastodon notifies them; the replier's followers for anything but a
 * participants-only reply.
 */
export function replyAudience(reply: ReplyView, urls: LocalUrls): Audience {
  const followers = urls.followers(reply.author.username);
  const addressed = reply.mentions.map((iri) => new URL(iri));
  switch (reply.visibility) {
    case "public":
      return { to: [PUBLIC_COLLECTION], cc: [followers, ...addressed] };
    case "unlisted":
      return { to: [followers], cc: [PUBLIC_COLLECTION, ...addressed] };
    case "followers":
      return { to: [followers], cc: addressed };
    case "participants":
      return { to: addressed, cc: [] };
    case "private":
      return { to: [], cc: [] };
  }
}

/**
 * A reply written here as the `Note` we send and serve (a `Tombstone` once deleted):
 * `inReplyTo` what it answers, and the text after the mentions of whom it addresses, as
 * Mastodon writes a reply. Pure.
 */
export function replyToNote(reply: ReplyView, ctx: ReplyNoteContext): Note | Tombstone {
  if (reply.deletedAt) return replyToTombstone(reply);
  const { to, cc } = replyAudience(reply, ctx.urls);
  const content = replyContent(reply.text, ctx.addressed);
  return new ReplyNote({
    id: new URL(reply.iri),
    attribution: new URL(reply.author.iri),
    replyTarget: new URL(reply.inReplyToIri),
    url: reply.url ? new URL(reply.url) : null,
    published: toInstant(reply.publishedAt),
    updated: reply.updatedAt ? toInstant(reply.updatedAt) : null,
    tos: to,
    ccs: cc,
    sensitive: false,
    contents: [content, new LanguageString(content, ctx.language)],
    source: new Source({ content: reply.text, mediaType: "text/plain" }),
    tags: ctx.addressed.map(
      (actor) =>
        new Mention({ href: new URL(actor.iri), name: `@${actor.username}@${actor.host}` }),
    ),
  });
}

export function replyToTombstone(reply: ReplyView): Tombstone {
  return new Tombstone({
    id: new URL(reply.iri),
    formerType: Note,
    deleted: reply.deletedAt ? toInstant(reply.deletedAt) : null,
  });
}

/** The mentions first, in the first paragraph, then the words. */
function replyContent(text: string, addressed: ActorRow[]): string {
  const html = plainTextToHtml(text);
  if (addressed.length === 0) return html;
  const mentions = addressed.map(mentionLink).join(" ");
  return html.startsWith("<p>") ? `<p>${mentions} ${html.slice(3)}` : `<p>${mentions}</p>${html}`;
}
