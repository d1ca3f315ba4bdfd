import { z } from 'zod';
import { startPeriodicSweep } from '../../backoffice-layer/index.js';
import { parseInput } from '../../shared/index.js';
import type { JourneyDeps } from '../journey-deps.js';
import { recomputeAllSegments } from './compute.js';
import { ensureRfmSegments } from './definitions.js';

const validTimeZone = (tz: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

/**
 * When the nightly recomputation runs: from `hour` (0–23, default 3) local time in `timeZone` (IANA,
 * default UTC), once per local day; the worker checks every `checkEveryMs` (default 60 s, 1 s–1 h);
 * `batch`: profiles per page (recomputeAllSegments).
 */
export const SegmentScheduleOptionsSchema = z.strictObject({
  hour: z.int().min(0).max(23).default(3),
  timeZone: z.string().min(1).max(64).refine(validTimeZone, 'an IANA time zone').default('UTC'),
  checkEveryMs: z.int().min(1_000).max(3_600_000).default(60_000),
  batch: z.int().min(1).max(10_000).default(500),
});
export type SegmentScheduleOptions = z.input<typeof SegmentScheduleOptionsSchema>;

/** The local calendar day (YYYY-MM-DD) and hour of an instant in a time zone. */
function localDayHour(at: Date, timeZone: string): { day: string; hour: number } {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return { day: `${get('year')}-${get('month')}-${get('day')}`, hour: Number(get('hour')) };
}

/**
 * One check of the schedule: when the clock's local hour has reached `hour` and this local day's run has not
 * been claimed yet, claims it (a Redis key per day, so of several workers one runs it) and recomputes every
 * segment (recomputeAllSegments). A failed run gives its claim back, so the next check tries again.
 * @returns whether it ran, the local day, and what the run visited and changed.
 */
export async function runNightlySegments(
  deps: JourneyDeps,
  options: SegmentScheduleOptions = {},
): Promise<{ ran: boolean; day: string; visited: number; changed: number }> {
  const opts = parseInput(SegmentScheduleOptionsSchema, options, 'input');
  const now = deps.clock.now();
  const { day, hour } = localDayHour(now, opts.timeZone);
  if (hour < opts.hour) return { ran: false, day, visited: 0, changed: 0 };
  const key = `${deps.redisPrefix}:segments:nightly:${day}`;
  const claimed = await deps.redis.set(key, now.toISOString(), 'EX', 3 * 86_400, 'NX');
  if (claimed === null) return { ran: false, day, visited: 0, changed: 0 };
  try {
    await ensureRfmSegments(deps);
    return { ran: true, day, ...(await recomputeAllSegments(deps, { batch: opts.batch })) };
  } catch (e) {
    await deps.redis.del(key).catch(() => undefined);
    throw e;
  }
}

/**
 * Runs `runNightlySegments` every `checkEveryMs` (first check after one interval) until stopped: the
 * segments' nightly recomputation for what the passing of time changes. Failures are logged and retried at
 * the next check. A worker starts it next to its event consumers.
 * @throws BAD_USER_INPUT for invalid options.
 * @example const schedule = startSegmentSchedule(deps, { hour: 3, timeZone: 'Europe/Amsterdam' });
 *   … await schedule.stop();
 */
export function startSegmentSchedule(
  deps: JourneyDeps,
  options: SegmentScheduleOptions = {},
): { stop(): Promise<void> } {
  const opts = parseInput(SegmentScheduleOptionsSchema, options, 'input');
  return startPeriodicSweep(
    async () => {
      const r = await runNightlySegments(deps, opts);
      if (r.ran) deps.logger.info(r, 'segments: nightly recomputation done');
    },
    opts.checkEveryMs,
    deps.logger,
    'segments: nightly recomputation',
  );
}
