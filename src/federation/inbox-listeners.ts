import type { InboxContext } from "@fedify/fedify";
import { Accept, type Activity, Delete, Follow, isActor, Reject, Undo } from "@fedify/vocab";
import type { FollowsService } from "../follows/follows-service.ts";
import type { Logger } from "../shared/logger.ts";
import type { AppFederation } from "./federation.ts";
import { INSTANCE_ACTOR_IDENTIFIER, PATHS } from "./local-urls.ts";
import { actorToRecord } from "./mappers/remote-actor.ts";

export interface InboxDeps {
  follows: FollowsService;
  logger: Logger;
}

/**
 * Thin listeners: each checks what the activity claims against who signed it
 * (Fedify has already verified the signature), then calls a service.
 * Activities of other types are answered 202 by Fedify and ignored.
 */
export function registerInboxListeners(federation: AppFederation, deps: InboxDeps): void {
  const { follows, logger } = deps;

  federation
    .setInboxListeners(PATHS.inbox, PATHS.sharedInbox)
    // Fetches made while handling the shared inbox are signed by the instance actor.
    .setSharedKeyDispatcher(() => ({ identifier: INSTANCE_ACTOR_IDENTIFIER }))
    .on(Follow, async (ctx, follow) => {
      const username = localIdentifier(ctx, follow.objectId);
      if (!follow.id || !follow.actorId || !username) return;
      const follower = await follow.getActor(ctx);
      if (!isActor(follower) || follower.id?.href !== follow.actorId.href) return;
      await follows.receiveFollow({
        follower: await actorToRecord(follower, ctx),
        username,
        activityIri: follow.id.href,
      });
    })
    .on(Undo, async (ctx, undo) => {
      const object = await undo.getObject(ctx);
      if (!(object instanceof Follow) || !undo.actorId) return;
      // Only the follower may undo its follow.
      if (object.actorId?.href !== undo.actorId.href) return;
      const username = localIdentifier(ctx, object.objectId);
      if (!username) return;
      await follows.receiveUndoFollow({ followerIri: undo.actorId.href, username });
    })
    .on(Accept, (ctx, accept) => settleOurFollow(ctx, accept, true))
    .on(Reject, (ctx, reject) => settleOurFollow(ctx, reject, false))
    .on(Delete, async (_ctx, del) => {
      // An actor deleting itself: forget it. Deleted notes will be handled with encounters.
      if (del.actorId && del.objectId?.href === del.actorId.href) {
        await follows.forgetActor(del.actorId.href);
      }
    })
    .onError((_ctx, error) => {
      logger.warn({ err: error }, "inbox listener failed");
    });

  async function settleOurFollow(
    ctx: InboxContext<void>,
    answer: Activity,
    accepted: boolean,
  ): Promise<void> {
    if (!answer.actorId) return;
    // Our own Follow's id is enough to find it; fetching it back would only ask ourselves.
    const isOurs = answer.objectId?.origin === ctx.origin;
    const object = isOurs ? null : await answer.getObject(ctx).catch(() => null);
    // Mastodon embeds our Follow; others send only its id, which we can still match.
    const followerIri = object instanceof Follow ? object.actorId : null;
    if (object instanceof Follow && object.objectId?.href !== answer.actorId.href) return;
    await follows.receiveAnswer({
      targetIri: answer.actorId.href,
      followerUsername: followerIri ? localIdentifier(ctx, followerIri) : undefined,
      followActivityIri: answer.objectId?.href,
      accepted,
    });
  }
}

function localIdentifier(ctx: InboxContext<void>, iri: URL | null): string | undefined {
  if (!iri) return undefined;
  const parsed = ctx.parseUri(iri);
  return parsed?.type === "actor" && parsed.identifier !== INSTANCE_ACTOR_IDENTIFIER
    ? parsed.identifier
    : undefined;
}
