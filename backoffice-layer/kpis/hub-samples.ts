import type { Redis } from '../../shared/index.js';

/** How many commit → visible samples the hub keeps (the newest; older ones are trimmed away). */
export const PROPAGATION_SAMPLES = 300;

/** One revision's commit → visible time: when it became visible (ISO 8601), its revision, the time in ms. */
export interface PropagationSample {
  at: string;
  revision: number;
  ms: number;
}

/**
 * The verdict of the last periodic read-model check (see the journey's worker services): `ok` when the read
 * model equals a rebuild from PostgreSQL (or none is built, so every node reads PostgreSQL), `differences`
 * how many places differ, `examples` the first few of them (`<sku or name> <section>`), `checkedAt` when.
 */
export interface ConsistencyVerdict {
  ok: boolean;
  checkedAt: string;
  differences: number;
  examples: string[];
}

/** The Redis keys of the hub's own health figures, under the hub's prefix. */
function keys(redisPrefix: string) {
  return {
    propagation: `${redisPrefix}:hub:propagation`,
    consistency: `${redisPrefix}:hub:consistency`,
  };
}

/**
 * Keeps these samples (one batch of the read model's consumer) among the newest PROPAGATION_SAMPLES: one
 * LPUSH and one LTRIM in one round trip, none for an empty batch.
 */
export async function recordPropagation(
  redis: Redis,
  redisPrefix: string,
  samples: readonly PropagationSample[],
): Promise<void> {
  if (samples.length === 0) return;
  const key = keys(redisPrefix).propagation;
  await redis
    .multi()
    .lpush(key, ...samples.map((s) => JSON.stringify(s)))
    .ltrim(key, 0, PROPAGATION_SAMPLES - 1)
    .exec();
}

/** The p-th percentile (0–100) of sorted values by the nearest-rank method; null for none. */
function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * The newest commit → visible samples (oldest first, at most PROPAGATION_SAMPLES) with their median and 99th
 * percentile in ms (nearest rank; null without samples).
 */
export async function recentPropagation(
  redis: Redis,
  redisPrefix: string,
): Promise<{ samples: PropagationSample[]; p50Ms: number | null; p99Ms: number | null }> {
  const raw = await redis.lrange(keys(redisPrefix).propagation, 0, PROPAGATION_SAMPLES - 1);
  const samples: PropagationSample[] = [];
  for (const r of raw.reverse()) {
    try {
      const s = JSON.parse(r) as PropagationSample;
      if (typeof s.ms === 'number' && typeof s.revision === 'number' && typeof s.at === 'string')
        samples.push(s);
    } catch {
      // A value not written by recordPropagation: skipped.
    }
  }
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  return { samples, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
}

/** Stores the verdict of a read-model check, replacing the previous one. */
export async function storeConsistencyVerdict(
  redis: Redis,
  redisPrefix: string,
  verdict: ConsistencyVerdict,
): Promise<void> {
  await redis.set(keys(redisPrefix).consistency, JSON.stringify(verdict));
}

/** The verdict of the last read-model check, or null when none has run (or it was lost with Redis). */
export async function lastConsistencyVerdict(
  redis: Redis,
  redisPrefix: string,
): Promise<ConsistencyVerdict | null> {
  const raw = await redis.get(keys(redisPrefix).consistency);
  if (raw === null) return null;
  try {
    return JSON.parse(raw) as ConsistencyVerdict;
  } catch {
    return null;
  }
}
