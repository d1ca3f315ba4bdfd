/**
 * A cancelled order gives back what it used of promotions (issue 12, "Loyalty and coupons follow"): its
 * coupon use (a single-use code can be used again, by her too), its budget spend (the next quote, from the
 * read model, prices with what is left again) and, when it was her only order, her first-order offers; it
 * earns no points. Given back once, however often the cancellation arrives; an order only partly cancelled
 * keeps its coupon use. The real worker applies the events (journeyWorkerOptions).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import {
  applyEvent,
  cancelOrder,
  createReadModel,
  getOrder,
  recordFulfilmentEvent,
  reserveStock,
  setPrice,
  setStockCount,
  startBackofficeWorker,
  toEnvelope,
  upsertLocation,
  upsertPriceList,
  upsertProduct,
  type BackofficeWorker,
  type FulfilmentStatus,
  type ReadModel,
} from '../../../backoffice-layer/index.js';
import {
  createCoupons,
  getCustomerFacts,
  getPromotion,
  journeyConsumers,
  journeyReadModelSections,
  journeyWorkerOptions,
  LOYALTY_CONSUMER,
  PROMOTIONS_CONSUMER,
  placeOrder,
  quote,
  upsertPromotion,
} from '../../../journey-layer/index.js';
import { ManualClock } from '../../../shared/index.js';
import {
  createBackofficeTestContext,
  newMembers,
  until,
  type BackofficeTestContext,
} from '../../support/backoffice.js';

const CARRIER = { actor: 'admin:carrier', channel: 'ADMIN' };

describe('a cancelled order gives back its coupon use and budget', () => {
  const clock = new ManualClock('2026-11-30T10:00:00Z');
  let ctx: BackofficeTestContext;
  /** A new member on each call. */
  let member: () => Promise<string>;
  let worker: BackofficeWorker;
  let rm: ReadModel;
  const COAT = [{ sku: 'COAT-M', quantity: 1 }];

  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock, poolSize: 20 });
    member = newMembers(ctx, 'cancel');
    await upsertLocation(ctx.deps, 'wh-1', { name: 'Warehouse', kind: 'WAREHOUSE', fulfilsOnline: true });
    await upsertLocation(ctx.deps, 'ams-01', { name: 'Amsterdam', kind: 'STORE', fulfilsOnline: true });
    await upsertPriceList(ctx.deps, 'base', { name: 'Base', currency: 'EUR', priority: 0 });
    await upsertProduct(ctx.deps, 'COAT-M', {
      name: 'Wollen jas',
      category: 'coats',
      vatRate: 21,
      attributes: {},
      status: 'ACTIVE',
    });
    await setPrice(ctx.deps, 'base', 'COAT-M', { amount: 10000, minQuantity: 1 });
    for (const at of ['wh-1', 'ams-01']) await setStockCount(ctx.deps, 'COAT-M', at, { onHand: 100 });
    // € 20 off a coat while € 30 of budget lasts, and a single-use code for € 10 more.
    await upsertPromotion(ctx.deps, 'winter', {
      status: 'ACTIVE',
      budgetAmount: 3000,
      rule: {
        label: 'Winter coats',
        conditions: [{ kind: 'category', categories: ['coats'] }],
        action: { kind: 'percentOff', percentBp: 2000 },
      },
    });
    await upsertPromotion(ctx.deps, 'welcome', {
      status: 'ACTIVE',
      rule: {
        label: 'Welcome',
        couponRequired: true,
        conditions: [{ kind: 'category', categories: ['coats'] }],
        action: { kind: 'percentOff', percentBp: 1000 },
      },
    });
    await createCoupons(ctx.deps, 'welcome', { codes: ['WELCOME10'], usageLimit: 1, perCustomerLimit: 1 });
    worker = await startBackofficeWorker(ctx.deps, { ...journeyWorkerOptions(ctx.deps), relayPollMs: 50 });
    rm = await createReadModel(ctx.deps, { sections: journeyReadModelSections });
  });
  afterAll(async () => {
    await rm.close();
    await worker.stop();
    await ctx.close();
  });

  const move = (fulfilmentId: string, status: FulfilmentStatus) =>
    recordFulfilmentEvent(ctx.deps, fulfilmentId, { status }, randomUUID(), CARRIER);
  /** She cancels her order herself. */
  const cancel = (orderId: string, customerId: string) =>
    cancelOrder(ctx.deps, orderId, { reason: 'changed my mind' }, randomUUID(), {
      actor: `customer:${customerId}`,
      channel: 'WEB',
    });

  /** What a channel is told for one coat with the code, at least at `revision` (the read model's answer). */
  const promised = (customerId: string, revision: number) =>
    quote(
      ctx.deps,
      { lines: COAT, customerId, couponCodes: ['WELCOME10'], minRevision: revision },
      { readModel: rm },
    );
  const coupon = () =>
    ctx.deps.db
      .selectFrom('coupons')
      .select('usedCount')
      .where('code', '=', 'WELCOME10')
      .executeTakeFirstOrThrow();
  /** Waits until the worker has applied every event to the journey's consumers; answers the last revision. */
  const settled = async (): Promise<number> => {
    const consumers = [LOYALTY_CONSUMER, PROMOTIONS_CONSUMER];
    const pending = async () =>
      (
        await sql<{ n: number }>`SELECT count(*)::int AS n
          FROM outbox o, unnest(${consumers}::text[]) AS c(name)
          WHERE NOT EXISTS (SELECT 1 FROM applied_events a
                            WHERE a.consumer = c.name AND a.event_id = o.id)`.execute(ctx.deps.db)
      ).rows[0]!.n;
    await until(async () => (await pending()) === 0, 15_000, 'the journey consumers to apply every event');
    const last = await sql<{ r: number }>`SELECT max(revision)::int AS r FROM outbox`.execute(ctx.deps.db);
    return last.rows[0]!.r;
  };

  it(
    'gives back a single-use code and the budget spent when the order is cancelled: the next quote ' +
      'prices with them, and she can use the code again',
    async () => {
      const eva = await member();
      const other = await member();
      const before = await promised(other, await settled());
      // € 20 winter discount and € 10 (10 % of what is left) with the code.
      expect(before.appliedCoupons).toEqual(['WELCOME10']);
      const placed = await placeOrder(
        ctx.deps,
        { locationId: 'wh-1', lines: COAT, customerId: eva, couponCodes: ['WELCOME10'] },
        'eva-order',
      );
      expect(placed.quote.total).toBe(before.total);
      await settled();
      expect((await getCustomerFacts(ctx.deps.db, eva))?.firstOrder).toBe(false);
      const spent = (await getPromotion(ctx.deps.db, 'winter'))!.budgetSpent;
      expect(spent).toBeGreaterThan(0);
      expect(await coupon()).toEqual({ usedCount: 1 });

      // Meanwhile: the code is used up, and the budget has less left.
      const during = await promised(other, await settled());
      expect(during.rejectedCoupons.map((c) => c.code)).toEqual(['WELCOME10']);
      expect(during.total).toBeGreaterThan(before.total);

      await cancel(placed.orderId, eva);
      const after = await promised(other, await settled());
      expect(after.appliedCoupons).toEqual(['WELCOME10']);
      expect(after.total).toBe(before.total);
      expect(after.lines[0]!.adjustments).toEqual(before.lines[0]!.adjustments);
      expect((await getPromotion(ctx.deps.db, 'winter'))!.budgetSpent).toBe(0);
      expect(await coupon()).toEqual({ usedCount: 0 });
      expect(
        await ctx.deps.db
          .selectFrom('couponRedemptions')
          .select('code')
          .where('orderId', '=', placed.orderId)
          .execute(),
      ).toEqual([]);
      // It earned nothing, and her first-order offers are open again: it was her only order.
      expect(
        await ctx.deps.db
          .selectFrom('loyaltyLedger')
          .select('points')
          .where('customerId', '=', eva)
          .execute(),
      ).toEqual([]);
      expect((await getCustomerFacts(ctx.deps.db, eva))?.firstOrder).toBe(true);

      // She uses the code again (its per-customer limit of one counts the cancelled order no more).
      const again = await placeOrder(
        ctx.deps,
        { locationId: 'wh-1', lines: COAT, customerId: eva, couponCodes: ['WELCOME10'] },
        'eva-again',
      );
      expect(again.quote.total).toBe(before.total);
      await settled();
      const spentAgain = (await getPromotion(ctx.deps.db, 'winter'))!.budgetSpent;
      expect(spentAgain).toBe(spent);

      // The cancellation arriving again (the same change as another outbox row) gives nothing back twice.
      const cancelled = await ctx.deps.db
        .selectFrom('outbox')
        .selectAll()
        .where('type', '=', 'order.changed')
        .where('aggregateId', '=', placed.orderId)
        .orderBy('position', 'desc')
        .executeTakeFirstOrThrow();
      const event = toEnvelope(cancelled);
      await applyEvent(ctx.deps.db, journeyConsumers(clock), event, clock.now());
      await applyEvent(ctx.deps.db, journeyConsumers(clock), { ...event, id: randomUUID() }, clock.now());
      expect((await getPromotion(ctx.deps.db, 'winter'))!.budgetSpent).toBe(spent);
      expect(await coupon()).toEqual({ usedCount: 1 });
      expect((await getCustomerFacts(ctx.deps.db, eva))?.firstOrder).toBe(false);
    },
  );

  it('keeps the coupon use of an order only partly cancelled: she received part of it', async () => {
    await upsertPromotion(ctx.deps, 'winter', {
      status: 'ARCHIVED',
      rule: {
        label: 'Winter coats',
        conditions: [{ kind: 'category', categories: ['coats'] }],
        action: { kind: 'percentOff', percentBp: 2000 },
      },
    });
    await createCoupons(ctx.deps, 'welcome', { codes: ['TWOCOATS'], usageLimit: 1 });
    const bram = await member();
    const lines = [
      { sku: 'COAT-M', locationId: 'wh-1', quantity: 1 },
      { sku: 'COAT-M', locationId: 'ams-01', quantity: 1 },
    ];
    const r = await reserveStock(ctx.deps, { lines, customerId: bram }, randomUUID());
    const placed = await placeOrder(
      ctx.deps,
      {
        reservationId: r.reservation.id,
        customerId: bram,
        lines: [{ sku: 'COAT-M', quantity: 2 }],
        couponCodes: ['TWOCOATS'],
      },
      randomUUID(),
    );
    const [first, second] = (await getOrder(ctx.deps.db, placed.orderId))!.fulfilments;
    await move(first!.id, 'CANCELLED');
    await move(second!.id, 'DELIVERED');
    await settled();
    expect((await getOrder(ctx.deps.db, placed.orderId))!.status).toBe('FULFILLED');
    expect(
      await ctx.deps.db
        .selectFrom('coupons')
        .select('usedCount')
        .where('code', '=', 'TWOCOATS')
        .executeTakeFirstOrThrow(),
    ).toEqual({ usedCount: 1 });
  });
});
