import { AsyncLocalStorage } from "node:async_hooks";
import { deliveryHost, type JobRunOutcome } from "./message-queue.ts";

/**
 * What became of one attempt to deliver an activity to a peer: it took it, it failed (the
 * peer refused or did not answer; the job is retried later or dead-lettered), or it was held
 * without being sent (its host's circuit is open, or it asked us to come back later).
 */
export type DeliveryOutcome = "delivered" | "failed" | "held";

export interface DeliveryOutcomes {
  /** Wraps each queue job's run (the queue's `runsIn`), so that a failure seen during it is its own. */
  track<T>(message: unknown, run: () => T): T;
  /** Fedify's `onOutboxError`: the delivery being run failed, even if Fedify then does not throw. */
  attemptFailed(): void;
  /** The queue's `onRunEnd`: counts the run if it was a delivery, by its host. */
  onRunEnd(message: unknown, outcome: JobRunOutcome): void;
}

/**
 * Counts each delivery attempt by host and outcome. Fedify says a delivery succeeded only by
 * returning from its queue job; it returns too after a failure it does not retry (a 404 or
 * 410, a Retry-After it reschedules), which its `onOutboxError` hook reports first, while the
 * job runs. Without `count` (metrics off) nothing is tracked.
 */
export function createDeliveryOutcomes(
  count?: (host: string, outcome: DeliveryOutcome) => void,
): DeliveryOutcomes {
  const current = new AsyncLocalStorage<object>();
  // The messages whose current run saw a failed send (the queue passes the same object to
  // the handler and to onRunEnd).
  const failed = new WeakSet<object>();
  return {
    track(message, run) {
      if (!count || typeof message !== "object" || message === null) return run();
      return current.run(message, run);
    },
    attemptFailed() {
      const message = current.getStore();
      if (message) failed.add(message);
    },
    onRunEnd(message, outcome) {
      if (!count) return;
      const host = deliveryHost(message);
      if (host === null) return;
      const sawFailure = typeof message === "object" && message !== null && failed.delete(message);
      count(
        host,
        sawFailure || outcome === "failed" || outcome === "dead"
          ? "failed"
          : outcome === "again"
            ? "held"
            : "delivered",
      );
    },
  };
}
