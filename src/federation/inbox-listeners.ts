import type { Context, InboxContext, InboxListener, KvStore, SenderKeyPair } from "@fedify/fedify";
import { importJwk } from "@fedify/fedify";
import {
  Accept,
  type Activity,
  Announce,
  Block,
  Create,
  Delete,
  Flag,
  Follow,
  isActor,
  Like,
  Move,
  Note,
  Reject,
  Undo,
  Update,
} from "@fedify/vocab";
import type { JwkPair } from "../accounts/key-pairs.ts";
import type { ActorsRepository } from "../actors/actors-repository.ts";
import type { CosignService } from "../encounters/cosign-service.ts";
import type { RemoteEncountersService } from "../encounters/remote-encounters-service.ts";
import type { RepliesService } from "../encounters/replies-service.ts";
import type { WeeklyQuestionService } from "../exposure/weekly-question-service.ts";
import type { FollowMoves } from "../follows/follow-moves.ts";
import type { FollowsService } from "../follows/follows-service.ts";
import { INSTANCE_ACTOR_IDENTIFIER, PATHS } from "../shared/local-urls.ts";
import type { Logger } from "../shared/logger.ts";
import type { ActorRefresher } from "./actor-refresh.ts";
import { receiveActorUpdate } from "./actor-updates.ts";
import type { AppFederation } from "./app-federation.ts";
import { isPermanentFailure } from "./failures.ts";
import { noteToRemoteEncounter, visibilityOf } from "./mappers/remote-note.ts";
import { noteToRemoteReply } from "./mappers/remote-reply.ts";
import {
  type ModerationInboxDeps,
  receiveBlock,
  receiveFlag,
  receiveUndoBlock,
} from "./moderation-listeners.ts";
import { receivedActivityJson, receivedObjectJson } from "./received-json.ts";
import type { RemoteLookup } from "./remote-lookup.ts";
import { acceptInstanceFollow } from "./weekly-question-delivery.ts";

export interface InboxDeps extends ModerationInboxDeps {
  remoteLookup: Pick<RemoteLookup, "readActor" | "lookupActor">;
  /** A remote account we follow moved: our members' follows move with it. */
  followMoves?: Pick<FollowMoves, "receiveMove">;
  follows: FollowsService;
  remoteEncounters: RemoteEncountersService;
  /** Replies to our encounters (and to their replies), from any server. */
  replies: Pick<RepliesService, "receiveCreate" | "receiveUpdate" | "receiveDelete">;
  cosign: Pick<CosignService, "recordReaction" | "undoReaction">;
  /** Replies to the instance actor's direct messages (weekly question, account link). */
  weeklyQuestions?: Pick<WeeklyQuestionService, "receiveReply">;
  /** Remote actors refreshed by their `Update` (src/federation/actor-updates.ts). */
  actors: Pick<ActorsRepository, "refreshRemote">;
  /** The instance actor's key pairs: it signs the fetches made for the shared inbox. */
  instanceKeyPairs: () => Promise<JwkPair[]>;
  /** Fedify's store: an actor's `Update` drops the keys and documents cached for it. */
  kv: Pick<KvStore, "delete">;
  /** A known actor fetched more than a day ago is fetched again after its activity. */
  actorRefresher?: Pick<ActorRefresher, "refreshIfStale">;
  logger: Logger;
}

/**
 * Thin listeners: each checks what the activity claims against who signed it, then calls a
 * service. Fedify has verified the signature and that the signing key belongs to the actor
 * (keys are bound to the actors that list them: src/federation/key-binding.ts); here, an actor
 * speaks only for its own server's objects. A failure no retry can mend is logged and dropped;
 * any other is thrown, and Fedify tries the activity again later.
 * Activities of other types are answered 202 by Fedify and ignored.
 */
export function registerInboxListeners(federation: AppFederation, deps: InboxDeps): void {
  const { follows, remoteEncounters, replies, cosign, logger } = deps;

  let instanceKeyPromise: Promise<SenderKeyPair | null> | undefined;
  function instanceKey(ctx: Context<void>): Promise<SenderKeyPair | null> {
    instanceKeyPromise ??= deps.instanceKeyPairs().then(async (pairs) => {
      const rsa = pairs.find((p) => p.algorithm === "RSASSA-PKCS1-v1_5");
      if (!rsa) return null;
      // The RSA pair is the actor's first: Fedify names it `#main-key`.
      const keyId = new URL("#main-key", ctx.getActorUri(INSTANCE_ACTOR_IDENTIFIER));
      return { keyId, privateKey: await importJwk(rsa.privateKey, "private") };
    });
    // A failure (the database away) is not remembered: the next activity asks again.
    instanceKeyPromise.catch(() => {
      instanceKeyPromise = undefined;
    });
    return instanceKeyPromise;
  }

  /** The checks every activity passes before its listener runs. */
  function listen<T extends Activity>(listener: InboxListener<void, T>): InboxListener<void, T> {
    return async (ctx, activity) => {
      const refused = refusal(activity);
      if (refused) {
        logger.info({ activity: activity.id?.href, reason: refused }, "activity refused");
        return;
      }
      try {
        await listener(ctx, activity);
        // In the background: what we keep of the sender may be a day old.
        if (activity.actorId) deps.actorRefresher?.refreshIfStale(activity.actorId.href);
      } catch (error) {
        if (!isPermanentFailure(error)) throw error;
        logger.info(
          { activity: activity.id?.href, reason: (error as Error).message },
          "activity dropped: it can never be handled",
        );
      }
    };
  }

  federation
    .setInboxListeners(PATHS.inbox, PATHS.sharedInbox)
    // Fetches made while handling the shared inbox are signed by the instance actor. Fedify
    // asks for this key for every activity (at the request and again in the worker), and
    // most need no fetch: its pair is loaded and imported once (it is never rotated).
    .setSharedKeyDispatcher((ctx) => instanceKey(ctx))
    // Duplicates are the worker's to find. With a queue, Fedify 2.3.6 checks at the request
    // a record (by inbox) that only its queue-less path writes, so that read never finds
    // anything; the worker reads and writes its own (by activity id), and the services
    // store each object once. No key here: one read of kv_entries less per activity.
    .withIdempotency(() => null)
    .on(
      Follow,
      listen(async (ctx, follow) => {
        if (!follow.id || !follow.actorId) return;
        const target = ctx.parseUri(follow.objectId);
        const toInstance =
          target?.type === "actor" && target.identifier === INSTANCE_ACTOR_IDENTIFIER;
        const username = localIdentifier(ctx, follow.objectId);
        if (!username && !toInstance) return;
        const follower = await follow.getActor(ctx);
        if (!isActor(follower) || follower.id?.href !== follow.actorId.href) return;
        // The instance actor accepts every follow: it is how a Mastodon user sees its messages.
        if (!username) return acceptInstanceFollow(ctx, follow, follower);
        await follows.receiveFollow({
          follower: await deps.remoteLookup.readActor(follower, ctx),
          username,
          activityIri: follow.id.href,
        });
      }),
    )
    .on(
      Undo,
      listen((ctx, undo) => receiveUndo(ctx, undo)),
    )
    .on(
      Accept,
      listen((ctx, accept) => settleOurFollow(ctx, accept, true)),
    )
    .on(
      Reject,
      listen((ctx, reject) => settleOurFollow(ctx, reject, false)),
    )
    .on(
      Delete,
      listen(async (_ctx, del) => {
        if (!del.actorId || !del.objectId) return;
        // An actor deleting itself: forget it.
        if (del.objectId.href === del.actorId.href) {
          await follows.forgetActor(del.actorId.href);
          return;
        }
        // A reply under one of our encounters, deleted by its author?
        const reply = await replies.receiveDelete(del.actorId.href, del.objectId.href);
        if (reply.status !== "not_a_reply") {
          logger.debug({ activity: del.id?.href, ...reply }, "remote Delete of a reply");
          return;
        }
        // Anything else may be one of the remote encounters we keep (by id or as a Tombstone).
        const outcome = await remoteEncounters.receiveDelete(del.actorId.href, del.objectId.href);
        logger.debug({ activity: del.id?.href, ...outcome }, "remote Delete");
      }),
    )
    .on(
      Create,
      listen((ctx, create) => receiveNote(ctx, create)),
    )
    .on(
      Update,
      listen(async (ctx, update) => {
        // A profile that changed (Update of the actor itself), else a Note.
        const outcome = await receiveActorUpdate(ctx, update, { ...deps, logger });
        if (outcome === "not_an_actor") return receiveNote(ctx, update);
        logger.debug({ activity: update.id?.href, outcome }, "remote actor Update");
      }),
    )
    .on(
      Announce,
      listen((_ctx, announce) => react("announce", announce)),
    )
    .on(
      Like,
      listen((_ctx, like) => react("like", like)),
    )
    // Reports and blocks (src/federation/moderation-listeners.ts).
    .on(
      Flag,
      listen((ctx, flag) => receiveFlag(ctx, flag, deps)),
    )
    .on(
      Block,
      listen((ctx, block) => receiveBlock(ctx, block, deps)),
    )
    .on(
      Move,
      listen(async (ctx, move) => {
        // Only an account moves itself. The target's id is read as sent (a bare IRI, as
        // Mastodon writes it); the account itself is fetched fresh, never taken from the Move.
        const origin = move.actorId?.href;
        const sent = receivedActivityJson(ctx, move)?.target;
        const target = typeof sent === "string" ? sent : move.targetId?.href;
        if (!deps.followMoves || !origin || move.objectId?.href !== origin || !target) {
          logger.info({ activity: move.id?.href }, "Move ignored: an account moves only itself");
          return;
        }
        const found = await deps.remoteLookup.lookupActor(target);
        const outcome = await deps.followMoves.receiveMove(origin, found);
        logger.info({ activity: move.id?.href, ...outcome }, "remote Move");
      }),
    )
    .onError((_ctx, error) => {
      logger.warn({ err: error }, "inbox listener failed");
    });

  async function receiveUndo(ctx: InboxContext<void>, undo: Undo): Promise<void> {
    if (!undo.actorId) return;
    // An undone Announce or Like may no longer be served: not finding it is not an error.
    const object = await undo.getObject(ctx).catch(() => null);
    if (object instanceof Block) return receiveUndoBlock(undo.actorId.href, object, deps);
    if (object instanceof Follow) {
      // Only the follower may undo its follow.
      if (object.actorId?.href !== undo.actorId.href) return;
      const username = localIdentifier(ctx, object.objectId);
      if (!username) return;
      await follows.receiveUndoFollow({ followerIri: undo.actorId.href, username });
      return;
    }
    const reaction = object instanceof Announce || object instanceof Like ? object : null;
    // Only who reacted may take it back (the service checks it again for a bare id).
    if (reaction && reaction.actorId?.href !== undo.actorId.href) return;
    const activityIri = reaction ? reaction.id : object === null ? undo.objectId : null;
    if (!activityIri) return;
    await cosign.undoReaction({ actorIri: undo.actorId.href, activityIri: activityIri.href });
  }

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

  /** Create or Update of a Note: read it, and let the service decide whether it is ours to keep. */
  async function receiveNote(ctx: InboxContext<void>, activity: Create | Update): Promise<void> {
    if (!activity.actorId) return;
    const note = await activity.getObject(ctx);
    if (!(note instanceof Note) || !note.id || !note.attributionId) return;
    // A reply to one of our direct messages is an answer, never an encounter: it stops here.
    if (activity instanceof Create && note.replyTargetId?.origin === ctx.origin) {
      if (await receiveDirectReply(activity, note)) return;
    }
    const record = await noteToRemoteEncounter(note, {
      // As sent, not rebuilt from the parsed object: JSON-LD drops what its context lacks.
      raw: receivedObjectJson(ctx, activity, note.id),
      contextLoader: ctx.contextLoader,
    });
    const actorIri = activity.actorId.href;
    // A reply to one of our encounters (or to a reply under it) joins that thread: tagged
    // #Socialdapres or not, it is a witness speaking, never an encounter of its own.
    const reply = noteToRemoteReply(note, record);
    if (reply) {
      const answered =
        activity instanceof Create
          ? await replies.receiveCreate(actorIri, reply)
          : await replies.receiveUpdate(actorIri, reply);
      if (answered.status !== "not_a_reply") {
        logger.debug({ activity: activity.id?.href, note: note.id.href, ...answered }, "reply");
        return;
      }
    }
    const outcome =
      activity instanceof Create
        ? await remoteEncounters.receiveCreate(actorIri, record)
        : await remoteEncounters.receiveUpdate(actorIri, record);
    logger.debug({ activity: activity.id?.href, note: note.id.href, ...outcome }, "remote Note");
  }

  /** True when the Note answers one of our direct messages (handled or ignored by the service). */
  async function receiveDirectReply(create: Create, note: Note): Promise<boolean> {
    if (!deps.weeklyQuestions || !create.actorId || !note.id || !note.replyTargetId) return false;
    // Only its author may answer with a Note.
    if (note.attributionId?.href !== create.actorId.href) return false;
    const outcome = await deps.weeklyQuestions.receiveReply({
      actorIri: create.actorId.href,
      inReplyTo: note.replyTargetId.href,
      noteIri: note.id.href,
      content: note.content?.toString() ?? "",
      // Only the people it names may see it: no public, no followers (Mastodon's "direct").
      private: visibilityOf(note) === "participants",
    });
    logger.debug({ activity: create.id?.href, outcome }, "reply to a direct message");
    return outcome !== "not_ours";
  }

  /** A boost or a like: only the object's id is read, nothing is fetched. */
  async function react(kind: "announce" | "like", activity: Announce | Like): Promise<void> {
    if (!activity.id || !activity.actorId || !activity.objectId) return;
    await cosign.recordReaction({
      kind,
      actorIri: activity.actorId.href,
      objectIri: activity.objectId.href,
      activityIri: activity.id.href,
    });
  }
}

/**
 * Why an activity is refused whatever its type, or undefined. One actor speaks: its key
 * signed the request. The activity and what it undoes or deletes are on that actor's
 * server: a server speaks only for its own objects (FEP-fe34).
 */
function refusal(activity: Activity): string | undefined {
  const actor = activity.actorId;
  if (!actor || activity.actorIds.length !== 1) return "an activity has exactly one actor";
  if (activity.id && activity.id.origin !== actor.origin) {
    return "the activity's id is not on its actor's server";
  }
  if ((activity instanceof Delete || activity instanceof Undo) && activity.objectId) {
    if (activity.objectId.origin !== actor.origin) {
      return "an actor deletes or undoes only what its own server holds";
    }
  }
  return undefined;
}

function localIdentifier(ctx: InboxContext<void>, iri: URL | null): string | undefined {
  if (!iri) return undefined;
  const parsed = ctx.parseUri(iri);
  return parsed?.type === "actor" && parsed.identifier !== INSTANCE_ACTOR_IDENTIFIER
    ? parsed.identifier
    : undefined;
}
