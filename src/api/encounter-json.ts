import { z } from "zod";
import type { ActorRow } from "../actors/actors-repository.ts";
import { COSIGN_STATES, NOTIFICATION_KINDS, VISIBILITIES } from "../db/schema.ts";
import type { EncounterView } from "../encounters/encounters-repository.ts";
import type { NotificationView } from "../encounters/notifications-service.ts";
import type { ReplyView } from "../encounters/replies-repository.ts";
import { REPLY_VISIBILITIES } from "../encounters/reply-input.ts";
import { replyContentHtml } from "../shared/html.ts";

/*
 * The shapes the own API answers with. They are zod schemas so the OpenAPI document is
 * generated from them and the tests can check real answers against them: documentation
 * and behaviour cannot drift apart.
 */

const dateTime = z.iso.datetime({ offset: true });

export const actorJsonSchema = z.object({
  iri: z.url(),
  username: z.string(),
  host: z.string(),
  handle: z.string().meta({ description: "@username@host" }),
  name: z.string(),
  url: z.string().nullable(),
  local: z.boolean(),
});

export const participantJsonSchema = z.object({
  /** null for someone without a fediverse account, named in plain text. */
  actor: actorJsonSchema.nullable(),
  name: z.string().meta({ description: "The plain name, or the actor's display name or handle" }),
  cosignState: z.enum(COSIGN_STATES),
  cosignedAt: dateTime.nullable(),
});

export const photoJsonSchema = z.object({
  url: z.url().meta({
    description: "The photo; for a remote encounter, the original on its home server",
  }),
  thumbnailUrl: z.url().nullable().meta({
    description:
      "A thumbnail served here; null for a remote photo this instance could not (yet) copy",
  }),
  mediaType: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  blurhash: z.string().nullable(),
  alt: z.string(),
});

export const encounterJsonSchema = z.object({
  id: z.uuid(),
  iri: z.url().meta({ description: "The ActivityPub Note's id" }),
  url: z.string().nullable().meta({ description: "The HTML permalink" }),
  author: actorJsonSchema,
  occurredOn: z.iso.date().nullable(),
  text: z.string(),
  keywords: z.array(z.string()),
  visibility: z.enum(VISIBILITIES),
  contentWarning: z.string().nullable().meta({
    description: "A content warning (Mastodon's spoiler text): show the encounter collapsed",
  }),
  sensitive: z.boolean().meta({ description: "Marked sensitive: show it collapsed" }),
  details: z.object({
    emotion: z.string().optional(),
    learned: z.string().optional(),
    lookingFor: z.string().optional(),
    canOffer: z.string().optional(),
    howTheyAre: z.string().optional(),
  }),
  photo: photoJsonSchema.nullable(),
  participants: z.array(participantJsonSchema),
  likesCount: z.number().int(),
  announcesCount: z.number().int(),
  publishedAt: dateTime,
  updatedAt: dateTime.nullable(),
});
export type EncounterJson = z.infer<typeof encounterJsonSchema>;

export const mentionJsonSchema = z.object({
  actor: actorJsonSchema.nullable().meta({ description: "Who wrote the post" }),
  iri: z.string().meta({ description: "The post's ActivityPub id" }),
  url: z.string().nullable().meta({ description: "The post's page on its server" }),
  excerpt: z.string().meta({
    description: "Its first words, plain text (its content warning when it has one)",
  }),
});

export const replyJsonSchema = z.object({
  id: z.uuid(),
  iri: z.url().meta({ description: "The ActivityPub Note's id" }),
  url: z.string().nullable().meta({ description: "Where a person reads it" }),
  encounterId: z.uuid().meta({ description: "The encounter whose thread it belongs to" }),
  inReplyTo: z.url().meta({ description: "What it answers: the encounter's IRI or a reply's" }),
  author: actorJsonSchema.extend({ avatarUrl: z.string().nullable() }),
  text: z.string(),
  contentHtml: z.string().meta({
    description: "Safe to show as is: sanitized when received, escaped when written here",
  }),
  visibility: z.enum(REPLY_VISIBILITIES),
  publishedAt: dateTime,
  updatedAt: dateTime.nullable(),
});
export type ReplyJson = z.infer<typeof replyJsonSchema>;

export const notificationJsonSchema = z.object({
  id: z.uuid(),
  kind: z.enum(NOTIFICATION_KINDS).meta({
    description:
      "named_in_encounter: an encounter names you; mentioned: a post from elsewhere names you without being an encounter; encounter_reply: someone replied under your encounter; weekly_question",
  }),
  createdAt: dateTime,
  readAt: dateTime.nullable(),
  encounter: encounterJsonSchema
    .nullable()
    .meta({ description: "null once it was deleted, and for the other kinds" }),
  mention: mentionJsonSchema
    .nullable()
    .meta({ description: "The post that names you, for kind mentioned; null otherwise" }),
  reply: replyJsonSchema
    .nullable()
    .meta({ description: "The reply an encounter_reply tells of; null for the other kinds" }),
});

export const settingsJsonSchema = z.object({
  autoCosignFromFollowed: z.boolean().meta({
    description: "Co-sign at once the encounters that name me, when I follow their author",
  }),
});

export const meJsonSchema = z.object({
  username: z.string(),
  displayName: z.string(),
  bio: z.string(),
  actor: z.url(),
  profileUrl: z.url(),
  manuallyApprovesFollowers: z.boolean(),
  discoverable: z.boolean(),
  language: z.string(),
  avatarUrl: z.string().nullable(),
  createdAt: dateTime,
  settings: settingsJsonSchema,
});

export const errorJsonSchema = z.object({
  error: z.string().meta({ description: "What is wrong and how to fix it" }),
});

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export function actorToApiJson(actor: ActorRow): z.infer<typeof actorJsonSchema> {
  return {
    iri: actor.iri,
    username: actor.username,
    host: actor.host,
    handle: `@${actor.username}@${actor.host}`,
    name: actor.name,
    url: actor.url,
    local: actor.memberId !== null,
  };
}

/**
 * The one JSON shape of an encounter in the own API. Every field is picked by name:
 * a column added to the table later (a private tracker field, say) never leaks by default.
 */
export function encounterToApiJson(view: EncounterView): EncounterJson {
  const { details, photo } = view;
  return {
    id: view.id,
    iri: view.iri,
    url: view.url,
    author: actorToApiJson(view.author),
    occurredOn: view.occurredOn,
    text: view.text,
    keywords: [...view.keywords],
    visibility: view.visibility,
    contentWarning: view.contentWarning,
    sensitive: view.sensitive,
    details: {
      emotion: details.emotion,
      learned: details.learned,
      lookingFor: details.lookingFor,
      canOffer: details.canOffer,
      howTheyAre: details.howTheyAre,
    },
    // The storage keys are internal: clients get URLs.
    photo: photo
      ? {
          url: photo.url,
          // A remote photo is served here once its thumbnail was made, never from its origin.
          thumbnailUrl: view.isLocal || photo.thumbnailKey ? photo.thumbnailUrl : null,
          mediaType: photo.mediaType,
          width: photo.width,
          height: photo.height,
          blurhash: photo.blurhash,
          alt: photo.alt,
        }
      : null,
    participants: view.participants.map((p) => ({
      actor: p.actor ? actorToApiJson(p.actor) : null,
      name:
        p.plainName ??
        (p.actor ? p.actor.name || `@${p.actor.username}@${p.actor.host}` : "someone"),
      cosignState: p.cosignState,
      cosignedAt: iso(p.cosignedAt),
    })),
    likesCount: view.likesCount,
    announcesCount: view.announcesCount,
    publishedAt: view.publishedAt.toISOString(),
    updatedAt: iso(view.updatedAt),
  };
}

/** The one JSON shape of a reply in the own API; every field picked by name. */
export function replyToApiJson(reply: ReplyView): ReplyJson {
  return {
    id: reply.id,
    iri: reply.iri,
    url: reply.url,
    encounterId: reply.encounterId,
    inReplyTo: reply.inReplyToIri,
    author: { ...actorToApiJson(reply.author), avatarUrl: reply.author.avatarUrl },
    text: reply.text,
    contentHtml: replyContentHtml(reply),
    // Never private: a reply is at most as wide as its encounter, and private ones take none.
    visibility: reply.visibility === "private" ? "participants" : reply.visibility,
    publishedAt: reply.publishedAt.toISOString(),
    updatedAt: iso(reply.updatedAt),
  };
}

export function notificationToApiJson(
  view: NotificationView,
): z.infer<typeof notificationJsonSchema> {
  return {
    id: view.id,
    kind: view.kind,
    createdAt: view.createdAt.toISOString(),
    readAt: iso(view.readAt),
    encounter: view.encounter ? encounterToApiJson(view.encounter) : null,
    mention:
      view.kind === "mentioned" && view.objectIri
        ? {
            actor: view.actor ? actorToApiJson(view.actor) : null,
            iri: view.objectIri,
            url: view.objectUrl,
            excerpt: view.excerpt ?? "",
          }
        : null,
    reply: view.reply ? replyToApiJson(view.reply) : null,
  };
}
