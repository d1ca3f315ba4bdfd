import { startPeriodicSweep, type BackofficeDeps, type WorkerService } from '../backoffice-layer/index.js';
import { pruneDataUse } from './customers/data-use.js';
import { expireConsents } from './customers/customers.js';
import { pruneProfileHistory } from './customers/profile-history.js';
import { pruneTimeline } from './timeline/timeline-reads.js';
import { startSegmentSchedule } from './segments/schedule.js';
import type { JourneyDeps } from './journey-deps.js';
import { checkReadModelConsistency, READ_MODEL_CHECK_EVERY_MS } from './kpis/read-model-check.js';

/**
 * A worker service that runs `work` every `everyMs` milliseconds on the backoffice's periodic sweep (one run
 * at a time; a failed run is logged and tried again at the next tick; stopping waits for the run in hand),
 * logging what a run did when it did anything.
 */
function periodic(
  job: string,
  everyMs: number,
  work: (deps: JourneyDeps) => Promise<Record<string, number>>,
  opts: { firstAfterMs?: number } = {},
): WorkerService {
  return (deps: BackofficeDeps) =>
    startPeriodicSweep(
      async () => {
        const done = await work(deps as JourneyDeps);
        if (Object.values(done).some((n) => n > 0)) deps.logger.info({ job, ...done }, `${job} ran`);
      },
      everyMs,
      deps.logger,
      job,
      opts,
    );
}

/**
 * Deletes behavioural data older than `OMNIHUB_JOURNEY_RETENTION_DAYS` (data-use entries, timeline
 * interactions, profile-history entries), in batches until none is left; returns how many rows went, per
 * table. Her profile, consents, preferences and segment memberships are current facts, kept until she is
 * erased (a membership without the PROFILING consent is dropped at once).
 */
export async function pruneJourneyData(
  deps: JourneyDeps,
): Promise<{ dataUse: number; timeline: number; history: number }> {
  const before = new Date(deps.clock.now().getTime() - deps.config.journeyRetentionDays * 86_400_000);
  const drain = async (prune: (db: JourneyDeps['db'], before: Date) => Promise<number>) => {
    let total = 0;
    for (let n = await prune(deps.db, before); n > 0; n = await prune(deps.db, before)) total += n;
    return total;
  };
  return {
    dataUse: await drain(pruneDataUse),
    timeline: await drain(pruneTimeline),
    history: await drain(pruneProfileHistory),
  };
}

/**
 * The journey's periodic work in every worker: consents that reached their end withdrawn (every minute, so
 * an expired consent counts as withdrawn in the answers within a minute), retention of behavioural data
 * (hourly), the read-model check whose verdict the hub's health shows (every 5 minutes) and the nightly
 * segment recomputation for the passing of time (03:00 UTC; one worker of many runs it each day).
 */
export const journeyServices: readonly WorkerService[] = [
  periodic('consent expiry', 60_000, async (deps) => ({ expired: await expireConsents(deps) })),
  periodic('journey retention', 3_600_000, pruneJourneyData),
  // The first check 30 s after the worker starts, so a new hub's dashboard has a verdict soon.
  periodic(
    'read-model check',
    READ_MODEL_CHECK_EVERY_MS,
    async (deps) => ({ differences: (await checkReadModelConsistency(deps)).differences }),
    { firstAfterMs: 30_000 },
  ),
  (deps) => startSegmentSchedule(deps as JourneyDeps, { hour: 3, timeZone: 'UTC' }),
];
