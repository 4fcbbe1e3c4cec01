import type { InboxContext } from "@fedify/fedify";
import { type Block, type Flag, isActor } from "@fedify/vocab";
import type { BlocksService } from "../moderation/blocks-service.ts";
import { FLAG_OBJECTS_MAX, REPORT_COMMENT_MAX } from "../moderation/reports-input.ts";
import type { ReportsService } from "../moderation/reports-service.ts";
import { INSTANCE_ACTOR_IDENTIFIER } from "../shared/local-urls.ts";
import type { Logger } from "../shared/logger.ts";
import { receivedActivityJson } from "./received-json.ts";
import type { RemoteLookup } from "./remote-lookup.ts";

export interface ModerationInboxDeps {
  remoteLookup: Pick<RemoteLookup, "readActor">;
  blocks: Pick<BlocksService, "receiveBlock" | "receiveUndoBlock">;
  reports: Pick<ReportsService, "receiveFlag">;
  logger: Logger;
}

/**
 * The ids a Flag names, as its sender wrote them (`object`: one id, or a list of ids or
 * objects), read from the JSON as sent; the parsed object's when that is not there.
 */
export function flagObjectIris(ctx: InboxContext<void>, flag: Flag): string[] {
  const sent = receivedActivityJson(ctx, flag)?.object;
  const items = sent === undefined ? flag.objectIds.map((u) => u.href) : [sent].flat();
  return items
    .slice(0, FLAG_OBJECTS_MAX)
    .flatMap((item) =>
      typeof item === "string"
        ? [item]
        : typeof item === "object" &&
            item !== null &&
            typeof (item as { id?: unknown }).id === "string"
          ? [(item as { id: string }).id]
          : [],
    )
    .filter((iri) => URL.canParse(iri));
}

/** A remote server reports one of ours: a report for our moderators (nothing of ours: dropped). */
export async function receiveFlag(
  ctx: InboxContext<void>,
  flag: Flag,
  deps: ModerationInboxDeps,
): Promise<void> {
  if (!flag.id || !flag.actorId) return;
  const objectIris = flagObjectIris(ctx, flag);
  if (!objectIris.some((iri) => new URL(iri).origin === ctx.origin)) {
    deps.logger.info({ activity: flag.id.href }, "Flag naming nothing of ours: dropped");
    return;
  }
  const reporter = await flag.getActor(ctx);
  if (!isActor(reporter) || reporter.id?.href !== flag.actorId.href) return;
  const sent = receivedActivityJson(ctx, flag)?.content;
  const content = (typeof sent === "string" ? sent : (flag.content?.toString() ?? "")).slice(
    0,
    REPORT_COMMENT_MAX,
  );
  const outcome = await deps.reports.receiveFlag({
    reporter: await deps.remoteLookup.readActor(reporter, ctx),
    objectIris,
    content,
    activityIri: flag.id.href,
  });
  deps.logger.info({ activity: flag.id.href, ...outcome }, "remote Flag");
}

/** A remote account blocks one of our members. */
export async function receiveBlock(
  ctx: InboxContext<void>,
  block: Block,
  deps: ModerationInboxDeps,
): Promise<void> {
  if (!block.id || !block.actorId || !block.objectId) return;
  const target = ctx.parseUri(block.objectId);
  if (target?.type !== "actor" || target.identifier === INSTANCE_ACTOR_IDENTIFIER) return;
  const kept = await deps.blocks.receiveBlock({
    actorIri: block.actorId.href,
    username: target.identifier,
    activityIri: block.id.href,
  });
  deps.logger.debug({ activity: block.id.href, kept }, "remote Block");
}

/** Its `Undo`: only the blocker lifts it (the Undo's actor is the Block's). */
export async function receiveUndoBlock(
  undoActorIri: string,
  block: Block,
  deps: ModerationInboxDeps,
): Promise<void> {
  if (!block.id || block.actorId?.href !== undoActorIri) return;
  await deps.blocks.receiveUndoBlock({ actorIri: undoActorIri, activityIri: block.id.href });
}
