/**
 * What happened in the domain that the outside world may need to hear about.
 * Services emit these; the federation's outbox bridge turns them into
 * activities, so every way of acting federates the same way.
 */
export type DomainEvent =
  | { type: "encounter.created"; encounterId: string }
  | { type: "encounter.updated"; encounterId: string }
  /** The row stays as a tombstone (content erased, participants kept to address the Delete). */
  | { type: "encounter.deleted"; encounterId: string }
  | { type: "encounter.cosigned"; encounterId: string; username: string; activityIri: string }
  | {
      type: "encounter.cosign_withdrawn";
      encounterId: string;
      username: string;
      activityIri: string;
    }
  /** A member liked an encounter (local or a stored remote one); `activityIri` is the Like's id. */
  | { type: "encounter.liked"; encounterId: string; username: string; activityIri: string }
  | { type: "encounter.unliked"; encounterId: string; username: string; activityIri: string }
  | { type: "follow.requested"; followerUsername: string; targetIri: string; activityIri: string }
  | { type: "follow.undone"; followerUsername: string; targetIri: string; activityIri: string }
  | {
      type: "follower.accepted";
      username: string;
      followerIri: string;
      followActivityIri: string;
    }
  | {
      type: "follower.rejected";
      username: string;
      followerIri: string;
      followActivityIri: string;
    };

export type DomainEventHandler = (event: DomainEvent) => Promise<void> | void;

export interface EventBus {
  /**
   * Handlers run in the order they were subscribed; `first` puts this one before
   * those already there (e.g. one that must see an event before anything acts on it).
   */
  subscribe(handler: DomainEventHandler, options?: { first?: boolean }): () => void;
  /** Resolves when every handler has run; a failing handler does not stop the others. */
  emit(event: DomainEvent): Promise<void>;
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
      for (const handler of handlers) {
        try {
          await handler(event);
        } catch (error) {
          onHandlerError(error, event);
        }
      }
    },
  };
}
