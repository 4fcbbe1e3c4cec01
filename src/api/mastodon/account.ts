import type { Member } from "../../accounts/members-service.ts";
import type { ActorRow } from "../../actors/actors-repository.ts";
import { escapeHtml, profileFieldValueHtml, profileTextToHtml } from "../../shared/html.ts";
import { sanitizeRemoteHtml } from "../../shared/sanitize-html.ts";
import { mastodonDate, mastodonDay } from "./dates.ts";
import { DEFAULT_AVATAR_PATH, DEFAULT_HEADER_PATH } from "./default-images.ts";

/** What an Account entity is made of: an actor, its member when local, and its counts. */
export interface AccountSubject {
  actor: ActorRow;
  /** Set for a member of this instance. */
  member: Member | null;
  counts: AccountCounts;
}

export interface AccountCounts {
  followers: number;
  following: number;
  statuses: number;
  lastStatusAt: Date | null;
}

export const NO_COUNTS: AccountCounts = {
  followers: 0,
  following: 0,
  statuses: 0,
  lastStatusAt: null,
};

export interface AccountContext {
  origin: URL;
}

/**
 * Mastodon's Account entity (https://docs.joinmastodon.org/entities/Account/), every field
 * Tusky reads as non-null present: a missing avatar or header is the instance's default image.
 * Pure: the same subject gives the same JSON. Its id is the actor row's id.
 */
export function accountEntity(subject: AccountSubject, ctx: AccountContext) {
  const { actor, member, counts } = subject;
  const local = member !== null;
  const avatar = (local ? member.avatarUrl : actor.avatarUrl) ?? defaultImage(ctx, "avatar");
  const header = (local ? member.headerUrl : null) ?? defaultImage(ctx, "header");
  const displayName = local ? member.displayName : actor.name;
  return {
    id: actor.id,
    username: actor.username,
    acct: local ? actor.username : `${actor.username}@${actor.host}`,
    display_name: displayName,
    locked: local ? member.manuallyApprovesFollowers : actor.manuallyApprovesFollowers,
    bot: actor.type === "Service" || actor.type === "Application",
    discoverable: local ? member.discoverable : null,
    indexable: local ? member.indexable : false,
    group: actor.type === "Group",
    created_at: mastodonDate(local ? member.createdAt : actor.createdAt),
    note: local ? profileTextToHtml(member.bio) : sanitizeRemoteHtml(actor.summary),
    url: actor.url ?? actor.iri,
    uri: actor.iri,
    avatar,
    avatar_static: avatar,
    avatar_description: "",
    header,
    header_static: header,
    header_description: "",
    followers_count: counts.followers,
    following_count: counts.following,
    statuses_count: counts.statuses,
    last_status_at: counts.lastStatusAt ? mastodonDay(counts.lastStatusAt) : null,
    hide_collections: false,
    show_media: true,
    show_media_replies: true,
    show_featured: true,
    // Featuring accounts is not part of Socialdapres.
    feature_approval: { automatic: [], manual: [], current_user: "denied" },
    noindex: local ? !member.indexable : false,
    emojis: [],
    roles: [],
    fields: (local ? member.fields : []).map((field) => ({
      name: escapeHtml(field.name),
      value: profileFieldValueHtml(field.value),
      verified_at: null,
    })),
  };
}

export type AccountEntity = ReturnType<typeof accountEntity>;

/** The account of the token's owner, with what only they see (`source`, `role`). */
export function credentialAccountEntity(
  subject: AccountSubject & { member: Member },
  extra: { followRequests: number },
  ctx: AccountContext,
) {
  const { member } = subject;
  return {
    ...accountEntity(subject, ctx),
    source: {
      privacy: "public",
      sensitive: false,
      language: member.language,
      note: member.bio,
      fields: member.fields.map((field) => ({
        name: field.name,
        value: field.value,
        verified_at: null,
      })),
      follow_requests_count: extra.followRequests,
      hide_collections: false,
      discoverable: member.discoverable,
      indexable: member.indexable,
      attribution_domains: [],
    },
    role: { id: "-99", name: "", permissions: "0", color: "", highlighted: false },
  };
}

function defaultImage(ctx: AccountContext, kind: "avatar" | "header"): string {
  return new URL(kind === "avatar" ? DEFAULT_AVATAR_PATH : DEFAULT_HEADER_PATH, ctx.origin).href;
}

/**
 * The instance itself as an account: who asks the weekly question. It has no row of its own
 * here (its actor is served from its keys), so its id is the word `instance`.
 */
export function instanceAccountEntity(ctx: AccountContext, title: string, createdAt: Date) {
  const actor = new URL("/users/instance", ctx.origin).href;
  return accountEntity(
    {
      actor: {
        id: "instance",
        iri: actor,
        memberId: null,
        type: "Application",
        username: "instance",
        host: ctx.origin.host,
        name: title,
        summary: "",
        url: ctx.origin.href,
        inboxUrl: new URL("/inbox", ctx.origin).href,
        sharedInboxUrl: null,
        followersUrl: null,
        avatarUrl: null,
        manuallyApprovesFollowers: true,
        fetchedAt: null,
        movedTo: null,
        suspendedAt: null,
        silencedAt: null,
        createdAt,
      },
      member: null,
      counts: NO_COUNTS,
    },
    ctx,
  );
}
