import type { InboxContext } from "@fedify/fedify";
import type { Activity } from "@fedify/vocab";
import { embeddedObjectJson } from "./mappers/received-tags.ts";

/**
 * The JSON of a received activity exactly as its sender wrote it: the body the inbox route
 * of src/http/fedify-bridge.ts handed Fedify byte for byte (its Digest checked), which Fedify
 * keeps with the queued message and puts on the listener's context (`InboxContextImpl
 * .activity`, the payload `forwardActivity` forwards unchanged). It travels through the
 * durable queue (queue_jobs) with the activity, so a worker process, a retry or a restart
 * reads the very body that was verified — unlike a store of request bodies kept in the web
 * process, which the worker does not share, or one keyed by activity id, which another
 * sender could fill with its own body under the same id.
 *
 * Undefined when it is not there or is not this activity (an id that differs): callers
 * then read only the parsed object. Pinned by test/federation/inbound-fidelity.test.ts (hashtags
 * that only the JSON as sent carries), so a Fedify upgrade that moves it fails a test rather
 * than silently reading less.
 */
export function receivedActivityJson(
  ctx: InboxContext<unknown>,
  activity: Activity,
): Record<string, unknown> | undefined {
  const json = (ctx as { activity?: unknown }).activity;
  if (typeof json !== "object" || json === null || Array.isArray(json)) return undefined;
  const sent = json as Record<string, unknown>;
  return activity.id && sent.id === activity.id.href ? sent : undefined;
}

/** The received JSON of the Note `noteId` when the activity embedded it; undefined otherwise. */
export function receivedObjectJson(
  ctx: InboxContext<unknown>,
  activity: Activity,
  noteId: URL,
): Record<string, unknown> | undefined {
  return embeddedObjectJson(receivedActivityJson(ctx, activity), noteId.href);
}
