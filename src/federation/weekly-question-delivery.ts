import { Create, Mention, Note } from "@fedify/vocab";
import type { ActorsRepository } from "../actors/actors-repository.ts";
import type { DirectMessage, DirectMessenger } from "../exposure/weekly-question-types.ts";
import { escapeHtml } from "../shared/html.ts";
import { INSTANCE_ACTOR_IDENTIFIER, type LocalUrls } from "../shared/local-urls.ts";
import type { AppFederation } from "./app-federation.ts";
import { toInstant } from "./mappers/instant.ts";

/**
 * Direct messages from the instance actor (the weekly question, the link
 * confirmation, the "not understood" answer): a signed `Create(Note)` addressed
 * to one actor only — no as:Public, no followers — with a Mention of it, as
 * Mastodon shows a direct message. Sent to that actor's own inbox, through the queue.
 */
export function createWeeklyQuestionDelivery(deps: {
  federation: AppFederation;
  urls: LocalUrls;
  actors: ActorsRepository;
}): DirectMessenger {
  const { federation, urls, actors } = deps;
  return {
    async send(message: DirectMessage) {
      const row = await actors.findByIri(message.toActorIri);
      if (!row) throw new Error(`no actor ${message.toActorIri} to send a direct message to`);
      const to = new URL(row.iri);
      const handle = `@${row.username}@${row.host}`;
      const sender = urls.actor(INSTANCE_ACTOR_IDENTIFIER);
      const published = toInstant(new Date());
      const note = new Note({
        id: new URL(message.noteIri),
        attribution: sender,
        to,
        tags: [new Mention({ href: to, name: handle })],
        content: directMessageHtml(message, handle, row.url ?? row.iri),
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
      // The actor's own inbox: a shared inbox would work too, but this one names the recipient.
      await ctx.sendActivity(
        { identifier: INSTANCE_ACTOR_IDENTIFIER },
        { id: to, inboxId: new URL(row.inboxUrl), endpoints: null },
        create,
      );
    },
  };
}

/** The Note's HTML: the mention first (Mastodon threads a DM by it), the text, then the link. */
export function directMessageHtml(message: DirectMessage, handle: string, profile: string): string {
  const mention = `<span class="h-card"><a href="${escapeHtml(profile)}" class="u-url mention">${escapeHtml(handle)}</a></span>`;
  const link = `<a href="${escapeHtml(message.link)}">${escapeHtml(message.link)}</a>`;
  const label = message.linkLabel ? `${escapeHtml(message.linkLabel)} ` : "";
  return `<p>${mention} ${escapeHtml(message.text)}</p><p>${label}${link}</p>`;
}
