import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createReadModel,
  getStockLevels,
  setPrice,
  setStockCount,
  startBackofficeWorker,
  upsertLocation,
  upsertPriceList,
  upsertProduct,
  verifyReadModel,
  type BackofficeWorker,
  type ReadModel,
} from '../../../backoffice-layer/index.js';
import {
  getPromotion,
  journeyReadModelSections,
  journeyWorkerOptions,
  placeOrder,
  placeStoreSale,
  quote,
} from '../../../journey-layer/index.js';
import {
  createBackofficeTestContext,
  startAdminApi,
  type AdminClient,
  type BackofficeTestContext,
} from '../../support/backoffice.js';

// Issue 8 §4: a promotion budget caps the discount — the quote and the order agree — and never refuses a
// sale.
describe('promotion budgets', () => {
  let ctx: BackofficeTestContext;
  let worker: BackofficeWorker;
  let rm: ReadModel;
  let api: AdminClient;
  const SKU = 'NK-KNIT-ROLL-CAMEL-M';

  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ poolSize: 30 });
    await upsertLocation(ctx.deps, 'wh-1', { name: 'Warehouse', kind: 'WAREHOUSE', fulfilsOnline: true });
    await upsertLocation(ctx.deps, 'ams-01', { name: 'Amsterdam', kind: 'STORE', fulfilsOnline: false });
    await upsertPriceList(ctx.deps, 'base', { name: 'Base', currency: 'EUR', priority: 0 });
    for (const sku of [SKU, 'NK-KNIT-ROLL-CAMEL-L']) {
      await upsertProduct(ctx.deps, sku, {
        name: 'Coltrui',
        category: 'knitwear',
        vatRate: 21,
        attributes: {},
        status: 'ACTIVE',
      });
      await setPrice(ctx.deps, 'base', sku, { amount: 3000, minQuantity: 1 });
      await setStockCount(ctx.deps, sku, 'wh-1', { onHand: 100 });
      await setStockCount(ctx.deps, sku, 'ams-01', { onHand: 100 });
    }
    worker = await startBackofficeWorker(ctx.deps, { ...journeyWorkerOptions(ctx.deps), relayPollMs: 50 });
    rm = await createReadModel(ctx.deps, { sections: journeyReadModelSections });
    api = await startAdminApi(ctx);
  });
  afterAll(async () => {
    await api.close();
    await rm.close();
    await worker.stop();
    await ctx.close();
  });

  const budgeted = (id: string, sku: string) =>
    api.request('PUT', `/admin/v1/promotions/${id}`, {
      rule: {
        label: '10% on the camel roll-neck',
        conditions: [{ kind: 'sku', skus: [sku] }],
        action: { kind: 'percentOff', percentBp: 1000 },
      },
      budgetAmount: 500,
    });

  it(
    'caps the discount at what is left (3,00 then 2,00 then nothing): the quote promises what ' +
      'the order charges, and every order goes through',
    async () => {
      const put = await budgeted('p', SKU);
      expect(put.status).toBe(200);
      const line = [{ sku: SKU, quantity: 1 }];
      const totals: Array<[number, number]> = [];
      let revision = Number(put.body.revision);
      for (let i = 0; i < 3; i++) {
        // What a channel is told (the read model, at least at the last order's revision) and what the order
        // charges.
        const promised = await quote(ctx.deps, { lines: line, minRevision: revision }, { readModel: rm });
        const order = await placeOrder(ctx.deps, { locationId: 'wh-1', lines: line }, `budget-order-${i}`);
        totals.push([promised.total, order.quote.total]);
        const stored = await ctx.deps.db
          .selectFrom('orders')
          .select('totalAmount')
          .where('id', '=', order.orderId)
          .executeTakeFirstOrThrow();
        expect(stored.totalAmount).toBe(order.quote.total);
        revision = order.revision;
      }
      expect(totals).toEqual([
        [2700, 2700],
        [2800, 2800],
        [3000, 3000],
      ]);
      expect(await getPromotion(ctx.deps.db, 'p')).toMatchObject({ budgetAmount: 500, budgetSpent: 500 });
      const after = await quote(ctx.deps, { lines: line, minRevision: revision }, { readModel: rm });
      expect(after.total).toBe(3000);
      expect(await verifyReadModel(ctx.deps, journeyReadModelSections)).toEqual([]);
    },
  );

  it(
    'never overspends nor refuses when orders race for the last of a budget: the order that ' +
      'comes second is capped under the lock',
    async () => {
      const sku = 'NK-KNIT-ROLL-CAMEL-L';
      expect((await budgeted('race', sku)).status).toBe(200);
      const line = [{ sku, quantity: 1 }];
      // Each order is quoted before any commits (each expects 3,00 off); the budget holds 5,00.
      const results = await Promise.allSettled([
        ...[0, 1, 2].map((i) =>
          placeOrder(ctx.deps, { locationId: 'wh-1', lines: line }, `race-online-${i}`),
        ),
        ...[0, 1, 2].map((i) =>
          placeStoreSale(ctx.deps, { locationId: 'ams-01', lines: line }, `race-till-${i}`),
        ),
      ]);
      expect(results.map((r) => r.status)).toEqual(Array(6).fill('fulfilled'));
      const orders = await ctx.deps.db
        .selectFrom('orderLines')
        .select(['lineAmount'])
        .where('sku', '=', sku)
        .execute();
      expect(orders).toHaveLength(6);
      expect(orders.reduce((s, o) => s + (3000 - o.lineAmount), 0)).toBe(500);
      expect(await getPromotion(ctx.deps.db, 'race')).toMatchObject({ budgetSpent: 500 });
      // What each caller was told is what its order charged.
      for (const r of results) {
        if (r.status !== 'fulfilled') continue;
        const stored = await ctx.deps.db
          .selectFrom('orders')
          .select('totalAmount')
          .where('id', '=', r.value.orderId)
          .executeTakeFirstOrThrow();
        expect(stored.totalAmount).toBe(r.value.quote.total);
      }
      // Every order went through: 3 sold at the till, 3 held at the warehouse until shipment.
      const levels = (await getStockLevels(ctx.deps.db, [sku])).get(sku)!;
      expect(levels.map((l) => [l.locationId, l.onHand, l.reserved])).toEqual([
        ['ams-01', 97, 0],
        ['wh-1', 100, 3],
      ]);
    },
  );
});
