import { z } from "zod";
import { type EncounterPhoto, VISIBILITIES } from "../db/schema.ts";
import { ALT_TEXT_MAX, KEYWORDS_MAX } from "./encounter-input.ts";

/** The most plain text kept of a remote post; its sanitized HTML is bounded upstream. */
export const REMOTE_TEXT_MAX = 10_000;

/** The longest content warning kept (Mastodon allows 500 characters with the text). */
export const CONTENT_WARNING_MAX = 500;

const iri = z.url({ protocol: /^https?$/ }).max(2048);

/** What we keep of a remote Note, whatever software sent it (see mappers/remote-note.ts). */
export const remoteEncounterRecordSchema = z.object({
  iri,
  url: iri.nullable(),
  authorIri: iri,
  /**
   * Already sanitized (src/shared/sanitize-html.ts), whose input is bounded; forced `rel`
   * attributes can still make it grow, and a post that grows past this is refused.
   */
  contentHtml: z.string().max(200_000, "its content is too long"),
  text: z.string().transform((t) => t.slice(0, REMOTE_TEXT_MAX)),
  /** Tagged #Socialdapres: only such posts are encounters. */
  hasSocialdapresTag: z.boolean(),
  keywords: z.array(z.string().min(1).max(50)).transform((k) => k.slice(0, KEYWORDS_MAX)),
  // Only the first ones become participants; the rest only count for "names a member".
  mentions: z.array(z.object({ iri, name: z.string().max(300) })).transform((m) => m.slice(0, 200)),
  photo: z
    .object({
      url: iri,
      mediaType: z.string().max(100),
      width: z.number().int().min(0).nullable(),
      height: z.number().int().min(0).nullable(),
      blurhash: z.string().max(200).nullable(),
      alt: z.string().transform((t) => t.slice(0, ALT_TEXT_MAX)),
    })
    .nullable(),
  inReplyTo: iri.nullable(),
  // "private" is ours alone: no remote post can be one.
  visibility: z.enum(VISIBILITIES).exclude(["private"]),
  publishedAt: z.date().nullable(),
  updatedAt: z.date().nullable(),
  /** The content warning (`summary`), plain text; a longer one is cut. */
  contentWarning: z
    .string()
    .transform((t) => t.slice(0, CONTENT_WARNING_MAX))
    .nullable()
    .default(null),
  sensitive: z.boolean().default(false),
  /** The day the encounter happened, when a Socialdapres instance sent it. */
  occurredOn: z.iso.date().nullable().default(null),
});

export type RemoteEncounterRecord = z.input<typeof remoteEncounterRecordSchema>;
export type ValidRemoteEncounterRecord = z.output<typeof remoteEncounterRecordSchema>;

/**
 * A remote photo as received: where it lives, and no file here yet (empty storage keys and
 * thumbnail URL) until its thumbnail is fetched in the background (remote-photos.ts); 0 for
 * a size the sender did not give.
 */
export function photoOf(photo: ValidRemoteEncounterRecord["photo"]): EncounterPhoto | null {
  if (!photo) return null;
  return {
    url: photo.url,
    key: "",
    thumbnailUrl: "",
    thumbnailKey: "",
    mediaType: photo.mediaType,
    width: photo.width ?? 0,
    height: photo.height ?? 0,
    blurhash: photo.blurhash,
    alt: photo.alt,
  };
}
