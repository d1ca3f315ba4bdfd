import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  applyEvent,
  returnItems,
  setPrice,
  setStockCount,
  toEnvelope,
  upsertLocation,
  upsertPriceList,
  upsertProduct,
} from '../../../backoffice-layer/index.js';
import {
  enrollCustomer,
  getLoyaltyStatus,
  loyaltyConsumer,
  placeStoreSale,
  quote,
  setLoyaltyProgram,
} from '../../../journey-layer/index.js';
import { ManualClock } from '../../../shared/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../../support/backoffice.js';

// Issue 8 §4: points on returns are the cumulative share of the order's points; the tier a quote previews is
// the one recording the sale gives.
describe('points on returns and the tier preview', () => {
  const clock = new ManualClock('2026-11-20T10:00:00Z');
  let ctx: BackofficeTestContext;
  const consumer = loyaltyConsumer(clock);

  /** Applies the outbox events of these types for this aggregate, as the worker would. */
  const applyAll = async (type: 'sale.committed' | 'return.recorded', aggregateId: string) => {
    const rows = await ctx.deps.db
      .selectFrom('outbox')
      .selectAll()
      .where('type', '=', type)
      .where('aggregateId', '=', aggregateId)
      .orderBy('position')
      .execute();
    for (const row of rows) await applyEvent(ctx.deps.db, [consumer], toEnvelope(row), clock.now());
  };

  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
    await upsertLocation(ctx.deps, 'ams-01', { name: 'Amsterdam', kind: 'STORE', fulfilsOnline: false });
    await upsertPriceList(ctx.deps, 'base', { name: 'Base', currency: 'EUR', priority: 0 });
    for (const [sku, amount] of [
      ['NK-ACC-SOK-NAVY', 199],
      ['NK-SHIRT-OXF-WHITE-M', 6000],
    ] as const) {
      await upsertProduct(ctx.deps, sku, {
        name: sku,
        category: 'accessories',
        vatRate: 21,
        attributes: {},
        status: 'ACTIVE',
      });
      await setPrice(ctx.deps, 'base', sku, { amount, minQuantity: 1 });
      await setStockCount(ctx.deps, sku, 'ams-01', { onHand: 100 });
    }
  });
  afterAll(async () => {
    await ctx.close();
  });

  it(
    'returns every point of an order returned in ten ' + 'returns of one unit (19,90 → 19 points → 0)',
    async () => {
      const { customer } = await enrollCustomer(
        ctx.deps,
        { email: 'sokken@example.nl' },
        { channel: 'STORE', idempotencyKey: 'sokken' },
      );
      const sale = await placeStoreSale(
        ctx.deps,
        { locationId: 'ams-01', lines: [{ sku: 'NK-ACC-SOK-NAVY', quantity: 10 }], customerId: customer.id },
        'socks',
      );
      expect(sale.quote.total).toBe(1990);
      await applyAll('sale.committed', sale.orderId);
      expect((await getLoyaltyStatus(ctx.deps.db, customer.id, clock.now())).points).toBe(19);
      const left: number[] = [];
      for (let i = 0; i < 10; i++) {
        await returnItems(
          ctx.deps,
          {
            orderId: sale.orderId,
            locationId: 'ams-01',
            lines: [{ sku: 'NK-ACC-SOK-NAVY', quantity: 1, sellable: true }],
          },
          randomUUID(),
        );
        await applyAll('return.recorded', sale.orderId); // a redelivered return reverses nothing twice
        left.push((await getLoyaltyStatus(ctx.deps.db, customer.id, clock.now())).points);
      }
      expect(left).toEqual([18, 16, 14, 12, 10, 8, 6, 4, 2, 0]);
    },
  );

  it(
    'previews the tier recording the sale gives: 450 points earned + 60 from this order reach ' +
      'SILVER at 500',
    async () => {
      await setLoyaltyProgram(ctx.deps, {
        currency: 'EUR',
        pointsPerUnit: 1,
        rollingWindowDays: 365,
        pointsExpireAfterDays: 730,
        tiers: [
          {
            id: 'BRONZE',
            name: 'Bronze',
            threshold: 0,
            benefits: {
              memberDiscountBp: 0,
              discountCategories: [],
              pointsMultiplierPct: 100,
              freeClickAndCollect: false,
              perks: [],
            },
          },
          {
            id: 'SILVER',
            name: 'Silver',
            threshold: 500,
            benefits: {
              memberDiscountBp: 0,
              discountCategories: [],
              pointsMultiplierPct: 100,
              freeClickAndCollect: false,
              perks: [],
            },
          },
        ],
      });
      const { customer } = await enrollCustomer(
        ctx.deps,
        { email: 'ines@example.nl' },
        { channel: 'WEB', idempotencyKey: 'ines' },
      );
      const earlier = await placeStoreSale(
        ctx.deps,
        { locationId: 'ams-01', lines: [{ sku: 'NK-ACC-SOK-NAVY', quantity: 226 }], customerId: customer.id },
        'ines-earlier',
      ); // 449,74 → 449 points
      await applyAll('sale.committed', earlier.orderId);
      expect(await getLoyaltyStatus(ctx.deps.db, customer.id, clock.now())).toMatchObject({
        points: 449,
        tier: 'BRONZE',
      });
      await placeStoreSale(
        ctx.deps,
        { locationId: 'ams-01', lines: [{ sku: 'NK-ACC-SOK-NAVY', quantity: 1 }], customerId: customer.id },
        'ines-one-more',
      ).then((s) => applyAll('sale.committed', s.orderId));
      // 449 + 1 (1,99 earns one point): 450 earned in the window, still Bronze.
      expect(await getLoyaltyStatus(ctx.deps.db, customer.id, clock.now())).toMatchObject({
        points: 450,
        tier: 'BRONZE',
        pointsToNextTier: 50,
      });

      const q = await quote(ctx.deps, {
        lines: [{ sku: 'NK-SHIRT-OXF-WHITE-M', quantity: 1 }],
        customerId: customer.id,
      });
      expect(q.loyalty).toEqual({ pointsEarned: 60, tierAfter: 'SILVER' });
      const sale = await placeStoreSale(
        ctx.deps,
        {
          locationId: 'ams-01',
          lines: [{ sku: 'NK-SHIRT-OXF-WHITE-M', quantity: 1 }],
          customerId: customer.id,
        },
        'ines-shirt',
      );
      await applyAll('sale.committed', sale.orderId);
      expect(await getLoyaltyStatus(ctx.deps.db, customer.id, clock.now())).toMatchObject({
        points: 510,
        tier: q.loyalty!.tierAfter,
      });
    },
  );
});
