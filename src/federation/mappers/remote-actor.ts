import type { DocumentLoader } from "@fedify/fedify";
import type { Actor } from "@fedify/vocab";
import { Link } from "@fedify/vocab";
import type { RemoteActorRecord } from "../../actors/actors-repository.ts";

const MAX_TEXT = 5000;

/**
 * What we keep of a remote actor. Fields are bounded so a hostile server
 * cannot fill our database through its profile.
 */
export async function actorToRecord(
  actor: Actor,
  options: { documentLoader?: DocumentLoader } = {},
): Promise<RemoteActorRecord> {
  if (!actor.id || !actor.inboxId) {
    throw new Error("an actor without id or inbox cannot be followed or answered");
  }
  const icon = await actor.getIcon(options).catch(() => null);
  const url = actor.url instanceof Link ? actor.url.href : actor.url;
  return {
    iri: actor.id.href,
    type: actorType(actor),
    username: bounded(actor.preferredUsername?.toString() ?? "", 200),
    host: actor.id.host,
    name: bounded(actor.name?.toString() ?? "", 200),
    summary: bounded(actor.summary?.toString() ?? "", MAX_TEXT),
    url: url?.href ?? null,
    inboxUrl: actor.inboxId.href,
    sharedInboxUrl: actor.endpoints?.sharedInbox?.href ?? null,
    followersUrl: actor.followersId?.href ?? null,
    avatarUrl: httpUrl(icon?.url instanceof URL ? icon.url : (icon?.url?.href ?? null)),
    manuallyApprovesFollowers: actor.manuallyApprovesFollowers ?? false,
    // Bounded: only the first aliases are read (a member names at most a few).
    alsoKnownAs: actor.aliasIds.slice(0, 20).map((iri) => iri.href),
  };
}

function actorType(actor: Actor): string {
  const typeId = (actor.constructor as { typeId?: URL }).typeId;
  return typeId?.hash.slice(1) || typeId?.pathname.split("/").pop() || "Person";
}

/** An http(s) URL of a sane length, or null: an avatar is shown, never run. */
function httpUrl(url: URL | null): string | null {
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) return null;
  return url.href.length <= 2048 ? url.href : null;
}

function bounded(text: string, max: number): string {
  return text.length > max ? text.slice(0, max) : text;
}
