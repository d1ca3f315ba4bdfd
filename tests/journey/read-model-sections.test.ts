import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CamelCasePlugin, Kysely, PostgresDialect } from 'kysely';
import {
  createReadModel,
  readModelKeys,
  setPrice,
  setStockCount,
  startBackofficeWorker,
  upsertLocation,
  upsertPriceList,
  upsertProduct,
  verifyReadModel,
  type BackofficeWorker,
  type ReadModel,
} from '../../backoffice-layer/index.js';
import {
  createCoupons,
  journeyReadModelSections,
  journeyWorkerOptions,
  offer,
  offers,
  placeStoreSale,
  PROMOTIONS_SECTION,
  upsertPromotion,
} from '../../journey-layer/index.js';
import type { HubTables } from '../../channel-layer/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';

describe('promotions and the loyalty programme in the read model', () => {
  let ctx: BackofficeTestContext;
  let worker: BackofficeWorker;
  let rm: ReadModel;
  let queries = 0;
  let counting: Kysely<HubTables>;

  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await upsertLocation(ctx.deps, 'wh-1', { name: 'Warehouse', kind: 'WAREHOUSE', fulfilsOnline: true });
    await upsertLocation(ctx.deps, 'ams-01', { name: 'Amsterdam', kind: 'STORE', fulfilsOnline: false });
    await upsertPriceList(ctx.deps, 'base', { name: 'Base', currency: 'EUR', priority: 0 });
    for (const sku of ['COAT-M', 'COAT-L']) {
      await upsertProduct(ctx.deps, sku, {
        name: 'Jas',
        category: 'coats',
        vatRate: 21,
        attributes: {},
        status: 'ACTIVE',
      });
      await setPrice(ctx.deps, 'base', sku, { amount: 10000, minQuantity: 1 });
      await setStockCount(ctx.deps, sku, 'wh-1', { onHand: 10 });
    }
    worker = await startBackofficeWorker(ctx.deps, { ...journeyWorkerOptions(ctx.deps), relayPollMs: 100 });
    rm = await createReadModel(ctx.deps, { sections: journeyReadModelSections });
    counting = new Kysely<HubTables>({
      dialect: new PostgresDialect({ pool: ctx.deps.pool }),
      plugins: [new CamelCasePlugin()],
      log: () => {
        queries++;
      },
    });
  });
  afterAll(async () => {
    await rm.close();
    await worker.stop();
    await ctx.close();
  });

  it(
    'answers an anonymous offer from memory, and moves with a promotion at the revision that ' + 'changed it',
    async () => {
      const first = await offer(ctx.deps, { sku: 'COAT-M' }, { readModel: rm });
      expect(first.price.final).toBe(10000);
      queries = 0;
      const again = await offers(
        { ...ctx.deps, db: counting },
        { skus: ['COAT-M', 'COAT-L'] },
        { readModel: rm },
      );
      expect(queries).toBe(0);
      expect(again[0]!.fingerprint).toBe(first.fingerprint);

      const promo = await upsertPromotion(ctx.deps, 'coats-10', {
        status: 'ACTIVE',
        rule: {
          label: 'Coats',
          conditions: [{ kind: 'category', categories: ['coats'] }],
          action: { kind: 'percentOff', percentBp: 1000 },
        },
      });
      const after = await offer(ctx.deps, { sku: 'COAT-M', minRevision: promo.revision }, { readModel: rm });
      expect(after.price.final).toBe(9000);
      expect(after.revision).toBeGreaterThanOrEqual(promo.revision);
      // The same answer straight from PostgreSQL at that revision has the same fingerprint.
      const fromDb = await offer(ctx.deps, { sku: 'COAT-M' });
      if (fromDb.revision === after.revision) expect(fromDb.fingerprint).toBe(after.fingerprint);
      expect(fromDb.price.final).toBe(9000);
    },
  );

  it(
    'takes a promotion whose budget ran out out of the ' + 'rules in force, at a revision of its own',
    async () => {
      await upsertPromotion(ctx.deps, 'budgeted', {
        status: 'ACTIVE',
        budgetAmount: 1000,
        rule: { label: 'Till € 10', couponRequired: true, action: { kind: 'amountOff', amount: 1000 } },
      });
      await createCoupons(ctx.deps, 'budgeted', { codes: ['TEN'] });
      const sale = await placeStoreSale(
        ctx.deps,
        { locationId: 'ams-01', lines: [{ sku: 'COAT-L', quantity: 1 }], couponCodes: ['TEN'] },
        'spend-budget',
      );
      expect(sale.quote.appliedCoupons).toEqual(['TEN']);
      const spent = await ctx.deps.db
        .selectFrom('outbox')
        .select(['revision', 'payload'])
        .where('type', '=', 'promotion.changed')
        .where('aggregateId', '=', 'budgeted')
        .orderBy('position', 'desc')
        .executeTakeFirstOrThrow();
      expect(spent).toEqual({
        revision: sale.revision,
        payload: { promotionId: 'budgeted', budgetSpent: true },
      });
      const o = await offer(ctx.deps, { sku: 'COAT-L', minRevision: sale.revision }, { readModel: rm });
      expect(o.revision).toBeGreaterThanOrEqual(sale.revision);
      const stored = JSON.parse(
        (await ctx.deps.redis.get(readModelKeys(ctx.deps.redisPrefix).global(PROMOTIONS_SECTION)))!,
      ) as { v: Array<{ id: string }> };
      expect(stored.v.map((r) => r.id)).not.toContain('budgeted');
      expect(await verifyReadModel(ctx.deps, journeyReadModelSections)).toEqual([]);
    },
  );
});
