import type { Visibility } from "../../db/schema.ts";

/** Mastodon's four visibilities (https://docs.joinmastodon.org/entities/Status/#visibility). */
export const MASTODON_VISIBILITIES = ["public", "unlisted", "private", "direct"] as const;
export type MastodonVisibility = (typeof MASTODON_VISIBILITIES)[number];

/**
 * The names Mastodon apps use for ours: its `private` is our followers-only, its `direct` our
 * participants-only; a private-only tracker entry shows to its author as `direct`.
 */
export const TO_MASTODON: Record<Visibility, MastodonVisibility> = {
  public: "public",
  unlisted: "unlisted",
  followers: "private",
  participants: "direct",
  private: "direct",
};

/**
 * What an app asks for, in our words. `direct` naming no fediverse account reaches nobody: it is
 * a private-only entry of the author's tracker.
 */
export function fromMastodonVisibility(
  asked: MastodonVisibility,
  namesAnAccount: boolean,
): Visibility {
  switch (asked) {
    case "public":
      return "public";
    case "unlisted":
      return "unlisted";
    case "private":
      return "followers";
    case "direct":
      return namesAnAccount ? "participants" : "private";
  }
}
