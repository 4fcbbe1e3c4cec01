import type { Context } from "@fedify/fedify";
import {
  Accept,
  type Actor,
  Create,
  type Follow,
  LanguageString,
  Mention,
  Note,
} from "@fedify/vocab";
import type { ActorsRepository } from "../actors/actors-repository.ts";
import type { DirectMessagesRepository } from "../exposure/direct-messages-repository.ts";
import type { DirectMessage, DirectMessenger } from "../exposure/weekly-question-types.ts";
import { escapeHtml } from "../shared/html.ts";
import { INSTANCE_ACTOR_IDENTIFIER, type LocalUrls, localUrls } from "../shared/local-urls.ts";
import type { AppFederation } from "./app-federation.ts";
import { toInstant } from "./mappers/instant.ts";
import { DirectNote } from "./mappers/toot-terms.ts";

/** Where the instance actor's direct messages live; each is served to its addressee only. */
export const DIRECT_MESSAGE_PATH = "/activities/{kind}/{id}";

/** A mention as Mastodon writes one: an h-card link to the profile. */
export const mentionHtml = (handle: string, profile: string) =>
  `<span class="h-card"><a href="${escapeHtml(profile)}" class="u-url mention">@<span>${escapeHtml(handle.replace(/^@/, ""))}</span></a></span>`;

/**
 * Direct messages from the instance actor (the weekly question, the link request, the
 * answers): a signed `Create(Note)` addressed to one actor only — no as:Public, no
 * followers — with a Mention of it, as Mastodon shows a direct message, and `inReplyTo`
 * the member's own Note when there is one, so the conversation is a thread the member
 * started (what Mastodon's notification policy lets through; docs/EXPOSURE.md). The Note
 * is kept as sent and served at its id to its addressee; its `url` is the page of this
 * instance the message is about. Sent to that actor's own inbox, through the queue.
 */
export function createWeeklyQuestionDelivery(deps: {
  federation: AppFederation;
  urls: LocalUrls;
  actors: ActorsRepository;
  messages: DirectMessagesRepository;
}): DirectMessenger {
  const { federation, urls, actors, messages } = deps;
  return {
    async send(message: DirectMessage) {
      const row = await actors.findByIri(message.toActorIri);
      if (!row) throw new Error(`no actor ${message.toActorIri} to send a direct message to`);
      const to = new URL(row.iri);
      const handle = `@${row.username}@${row.host}`;
      const sender = urls.actor(INSTANCE_ACTOR_IDENTIFIER);
      const published = toInstant(new Date());
      const html = directMessageHtml(message, { handle, profile: row.url ?? row.iri }, urls);
      const tags = [
        new Mention({ href: to, name: handle }),
        ...(message.mentions ?? []).map(
          (m) => new Mention({ href: urls.actor(m.username), name: m.handle }),
        ),
      ];
      const note = new Note({
        id: new URL(message.noteIri),
        attribution: sender,
        to,
        tags,
        contents: [html, new LanguageString(html, message.language)],
        url: new URL(message.link.href),
        replyTarget: message.inReplyTo ? new URL(message.inReplyTo) : null,
        published,
      });
      const create = new Create({
        id: new URL(`${message.noteIri}/activity`),
        actor: sender,
        to,
        object: note,
        published,
      });
      const ctx = federation.createContext(urls.origin, undefined);
      await messages.save({
        iri: message.noteIri,
        memberId: message.memberId,
        recipientIri: row.iri,
        note: await note.toJsonLd({ format: "compact", contextLoader: ctx.contextLoader }),
      });
      // The actor's own inbox: a shared inbox would work too, but this one names the recipient.
      await ctx.sendActivity(
        { identifier: INSTANCE_ACTOR_IDENTIFIER },
        { id: to, inboxId: new URL(row.inboxUrl), endpoints: null },
        create,
      );
    },
  };
}

/**
 * The Note's HTML: the mention of the addressee first (Mastodon threads a DM by it), the
 * paragraphs (a member's handle they name as a mention link), then the link.
 */
export function directMessageHtml(
  message: DirectMessage,
  addressee: { handle: string; profile: string },
  urls: LocalUrls,
): string {
  // The instance actor's profile is the instance's home page (its actor's `url`).
  const profileOf = (username: string) =>
    username === INSTANCE_ACTOR_IDENTIFIER ? urls.origin.href : urls.profile(username).href;
  const paragraph = (text: string) => {
    let html = escapeHtml(text);
    for (const { handle, username } of message.mentions ?? []) {
      html = html.replaceAll(escapeHtml(handle), mentionHtml(handle, profileOf(username)));
    }
    return html;
  };
  const [first = "", ...rest] = message.paragraphs;
  const { label, href } = message.link;
  const link = `<a href="${escapeHtml(href)}">${escapeHtml(href)}</a>`;
  return [
    `<p>${mentionHtml(addressee.handle, addressee.profile)} ${paragraph(first)}</p>`,
    ...rest.map((text) => `<p>${paragraph(text)}</p>`),
    `<p>${label ? `${escapeHtml(label)} ` : ""}${link}</p>`,
  ].join("");
}

/**
 * Each direct message at its id, to its addressee only: the request must be signed by
 * that actor's key. Anyone else — unsigned, another actor, another server's instance
 * actor — gets 404, as if it did not exist.
 */
export function registerDirectMessageObjects(
  federation: AppFederation,
  deps: { urls: LocalUrls; messages: DirectMessagesRepository },
): void {
  federation.setObjectDispatcher(DirectNote, DIRECT_MESSAGE_PATH, async (ctx, { kind, id }) => {
    const iri = new URL(
      `/activities/${encodeURIComponent(kind)}/${encodeURIComponent(id)}`,
      deps.urls.origin,
    ).href;
    const row = await deps.messages.find(iri);
    if (!row) return null;
    const signer = await ctx.getSignedKeyOwner().catch(() => null);
    if (signer?.id?.href !== row.recipientIri) return null;
    return DirectNote.fromJsonLd(row.note, { contextLoader: ctx.contextLoader });
  });
}

/**
 * A Follow of the instance actor, accepted: it posts nothing but direct messages, and a
 * Mastodon user who follows it sees them in their notifications whatever their policy.
 * Nothing is kept: there is nothing to send to its followers.
 */
export async function acceptInstanceFollow(
  ctx: Context<void>,
  follow: Follow,
  follower: Actor,
): Promise<void> {
  const urls = localUrls(new URL(ctx.origin));
  await ctx.sendActivity(
    { identifier: INSTANCE_ACTOR_IDENTIFIER },
    follower,
    new Accept({
      id: urls.newActivity("accept"),
      actor: urls.actor(INSTANCE_ACTOR_IDENTIFIER),
      object: follow,
    }),
  );
}
