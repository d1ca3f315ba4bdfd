import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { generateDemoRetailer, seedDemoRetailer } from '../../backoffice-layer/index.js';
import { ManualClock } from '../../shared/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';

const clock = new ManualClock('2026-11-22T10:00:00Z');
let ctx: BackofficeTestContext;
beforeAll(async () => {
  ctx = await createBackofficeTestContext({ clock });
});
afterAll(async () => {
  await ctx.close();
});

describe('demo retailer', () => {
  it('is a Dutch fashion retailer with a warehouse, at least five stores and a few hundred SKUs', () => {
    const demo = generateDemoRetailer(clock.now());
    expect(demo.locations.filter((l) => l.kind === 'WAREHOUSE' && l.fulfilsOnline)).toHaveLength(1);
    expect(demo.locations.filter((l) => l.kind === 'STORE').length).toBeGreaterThanOrEqual(5);
    expect(demo.products.length).toBeGreaterThanOrEqual(250);
    expect(new Set(demo.products.map((p) => p.category))).toEqual(
      new Set(['coats', 'trousers', 'knitwear', 'shirts', 'dresses', 'accessories']),
    );
    const sale = demo.priceLists.find((l) => l.id === 'winter-sale')!;
    expect(sale.validFrom!.getTime()).toBeGreaterThan(clock.now().getTime());
    expect(sale.validFrom!.toISOString()).toBe('2026-11-22T23:00:00.000Z');
    expect(generateDemoRetailer(clock.now())).toEqual(demo);
  });

  it('seeds once, in one revision, with a ledger that re-derives every level', async () => {
    const first = await seedDemoRetailer(ctx.deps);
    expect(first.skipped).toBe(false);
    expect(first.revision).toBeGreaterThan(0);
    const counts = await sql<{
      products: number;
      levels: number;
      prices: number;
    }>`SELECT (SELECT count(*)::int FROM products) AS products,
              (SELECT count(*)::int FROM stock_levels) AS levels,
              (SELECT count(*)::int FROM prices) AS prices`.execute(ctx.deps.db);
    expect(counts.rows[0]).toEqual({
      products: first.products,
      levels: first.stockLevels,
      prices: first.prices,
    });
    const mismatches = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM stock_levels l
      LEFT JOIN (SELECT sku, location_id, sum(on_hand_delta) AS oh, sum(reserved_delta) AS rs,
                        sum(safety_stock_delta) AS ss
                 FROM stock_movements GROUP BY 1, 2) m USING (sku, location_id)
      WHERE l.on_hand <> coalesce(m.oh, 0) OR l.reserved <> coalesce(m.rs, 0)
         OR l.safety_stock <> coalesce(m.ss, 0)`.execute(ctx.deps.db);
    expect(mismatches.rows[0]!.n).toBe(0);
    const events = await ctx.deps.db.selectFrom('outbox').select(['type', 'revision']).execute();
    expect(new Set(events.map((e) => e.revision))).toEqual(new Set([first.revision]));
    expect(events.some((e) => e.type === 'catalogue.bulk-changed')).toBe(true);

    const second = await seedDemoRetailer(ctx.deps);
    expect(second.skipped).toBe(true);
    expect(second.revision).toBe(first.revision);
  });
});
