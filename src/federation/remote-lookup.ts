import { isActor } from "@fedify/vocab";
import type { RemoteActorRecord } from "../actors/actors-repository.ts";
import { DomainError } from "../shared/errors.ts";
import type { AppFederation } from "./federation.ts";
import { INSTANCE_ACTOR_IDENTIFIER, type LocalUrls } from "./local-urls.ts";
import { actorToRecord } from "./mappers/remote-actor.ts";

/**
 * Finds an actor from `@user@host`, `acct:` or an actor URL, fetching with the
 * instance actor's signature (servers in authorized-fetch mode require one).
 * Fedify resolves handles over https only; plain-http instances need a URL.
 */
export async function lookupActor(
  federation: AppFederation,
  urls: LocalUrls,
  query: string,
): Promise<RemoteActorRecord> {
  const ctx = federation.createContext(urls.origin, undefined);
  const documentLoader = await ctx.getDocumentLoader({ identifier: INSTANCE_ACTOR_IDENTIFIER });
  const trimmed = query.trim();
  if (!/^(@?[^@\s]+@[^@\s]+|acct:\S+|https?:\/\/\S+)$/.test(trimmed)) {
    throw new DomainError(
      "invalid",
      `"${query}" is neither a handle (@user@host) nor an actor URL (https://host/users/name).`,
    );
  }
  const object = await ctx.lookupObject(trimmed, { documentLoader }).catch(() => null);
  if (!isActor(object)) {
    throw new DomainError("not_found", `No fediverse account found at "${query}".`);
  }
  return actorToRecord(object, { documentLoader });
}
