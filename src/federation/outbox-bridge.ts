import { Accept, Delete, Follow, Move, PUBLIC_COLLECTION, Reject, Undo } from "@fedify/vocab";
import type { ActorsRepository } from "../actors/actors-repository.ts";
import type { RepliesRepository } from "../encounters/replies-repository.ts";
import type { DirectMessage, DirectMessenger } from "../exposure/weekly-question-types.ts";
import type { DomainEvent, EventBus } from "../shared/events.ts";
import type { LocalUrls } from "../shared/local-urls.ts";
import type { AppFederation } from "./app-federation.ts";
import { createEncounterDelivery, type EncounterDeliveryDeps } from "./encounter-delivery.ts";
import { createModerationDelivery } from "./moderation-delivery.ts";
import { createProfileDelivery } from "./profile-delivery.ts";
import { actorRowToRecipient } from "./recipients.ts";
import { createReplyDelivery } from "./reply-delivery.ts";

/**
 * The one place where domain events become outgoing activities. Sending only
 * enqueues: delivery, retries and signatures are the queue worker's job. Every
 * activity id comes from the event (decided when it was recorded), so an event
 * replayed after a crash sends the same activity again, never a new one.
 */
export function connectOutboxBridge(
  deps: {
    events: Pick<EventBus, "subscribe">;
    federation: AppFederation;
    actors: ActorsRepository;
    urls: LocalUrls;
    replies: RepliesRepository;
    /** Direct messages of the instance actor (weekly-question-delivery.ts). */
    directMessages: DirectMessenger;
  } & EncounterDeliveryDeps,
): () => void {
  const { federation, actors, urls } = deps;
  const context = () => federation.createContext(urls.origin, undefined);
  const encounters = createEncounterDelivery(deps);
  const profiles = createProfileDelivery(deps);
  const replies = createReplyDelivery(deps);
  const moderation = createModerationDelivery(deps);

  async function recipientOf(iri: string) {
    const row = await actors.findByIri(iri);
    if (!row) throw new Error(`no actor ${iri} to deliver to`);
    return actorRowToRecipient(row);
  }

  async function send(event: DomainEvent): Promise<void> {
    const ctx = context();
    switch (event.type) {
      case "encounter.created":
      case "encounter.updated":
      case "encounter.deleted":
      case "encounter.cosigned":
      case "encounter.cosign_withdrawn":
      case "encounter.liked":
      case "encounter.unliked":
        await encounters.deliver(ctx, event);
        return;
      case "profile.updated":
        await profiles.deliver(ctx, event);
        return;
      case "reply.created":
      case "reply.deleted":
        await replies.deliver(ctx, event);
        return;
      case "member.deleted": {
        // Signed with the member's keys, which outlive the account for this very activity.
        if (event.recipients.length === 0) return;
        const actor = urls.actor(event.username);
        await ctx.sendActivity(
          { identifier: event.username },
          event.recipients.map((r) => ({
            id: new URL(r.iri),
            inboxId: new URL(r.inbox),
            endpoints: r.sharedInbox ? { sharedInbox: new URL(r.sharedInbox) } : null,
          })),
          new Delete({
            id: new URL(event.activityIri),
            actor,
            object: actor,
            to: PUBLIC_COLLECTION,
          }),
          { preferSharedInbox: true, excludeBaseUris: [urls.origin] },
        );
        return;
      }
      case "account.blocked":
      case "account.unblocked":
      case "report.forwarded":
        await moderation.deliver(ctx, event);
        return;
      case "member.moved": {
        // Move(actor = object = the member, target = the new account), to every follower.
        const followers = await deps.follows.followers(event.username, {
          limit: Number.MAX_SAFE_INTEGER,
        });
        if (followers.items.length === 0) return;
        const actor = urls.actor(event.username);
        await ctx.sendActivity(
          { identifier: event.username },
          followers.items.map(actorRowToRecipient),
          new Move({
            id: new URL(event.activityIri),
            actor,
            object: actor,
            target: new URL(event.targetIri),
            to: urls.followers(event.username),
          }),
          { preferSharedInbox: true, excludeBaseUris: [urls.origin] },
        );
        return;
      }
      case "direct_message.sent":
        // The service recorded a whole DirectMessage (src/exposure/direct-messages.ts).
        await deps.directMessages.send(event.message as DirectMessage);
        return;
      case "follow.requested":
      case "follow.undone": {
        const sender = { identifier: event.followerUsername };
        const follow = new Follow({
          id: new URL(event.activityIri),
          actor: urls.actor(event.followerUsername),
          object: new URL(event.targetIri),
        });
        const activity =
          event.type === "follow.requested"
            ? follow
            : new Undo({
                id: new URL(event.undoActivityIri),
                actor: follow.actorId,
                object: follow,
              });
        await ctx.sendActivity(sender, await recipientOf(event.targetIri), activity);
        return;
      }
      case "follower.accepted":
      case "follower.rejected": {
        const actor = urls.actor(event.username);
        const follow = new Follow({
          id: new URL(event.followActivityIri),
          actor: new URL(event.followerIri),
          object: actor,
        });
        const values = {
          id: new URL(event.activityIri),
          actor,
          object: follow,
        };
        const activity =
          event.type === "follower.accepted" ? new Accept(values) : new Reject(values);
        await ctx.sendActivity(
          { identifier: event.username },
          await recipientOf(event.followerIri),
          activity,
        );
        return;
      }
    }
  }

  return deps.events.subscribe(send);
}
