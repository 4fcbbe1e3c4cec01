/**
 * What happened in the domain that the outside world may need to hear about.
 * Services record these in the transaction of the change they report (the
 * outbox, src/outbox/); the federation's outbox bridge turns them into
 * activities, so every way of acting federates the same way.
 *
 * An event is plain JSON and carries the id of every activity it leads to,
 * decided when it is recorded: an event replayed after a crash sends the very
 * activity it would have sent, which receivers recognise by its id.
 */
export type DomainEvent =
  /** The `Create`'s id is the Note's IRI + `/activity` (`createActivityIri`). */
  | { type: "encounter.created"; encounterId: string }
  /** `activityIri` is the `Update`'s id, `updatedAt` (ISO 8601) its `published`. */
  | { type: "encounter.updated"; encounterId: string; activityIri: string; updatedAt: string }
  /**
   * The row stays as a tombstone (content erased, participants kept to address the Delete);
   * `activityIri` is the `Delete`'s id.
   */
  | { type: "encounter.deleted"; encounterId: string; activityIri: string }
  /**
   * A member changed their profile (name, bio, fields, avatar, header); `activityIri` is the
   * `Update(Person)`'s id. The Person is built from the database when the event is dispatched.
   */
  | { type: "profile.updated"; username: string; activityIri: string }
  /**
   * A member deleted their account: `Delete(Person)` (id `activityIri`) goes to `recipients`,
   * the remote accounts that followed it or that it followed, as they were when it was
   * recorded (the follows are gone by the time it is dispatched). The member's keys stay.
   */
  | {
      type: "member.deleted";
      username: string;
      activityIri: string;
      recipients: DeletedAccountRecipient[];
    }
  /**
   * A member moved to another account (`targetIri`, which names them in its `alsoKnownAs`):
   * `Move` (id `activityIri`) to their followers.
   */
  | { type: "member.moved"; username: string; targetIri: string; activityIri: string }
  /** A member erased their tracker: their private-only encounters go with it. */
  | { type: "tracker.erased"; memberId: string; actorId: string }
  | { type: "encounter.cosigned"; encounterId: string; username: string; activityIri: string }
  /** `activityIri` is the `Announce` withdrawn, `undoActivityIri` the `Undo`'s id. */
  | {
      type: "encounter.cosign_withdrawn";
      encounterId: string;
      username: string;
      activityIri: string;
      undoActivityIri: string;
    }
  /** A member liked an encounter (local or a stored remote one); `activityIri` is the Like's id. */
  | { type: "encounter.liked"; encounterId: string; username: string; activityIri: string }
  | {
      type: "encounter.unliked";
      encounterId: string;
      username: string;
      activityIri: string;
      undoActivityIri: string;
    }
  /**
   * A member replied to an encounter (or to a reply in its thread); `activityIri` is the
   * `Create`'s id. The Note is built from the reply as it is when the event is dispatched.
   */
  | { type: "reply.created"; replyId: string; activityIri: string }
  /** The row stays as a tombstone to address the `Delete`, whose id is `activityIri`. */
  | { type: "reply.deleted"; replyId: string; activityIri: string }
  /**
   * The instance actor writes to one actor (the weekly question, a link request, an answer):
   * a `Create(Note)` whose id is the Note's IRI + `/activity`. `message` is the whole
   * DirectMessage of src/exposure/weekly-question-types.ts, as plain JSON.
   */
  | { type: "direct_message.sent"; message: { noteIri: string; toActorIri: string } }
  | { type: "follow.requested"; followerUsername: string; targetIri: string; activityIri: string }
  | {
      type: "follow.undone";
      followerUsername: string;
      targetIri: string;
      activityIri: string;
      undoActivityIri: string;
    }
  /** `activityIri` is the `Accept`'s (or `Reject`'s) id, `followActivityIri` the Follow's. */
  | {
      type: "follower.accepted";
      username: string;
      followerIri: string;
      followActivityIri: string;
      activityIri: string;
    }
  /**
   * A member blocked a remote account: a `Block` (id `activityIri`) to its server, as Mastodon
   * sends one; `account.unblocked` sends `Undo(Block)` (id `undoActivityIri`).
   */
  | { type: "account.blocked"; username: string; targetIri: string; activityIri: string }
  | {
      type: "account.unblocked";
      username: string;
      targetIri: string;
      activityIri: string;
      undoActivityIri: string;
    }
  /**
   * A report forwarded to the reported account's server: a `Flag` (id `activityIri`) from the
   * instance actor, its object the account and the reported posts, its content the comment.
   */
  | {
      type: "report.forwarded";
      reportId: string;
      targetIri: string;
      objectIris: string[];
      content: string;
      activityIri: string;
    }
  | {
      type: "follower.rejected";
      username: string;
      followerIri: string;
      followActivityIri: string;
      activityIri: string;
    };

/** Where a `Delete(Person)` goes: an actor and its inboxes, as stored when it was recorded. */
export interface DeletedAccountRecipient {
  iri: string;
  inbox: string;
  sharedInbox: string | null;
}

export type DomainEventHandler = (event: DomainEvent) => Promise<void> | void;

export interface EventBus {
  /**
   * Handlers run in the order they were subscribed; `first` puts this one before
   * those already there (e.g. one that must see an event before anything acts on it).
   */
  subscribe(handler: DomainEventHandler, options?: { first?: boolean }): () => void;
  /**
   * Resolves when every handler has run, with the errors of those that failed (each also
   * given to `onHandlerError`); a failing handler does not stop the others.
   */
  emit(event: DomainEvent): Promise<unknown[]>;
}

export function createEventBus(
  onHandlerError: (error: unknown, event: DomainEvent) => void,
): EventBus {
  let handlers: DomainEventHandler[] = [];
  return {
    subscribe(handler, options) {
      const others = handlers.filter((h) => h !== handler);
      handlers = options?.first ? [handler, ...others] : [...others, handler];
      return () => {
        handlers = handlers.filter((h) => h !== handler);
      };
    },
    async emit(event) {
      const errors: unknown[] = [];
      for (const handler of handlers) {
        try {
          await handler(event);
        } catch (error) {
          onHandlerError(error, event);
          errors.push(error);
        }
      }
      return errors;
    },
  };
}
