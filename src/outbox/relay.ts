import { isDatabaseUnavailable, isDiskFull } from "../db/database-errors.ts";
import type { HeldEvent, OutboxStore } from "./store.ts";

interface RelayLogger {
  warn: (obj: Record<string, unknown>, msg: string) => void;
  error: (obj: Record<string, unknown>, msg: string) => void;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * The relay: replays, one at a time and oldest first, the events whose lease ran out
 * because the process that held them died before dispatching them. Each is claimed
 * by one statement (see `claimExpired`), so several workers never replay the same
 * event, and no transaction is open while its subscribers run.
 */
export async function relayExpiredEvents(deps: {
  store: OutboxStore;
  handOver: (held: HeldEvent) => Promise<void>;
  logger: RelayLogger;
  pollIntervalMs: number;
  maxAttempts: number;
  signal: AbortSignal;
}): Promise<void> {
  const { store, logger, signal } = deps;
  while (!signal.aborted) {
    let held: HeldEvent | undefined;
    try {
      held = await store.claimExpired();
    } catch (error) {
      logger.error({ err: error }, "could not claim a domain event to replay");
    }
    if (!held) {
      await pause(deps.pollIntervalMs, signal);
      continue;
    }
    const about = { eventId: held.id, event: held.event.type, attempts: held.attempts };
    try {
      if (held.attempts > deps.maxAttempts) {
        logger.error(about, "dropping a domain event whose relays kept dying");
        await store.remove(held);
        continue;
      }
      // Even if the signal fired during the claim, the event is ours now: replay it.
      logger.warn(about, "replaying a domain event its writer did not dispatch");
      await deps.handOver(held);
    } catch (error) {
      logger.error({ err: error, ...about }, "could not replay a domain event");
      // The database's trouble is not the event's: it is not dropped for it (a full disk, an
      // outage longer than a few leases would otherwise lose activities already promised).
      if (isDatabaseUnavailable(error) || isDiskFull(error)) {
        await store.giveBackAttempt(held).catch(() => {});
      }
    }
  }
}
