import type { ActorRow } from "../actors/actors-repository.ts";
import type { UploadedPhotoFiles } from "../db/schema/media-uploads.ts";

/**
 * Finds the actor behind a participant reference (`@user@host`, a local
 * `@user`, or an actor URL). Implemented by the federation layer; throws a
 * DomainError naming the reference when nobody answers to it.
 */
export interface ParticipantResolver {
  resolve(reference: string): Promise<ActorRow>;
}

/** What the media layer gives back for a stored photo (also what an upload keeps until posted). */
export type StoredPhotoFiles = UploadedPhotoFiles;

/** The part of the media service encounters use. */
export interface PhotoStore {
  storePhoto(bytes: Buffer): Promise<StoredPhotoFiles>;
  deletePhoto(photo: { key: string; thumbnailKey: string }): Promise<void>;
}
