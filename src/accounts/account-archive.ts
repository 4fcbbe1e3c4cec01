import { and, asc, eq, isNull } from "drizzle-orm";
import { zipSync } from "fflate";
import type { Db } from "../db/database.ts";
import type { Keyset } from "../db/keyset.ts";
import { actors, encounterReplies, follows, memberLikes } from "../db/schema.ts";
import type { EncountersRepository, EncounterView } from "../encounters/encounters-repository.ts";
import { participantName } from "../exposure/private-fields-service.ts";
import type { TrackerDataService } from "../exposure/tracker-data-service.ts";
import { printAccountListCsv, printFollowingCsv } from "../follows/mastodon-csv.ts";
import type { MediaStorage } from "../media/media-storage.ts";
import type { MembersService } from "./members-service.ts";

/** Who a member blocks, as `user@host` (blocks are another domain's; none until it exists). */
/** The accounts a member blocks (src/moderation/blocks-service.ts), by username. */
export type BlockedAccounts = (
  username: string,
) => Promise<ReadonlyArray<{ username: string; host: string }>>;

export interface AccountArchiveDeps {
  db: Db;
  members: Pick<MembersService, "requireByUsername">;
  repository: Pick<EncountersRepository, "listWitnessedBy">;
  trackerData: Pick<TrackerDataService, "exportData">;
  storage: Pick<MediaStorage, "get">;
  blockedAccounts: BlockedAccounts;
  now?: () => Date;
}

/** What `private-tracker.json` says of itself, before its data. */
export const PRIVATE_TRACKER_NOTICE =
  "PRIVATE — your exposure tracker. Nobody else ever saw these data: keep this file to yourself.";

const PAGE = 500;
const ALL = ["public", "unlisted", "followers", "participants", "private"] as const;

const handleOf = (row: { username: string; host: string }) => `${row.username}@${row.host}`;

/**
 * A member's archive, as one ZIP: `account.json` (profile, settings), `encounters.json`
 * (encounters written or co-signed, replies, likes), `media/` (their photos, avatar, header),
 * `private-tracker.json` (marked private), and Mastodon's CSVs (`following_accounts.csv`,
 * `followers.csv`, `blocked_accounts.csv`). Built in memory: a member's data are bounded by
 * what they posted, and the photos are stored small.
 */
export async function buildAccountArchive(
  deps: AccountArchiveDeps,
  username: string,
): Promise<Uint8Array> {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const { member, actor } = await deps.members.requireByUsername(username);
  const files: Record<string, Uint8Array> = {};
  const text = (value: string) => new TextEncoder().encode(value);
  const json = (value: unknown) => text(`${JSON.stringify(value, null, 2)}\n`);

  const mediaFiles: string[] = [];
  async function addMedia(key: string | null | undefined): Promise<string | null> {
    if (!key) return null;
    const stored = await deps.storage.get(key);
    if (!stored) return null;
    const name = `media/${key}`;
    if (!files[name]) {
      files[name] = new Uint8Array(stored.bytes);
      mediaFiles.push(name);
    }
    return name;
  }

  files["account.json"] = json({
    exportedAt: now().toISOString(),
    actor: actor.iri,
    profile: {
      username: member.username,
      displayName: member.displayName,
      bio: member.bio,
      fields: member.fields,
      avatar: await addMedia(member.avatarMediaKey),
      header: await addMedia(member.headerMediaKey),
      createdAt: member.createdAt.toISOString(),
    },
    settings: {
      language: member.language,
      email: member.email,
      manuallyApprovesFollowers: member.manuallyApprovesFollowers,
      discoverable: member.discoverable,
      indexable: member.indexable,
      autoCosignFromFollowed: member.autoCosignFromFollowed,
    },
    alsoKnownAs: member.alsoKnownAs,
    movedTo: member.movedTo,
  });

  const witnessed: EncounterView[] = [];
  for (let before: Keyset | undefined; ; ) {
    const page = await deps.repository.listWitnessedBy(actor.id, {
      limit: PAGE,
      before,
      visibilities: ALL,
    });
    witnessed.push(...page);
    if (page.length < PAGE) break;
    const last = page.at(-1);
    before = last && { at: last.publishedAt, id: last.id };
  }
  const encounters = [];
  for (const e of witnessed.reverse()) {
    if (e.deletedAt) continue;
    encounters.push({
      id: e.id,
      iri: e.iri,
      role: e.authorId === actor.id ? "author" : "cosigner",
      author: handleOf(e.author),
      occurredOn: e.occurredOn,
      publishedAt: e.publishedAt.toISOString(),
      updatedAt: e.updatedAt?.toISOString() ?? null,
      visibility: e.visibility,
      text: e.text,
      keywords: e.keywords,
      details: e.details,
      contentWarning: e.contentWarning,
      sensitive: e.sensitive,
      photo:
        e.photo && e.authorId === actor.id
          ? { file: await addMedia(e.photo.key), alt: e.photo.alt ?? "" }
          : null,
      participants: e.participants.map((p) => ({
        name: participantName(p),
        cosignState: p.actor ? p.cosignState : null,
      })),
      likes: e.likesCount,
      announces: e.announcesCount,
    });
  }
  const replies = await db
    .select()
    .from(encounterReplies)
    .where(and(eq(encounterReplies.authorId, actor.id), isNull(encounterReplies.deletedAt)))
    .orderBy(asc(encounterReplies.publishedAt));
  const likes = await db
    .select()
    .from(memberLikes)
    .where(eq(memberLikes.memberId, member.id))
    .orderBy(asc(memberLikes.createdAt));
  files["encounters.json"] = json({
    encounters,
    replies: replies.map((r) => ({
      iri: r.iri,
      inReplyTo: r.inReplyToIri,
      publishedAt: r.publishedAt.toISOString(),
      visibility: r.visibility,
      text: r.text,
    })),
    likes: likes.map((l) => ({ object: l.objectIri, likedAt: l.createdAt.toISOString() })),
  });

  const tracker = await deps.trackerData.exportData(member.username);
  files["private-tracker.json"] = json({
    private: true,
    notice: PRIVATE_TRACKER_NOTICE,
    ...tracker,
  });

  const related = async (side: "following" | "followers") => {
    const [mine, other] =
      side === "following"
        ? [follows.followerId, follows.followingId]
        : [follows.followingId, follows.followerId];
    const rows = await db
      .select({ username: actors.username, host: actors.host })
      .from(follows)
      .innerJoin(actors, eq(actors.id, other))
      .where(and(eq(mine, actor.id), eq(follows.state, "accepted")))
      .orderBy(asc(follows.createdAt));
    return rows.map(handleOf);
  };
  files["following_accounts.csv"] = text(printFollowingCsv(await related("following")));
  files["followers.csv"] = text(printAccountListCsv(await related("followers")));
  const blocked = (await deps.blockedAccounts(member.username)).map(handleOf);
  files["blocked_accounts.csv"] = text(printAccountListCsv(blocked));

  // Photos are compressed already: stored as they are, the rest deflated.
  const entries = Object.fromEntries(
    Object.entries(files).map(([name, bytes]) => [
      name,
      [bytes, { level: name.startsWith("media/") ? 0 : 6 }] as const,
    ]),
  );
  return zipSync(entries as Parameters<typeof zipSync>[0], { mtime: now() });
}
