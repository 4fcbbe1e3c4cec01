import { and, eq, isNull, or } from "drizzle-orm";
import type { Db, DbExecutor } from "../db/database.ts";
import {
  accessTokens,
  accountTokens,
  actors,
  directMessages,
  encounterParticipants,
  encounterPrivate,
  encounterReplies,
  encounters,
  followImports,
  follows,
  mediaUploads,
  memberLikes,
  members,
  notifications,
  oauthAuthorizationCodes,
  participantCircles,
  trackerLinkRequests,
  trackerSettings,
  webSessions,
  weeklyCheckins,
  weeklyQuestions,
} from "../db/schema.ts";
import type { CosignService } from "../encounters/cosign-service.ts";
import type { EncountersService } from "../encounters/encounters-service.ts";
import type { LikesService } from "../encounters/likes-service.ts";
import type { RepliesService } from "../encounters/replies-service.ts";
import type { TrackerDataService } from "../exposure/tracker-data-service.ts";
import type { FollowsService } from "../follows/follows-service.ts";
import type { MediaService } from "../media/media-service.ts";
import type { Outbox } from "../outbox/outbox.ts";
import { DomainError } from "../shared/errors.ts";
import type { DeletedAccountRecipient } from "../shared/events.ts";
import type { Logger } from "../shared/logger.ts";
import type { AccountExportService } from "./account-export-service.ts";
import type { MembersService } from "./members-service.ts";
import { UNMATCHABLE_HASH } from "./passwords.ts";

/** What a deletion took away, for the CLI to say. */
export interface AccountDeletion {
  username: string;
  encounters: number;
  replies: number;
  cosignaturesWithdrawn: number;
  likesUndone: number;
  followsUndone: number;
  followersRemoved: number;
}

export interface AccountDeletionService {
  /**
   * Deletes a local member's account: everything they published is deleted the way they would
   * delete it one by one (each a `Delete` or an `Undo` to the servers that had it), then their
   * followers' servers are sent `Delete(Person)` and every private row is erased. The name
   * stays reserved (the `members` row stays, blanked, with `deleted_at`), and so do the keys,
   * which sign the `Delete(Person)` whenever the queue delivers it. Running it again on an
   * account whose deletion was interrupted finishes it.
   */
  deleteAccount(username: string): Promise<AccountDeletion>;
}

export interface AccountDeletionDeps {
  db: Db;
  members: Pick<MembersService, "findWithActor">;
  encounters: Pick<EncountersService, "delete">;
  replies: Pick<RepliesService, "delete">;
  cosign: Pick<CosignService, "decline">;
  likes: Pick<LikesService, "unlike">;
  follows: Pick<FollowsService, "unfollow">;
  trackerData: Pick<TrackerDataService, "deleteAll">;
  media: Pick<MediaService, "deleteMedia" | "deletePhoto">;
  /** The member's archives (src/accounts/account-export-service.ts), files included. */
  accountExports?: Pick<AccountExportService, "eraseAll">;
  events: Pick<Outbox, "record" | "dispatch">;
  newActivityIri: (kind: string) => string;
  logger: Logger;
}

type ActorRow = typeof actors.$inferSelect;

const recipientOf = (row: ActorRow): DeletedAccountRecipient => ({
  iri: row.iri,
  inbox: row.inboxUrl,
  sharedInbox: row.sharedInboxUrl,
});

export function createAccountDeletionService(deps: AccountDeletionDeps): AccountDeletionService {
  const { db, events } = deps;

  /**
   * No sign-in from now on: the password, the sessions, the tokens, the e-mail go first. The
   * account still acts (through the services below) until `erase` sets `deleted_at`.
   */
  async function closeDoors(tx: DbExecutor, memberId: string) {
    await tx
      .update(members)
      .set({ passwordHash: UNMATCHABLE_HASH, email: null, emailVerifiedAt: null })
      .where(eq(members.id, memberId));
    await tx.delete(webSessions).where(eq(webSessions.memberId, memberId));
    await tx.delete(accessTokens).where(eq(accessTokens.memberId, memberId));
    await tx.delete(oauthAuthorizationCodes).where(eq(oauthAuthorizationCodes.memberId, memberId));
    await tx.delete(accountTokens).where(eq(accountTokens.memberId, memberId));
  }

  async function assertNotLastAdmin(memberId: string, username: string) {
    const admins = await db
      .select({ id: members.id })
      .from(members)
      .where(and(eq(members.role, "admin"), isNull(members.deletedAt)));
    if (admins.length === 1 && admins[0]?.id === memberId) {
      throw new DomainError(
        "conflict",
        `@${username} is the last admin: make another member admin first (user role <name> admin).`,
      );
    }
  }

  /** The remote actors following the member (whatever the state) and those the member follows. */
  async function relations(actorId: string) {
    const followers = await db
      .select({ actor: actors })
      .from(follows)
      .innerJoin(actors, eq(actors.id, follows.followerId))
      .where(eq(follows.followingId, actorId));
    const following = await db
      .select({ actor: actors })
      .from(follows)
      .innerJoin(actors, eq(actors.id, follows.followingId))
      .where(eq(follows.followerId, actorId));
    const remote = new Map<string, ActorRow>();
    for (const { actor } of [...followers, ...following]) {
      if (actor.memberId === null) remote.set(actor.id, actor);
    }
    return { remote: [...remote.values()], following: following.map((r) => r.actor.iri) };
  }

  /** What stays of the member: the name (reserved) and the keys; the rest is erased. */
  async function erase(tx: DbExecutor, memberId: string, actorId: string) {
    const [member] = await tx.select().from(members).where(eq(members.id, memberId));
    const uploads = await tx
      .delete(mediaUploads)
      .where(eq(mediaUploads.memberId, memberId))
      .returning({ files: mediaUploads.files });
    const followers = await tx
      .delete(follows)
      .where(or(eq(follows.followingId, actorId), eq(follows.followerId, actorId)))
      .returning();
    for (const table of [
      notifications,
      encounterPrivate,
      participantCircles,
      trackerSettings,
      weeklyQuestions,
      weeklyCheckins,
      trackerLinkRequests,
      directMessages,
      memberLikes,
      webSessions,
      accountTokens,
      followImports,
    ] as const) {
      await tx.delete(table).where(eq(table.memberId, memberId));
    }
    await tx.delete(accessTokens).where(eq(accessTokens.memberId, memberId));
    await tx
      .update(members)
      .set({
        displayName: "",
        bio: "",
        fields: [],
        avatarUrl: null,
        avatarMediaKey: null,
        headerUrl: null,
        headerMediaKey: null,
        discoverable: false,
        indexable: false,
        manuallyApprovesFollowers: false,
        autoCosignFromFollowed: false,
        alsoKnownAs: [],
        role: "member",
        language: "fr",
        profileUpdatedAt: new Date(),
        // From now on the account acts no more (requireByUsername) and answers 410.
        deletedAt: new Date(),
      })
      .where(eq(members.id, memberId));
    await tx
      .update(actors)
      .set({ name: "", summary: "", avatarUrl: null, manuallyApprovesFollowers: false })
      .where(eq(actors.id, actorId));
    const files = [member?.avatarMediaKey, member?.headerMediaKey].filter(
      (key): key is string => typeof key === "string",
    );
    return { files, uploads: uploads.map((u) => u.files), followers: followers.length };
  }

  return {
    async deleteAccount(username) {
      const found = await deps.members.findWithActor(username);
      if (!found) throw new DomainError("not_found", `No member named "${username}".`);
      const { member, actor } = found;
      const summary: AccountDeletion = {
        username: member.username,
        encounters: 0,
        replies: 0,
        cosignaturesWithdrawn: 0,
        likesUndone: 0,
        followsUndone: 0,
        followersRemoved: 0,
      };
      // Done already: `deleted_at` is set by the last step.
      if (member.deletedAt) return summary;
      await assertNotLastAdmin(member.id, member.username);
      await db.transaction((tx) => closeDoors(tx, member.id));

      // The tracker first: its never-published entries go without a word to anyone.
      await deps.trackerData.deleteAll(member.username);
      // Then what was published, each the way the member would take it back, while the
      // followers are still there to be told (each Delete or Undo is queued on the way).
      const own = await db
        .select({ id: encounters.id })
        .from(encounters)
        .where(and(eq(encounters.authorId, actor.id), isNull(encounters.deletedAt)));
      for (const { id } of own) {
        await deps.encounters.delete(member.username, id);
        summary.encounters++;
      }
      const replies = await db
        .select({ id: encounterReplies.id })
        .from(encounterReplies)
        .where(
          and(
            eq(encounterReplies.authorId, actor.id),
            eq(encounterReplies.isLocal, true),
            isNull(encounterReplies.deletedAt),
          ),
        );
      for (const { id } of replies) {
        await deps.replies.delete(member.username, id);
        summary.replies++;
      }
      const cosigned = await db
        .select({ encounterId: encounterParticipants.encounterId })
        .from(encounterParticipants)
        .where(
          and(
            eq(encounterParticipants.actorId, actor.id),
            eq(encounterParticipants.cosignState, "cosigned"),
          ),
        );
      for (const { encounterId } of cosigned) {
        await deps.cosign.decline(member.username, encounterId);
        summary.cosignaturesWithdrawn++;
      }
      const liked = await db
        .select({ objectIri: memberLikes.objectIri })
        .from(memberLikes)
        .where(eq(memberLikes.memberId, member.id));
      for (const { objectIri } of liked) {
        await deps.likes.unlike(member.username, objectIri);
        summary.likesUndone++;
      }
      // Whoever hears of the account's end: its followers and those it followed.
      const related = await relations(actor.id);
      for (const iri of related.following) {
        await deps.follows.unfollow(member.username, iri);
        summary.followsUndone++;
      }

      const { recorded, erased } = await db.transaction(async (tx) => {
        const erased = await erase(tx, member.id, actor.id);
        const recorded = await events.record(tx, {
          type: "member.deleted",
          username: member.username,
          activityIri: deps.newActivityIri("delete"),
          recipients: related.remote.map(recipientOf),
        });
        return { recorded, erased };
      });
      summary.followersRemoved = erased.followers;
      await events.dispatch(recorded);
      for (const key of erased.files) await deps.media.deleteMedia(key).catch(() => {});
      for (const files of erased.uploads) await deps.media.deletePhoto(files).catch(() => {});
      // The archives the member asked for hold everything just erased: they go too.
      await deps.accountExports?.eraseAll(member.id);
      deps.logger.info({ member: member.id }, "account deleted");
      return summary;
    },
  };
}

/** What `buildServices` (src/services.ts) adds for deleting accounts. */
export interface AccountDeletionServices {
  /** A member leaves: from /settings/delete, or `npm run cli -- user delete`. */
  accountDeletion: AccountDeletionService;
}

export function buildAccountDeletion(
  deps: Omit<AccountDeletionDeps, "newActivityIri"> & {
    urls: { newActivity(kind: string): URL };
  },
): AccountDeletionServices {
  const { urls, ...rest } = deps;
  return {
    accountDeletion: createAccountDeletionService({
      ...rest,
      newActivityIri: (kind) => urls.newActivity(kind).href,
      logger: deps.logger.child({ component: "account-deletion" }),
    }),
  };
}
