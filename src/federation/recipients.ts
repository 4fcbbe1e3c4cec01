import type { Recipient } from "@fedify/vocab";
import type { ActorRow } from "../actors/actors-repository.ts";

/** An actor row as the recipient Fedify delivers to, preferring its shared inbox. */
export function actorRowToRecipient(row: ActorRow): Recipient {
  return {
    id: new URL(row.iri),
    inboxId: new URL(row.inboxUrl),
    endpoints: row.sharedInboxUrl ? { sharedInbox: new URL(row.sharedInboxUrl) } : null,
  };
}
