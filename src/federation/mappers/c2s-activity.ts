import { z } from "zod";
import type { EncounterInput, EncounterPatch } from "../../encounters/encounter-input.ts";
import type { ReplyInput } from "../../encounters/reply-input.ts";
import { DomainError } from "../../shared/errors.ts";
import { htmlToPlainText } from "../../shared/sanitize-html.ts";
import { visibilityFromAddressing } from "./addressing.ts";

/**
 * ActivityPub client-to-server: what a client POSTs to an outbox, turned into one command
 * for the domain. Pure: no database, no HTTP. Ids the client supplies are ignored (we mint
 * our own), and so are `bto`/`bcc` (never read, never stored) and attachments (a C2S
 * client has no way to upload media here; see docs/API.md).
 */
export type C2sCommand =
  | { kind: "create"; input: EncounterInput }
  /** A Note with `inReplyTo`: a reply to an encounter (or to one of its replies) at that IRI. */
  | { kind: "reply"; inReplyTo: string; input: Omit<ReplyInput, "inReplyTo"> }
  | { kind: "update"; objectIri: string; patch: EncounterPatch }
  | { kind: "delete"; objectIri: string }
  | { kind: "follow"; targetIri: string }
  | { kind: "unfollow"; targetIri: string }
  | { kind: "cosign"; objectIri: string }
  | { kind: "decline"; objectIri: string }
  | { kind: "like"; objectIri: string }
  /** `iri`: the liked object's IRI, or the Like's own IRI when only that was given. */
  | { kind: "unlike"; iri: string }
  /** Undo naming only an activity's IRI: which of the member's activities it is, the outbox finds. */
  | { kind: "undo"; activityIri: string };

const toArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const oneOrMany = <T extends z.ZodType>(schema: T) =>
  z.union([schema, z.array(schema)]).transform((v) => toArray(v as z.output<T> | z.output<T>[]));

/** A link to another object: its IRI, or the object itself with an `id` (or `href`). */
const ref = z.union([
  z.string(),
  z.looseObject({ id: z.string() }).transform((o) => o.id),
  z.looseObject({ href: z.string() }).transform((o) => o.href),
]);
const types = oneOrMany(z.string());
const tagSchema = z.looseObject({
  type: types.optional(),
  href: z.string().optional(),
  name: z.string().optional(),
});
const addressing = {
  to: oneOrMany(ref).optional(),
  cc: oneOrMany(ref).optional(),
};

const noteSchema = z.looseObject({
  type: types,
  id: z.string().optional(),
  content: z.string().optional(),
  source: z.looseObject({ content: z.string(), mediaType: z.string().optional() }).optional(),
  // Mastodon writes `null` for a post that answers nothing.
  inReplyTo: ref.nullish(),
  tag: oneOrMany(tagSchema).optional(),
  "socialdapres:occurredOn": z.string().optional(),
  "socialdapres:details": z.record(z.string(), z.unknown()).optional(),
  ...addressing,
});
type NoteJson = z.output<typeof noteSchema>;

const activitySchema = z.looseObject({
  type: types,
  object: z.unknown().optional(),
  ...addressing,
});

const invalid = (message: string) => new DomainError("invalid", message);
const is = (value: { type: string[] }, type: string) => value.type.includes(type);

/** Reads the activity (a bare Note counts as `Create(Note)`) into one command. */
export function activityToCommand(json: unknown, context: { followersIri: string }): C2sCommand {
  const parsed = activitySchema.safeParse(json);
  if (!parsed.success) {
    throw invalid(
      "The body must be an ActivityStreams object with a `type` (e.g. Create, Note, Follow).",
    );
  }
  const activity = parsed.data;
  if (is(activity, "Note")) {
    return noteToCommand(parseNote(json), { to: [], cc: [] }, context);
  }
  const [type] = activity.type.filter((t) => KNOWN.has(t));
  switch (type) {
    case "Create": {
      const note = parseNote(activity.object);
      const address = { to: activity.to ?? [], cc: activity.cc ?? [] };
      return noteToCommand(note, address, context);
    }
    case "Update": {
      const note = parseNote(activity.object);
      if (!note.id)
        throw invalid("Update needs the Note's `id`: the IRI of the encounter to edit.");
      return { kind: "update", objectIri: note.id, patch: noteToPatch(note, activity, context) };
    }
    case "Delete":
      return { kind: "delete", objectIri: objectIri(activity.object, "Delete") };
    case "Follow":
      return { kind: "follow", targetIri: objectIri(activity.object, "Follow") };
    case "Announce":
      return { kind: "cosign", objectIri: objectIri(activity.object, "Announce") };
    case "Like":
      return { kind: "like", objectIri: objectIri(activity.object, "Like") };
    case "Undo": {
      const undone = activitySchema.safeParse(activity.object);
      if (!undone.success || typeof activity.object !== "object") {
        // A bare IRI (or a reference without a type): one of the member's own activities.
        if (ref.safeParse(activity.object).success) {
          return { kind: "undo", activityIri: objectIri(activity.object, "Undo") };
        }
        throw invalid(
          "Undo needs the activity it undoes: embedded with its `type` and `object`, or the IRI of your activity.",
        );
      }
      if (is(undone.data, "Follow")) {
        return { kind: "unfollow", targetIri: objectIri(undone.data.object, "Undo(Follow)") };
      }
      if (is(undone.data, "Announce")) {
        return { kind: "decline", objectIri: objectIri(undone.data.object, "Undo(Announce)") };
      }
      if (is(undone.data, "Like")) {
        // The liked object identifies the like; without it, the Like's own id does.
        const { object, id } = undone.data as { object?: unknown; id?: unknown };
        return { kind: "unlike", iri: objectIri(object ?? id, "Undo(Like)") };
      }
      throw invalid(
        `Undo of ${undone.data.type.join("/")} is not supported: only Undo(Follow), Undo(Announce) and Undo(Like).`,
      );
    }
    default:
      throw invalid(
        `Activity type ${activity.type.join("/")} is not supported here: send Note, Create, Update, Delete, Follow, Undo, Announce or Like.`,
      );
  }
}

const KNOWN = new Set(["Create", "Update", "Delete", "Follow", "Announce", "Undo", "Like"]);

function parseNote(value: unknown): NoteJson {
  const parsed = noteSchema.safeParse(value);
  if (!parsed.success || !is(parsed.data, "Note")) {
    throw invalid("The object must be an embedded Note: only Notes become encounters here.");
  }
  return parsed.data;
}

function objectIri(value: unknown, what: string): string {
  const parsed = ref.safeParse(value);
  if (!parsed.success || !/^https?:\/\//.test(parsed.data)) {
    throw invalid(`${what} needs an \`object\`: the IRI (https://…) of what it is about.`);
  }
  return parsed.data;
}

/** A Note answering something is a reply; any other Note is an encounter. */
function noteToCommand(
  note: NoteJson,
  activity: { to: string[]; cc: string[] },
  context: { followersIri: string },
): C2sCommand {
  if (note.inReplyTo === undefined || note.inReplyTo === null) {
    return { kind: "create", input: noteToInput(note, activity, context) };
  }
  if (!/^https?:\/\//.test(note.inReplyTo)) {
    throw invalid(
      "inReplyTo must be the IRI (https://…) of an encounter, or of one of its replies.",
    );
  }
  const to = [...activity.to, ...(note.to ?? [])];
  const cc = [...activity.cc, ...(note.cc ?? [])];
  return {
    kind: "reply",
    inReplyTo: note.inReplyTo,
    input: {
      text: textOf(note),
      // Unaddressed: as wide as what it answers. Addressed: as asked, never wider than that.
      visibility:
        to.length + cc.length > 0
          ? visibilityFromAddressing(to, cc, (iri) => iri === context.followersIri)
          : undefined,
    },
  };
}

/** Addressing may sit on the activity, on the Note, or both: together they decide. */
function noteToInput(
  note: NoteJson,
  activity: { to: string[]; cc: string[] },
  context: { followersIri: string },
): EncounterInput {
  const participants = mentionsOf(note);
  if (participants.length === 0) {
    throw invalid(
      "Name at least one person with a Mention tag (href: their actor IRI, or name: @user@host).",
    );
  }
  return {
    text: textOf(note),
    participants,
    keywords: hashtagsOf(note),
    visibility: visibilityFromAddressing(
      [...activity.to, ...(note.to ?? [])],
      [...activity.cc, ...(note.cc ?? [])],
      (iri) => iri === context.followersIri,
    ),
    occurredOn: note["socialdapres:occurredOn"],
    details: note["socialdapres:details"] as EncounterInput["details"],
  };
}

/** A C2S Update replaces only the properties it carries. */
function noteToPatch(
  note: NoteJson,
  activity: z.output<typeof activitySchema>,
  context: { followersIri: string },
): EncounterPatch {
  const patch: EncounterPatch = {};
  if (note.content !== undefined || note.source !== undefined) patch.text = textOf(note);
  if (note.tag !== undefined) {
    patch.participants = mentionsOf(note);
    patch.keywords = hashtagsOf(note);
  }
  const to = [...(activity.to ?? []), ...(note.to ?? [])];
  const cc = [...(activity.cc ?? []), ...(note.cc ?? [])];
  if (to.length + cc.length > 0) {
    patch.visibility = visibilityFromAddressing(to, cc, (iri) => iri === context.followersIri);
  }
  if (note["socialdapres:occurredOn"] !== undefined)
    patch.occurredOn = note["socialdapres:occurredOn"];
  if (note["socialdapres:details"] !== undefined) {
    patch.details = note["socialdapres:details"] as EncounterPatch["details"];
  }
  return patch;
}

const tagsOf = (note: NoteJson, type: string) =>
  (note.tag ?? []).filter((t) => t.type?.includes(type));

function mentionsOf(note: NoteJson): string[] {
  const references = tagsOf(note, "Mention").flatMap((t) => {
    const reference = t.href ?? t.name;
    return reference ? [reference.trim()] : [];
  });
  return [...new Set(references)];
}

function hashtagsOf(note: NoteJson): string[] {
  return (
    tagsOf(note, "Hashtag")
      // NFC: a keyword typed on another system (decomposed accents, Hangul jamo) is the same word.
      .flatMap((t) => (t.name ? [t.name.trim().replace(/^#/, "").normalize("NFC")] : []))
      .filter((name) => name.toLowerCase() !== "socialdapres")
  );
}

/**
 * The words of the Note: `source.content` when plain text or Markdown, else the text of
 * the HTML `content`. Leading mentions and trailing hashtags that only repeat the tags
 * (as Mastodon-style clients write them) are dropped; the same words elsewhere stay.
 */
export function textOf(note: NoteJson): string {
  const { source } = note;
  const plainSource =
    source && (!source.mediaType || /^text\/(plain|markdown)\b/.test(source.mediaType));
  const text = (plainSource ? source.content : htmlToPlainText(note.content ?? "")).normalize(
    "NFC",
  );
  const mentions = new Set(
    tagsOf(note, "Mention").flatMap((t) => {
      const name = t.name?.toLowerCase();
      return name ? [name, name.replace(/^(@[^@]+)@.*$/, "$1")] : [];
    }),
  );
  const hashtags = new Set([
    "#socialdapres",
    ...hashtagsOf(note).map((h) => `#${h.toLowerCase()}`),
  ]);
  let result = text.trim();
  for (let m = /^(@\S+?)[,:]?(\s+|$)/.exec(result); m; m = /^(@\S+?)[,:]?(\s+|$)/.exec(result)) {
    if (!mentions.has((m[1] as string).toLowerCase())) break;
    result = result.slice(m[0].length);
  }
  for (
    let m = /(^|\s+)(#[\p{L}\p{M}\p{N}_]+)$/u.exec(result);
    m;
    m = /(^|\s+)(#[\p{L}\p{M}\p{N}_]+)$/u.exec(result)
  ) {
    if (!hashtags.has((m[2] as string).toLowerCase())) break;
    result = result.slice(0, m.index);
  }
  return result.trim();
}
