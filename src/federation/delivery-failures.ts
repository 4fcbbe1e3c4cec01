import type { ActorsRepository } from "../actors/actors-repository.ts";
import type { FollowsService } from "../follows/follows-service.ts";
import type { AppFederation } from "./app-federation.ts";

type LogFn = (obj: Record<string, unknown>, msg: string) => void;

/**
 * What a delivery Fedify gives up on means here. A peer that answers 410 Gone (at any inbox)
 * or 404 at an actor's own inbox says the actor is no more: it is forgotten with every
 * follow it had (the same rule as a received `Delete` of an actor), so nothing is sent to
 * it again. A delivery held by the circuit breaker past its retention (its host was down
 * for days) is dead-lettered, for the admin to retry, rather than dropped.
 */
export function registerDeliveryFailures(
  federation: AppFederation,
  deps: {
    follows: Pick<FollowsService, "forgetActor">;
    actors: Pick<ActorsRepository, "findByIri">;
    /** Marks the job being run as dead (src/federation/message-queue.ts). */
    deadLetterCurrentJob: (reason: string) => boolean;
    logger: { warn: LogFn; info: LogFn };
  },
): void {
  federation.setOutboxPermanentFailureHandler(async (_ctx, failure) => {
    if (failure.reason === "circuit-breaker-ttl") {
      deps.deadLetterCurrentJob(
        `${failure.inbox.host} stayed unreachable since ${failure.circuitHeldSince?.toString() ?? "long ago"}`,
      );
      return;
    }
    for (const actorId of failure.actorIds) {
      const actor = await deps.actors.findByIri(actorId.href);
      if (!actor) continue;
      const ownInbox = actor.inboxUrl === failure.inbox.href;
      if (failure.statusCode !== 410 && !(failure.statusCode === 404 && ownInbox)) continue;
      await deps.follows.forgetActor(actor.iri);
      deps.logger.info(
        { actor: actor.iri, inbox: failure.inbox.href, status: failure.statusCode },
        "A peer says this actor is gone: forgot it and its follows",
      );
    }
  });
}
