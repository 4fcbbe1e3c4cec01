import type { RemoteActorRecord } from "../../src/actors/actors-repository.ts";

/**
 * A remote actor as the lookup would return it, number `i` on one of `hosts` servers
 * (`<prefix><i % hosts>.example`): for tests that need many followers without a server.
 */
export function remoteActorRecord(
  i: number,
  options: { prefix: string; hosts?: number; username?: string; manual?: boolean },
): RemoteActorRecord {
  const host = `${options.prefix}${i % (options.hosts ?? 3)}.example`;
  const username = `${options.username ?? "user"}${i}`;
  return {
    iri: `https://${host}/users/${username}`,
    type: "Person",
    username,
    host,
    name: `${username} (${host})`,
    summary: "",
    url: `https://${host}/@${username}`,
    inboxUrl: `https://${host}/users/${username}/inbox`,
    sharedInboxUrl: `https://${host}/inbox`,
    followersUrl: `https://${host}/users/${username}/followers`,
    avatarUrl: null,
    manuallyApprovesFollowers: options.manual ?? false,
  };
}
