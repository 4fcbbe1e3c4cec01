/**
 * Where the instance's own objects live. The Fedify dispatchers are registered
 * on these same templates, so an IRI built here is always one Fedify serves.
 */
/** The instance actor's avatar (a PNG: Mastodon shows no SVG avatar). */
export const INSTANCE_AVATAR_PATH = "/instance-avatar.png";

export const PATHS = {
  actor: "/users/{identifier}",
  inbox: "/users/{identifier}/inbox",
  outbox: "/users/{identifier}/outbox",
  followers: "/users/{identifier}/followers",
  following: "/users/{identifier}/following",
  sharedInbox: "/inbox",
  encounter: "/users/{identifier}/encounters/{id}",
  /** The `replies` collection of an encounter's Note. */
  encounterReplies: "/users/{identifier}/encounters/{id}/replies",
  /** A reply a member wrote (`identifier` is the replier). */
  reply: "/users/{identifier}/replies/{id}",
} as const;

/** The OAuth endpoints (src/api/oauth/), named in the metadata and in every actor's `endpoints`. */
export const OAUTH_PATHS = {
  authorize: "/oauth/authorize",
  token: "/oauth/token",
  revoke: "/oauth/revoke",
  apps: "/api/v1/apps",
} as const;

/** The instance actor's identifier: a reserved username, so no member can take it. */
export const INSTANCE_ACTOR_IDENTIFIER = "instance";

export interface LocalUrls {
  readonly origin: URL;
  actor(username: string): URL;
  inbox(username: string): URL;
  outbox(username: string): URL;
  followers(username: string): URL;
  following(username: string): URL;
  sharedInbox(): URL;
  profile(username: string): URL;
  /** The Note of an encounter (ActivityPub id). */
  encounter(username: string, id: string): URL;
  /** The HTML permalink of an encounter. */
  encounterPage(username: string, id: string): URL;
  /** The `replies` collection of an encounter's Note. */
  encounterReplies(username: string, id: string): URL;
  /** The Note of a reply written here, by its replier. */
  reply(username: string, id: string): URL;
  /** An OAuth endpoint (`OAUTH_PATHS`). */
  oauth(endpoint: keyof typeof OAUTH_PATHS): URL;
  /** A fresh id for an activity we send (Follow, Accept, Undo…). */
  newActivity(kind: string): URL;
  /** The username of a local actor IRI, or undefined for anything else. */
  usernameOf(iri: URL | string): string | undefined;
}

export function localUrls(origin: URL): LocalUrls {
  const at = (path: string, username = "") =>
    new URL(path.replace("{identifier}", encodeURIComponent(username)), origin);
  return {
    origin,
    actor: (u) => at(PATHS.actor, u),
    inbox: (u) => at(PATHS.inbox, u),
    outbox: (u) => at(PATHS.outbox, u),
    followers: (u) => at(PATHS.followers, u),
    following: (u) => at(PATHS.following, u),
    sharedInbox: () => at(PATHS.sharedInbox),
    profile: (u) => new URL(`/@${encodeURIComponent(u)}`, origin),
    encounter: (u, id) =>
      new URL(`${at(PATHS.actor, u).pathname}/encounters/${encodeURIComponent(id)}`, origin),
    encounterPage: (u, id) =>
      new URL(`/@${encodeURIComponent(u)}/${encodeURIComponent(id)}`, origin),
    encounterReplies: (u, id) =>
      new URL(
        `${at(PATHS.actor, u).pathname}/encounters/${encodeURIComponent(id)}/replies`,
        origin,
      ),
    reply: (u, id) =>
      new URL(`${at(PATHS.actor, u).pathname}/replies/${encodeURIComponent(id)}`, origin),
    oauth: (endpoint) => new URL(OAUTH_PATHS[endpoint], origin),
    // Path ids, not fragments: some software drops the fragment of an embedded object's id.
    newActivity: (kind) =>
      new URL(`/activities/${encodeURIComponent(kind)}/${crypto.randomUUID()}`, origin),
    usernameOf(iri) {
      const url = new URL(iri);
      if (url.origin !== origin.origin) return undefined;
      return /^\/users\/([a-z0-9_]{1,30})$/.exec(url.pathname)?.[1];
    },
  };
}
