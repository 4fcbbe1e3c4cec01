import { randomUUID } from "node:crypto";
import { and, eq } from "drizzle-orm";
import type { MembersService } from "../accounts/members-service.ts";
import type { ActorRow, ActorsRepository } from "../actors/actors-repository.ts";
import type { Db } from "../db/database.ts";
import {
  type EncounterPhoto,
  encounterParticipants,
  encounters,
  type Visibility,
} from "../db/schema.ts";
import { assertMayPost } from "../moderation/posting.ts";
import type { Relations } from "../moderation/relations.ts";
import type { Outbox, RecordedEvent } from "../outbox/outbox.ts";
import { DomainError } from "../shared/errors.ts";
import type { LocalUrls } from "../shared/local-urls.ts";
import { parseOrThrow } from "../shared/validation.ts";
import {
  checkOccurredOn,
  type EncounterInput,
  type EncounterPatch,
  encounterInputSchema,
  encounterPatchSchema,
  isFediverseReference,
  uniqueKeywords,
  type ValidEncounterInput,
} from "./encounter-input.ts";
import type { EncountersRepository, EncounterView } from "./encounters-repository.ts";
import type { NotificationsService } from "./notifications-service.ts";
import type { ParticipantResolver, PhotoStore, StoredPhotoFiles } from "./participants.ts";
import { isPrivateOnly } from "./visibility.ts";

export interface EncountersService {
  /**
   * `photo`: the bytes of a photo to process and store, or the files of one already stored
   * (an upload made ahead of the post, src/media/uploads-service.ts), which stay if this fails.
   */
  create(
    username: string,
    input: EncounterInput,
    photo?: Buffer | StoredPhotoFiles,
  ): Promise<EncounterView>;
  /**
   * `photo: null` removes the photo; undefined keeps it; bytes or the files of an upload
   * (as for `create`) replace it.
   */
  update(
    username: string,
    id: string,
    patch: EncounterPatch,
    photo?: Buffer | StoredPhotoFiles | null,
  ): Promise<EncounterView>;
  delete(username: string, id: string): Promise<void>;
  /**
   * Erases a member's private-only encounters entirely (never published: nobody to send a
   * Delete to), photos included; returns how many went.
   */
  erasePrivateOnly(actorId: string): Promise<number>;
  /** An encounter the member wrote, whatever its visibility; 404 otherwise. */
  getOwn(username: string, id: string): Promise<EncounterView>;
  /** The same, found by its IRI (what ActivityPub clients name). */
  getOwnByIri(username: string, iri: string): Promise<EncounterView>;
}

const AUDIENCE_SIZE: Record<Visibility, number> = {
  private: -1,
  participants: 0,
  followers: 1,
  unlisted: 2,
  public: 3,
};

interface ResolvedParticipant {
  actor: ActorRow | null;
  plainName: string | null;
}

export function createEncountersService(deps: {
  db: Db;
  members: Pick<MembersService, "requireByUsername">;
  notifications: Pick<NotificationsService, "notifyNamed" | "forgetEncounter">;
  repository: EncountersRepository;
  actors: ActorsRepository;
  resolver: ParticipantResolver;
  /** Nobody is named by an account they block, or that blocks them (src/moderation/relations.ts). */
  relations: Pick<Relations, "namable">;
  photos: PhotoStore;
  /** Each event is recorded in the transaction of the change it reports. */
  events: Pick<Outbox, "record" | "dispatch">;
  urls: LocalUrls;
  /** The member's calendar date at this instant (their time zone); UTC when not given. */
  localToday?: (memberId: string, at: Date) => Promise<string>;
  now?: () => Date;
}): EncountersService {
  const { db, repository, events, urls } = deps;
  const now = deps.now ?? (() => new Date());

  const authorOf = (username: string) => deps.members.requireByUsername(username);

  async function resolveParticipants(
    references: string[],
    author: ActorRow,
  ): Promise<ResolvedParticipant[]> {
    const resolved = await Promise.all(
      references.map(async (reference): Promise<ResolvedParticipant> => {
        if (!isFediverseReference(reference))
          return { actor: null, plainName: reference.slice(0, 100) };
        return { actor: await deps.resolver.resolve(reference), plainName: null };
      }),
    );
    if (resolved.some((p) => p.actor?.id === author.id)) {
      throw new DomainError(
        "invalid",
        "participants must not include yourself: name the people you met.",
      );
    }
    // The same account named twice is one participant.
    return deps.relations.namable(
      author.id,
      resolved.filter(
        (p, i) => !p.actor || resolved.findIndex((q) => q.actor?.id === p.actor?.id) === i,
      ),
    );
  }

  async function storePhoto(
    bytes: Buffer | undefined,
    alt: string | undefined,
  ): Promise<EncounterPhoto | null> {
    if (!bytes) return null;
    const stored = await deps.photos.storePhoto(bytes);
    return { ...stored, alt: alt ?? "" };
  }

  /** Only the fields an encounter keeps, picked by name. */
  const photoOf = (files: StoredPhotoFiles, alt: string | undefined): EncounterPhoto => ({
    url: files.url,
    key: files.key,
    thumbnailUrl: files.thumbnailUrl,
    thumbnailKey: files.thumbnailKey,
    mediaType: files.mediaType,
    width: files.width,
    height: files.height,
    blurhash: files.blurhash,
    alt: alt ?? "",
  });

  async function writeParticipants(
    tx: Pick<Db, "insert">,
    encounterId: string,
    participants: ResolvedParticipant[],
  ) {
    await tx.insert(encounterParticipants).values(
      participants.map((p, position) => ({
        id: randomUUID(),
        encounterId,
        position,
        actorId: p.actor?.id ?? null,
        plainName: p.plainName,
      })),
    );
  }

  async function notifyLocalParticipants(encounterId: string, participants: ResolvedParticipant[]) {
    const local = participants.flatMap((p) => (p.actor?.memberId ? [p.actor.memberId] : []));
    await deps.notifications.notifyNamed(local, encounterId);
  }

  async function loadOwn(username: string, id: string) {
    const { actor } = await authorOf(username);
    const encounter = await repository.findById(id);
    if (!encounter || encounter.authorId !== actor.id || encounter.deletedAt) {
      throw new DomainError("not_found", `No encounter ${id} by ${username}.`);
    }
    return encounter;
  }

  return {
    async create(username, input, photo) {
      const valid: ValidEncounterInput = parseOrThrow(encounterInputSchema, input);
      const at = now();
      const { member, actor } = await authorOf(username);
      assertMayPost(member, valid.visibility === "private" ? "private" : "published");
      const occurredOn =
        valid.occurredOn ??
        (deps.localToday ? await deps.localToday(member.id, at) : at.toISOString().slice(0, 10));
      checkOccurredOn(occurredOn, at);
      const participants = await resolveParticipants(valid.participants, actor);
      const prepared = photo !== undefined && !Buffer.isBuffer(photo);
      const storedPhoto = prepared
        ? photoOf(photo, valid.photoAlt)
        : await storePhoto(photo, valid.photoAlt);
      const id = randomUUID();
      let recorded: RecordedEvent;
      try {
        recorded = await db.transaction(async (tx) => {
          await tx.insert(encounters).values({
            id,
            iri: urls.encounter(member.username, id).href,
            url: urls.encounterPage(member.username, id).href,
            authorId: actor.id,
            isLocal: true,
            occurredOn,
            text: valid.text,
            keywords: uniqueKeywords(valid.keywords),
            visibility: valid.visibility,
            details: valid.details,
            photo: storedPhoto,
            publishedAt: now(),
          });
          await writeParticipants(tx, id, participants);
          return events.record(tx, { type: "encounter.created", encounterId: id });
        });
      } catch (error) {
        // Nothing half-stored: a photo without its encounter is removed.
        if (storedPhoto && !prepared) await deps.photos.deletePhoto(storedPhoto).catch(() => {});
        throw error;
      }
      // A private encounter is the author's tracker entry: nobody named hears of it.
      if (!isPrivateOnly(valid)) await notifyLocalParticipants(id, participants);
      await events.dispatch(recorded);
      return (await repository.findById(id)) as EncounterView;
    },

    async update(username, id, patch, photo) {
      const valid = parseOrThrow(encounterPatchSchema, patch);
      const existing = await loadOwn(username, id);
      // An edit publishes again (an Update to every recipient): the same rule as posting.
      const { member } = await authorOf(username);
      assertMayPost(member, existing.visibility === "private" ? "private" : "published");
      if (valid.occurredOn) checkOccurredOn(valid.occurredOn, now());
      // Publishing a private entry would be a first Create, not an edit: one path for that.
      if (existing.visibility === "private" && valid.visibility && valid.visibility !== "private") {
        throw new DomainError(
          "invalid",
          "visibility of a private encounter cannot change: post it again with the visibility you want (and delete the private one if you like).",
        );
      }
      if (
        valid.visibility &&
        AUDIENCE_SIZE[valid.visibility] < AUDIENCE_SIZE[existing.visibility]
      ) {
        // Servers that already received it keep their copy: narrowing would only pretend.
        throw new DomainError(
          "invalid",
          `visibility can only be widened (${existing.visibility} → ${valid.visibility} would not take it back from those who already received it): delete the encounter and post it again instead.`,
        );
      }
      const participants = valid.participants
        ? await resolveParticipants(valid.participants, existing.author)
        : undefined;
      let nextPhoto: EncounterPhoto | null = existing.photo ?? null;
      if (photo === null) nextPhoto = null;
      else if (Buffer.isBuffer(photo))
        nextPhoto = await storePhoto(photo, valid.photoAlt ?? existing.photo?.alt);
      else if (photo) nextPhoto = photoOf(photo, valid.photoAlt ?? existing.photo?.alt);
      else if (nextPhoto && valid.photoAlt !== undefined)
        nextPhoto = { ...nextPhoto, alt: valid.photoAlt };
      const updatedAt = now();
      const recorded = await db.transaction(async (tx) => {
        await tx
          .update(encounters)
          .set({
            occurredOn: valid.occurredOn ?? existing.occurredOn,
            text: valid.text ?? existing.text,
            keywords: valid.keywords ? uniqueKeywords(valid.keywords) : existing.keywords,
            visibility: valid.visibility ?? existing.visibility,
            details: patch.details ? valid.details : existing.details,
            photo: nextPhoto,
            updatedAt,
          })
          .where(eq(encounters.id, id));
        if (participants) {
          await tx.delete(encounterParticipants).where(eq(encounterParticipants.encounterId, id));
          await writeParticipants(tx, id, participants);
        }
        return events.record(tx, {
          type: "encounter.updated",
          encounterId: id,
          activityIri: urls.newActivity("update").href,
          updatedAt: updatedAt.toISOString(),
        });
      });
      if (existing.photo && existing.photo.key !== nextPhoto?.key) {
        await deps.photos.deletePhoto(existing.photo).catch(() => {});
      }
      if (participants && !isPrivateOnly(existing)) {
        await notifyLocalParticipants(id, participants);
      }
      await events.dispatch(recorded);
      return (await repository.findById(id)) as EncounterView;
    },

    async delete(username, id) {
      const existing = await loadOwn(username, id);
      const recorded = await db.transaction(async (tx) => {
        // A tombstone: the words and the photo go; who was addressed stays, to address the Delete.
        await tx
          .update(encounters)
          .set({ deletedAt: now(), text: "", details: {}, keywords: [], photo: null })
          .where(and(eq(encounters.id, id), eq(encounters.authorId, existing.authorId)));
        await deps.notifications.forgetEncounter(id, tx);
        // Its private side goes with it: the tracker reacts to encounter.deleted.
        return events.record(tx, {
          type: "encounter.deleted",
          encounterId: id,
          activityIri: urls.newActivity("delete").href,
        });
      });
      if (existing.photo) await deps.photos.deletePhoto(existing.photo).catch(() => {});
      await events.dispatch(recorded);
    },

    getOwn: loadOwn,

    async getOwnByIri(username, iri) {
      const { actor } = await authorOf(username);
      const encounter = await repository.findByIri(iri);
      if (!encounter || encounter.authorId !== actor.id || encounter.deletedAt) {
        throw new DomainError("not_found", `No encounter of yours at ${iri}.`);
      }
      return encounter;
    },

    async erasePrivateOnly(actorId) {
      const erased = await db
        .delete(encounters)
        .where(and(eq(encounters.authorId, actorId), eq(encounters.visibility, "private")))
        .returning({ photo: encounters.photo });
      for (const { photo } of erased) {
        if (photo) await deps.photos.deletePhoto(photo).catch(() => {});
      }
      return erased.length;
    },
  };
}
