import { setTimeout as sleep } from 'node:timers/promises';
import {
  storeConsistencyVerdict,
  verifyReadModel,
  type ConsistencyVerdict,
  type ReadModelDifference,
} from '../../backoffice-layer/index.js';
import type { JourneyDeps } from '../journey-deps.js';
import { journeyReadModelSections } from '../pricing/read-model-sections.js';

/** How often a worker checks the read model against a rebuild from PostgreSQL: every 5 minutes. */
export const READ_MODEL_CHECK_EVERY_MS = 300_000;
/** How long a check that found differences waits before it looks again (a change still on its way). */
const RECHECK_AFTER_MS = 2_000;

/**
 * The read model's differences from a rebuild (verifyReadModel with the journey's shared sections), none when
 * no read model is built from any database (every node reads PostgreSQL then, so nothing can differ); a
 * model built from another database is one difference (`source`).
 */
export async function readModelDifferences(
  deps: Pick<JourneyDeps, 'db' | 'redis' | 'redisPrefix'>,
): Promise<ReadModelDifference[]> {
  const diffs = await verifyReadModel(deps, journeyReadModelSections);
  const notBuilt = diffs.length === 1 && diffs[0]!.section === 'source' && diffs[0]!.actual === null;
  return notBuilt ? [] : diffs;
}

/**
 * Compares the read model with a rebuild from PostgreSQL and stores the verdict for the hub's health
 * (`GET /admin/v1/kpis` → `health.consistency`): `ok`, `checkedAt` (the clock's now), how many places differ
 * and the first five (`<sku or name> <section>`). Differences found are looked at again two seconds later,
 * so a change still on its way to the read model is not reported as one; only the second look counts.
 * @returns the verdict stored.
 */
export async function checkReadModelConsistency(
  deps: Pick<JourneyDeps, 'db' | 'redis' | 'redisPrefix' | 'clock'>,
  opts: { recheckAfterMs?: number } = {},
): Promise<ConsistencyVerdict> {
  let diffs = await readModelDifferences(deps);
  if (diffs.length > 0) {
    await sleep(opts.recheckAfterMs ?? RECHECK_AFTER_MS);
    diffs = await readModelDifferences(deps);
  }
  const verdict: ConsistencyVerdict = {
    ok: diffs.length === 0,
    checkedAt: deps.clock.now().toISOString(),
    differences: diffs.length,
    examples: diffs.slice(0, 5).map((d) => `${d.sku || '(read model)'} ${d.section}`),
  };
  await storeConsistencyVerdict(deps.redis, deps.redisPrefix, verdict);
  return verdict;
}
