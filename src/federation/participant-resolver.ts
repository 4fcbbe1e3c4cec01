import type { MembersService } from "../accounts/members-service.ts";
import type { ActorsRepository } from "../actors/actors-repository.ts";
import type { ParticipantResolver } from "../encounters/participants.ts";
import { DomainError } from "../shared/errors.ts";
import type { LocalUrls } from "../shared/local-urls.ts";
import type { Logger } from "../shared/logger.ts";
import type { ActorRefresher } from "./actor-refresh.ts";
import { ActorLookupError, type RemoteLookup } from "./remote-lookup.ts";

/**
 * Participants named by handle or URL: members of this instance are found
 * locally; anyone else is looked up (WebFinger, then the actor) and kept.
 */
export function createParticipantResolver(deps: {
  lookup: Pick<RemoteLookup, "lookupActor">;
  /** A known actor a day old is used as it is and fetched again in the background. */
  refresher?: Pick<ActorRefresher, "refreshIfStale">;
  urls: LocalUrls;
  members: MembersService;
  actors: ActorsRepository;
  /** A participant nobody answers to is the author's mistake: logged at info, with the reason. */
  logger: Logger;
}): ParticipantResolver {
  const { urls } = deps;

  async function localActor(username: string, reference: string) {
    const member = await deps.members.findByUsername(username);
    const actor = member && (await deps.actors.findByMemberId(member.id));
    if (!actor) {
      throw new DomainError(
        "invalid",
        `participant ${reference} is not a member of this instance: check the name, or write their name without @.`,
      );
    }
    return actor;
  }

  return {
    async resolve(reference) {
      const handle = /^@([^@\s]+)(?:@([^@\s]+))?$/.exec(reference);
      if (handle && (!handle[2] || handle[2].toLowerCase() === urls.origin.host)) {
        return localActor(handle[1] as string, reference);
      }
      // A handle we already know (followed, looked up, met in an encounter) needs no WebFinger.
      if (handle?.[2]) {
        const known = await deps.actors.findByHandle(handle[1] as string, handle[2]);
        if (known) {
          deps.refresher?.refreshIfStale(known);
          return known;
        }
      }
      if (/^https?:\/\//.test(reference)) {
        const username = urls.usernameOf(reference);
        if (username) return localActor(username, reference);
        const known = await deps.actors.findByIri(reference);
        if (known) {
          deps.refresher?.refreshIfStale(known);
          return known;
        }
      }
      try {
        return await deps.actors.upsertRemote(await deps.lookup.lookupActor(reference));
      } catch (error) {
        if (error instanceof ActorLookupError) {
          deps.logger.info(
            { participant: reference, reason: error.reason, explanation: error.explanation },
            "participant could not be resolved",
          );
          throw new DomainError(
            "invalid",
            `participant ${reference} could not be found on the fediverse (${error.explanation}): check the address, or write their name without @.`,
          );
        }
        if (error instanceof DomainError) {
          throw new DomainError("invalid", `participant ${error.message}`);
        }
        throw error;
      }
    },
  };
}
