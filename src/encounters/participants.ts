import type { ActorRow } from "../actors/actors-repository.ts";

/**
 * Finds the actor behind a participant reference (`@user@host`, a local
 * `@user`, or an actor URL). Implemented by the federation layer; throws a
 * DomainError naming the reference when nobody answers to it.
 */
export interface ParticipantResolver {
  resolve(reference: string): Promise<ActorRow>;
}

/** What the media layer gives back for a stored photo. */
export interface StoredPhotoFiles {
  key: string;
  url: string;
  thumbnailKey: string;
  thumbnailUrl: string;
  mediaType: string;
  width: number;
  height: number;
  blurhash: string | null;
}

/** The part of the media service encounters use. */
export interface PhotoStore {
  storePhoto(bytes: Buffer): Promise<StoredPhotoFiles>;
  deletePhoto(photo: { key: string; thumbnailKey: string }): Promise<void>;
}
