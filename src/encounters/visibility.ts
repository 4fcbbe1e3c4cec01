import type { Visibility } from "../db/schema.ts";

/**
 * Who may read an encounter: the one rule, applied by the API, the HTML pages, the Note
 * served to other servers and every future client. Mastodon's rules for a status — public
 * and unlisted for anyone, followers-only for the author's accepted followers (and the
 * servers that host them, asking as themselves),
 * participants-only for the people named — plus the tracker's private-only entries, which
 * are their author's alone. The author always reads their own; nobody reads a deleted one.
 */
export interface Reader {
  isAuthor: boolean;
  /** The reader is one of the people the encounter names. */
  isNamed: boolean;
  /** The reader follows the author, and the author accepted. */
  followsAuthor: boolean;
  /**
   * The reader is a server — its instance actor, as Mastodon signs fetches in authorized-fetch
   * mode — that hosts at least one of the author's accepted followers. It was sent the
   * followers-only post already (through its shared inbox); it may fetch it again.
   */
  hostsFollowerOfAuthor?: boolean;
}

/** A reader known to nobody: a visitor of the web pages, an unsigned fetch. */
export const ANYONE: Reader = {
  isAuthor: false,
  isNamed: false,
  followsAuthor: false,
  hostsFollowerOfAuthor: false,
};

type Readable = { visibility: Visibility; deletedAt: Date | null };

export function mayRead(encounter: Readable, reader: Reader): boolean {
  if (encounter.deletedAt) return false;
  if (reader.isAuthor) return true;
  switch (encounter.visibility) {
    case "public":
    case "unlisted":
      return true;
    case "followers":
      return reader.followsAuthor || reader.isNamed || reader.hostsFollowerOfAuthor === true;
    case "participants":
      return reader.isNamed;
    case "private":
      return false;
  }
}

/** Lists (profiles, tag pages, outboxes) show public encounters: unlisted ones are reached by their link. */
export const LISTED: readonly Visibility[] = ["public"];

/**
 * A private-only encounter is the author's tracker entry: it is never delivered, never
 * served to another server (not even as a Tombstone), never shown, and names nobody.
 */
export const isPrivateOnly = (encounter: { visibility: Visibility }): boolean =>
  encounter.visibility === "private";

/**
 * Co-signing shows an encounter to the co-signer's followers: only what anyone may already
 * read (public or unlisted) may be co-signed, from our API or by a remote participant's boost.
 */
export const isCosignable = (encounter: { visibility: Visibility }): boolean =>
  encounter.visibility === "public" || encounter.visibility === "unlisted";
