import type { Member } from "../accounts/members-service.ts";
import { DomainError } from "../shared/errors.ts";

/**
 * A member frozen by the moderators reads but does not post (web form, C2S outbox, Mastodon
 * API: each ends in the same service call, which asks this). The message says why.
 */
export function assertMayPost(member: Pick<Member, "frozenAt" | "frozenReason">): void {
  if (!member.frozenAt) return;
  const why = member.frozenReason ? ` The reason given: ${member.frozenReason}` : "";
  throw new DomainError(
    "forbidden",
    `Your account is frozen by this instance's moderators: you can read, but not post.${why}`,
  );
}
