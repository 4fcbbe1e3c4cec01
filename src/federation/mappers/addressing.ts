import { PUBLIC_COLLECTION } from "@fedify/vocab";
import type { Visibility } from "../../db/schema.ts";

/** The ways servers and clients write the public audience in `to` and `cc`. */
const PUBLIC_ALIASES = new Set([PUBLIC_COLLECTION.href, "as:Public", "Public"]);

export const isPublicAudience = (iri: string): boolean => PUBLIC_ALIASES.has(iri);

/**
 * Mastodon's visibility rules read backwards, the one reading for every way an encounter
 * arrives (a C2S client's Note, a remote server's Note): the public audience in `to` →
 * public, in `cc` → unlisted, the author's followers → followers, anyone else → the
 * participants only. `isFollowers` says whether an address is the author's followers
 * collection.
 */
export function visibilityFromAddressing(
  to: readonly string[],
  cc: readonly string[],
  isFollowers: (iri: string) => boolean,
): Exclude<Visibility, "private"> {
  if (to.some(isPublicAudience)) return "public";
  if (cc.some(isPublicAudience)) return "unlisted";
  if ([...to, ...cc].some(isFollowers)) return "followers";
  return "participants";
}
