import type { Logger } from "../shared/logger.ts";
import type { WeeklyQuestionService } from "./weekly-question-service.ts";

export interface WeeklyQuestionScheduler {
  /** Ticks once at once (a restart that missed the hour asks now), then every interval. */
  start(): void;
  /** One pass: asks everyone due. Safe to run from several processes at once. */
  tick(): Promise<void>;
  /** Stops ticking and waits for a running pass to finish. */
  stop(): Promise<void>;
}

/**
 * The loop of the worker processes (roles all, worker). It holds no state of
 * its own: whether a member was asked this week is a row in weekly_questions,
 * so several workers and restarts still ask each member exactly once a week.
 */
export function createWeeklyQuestionScheduler(deps: {
  service: Pick<WeeklyQuestionService, "askDue">;
  logger: Logger;
  intervalMs?: number;
  now?: () => Date;
}): WeeklyQuestionScheduler {
  const intervalMs = deps.intervalMs ?? 60_000;
  const now = deps.now ?? (() => new Date());
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  async function pass(): Promise<void> {
    try {
      const { asked } = await deps.service.askDue(now());
      if (asked > 0) deps.logger.info({ asked }, "weekly question asked");
    } catch (error) {
      deps.logger.error({ err: error }, "weekly question pass failed");
    }
  }

  function tick(): Promise<void> {
    // Never two passes at once in one process: a slow pass delays the next tick.
    running ??= pass().finally(() => {
      running = undefined;
    });
    return running;
  }

  return {
    start() {
      if (timer || stopped) return;
      void tick();
      timer = setInterval(() => void tick(), intervalMs);
      timer.unref();
    },
    tick,
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
