/**
 * The hub's own health on the dashboard (GET /admin/v1/kpis → health) over real HTTP, PostgreSQL, Redis and a
 * real worker: the commit → visible samples the worker measures (kept, capped, with p50/p99) and the verdict
 * of the periodic read-model check (null before the first, ok after one, the differences once the read model
 * and PostgreSQL disagree).
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  PROPAGATION_SAMPLES,
  recordPropagation,
  setStockCount,
  type PropagationSample,
} from '../../backoffice-layer/index.js';
import { startWorkerNode, type WorkerNode } from '../../channel-layer/index.js';
import { checkReadModelConsistency } from '../../journey-layer/index.js';
import {
  createBackofficeTestContext,
  startAdminApi,
  until,
  type AdminClient,
  type BackofficeTestContext,
} from '../support/backoffice.js';
import { givenCatalogue } from './stock/fixtures.js';

const SKU = 'HEALTH-COAT';
const WAREHOUSE = 'wh-1';
let ctx: BackofficeTestContext;
let admin: AdminClient;
let worker: WorkerNode | undefined;

type Health = {
  revision: number;
  propagation: {
    readModelRevision: number | null;
    samples: PropagationSample[];
    p50Ms: number | null;
    p99Ms: number | null;
  };
  consistency: { ok: boolean; checkedAt: string; differences: number; examples: string[] } | null;
};

async function health(): Promise<Health> {
  const res = await admin.request('GET', '/admin/v1/kpis');
  expect(res.status).toBe(200);
  return (res.body as { health: Health }).health;
}

/** The nearest-rank percentile, worked out here on its own. */
function rank(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil((p / 100) * sorted.length) - 1]!;
}

beforeAll(async () => {
  ctx = await createBackofficeTestContext();
  admin = await startAdminApi(ctx);
  await givenCatalogue(ctx, [SKU], [WAREHOUSE], { [`${SKU}@${WAREHOUSE}`]: 10 });
});

afterAll(async () => {
  await worker?.stop();
  await admin?.close();
  await ctx?.close();
});

describe('the hub’s health on the dashboard', () => {
  it('has no samples and no verdict before a worker ran', async () => {
    const h = await health();
    expect(h.propagation).toMatchObject({ samples: [], p50Ms: null, p99Ms: null });
    expect(h.consistency).toBeNull();
  });

  it('answers the commit → visible times the worker measured, with their p50 and p99', async () => {
    worker = await startWorkerNode(ctx.deps);
    const revisions: number[] = [];
    for (const onHand of [11, 12, 13])
      revisions.push((await setStockCount(ctx.deps, SKU, WAREHOUSE, { onHand })).revision);
    let h = await health();
    await until(
      async () => {
        h = await health();
        return revisions.every((r) => h.propagation.samples.some((s) => s.revision === r));
      },
      20_000,
      'the three writes measured',
    );
    const { samples, p50Ms, p99Ms } = h.propagation;
    for (const s of samples) {
      expect(Number.isInteger(s.ms) && s.ms >= 0).toBe(true);
      expect(new Date(s.at).toISOString()).toBe(s.at);
      // Each revision measured once, visible no earlier than it committed.
      expect(samples.filter((o) => o.revision === s.revision)).toHaveLength(1);
    }
    // Oldest first.
    expect(samples.map((s) => s.revision)).toEqual([...samples.map((s) => s.revision)].sort((a, b) => a - b));
    expect(p50Ms).toBe(
      rank(
        samples.map((s) => s.ms),
        50,
      ),
    );
    expect(p99Ms).toBe(
      rank(
        samples.map((s) => s.ms),
        99,
      ),
    );
    expect(h.propagation.readModelRevision).toBeGreaterThanOrEqual(Math.max(...revisions));
  });

  it(`keeps only the newest ${PROPAGATION_SAMPLES} samples`, async () => {
    const at = '2026-03-09T08:00:00.000Z';
    const batch = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => ({ at, revision: 1_000_000 + from + i, ms: from + i }));
    // Two batches (one LPUSH and LTRIM each): 320 in all, ms 1…320.
    await recordPropagation(ctx.deps.redis, ctx.redisPrefix, batch(1, 200));
    await recordPropagation(ctx.deps.redis, ctx.redisPrefix, batch(201, 320));
    const { samples, p50Ms, p99Ms } = (await health()).propagation;
    expect(samples).toHaveLength(PROPAGATION_SAMPLES);
    expect(samples[0]).toEqual({ at, revision: 1_000_021, ms: 21 });
    expect(samples.at(-1)).toEqual({ at, revision: 1_000_320, ms: 320 });
    // ms 21…320: the 150th and 297th of 300.
    expect(p50Ms).toBe(170);
    expect(p99Ms).toBe(317);
  });

  it('shows the last read-model check: ok, then the differences when the model goes wrong', async () => {
    // The worker runs the check every five minutes (one of its journey services); here it is run at once.
    await until(
      async () => (await health()).propagation.readModelRevision === (await health()).revision,
      20_000,
      'the read model caught up',
    );
    const ok = await checkReadModelConsistency(ctx.deps);
    expect(ok).toEqual({ ok: true, checkedAt: expect.any(String), differences: 0, examples: [] });
    expect((await health()).consistency).toEqual(ok);

    // A count changed behind the hub's back (no event): the read model no longer equals a rebuild.
    await sql`UPDATE stock_levels SET on_hand = 99 WHERE sku = ${SKU}`.execute(ctx.deps.db);
    const bad = await checkReadModelConsistency(ctx.deps, { recheckAfterMs: 10 });
    expect(bad.ok).toBe(false);
    expect(bad.differences).toBeGreaterThanOrEqual(1);
    expect(bad.examples).toContain(`${SKU} stock`);
    expect((await health()).consistency).toEqual(bad);
  });
});
