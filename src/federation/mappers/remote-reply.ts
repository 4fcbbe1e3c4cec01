import type { Note } from "@fedify/vocab";
import type { RemoteEncounterRecord } from "../../encounters/remote-encounter-record.ts";
import type { RemoteReplyRecord } from "../../encounters/reply-input.ts";

/**
 * A remote Note that answers something (`inReplyTo`) as the reply it may be, read from
 * what `noteToRemoteEncounter` made of it (sanitized HTML, text, mentions, visibility);
 * undefined when it answers nothing. Whether it answers one of our encounters, the
 * replies service decides. Pure.
 */
export function noteToRemoteReply(
  note: Note,
  record: RemoteEncounterRecord,
): RemoteReplyRecord | undefined {
  if (!record.inReplyTo) return undefined;
  return {
    iri: record.iri,
    url: record.url,
    authorIri: record.authorIri,
    inReplyTo: record.inReplyTo,
    // The HTML as sent, before the sanitizer cuts it to its bound: too long is refused.
    contentLength: note.content?.toString().length ?? 0,
    contentHtml: record.contentHtml,
    text: record.text,
    mentions: record.mentions.map((m) => m.iri),
    visibility: record.visibility,
    publishedAt: record.publishedAt,
    updatedAt: record.updatedAt,
  };
}
