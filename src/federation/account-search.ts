import type { MembersService } from "../accounts/members-service.ts";
import type { ActorRow, ActorsRepository } from "../actors/actors-repository.ts";
import type { LocalUrls } from "../shared/local-urls.ts";
import type { RemoteLookup } from "./remote-lookup.ts";

const HANDLE = /^@?([a-z0-9_]{1,30})(?:@([a-z0-9.-]+(?::\d{1,5})?))?$/i;

/**
 * Finds an account from what a person typed: `@name` or `@name@host` (a member here, or an
 * account of another server), or an actor URL. Known accounts are answered at once; with
 * `resolve`, an unknown one is looked up on its server (through the egress policy) and kept,
 * and a failed look-up throws the `ActorLookupError` that says why. Words find nothing.
 * The Mastodon API's search and the pages' search use this one rule.
 */
export type AccountFinder = (
  query: string,
  options: { resolve: boolean },
) => Promise<ActorRow | undefined>;

export function createAccountFinder(deps: {
  members: Pick<MembersService, "findByUsername">;
  actors: Pick<ActorsRepository, "findByMemberId" | "findByHandle" | "findByIri" | "upsertRemote">;
  urls: Pick<LocalUrls, "origin" | "usernameOf">;
  lookupActor: RemoteLookup["lookupActor"];
}): AccountFinder {
  const { actors, urls } = deps;
  const find: AccountFinder = async (query, { resolve }) => {
    const q = query.trim();
    const handle = HANDLE.exec(q);
    if (handle) {
      const [, username, host] = handle as unknown as [string, string, string | undefined];
      if (!host || host.toLowerCase() === urls.origin.host) {
        const member = await deps.members.findByUsername(username);
        return member ? actors.findByMemberId(member.id) : undefined;
      }
      const known = await actors.findByHandle(username, host);
      if (known || !resolve) return known;
    } else if (/^https?:\/\//.test(q)) {
      const local = urls.usernameOf(q);
      if (local) return find(local, { resolve: false });
      const known = await actors.findByIri(q);
      if (known || !resolve) return known;
    } else {
      return undefined;
    }
    return actors.upsertRemote(await deps.lookupActor(q));
  };
  return find;
}
