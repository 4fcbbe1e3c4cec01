import type { Member } from "../accounts/members-service.ts";
import { DomainError } from "../shared/errors.ts";

/**
 * Whether a member may post (web form, C2S outbox, Mastodon API: each ends in the same service
 * call, which asks this). A member who moved away posts from the new account; one frozen by the
 * moderators reads but publishes nothing — their private tracker entries stay theirs to log.
 * The message says why.
 */
export function assertMayPost(
  member: Pick<Member, "frozenAt" | "frozenReason" | "movedTo">,
  what: "published" | "private" = "published",
): void {
  if (member.movedTo) {
    throw new DomainError(
      "forbidden",
      `This account has moved to ${member.movedTo}: post from the new account.`,
    );
  }
  if (!member.frozenAt || what === "private") return;
  const why = member.frozenReason ? ` The reason given: ${member.frozenReason}` : "";
  throw new DomainError(
    "forbidden",
    `Your account is frozen by this instance's moderators: you can read, but not post.${why}`,
  );
}
