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
      // One after the other (PGlite is one connection), each its own: archives that fail
      // to build never hold the follows back.
      const settle = <T>(run: () => Promise<T>) =>
        run().then(
          (value) => ({ status: "fulfilled" as const, value }),
          (reason: unknown) => ({ status: "rejected" as const, reason }),
        );
      const exports = await settle(() => deps.services.accountExports.runPending());
      const imports = await settle(() => deps.services.followImports.runPending());
      if (exports.status === "fulfilled") {
        const { built, failed, removed } = exports.value;
        if (built + failed + removed > 0) deps.logger.info(exports.value, "account archives");
      }
      for (const outcome of [exports, imports]) {
        if (outcome.status === "rejected") throw outcome.reason;
      }
    },
    onError: (error) => deps.logger.error({ err: error }, "member data pass failed"),
  });
}
