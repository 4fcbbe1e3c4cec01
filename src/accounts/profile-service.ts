import { eq } from "drizzle-orm";
import type { Db } from "../db/database.ts";
import { actors, members, type ProfileField } from "../db/schema.ts";
import type { MediaService, StoredProfileImage } from "../media/media-service.ts";
import type { ProfileImageKind } from "../media/photo-processor.ts";
import type { Outbox, RecordedEvent } from "../outbox/outbox.ts";
import { parseOrThrow } from "../shared/validation.ts";
import type { Member, MembersService } from "./members-service.ts";
import { type ProfilePatchInput, profilePatchSchema } from "./profile-input.ts";

/**
 * What a member shows of themselves: on their page, in their actor, to their followers (with
 * whether followers need approval and whether the member is listed: both are in the actor).
 */
export interface Profile {
  username: string;
  displayName: string;
  bio: string;
  fields: ProfileField[];
  avatarUrl: string | null;
  headerUrl: string | null;
  /** Each new follower waits for the member's approval. */
  manuallyApprovesFollowers: boolean;
  /** Listed on the instance's home page and in directories. */
  discoverable: boolean;
  /** When it was last changed; null when never edited. */
  updatedAt: Date | null;
}

/** New images for a profile: a file replaces, `null` removes, undefined keeps. */
export interface ProfileImages {
  avatar?: Buffer | null;
  header?: Buffer | null;
}

export interface ProfileService {
  get(username: string): Promise<Profile>;
  /**
   * Changes what is sent (the patch is validated here; the images go through the photo
   * pipeline) and, when anything changed, tells the member's followers with an
   * `Update(Person)` (the event `profile.updated`). `changed` is false when the profile
   * already was so: nothing is sent then.
   */
  update(
    username: string,
    patch: ProfilePatchInput,
    images?: ProfileImages,
  ): Promise<{ profile: Profile; changed: boolean }>;
}

export function profileOf(member: Member): Profile {
  return {
    username: member.username,
    displayName: member.displayName,
    bio: member.bio,
    fields: member.fields.map(({ name, value }) => ({ name, value })),
    avatarUrl: member.avatarUrl,
    headerUrl: member.headerUrl,
    manuallyApprovesFollowers: member.manuallyApprovesFollowers,
    discoverable: member.discoverable,
    updatedAt: member.profileUpdatedAt,
  };
}

type Images = Partial<Record<ProfileImageKind, StoredProfileImage>>;

const sameFields = (a: ProfileField[], b: ProfileField[]) =>
  a.length === b.length && a.every((f, i) => f.name === b[i]?.name && f.value === b[i]?.value);

/**
 * The owner of a member's profile: the profile columns of `members` and the name, summary
 * and avatar of the member's row in `actors` (which pages and other rows read), changed in
 * one transaction with the event that federates them.
 */
export function createProfileService(deps: {
  db: Db;
  members: MembersService;
  media: Pick<MediaService, "storeProfileImage" | "deleteMedia">;
  events: Outbox;
  /** A fresh id for the `Update` activity (src/shared/local-urls.ts `newActivity`). */
  newActivityIri: (kind: string) => string;
  now?: () => Date;
}): ProfileService {
  const { db, media, events } = deps;
  const now = deps.now ?? (() => new Date());

  async function discard(images: Images): Promise<void> {
    for (const image of Object.values(images)) {
      if (image) await media.deleteMedia(image.key).catch(() => {});
    }
  }

  return {
    async get(username) {
      return profileOf((await deps.members.requireByUsername(username)).member);
    },

    async update(username, patch, images = {}) {
      const valid = parseOrThrow(profilePatchSchema, patch);
      const { member } = await deps.members.requireByUsername(username);
      // The images first, outside the transaction: a file a person must replace changes nothing.
      const stored: Images = {};
      try {
        if (images.avatar) stored.avatar = await media.storeProfileImage(images.avatar, "avatar");
        if (images.header) stored.header = await media.storeProfileImage(images.header, "header");
      } catch (error) {
        await discard(stored);
        throw error;
      }
      let outcome: { recorded?: RecordedEvent; replaced: string[] };
      try {
        outcome = await db.transaction(async (tx) => {
          // Read under a lock: two edits at once each see the other's images to delete.
          const [current] = await tx
            .select()
            .from(members)
            .where(eq(members.id, member.id))
            .for("update");
          if (!current) throw new Error(`member ${member.id} vanished`);
          const avatar = nextImage("avatar", current.avatarUrl, current.avatarMediaKey);
          const header = nextImage("header", current.headerUrl, current.headerMediaKey);
          const next = {
            displayName: valid.displayName ?? current.displayName,
            bio: valid.bio ?? current.bio,
            fields: valid.fields ?? current.fields,
            avatarUrl: avatar.url,
            avatarMediaKey: avatar.key,
            headerUrl: header.url,
            headerMediaKey: header.key,
            manuallyApprovesFollowers:
              valid.manuallyApprovesFollowers ?? current.manuallyApprovesFollowers,
            discoverable: valid.discoverable ?? current.discoverable,
          };
          const replaced = [
            next.avatarMediaKey !== current.avatarMediaKey ? current.avatarMediaKey : null,
            next.headerMediaKey !== current.headerMediaKey ? current.headerMediaKey : null,
          ].filter((key): key is string => key !== null);
          const changed =
            next.displayName !== current.displayName ||
            next.bio !== current.bio ||
            !sameFields(next.fields, current.fields) ||
            next.avatarUrl !== current.avatarUrl ||
            next.headerUrl !== current.headerUrl ||
            next.manuallyApprovesFollowers !== current.manuallyApprovesFollowers ||
            next.discoverable !== current.discoverable;
          if (!changed) return { replaced };
          await tx
            .update(members)
            .set({ ...next, profileUpdatedAt: now() })
            .where(eq(members.id, member.id));
          await tx
            .update(actors)
            .set({
              name: next.displayName,
              summary: next.bio,
              avatarUrl: next.avatarUrl,
              manuallyApprovesFollowers: next.manuallyApprovesFollowers,
            })
            .where(eq(actors.memberId, member.id));
          const recorded = await events.record(tx, {
            type: "profile.updated",
            username: current.username,
            activityIri: deps.newActivityIri("update"),
          });
          return { recorded, replaced };
        });
      } catch (error) {
        await discard(stored);
        throw error;
      }
      // The old files go once nothing points at them any more.
      for (const key of outcome.replaced) await media.deleteMedia(key).catch(() => {});
      await events.dispatch(outcome.recorded);
      const updated = await deps.members.findById(member.id);
      if (!updated) throw new Error(`member ${member.id} vanished`);
      return { profile: profileOf(updated), changed: outcome.recorded !== undefined };

      /** The image a kind ends up with: the new one, none, or the current one. */
      function nextImage(kind: ProfileImageKind, url: string | null, key: string | null) {
        const image = stored[kind];
        if (image) return { url: image.url, key: image.key };
        return images[kind] === null ? { url: null, key: null } : { url, key };
      }
    },
  };
}
