export interface PeriodicTask {
  /** Runs once at once, then every interval. */
  start(): void;
  /** One pass now (never two at once in one process: a running pass is joined). */
  tick(): Promise<void>;
  /** Stops ticking and waits for a running pass to finish. */
  stop(): Promise<void>;
}

/**
 * A loop of the worker processes (roles all, worker): `pass` every `intervalMs`, its failures
 * given to `onError`. It holds no state: what is done lives in the database, so several
 * workers and restarts share the work.
 */
export function createPeriodicTask(deps: {
  pass: () => Promise<void>;
  onError: (error: unknown) => void;
  intervalMs: number;
}): PeriodicTask {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  function tick(): Promise<void> {
    // A slow pass delays the next tick.
    running ??= deps
      .pass()
      .catch(deps.onError)
      .finally(() => {
        running = undefined;
      });
    return running;
  }

  return {
    start() {
      if (timer || stopped) return;
      void tick();
      timer = setInterval(() => void tick(), deps.intervalMs);
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
