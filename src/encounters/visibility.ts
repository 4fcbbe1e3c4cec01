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

/** Narrowest first: a reply's audience is compared with its encounter's on this scale. */
const AUDIENCE_RANK: Record<Visibility, number> = {
  private: 0,
  participants: 1,
  followers: 2,
  unlisted: 3,
  public: 4,
};

/**
 * The visibility of a reply: what was asked for, never wider than what it answers (the
 * encounter, and the reply it answers in a thread). A followers-only encounter gets at most
 * followers-only replies, a participants-only one replies only its author and named people.
 */
export function replyVisibility(
  asked: Exclude<Visibility, "private"> | undefined,
  ...parents: { visibility: Visibility }[]
): Visibility {
  let visibility: Visibility = asked ?? "public";
  for (const parent of parents) {
    if (AUDIENCE_RANK[parent.visibility] < AUDIENCE_RANK[visibility]) {
      visibility = parent.visibility;
    }
  }
  return visibility;
}

/** Who reads a reply, as the rule below needs to know it. */
export interface ReplyReader {
  /** The reader wrote the reply. */
  isReplier: boolean;
  /** The reader may read the encounter (`mayRead`). */
  readsEncounter: boolean;
  /** The reader wrote the encounter, or is one of the actors the reply addresses. */
  isAddressed: boolean;
  /** The reader follows the replier, and the replier accepted. */
  followsReplier: boolean;
}

/**
 * Who may read a reply, by Mastodon's rules for a reply: public and unlisted for whoever
 * reads the encounter; followers-only for the replier's followers and those it addresses;
 * participants-only for those it addresses. The encounter's author reads every reply to it,
 * the replier their own; nobody reads a deleted one, and nobody but the replier reads a
 * reply to an encounter they may not read.
 */
export function mayReadReply(
  reply: { visibility: Visibility; deletedAt: Date | null },
  reader: ReplyReader,
): boolean {
  if (reply.deletedAt) return false;
  if (reader.isReplier) return true;
  if (!reader.readsEncounter) return false;
  switch (reply.visibility) {
    case "public":
    case "unlisted":
      return true;
    case "followers":
      return reader.isAddressed || reader.followsReplier;
    case "participants":
      return reader.isAddressed;
    case "private":
      return false;
  }
}

/** Replies anyone who reads the encounter reads: what the Note counts and the page shows. */
export const SHOWN_REPLIES: readonly Visibility[] = ["public", "unlisted"];
