/**
 * An API node's in-process SKU cache is bounded by SKUs and by estimated bytes, whatever the catalogue: the
 * oldest loaded SKUs go first, and what is kept is still served.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readModelKeys, rebuildReadModel } from '../../../backoffice-layer/index.js';
import { SkuCache } from '../../../backoffice-layer/read-model/sku-cache.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../../support/backoffice.js';
import { givenCatalogue } from '../stock/fixtures.js';

const SKUS = Array.from({ length: 40 }, (_, i) => `BOUND-${String(i).padStart(2, '0')}`);
const LOCATIONS = ['wh-1', 'ams-01', 'utr-01', 'rtm-01', 'ehv-01'];

describe('the SKU cache’s bounds', () => {
  let ctx: BackofficeTestContext;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    const stock: Record<string, number> = {};
    for (const sku of SKUS) for (const l of LOCATIONS) stock[`${sku}@${l}`] = 7;
    await givenCatalogue(ctx, SKUS, LOCATIONS, stock);
    await rebuildReadModel(ctx.deps);
  });
  afterAll(async () => {
    await ctx.close();
  });

  const cache = (bounds: { cacheSize: number; cacheBytes: number }) =>
    new SkuCache({
      db: ctx.deps.db,
      redis: ctx.deps.redis,
      keys: readModelKeys(ctx.redisPrefix),
      sections: [],
      ...bounds,
    });

  it('keeps at most its bytes, dropping the oldest loaded first, and serves what it keeps', async () => {
    // What one SKU of this catalogue costs, as the cache counts it.
    const probe = cache({ cacheSize: 1_000, cacheBytes: Number.MAX_SAFE_INTEGER });
    expect(await probe.load([SKUS[0]!])).toBe('ok');
    const one = probe.held().bytes;
    expect(one).toBeGreaterThan(LOCATIONS.length * 200);

    const bounded = cache({ cacheSize: 1_000, cacheBytes: Math.floor(one * 10.5) });
    for (const sku of SKUS) expect(await bounded.load([sku])).toBe('ok');
    const held = bounded.held();
    expect(held.bytes).toBeLessThanOrEqual(Math.floor(one * 10.5));
    expect(held.skus).toBe(10);
    // The newest ten are kept and served from memory, with their stock at every location.
    const newest = SKUS.slice(-10);
    expect(bounded.holds(newest)).toBe(true);
    expect(bounded.holds([SKUS[0]!])).toBe(false);
    const snapshot = bounded.snapshot(newest);
    expect(snapshot.skus.get(newest[0]!)?.stock).toHaveLength(LOCATIONS.length);
  });

  it('keeps at most its SKUs', async () => {
    const bounded = cache({ cacheSize: 5, cacheBytes: Number.MAX_SAFE_INTEGER });
    expect(await bounded.load(SKUS.slice(0, 20))).toBe('ok');
    expect(bounded.held().skus).toBe(5);
    expect(bounded.holds(SKUS.slice(15, 20))).toBe(true);
  });
});
