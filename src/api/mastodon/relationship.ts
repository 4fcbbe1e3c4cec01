import type { FollowState } from "../../follows/follows-service.ts";

/** Mastodon's Relationship entity (https://docs.joinmastodon.org/entities/Relationship/). */
export function relationshipEntity(
  accountId: string,
  follows: { outgoing: FollowState | undefined; incoming: FollowState | undefined },
) {
  return {
    id: accountId,
    following: follows.outgoing === "accepted",
    showing_reblogs: follows.outgoing === "accepted",
    notifying: false,
    languages: null,
    followed_by: follows.incoming === "accepted",
    blocking: false,
    blocked_by: false,
    muting: false,
    muting_notifications: false,
    requested: follows.outgoing === "pending",
    requested_by: follows.incoming === "pending",
    domain_blocking: false,
    endorsed: false,
    note: "",
  };
}
