import type { Context } from "@fedify/fedify";
import { Delete, type Recipient } from "@fedify/vocab";
import type { MembersService } from "../accounts/members-service.ts";
import type { ActorRow, ActorsRepository } from "../actors/actors-repository.ts";
import type { EncountersRepository } from "../encounters/encounters-repository.ts";
import type { RepliesRepository, ReplyView } from "../encounters/replies-repository.ts";
import { isPrivateOnly } from "../encounters/visibility.ts";
import type { FollowsService } from "../follows/follows-service.ts";
import type { DomainEvent } from "../shared/events.ts";
import type { LocalUrls } from "../shared/local-urls.ts";
import { toInstant } from "./mappers/instant.ts";
import { replyAudience, replyToNote, replyToTombstone } from "./mappers/reply-note.ts";
import { TootCreate } from "./mappers/toot-terms.ts";
import { actorRowToRecipient } from "./recipients.ts";

export type ReplyEvent = Extract<DomainEvent, { type: `reply.${string}` }>;

export interface ReplyDeliveryDeps {
  replies: RepliesRepository;
  encounters: EncountersRepository;
  actors: ActorsRepository;
  members: MembersService;
  follows: FollowsService;
  urls: LocalUrls;
}

/** The actors a reply addresses, as far as we know them, in the order it names them. */
export async function addressedActors(
  actors: Pick<ActorsRepository, "findByIri">,
  reply: ReplyView,
): Promise<ActorRow[]> {
  const rows = await Promise.all(reply.mentions.map((iri) => actors.findByIri(iri)));
  return rows.filter((row): row is ActorRow => row !== undefined);
}

/** The replier's language, which `contentMap` follows. */
export async function replierLanguage(members: MembersService, reply: ReplyView) {
  const memberId = reply.author.memberId;
  return (memberId && (await members.findById(memberId))?.language) || "fr";
}

/** A member's reply as it is sent and served. */
export async function replyNoteOf(
  deps: Pick<ReplyDeliveryDeps, "actors" | "members" | "urls">,
  reply: ReplyView,
) {
  return replyToNote(reply, {
    urls: deps.urls,
    language: await replierLanguage(deps.members, reply),
    addressed: await addressedActors(deps.actors, reply),
  });
}

/**
 * Turns reply events into activities, federated like Mastodon's replies: the replier sends
 * `Create(Note)` (then `Delete`) to whom the reply addresses — the encounter's author first —
 * and, unless it is participants-only, to their own followers. Each server gets one request
 * (shared inboxes), this one none: its members read the database.
 */
export function createReplyDelivery(deps: ReplyDeliveryDeps) {
  const { replies, encounters, follows, urls } = deps;

  async function recipientsOf(reply: ReplyView): Promise<Recipient[]> {
    const recipients = (await addressedActors(deps.actors, reply)).map(actorRowToRecipient);
    if (reply.visibility !== "participants") {
      const page = await follows.followers(reply.author.username, {
        limit: Number.MAX_SAFE_INTEGER,
      });
      recipients.push(...page.items.map(actorRowToRecipient));
    }
    return recipients;
  }

  return {
    async deliver(ctx: Context<void>, event: ReplyEvent): Promise<void> {
      const reply = await replies.findById(event.replyId);
      // Someone else's reply is theirs to federate; a Create replayed after a Delete sends nothing.
      if (!reply?.author.memberId) return;
      if (reply.deletedAt && event.type === "reply.created") return;
      const encounter = await encounters.findById(reply.encounterId);
      if (!encounter || isPrivateOnly(encounter)) return;
      const recipients = await recipientsOf(reply);
      if (recipients.length === 0) return;
      const { to, cc } = replyAudience(reply, urls);
      const actor = new URL(reply.author.iri);
      const activity =
        event.type === "reply.created"
          ? new TootCreate({
              id: new URL(event.activityIri),
              actor,
              object: await replyNoteOf(deps, reply),
              published: toInstant(reply.publishedAt),
              tos: to,
              ccs: cc,
            })
          : new Delete({
              id: new URL(event.activityIri),
              actor,
              object: replyToTombstone(reply),
              tos: to,
              ccs: cc,
            });
      await ctx.sendActivity({ identifier: reply.author.username }, recipients, activity, {
        preferSharedInbox: true,
        excludeBaseUris: [urls.origin],
        // The Create and the Delete of one reply arrive in the order they were sent.
        orderingKey: reply.iri,
      });
    },
  };
}
