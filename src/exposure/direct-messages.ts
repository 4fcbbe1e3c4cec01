import type { Db } from "../db/database.ts";
import type { EventWriter, RecordedEvent } from "../outbox/outbox.ts";
import type {
  DirectMessage,
  DirectMessenger,
  WeeklyQuestionDeps,
} from "./weekly-question-types.ts";

/**
 * The instance actor's direct messages go through the transactional outbox: the event
 * `direct_message.sent` carries the whole message, and the outbox bridge sends it
 * (src/federation/outbox-bridge.ts). A message recorded in the transaction of the change it
 * reports (the weekly question's row) is sent once that transaction commits, or replayed
 * with the same Note id if the process dies first; it is never sent for a change that rolled
 * back.
 */
export type DirectMessageOutbox = WeeklyQuestionDeps["events"];

/** Records `message` with `writer` (a transaction); dispatch the result after the commit. */
export function recordDirectMessage(
  events: DirectMessageOutbox,
  writer: EventWriter,
  message: DirectMessage,
): Promise<RecordedEvent> {
  return events.record(writer, { type: "direct_message.sent", message });
}

/** A DirectMessenger for messages that stand alone: recorded on their own, then dispatched. */
export function createQueuedMessenger(deps: {
  db: Db;
  events: DirectMessageOutbox;
}): DirectMessenger {
  return {
    async send(message) {
      await deps.events.dispatch(await recordDirectMessage(deps.events, deps.db, message));
    },
  };
}
