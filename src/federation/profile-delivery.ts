import type { Context } from "@fedify/fedify";
import { PUBLIC_COLLECTION } from "@fedify/vocab";
import type { MembersService } from "../accounts/members-service.ts";
import type { FollowsService } from "../follows/follows-service.ts";
import type { DomainEvent } from "../shared/events.ts";
import type { LocalUrls } from "../shared/local-urls.ts";
import { memberToPerson } from "./mappers/actor.ts";
import { TootUpdate } from "./mappers/toot-terms.ts";
import { actorRowToRecipient } from "./recipients.ts";

export type ProfileEvent = Extract<DomainEvent, { type: "profile.updated" }>;

export interface ProfileDeliveryDeps {
  members: MembersService;
  follows: FollowsService;
  urls: LocalUrls;
}

/**
 * The `Update(Person)` of a member whose profile changed, as Mastodon sends it: the whole
 * actor document embedded (the very one served at the actor's id), public, to the member's
 * followers through their shared inboxes.
 */
export async function profileUpdateOf(
  ctx: Context<void>,
  deps: Pick<ProfileDeliveryDeps, "members" | "urls">,
  event: ProfileEvent,
): Promise<TootUpdate | null> {
  const member = await deps.members.findByUsername(event.username);
  // A member gone since: nobody to speak for.
  if (!member || member.username !== event.username) return null;
  const pairs = await ctx.getActorKeyPairs(member.username);
  const [rsa] = pairs;
  if (!rsa) return null;
  const actor = deps.urls.actor(member.username);
  return new TootUpdate({
    id: new URL(event.activityIri),
    actor,
    object: memberToPerson(
      member,
      deps.urls,
      { rsa: rsa.cryptographicKey, multikeys: pairs.map((pair) => pair.multikey) },
      await deps.members.pioneerRank(member.id),
    ),
    tos: [PUBLIC_COLLECTION],
    ccs: [deps.urls.followers(member.username)],
  });
}

export function createProfileDelivery(deps: ProfileDeliveryDeps) {
  const { follows, urls } = deps;
  return {
    async deliver(ctx: Context<void>, event: ProfileEvent): Promise<void> {
      const update = await profileUpdateOf(ctx, deps, event);
      if (!update) return;
      const followers = await follows.followers(event.username, { limit: Number.MAX_SAFE_INTEGER });
      if (followers.items.length === 0) return;
      await ctx.sendActivity(
        { identifier: event.username },
        followers.items.map(actorRowToRecipient),
        update,
        {
          preferSharedInbox: true,
          // Members here read the database, not an inbox.
          excludeBaseUris: [urls.origin],
          // Two edits arrive in the order they were made.
          orderingKey: urls.actor(event.username).href,
        },
      );
    },
  };
}
