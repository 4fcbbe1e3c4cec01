import type { FollowState } from "../../follows/follows-service.ts";

/** Mastodon's Relationship entity (https://docs.joinmastodon.org/entities/Relationship/). */
export function relationshipEntity(
  accountId: string,
  follows: { outgoing: FollowState | undefined; incoming: FollowState | undefined },
  /** What the viewer decided about the account (src/moderation/relations.ts). */
  between: { blocking: boolean; blockedBy: boolean; muting: boolean; domainBlocking: boolean },
) {
  return {
    id: accountId,
    following: follows.outgoing === "accepted",
    showing_reblogs: follows.outgoing === "accepted",
    notifying: false,
    languages: null,
    followed_by: follows.incoming === "accepted",
    blocking: between.blocking,
    blocked_by: between.blockedBy,
    muting: between.muting,
    muting_notifications: between.muting,
    requested: follows.outgoing === "pending",
    requested_by: follows.incoming === "pending",
    domain_blocking: between.domainBlocking,
    endorsed: false,
    note: "",
  };
}
