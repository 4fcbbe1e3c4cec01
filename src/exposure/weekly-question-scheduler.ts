import type { Logger } from "../shared/logger.ts";
import { createPeriodicTask, type PeriodicTask } from "../shared/periodic-task.ts";
import type { WeeklyQuestionService } from "./weekly-question-service.ts";

/**
 * `start()` ticks once at once (a restart that missed the hour asks now), then every interval;
 * `tick()` is one pass that asks everyone due, safe to run from several processes at once.
 */
export type WeeklyQuestionScheduler = PeriodicTask;

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
  const now = deps.now ?? (() => new Date());
  return createPeriodicTask({
    intervalMs: deps.intervalMs ?? 60_000,
    async pass() {
      const { asked } = await deps.service.askDue(now());
      if (asked > 0) deps.logger.info({ asked }, "weekly question asked");
    },
    onError: (error) => deps.logger.error({ err: error }, "weekly question pass failed"),
  });
}
