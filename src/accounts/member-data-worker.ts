import type { Logger } from "../shared/logger.ts";
import { createPeriodicTask, type PeriodicTask } from "../shared/periodic-task.ts";
import type { MemberDataServices } from "./member-data-services.ts";

/**
 * The worker's loop for what members asked in the background (roles all, worker): archives
 * to build (and expired ones to remove), imported accounts to follow. The web process only
 * writes the rows; each pass claims them with a lease, so several workers share them.
 */
export function createMemberDataWorker(deps: {
  services: Pick<MemberDataServices, "accountExports" | "followImports">;
  logger: Logger;
  intervalMs?: number;
}): PeriodicTask {
  return createPeriodicTask({
    intervalMs: deps.intervalMs ?? 10_000,
    async pass() {
      const exports = await deps.services.accountExports.runPending();
      if (exports.built + exports.failed + exports.removed > 0) {
        deps.logger.info(exports, "account archives");
      }
      await deps.services.followImports.runPending();
    },
    onError: (error) => deps.logger.error({ err: error }, "member data pass failed"),
  });
}
