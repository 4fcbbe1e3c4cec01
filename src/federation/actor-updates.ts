import type { InboxContext, KvStore } from "@fedify/fedify";
import { isActor, type Update } from "@fedify/vocab";
import type { ActorsRepository } from "../actors/actors-repository.ts";
import type { Logger } from "../shared/logger.ts";
import type { RemoteLookup } from "./remote-lookup.ts";

export interface ActorUpdateDeps {
  remoteLookup: Pick<RemoteLookup, "readActor">;
  actors: Pick<ActorsRepository, "refreshRemote">;
  /** Fedify's store, where it caches keys and fetched documents. */
  kv: Pick<KvStore, "delete">;
  logger: Logger;
}

export type ActorUpdateOutcome =
  /** Not about an actor (a Note…): someone else's to handle. */
  | "not_an_actor"
  | "refreshed"
  /** An actor we keep nothing of: nothing is stored. */
  | "unknown_actor"
  | "refused";

/**
 * `Update` of an actor (Mastodon sends one, with the whole actor, when a profile changes).
 * Fedify has checked that the request was signed by a key of the activity's actor; here the
 * actor may only update itself, and only an actor we already keep is refreshed (name,
 * summary, avatar, inboxes).
 *
 * Keys are never taken from the activity: the keys and documents Fedify cached for the
 * actor are forgotten, so the next signature is checked against a key fetched again from
 * the actor's own server, which must list it there (src/federation/key-binding.ts). Without
 * that, a key the actor dropped (rotated, leaked) would go on verifying its signatures: Fedify
 * keeps a cached key until a signature fails with it.
 */
export async function receiveActorUpdate(
  ctx: InboxContext<void>,
  update: Update,
  deps: ActorUpdateDeps,
): Promise<ActorUpdateOutcome> {
  const actorId = update.actorId;
  const objectId = update.objectId;
  if (!actorId || !objectId) return "not_an_actor";
  const self = objectId.href === actorId.href;
  // What we cached of the actor is stale now: a bare id is then fetched afresh.
  if (self) await forgetCachedDocuments(deps.kv, [actorId]);
  const object = await update.getObject(ctx);
  if (!isActor(object)) return "not_an_actor";
  if (!self || object.id?.href !== actorId.href) {
    deps.logger.info(
      { activity: update.id?.href, actor: actorId.href, object: objectId.href },
      "Update refused: an actor updates only itself",
    );
    return "refused";
  }
  const record = await deps.remoteLookup.readActor(object, { documentLoader: ctx.documentLoader });
  const row = await deps.actors.refreshRemote(record);
  await forgetCachedDocuments(deps.kv, [
    actorId,
    new URL("#main-key", actorId),
    ...object.publicKeyIds,
    ...object.assertionMethodIds,
  ]);
  return row ? "refreshed" : "unknown_actor";
}

/**
 * Drops Fedify's cached copies of these documents and keys: the public keys (kept until a
 * signature fails with them) and the fetched documents (kept five minutes,
 * src/federation/document-loaders.ts), so their next use fetches them again, through the
 * key-binding check.
 */
export async function forgetCachedDocuments(
  kv: Pick<KvStore, "delete">,
  urls: Iterable<URL>,
): Promise<void> {
  const seen = new Set<string>();
  for (const url of urls) {
    const withoutFragment = new URL(url);
    withoutFragment.hash = "";
    for (const href of [url.href, withoutFragment.href]) {
      if (seen.has(href)) continue;
      seen.add(href);
      await kv.delete(["_fedify", "remoteDocument", href]);
      await kv.delete(["_fedify", "publicKey", href]);
      await kv.delete(["_fedify", "publicKey", "__fetchError", href]);
    }
  }
}
