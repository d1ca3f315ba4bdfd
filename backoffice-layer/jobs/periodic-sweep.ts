import type { Logger } from '../../shared/index.js';

/** A sweep running on a timer: {@link startPeriodicSweep}. */
export interface PeriodicSweep {
  /** Ends the timer and waits for the run in hand, if any. */
  stop(): Promise<void>;
}

/**
 * Runs `sweep` every `everyMs` milliseconds, one run at a time (a run never overlaps the previous one), as
 * the safety net of delayed jobs lost with Redis. A failed run is logged as a warning (`<what> failed`) and
 * the next one runs as planned. The timer does not keep the process alive. With `firstAfterMs`, a first run
 * comes that many milliseconds after the start too (a verdict shown soon after a start, not only after
 * `everyMs`).
 */
export function startPeriodicSweep(
  sweep: () => Promise<unknown>,
  everyMs: number,
  logger: Logger,
  what: string,
  opts: { firstAfterMs?: number } = {},
): PeriodicSweep {
  let sweeping = Promise.resolve();
  const run = () => {
    sweeping = sweeping.then(() =>
      sweep().then(
        () => undefined,
        (e: unknown) => logger.warn({ err: e }, `${what} failed`),
      ),
    );
  };
  const timer = setInterval(run, everyMs);
  timer.unref();
  const first = opts.firstAfterMs === undefined ? undefined : setTimeout(run, opts.firstAfterMs);
  first?.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      if (first) clearTimeout(first);
      await sweeping;
    },
  };
}
