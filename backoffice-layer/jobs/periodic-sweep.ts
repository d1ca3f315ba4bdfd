import type { Logger } from '../../shared/index.js';

/** A sweep running on a timer: {@link startPeriodicSweep}. */
export interface PeriodicSweep {
  /** Ends the timer and waits for the run in hand, if any. */
  stop(): Promise<void>;
}

/**
 * Runs `sweep` every `everyMs` milliseconds, one run at a time (a run never overlaps the previous one), as
 * the safety net of delayed jobs lost with Redis. A failed run is logged as a warning (`<what> failed`) and
 * the next one runs as planned. The timer does not keep the process alive.
 */
export function startPeriodicSweep(
  sweep: () => Promise<unknown>,
  everyMs: number,
  logger: Logger,
  what: string,
): PeriodicSweep {
  let sweeping = Promise.resolve();
  const timer = setInterval(() => {
    sweeping = sweeping.then(() =>
      sweep().then(
        () => undefined,
        (e: unknown) => logger.warn({ err: e }, `${what} failed`),
      ),
    );
  }, everyMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await sweeping;
    },
  };
}
