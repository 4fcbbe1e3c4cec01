import type { Context } from "@fedify/fedify";
import { Block, Flag, Undo } from "@fedify/vocab";
import type { ActorsRepository } from "../actors/actors-repository.ts";
import type { DomainEvent } from "../shared/events.ts";
import { INSTANCE_ACTOR_IDENTIFIER, type LocalUrls } from "../shared/local-urls.ts";
import { actorRowToRecipient } from "./recipients.ts";

type ModerationEvent = Extract<
  DomainEvent,
  { type: "account.blocked" | "account.unblocked" | "report.forwarded" }
>;

/**
 * The activities of blocks and reports, as Mastodon sends them: `Block` (and `Undo(Block)`)
 * from the member to the blocked account's own inbox; `Flag` from the instance actor (so the
 * reporter stays unnamed) to the reported account's server, shared inbox first, its object the
 * account and the reported posts, its content the comment.
 */
export function createModerationDelivery(deps: {
  actors: Pick<ActorsRepository, "findByIri">;
  urls: LocalUrls;
}) {
  const { urls } = deps;

  async function recipientOf(iri: string) {
    const row = await deps.actors.findByIri(iri);
    if (!row) throw new Error(`no actor ${iri} to deliver to`);
    return actorRowToRecipient(row);
  }

  return {
    async deliver(ctx: Context<void>, event: ModerationEvent): Promise<void> {
      switch (event.type) {
        case "account.blocked":
        case "account.unblocked": {
          const actor = urls.actor(event.username);
          const block = new Block({
            id: new URL(event.activityIri),
            actor,
            object: new URL(event.targetIri),
          });
          const activity =
            event.type === "account.blocked"
              ? block
              : new Undo({ id: new URL(event.undoActivityIri), actor, object: block });
          // The blocked account's own inbox: its followers have nothing to learn of it.
          const recipient = await recipientOf(event.targetIri);
          await ctx.sendActivity(
            { identifier: event.username },
            { ...recipient, endpoints: null },
            activity,
          );
          return;
        }
        case "report.forwarded": {
          const flag = new Flag({
            id: new URL(event.activityIri),
            actor: urls.actor(INSTANCE_ACTOR_IDENTIFIER),
            objects: event.objectIris.map((iri) => new URL(iri)),
            content: event.content,
          });
          await ctx.sendActivity(
            { identifier: INSTANCE_ACTOR_IDENTIFIER },
            await recipientOf(event.targetIri),
            flag,
            { preferSharedInbox: true },
          );
          return;
        }
      }
    },
  };
}
