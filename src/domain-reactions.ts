import type { Outbox } from "./outbox/outbox.ts";
import type { Services } from "./services.ts";

/**
 * How one domain answers another's events, subscribed after the outbox bridge (handlers run
 * in order: an encounter's Create is queued before the Announce that co-signs it).
 */
export function connectDomainReactions(
  events: Pick<Outbox, "subscribe">,
  services: Services,
): void {
  events.subscribe(async (event) => {
    switch (event.type) {
      // Co-signing automatically is a reaction to a new encounter, whoever wrote it.
      case "encounter.created":
        return services.cosign.autoCosign(event.encounterId);
      // What hangs on an encounter goes with it: its private side (the tracker's), its
      // replies (here only: the encounter's Delete is what other servers hear).
      case "encounter.deleted":
        await services.privateFields.forgetEncounter(event.encounterId);
        await services.replies.forgetEncounter(event.encounterId);
        return;
      // A member erased their tracker: their never-published entries go too.
      case "tracker.erased":
        await services.encounters.erasePrivateOnly(event.actorId);
        return;
    }
  });
}
