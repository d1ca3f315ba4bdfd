import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  applyEvent,
  commitPriceSwitch,
  toEnvelope,
  reserveStock,
  runDuePriceSwitches,
  setPrice,
  setStockCount,
  upsertLocation,
  upsertPriceList,
  upsertProduct,
} from '../../../backoffice-layer/index.js';
import {
  adjustPoints,
  createCoupons,
  earnForOrder,
  enrollCustomer,
  loyaltyConsumer,
  nextPromotionBoundary,
  offer,
  placeOrder,
  placeStoreSale,
  quote,
  setConsent,
  updateCustomerProfile,
  upsertPromotion,
} from '../../../journey-layer/index.js';
import { ManualClock } from '../../../shared/index.js';
import { assertAllRejected, mutated, type FuzzCase } from '../../support/fuzz.js';
import {
  createBackofficeTestContext,
  startAdminApi,
  type BackofficeTestContext,
} from '../../support/backoffice.js';

describe('quotes, orders and coupons', () => {
  const clock = new ManualClock('2026-11-20T10:00:00Z');
  let ctx: BackofficeTestContext;
  const SKUS = Array.from({ length: 10 }, (_, i) => `SOCK-${i}`);
  beforeAll(async () => {
    // 1,000 orders at once queue for 40 connections: let them wait rather than shed load (UNAVAILABLE) in
    // this test.
    ctx = await createBackofficeTestContext({ clock, poolSize: 40, connectionTimeoutMs: 120_000 });
    await upsertLocation(ctx.deps, 'ams-01', { name: 'Amsterdam', kind: 'STORE', fulfilsOnline: false });
    await upsertLocation(ctx.deps, 'wh-1', { name: 'Warehouse', kind: 'WAREHOUSE', fulfilsOnline: true });
    await upsertPriceList(ctx.deps, 'base', { name: 'Base', currency: 'EUR', priority: 0 });
    await upsertProduct(ctx.deps, 'COAT-M', {
      name: 'Wollen jas',
      category: 'coats',
      vatRate: 21,
      attributes: { colour: 'navy' },
      status: 'ACTIVE',
    });
    await setPrice(ctx.deps, 'base', 'COAT-M', { amount: 12995, minQuantity: 1 });
    await setStockCount(ctx.deps, 'COAT-M', 'wh-1', { onHand: 50 });
    for (const sku of SKUS) {
      await upsertProduct(ctx.deps, sku, {
        name: `Sokken ${sku}`,
        category: 'socks',
        vatRate: 21,
        attributes: {},
        status: 'ACTIVE',
      });
      await setPrice(ctx.deps, 'base', sku, { amount: 999, minQuantity: 1 });
      await setStockCount(ctx.deps, sku, 'ams-01', { onHand: 1000 });
    }
  });
  afterAll(async () => {
    await ctx.close();
  });

  it(
    'quotes base → promotions → coupons → member discount with reasons, VAT, points, revision and ' +
      'fingerprint',
    async () => {
      await upsertPromotion(ctx.deps, 'coats-20', {
        status: 'ACTIVE',
        rule: {
          label: 'Winter coats',
          conditions: [{ kind: 'category', categories: ['coats'] }],
          action: { kind: 'percentOff', percentBp: 2000 },
        },
      });
      await upsertPromotion(ctx.deps, 'welcome', {
        status: 'ACTIVE',
        rule: { label: 'Welcome code', couponRequired: true, action: { kind: 'amountOff', amount: 500 } },
      });
      await createCoupons(ctx.deps, 'welcome', { codes: ['WELCOME5'] });
      const { customer } = await enrollCustomer(
        ctx.deps,
        { displayName: 'Fleur', email: 'fleur@example.nl' },
        { channel: 'WEB', idempotencyKey: 'fleur' },
      );
      // Earlier purchases worth € 1,600 made her Gold (manual adjustments do not count towards a tier).
      await ctx.deps.db.transaction().execute((tx) =>
        earnForOrder(tx, clock.now(), {
          orderId: randomUUID(),
          customerRef: customer.id,
          totalAmount: 160_000,
          currency: 'EUR',
        }),
      );
      await adjustPoints(
        ctx.deps,
        { customerId: customer.id, points: 100, reason: 'birthday bonus' },
        'bonus-fleur',
      );
      const q = await quote(ctx.deps, {
        lines: [{ sku: 'COAT-M', quantity: 1 }],
        customerId: customer.id,
        couponCodes: ['welcome5', 'NOPE'],
      });
      expect(q.lines[0]!.adjustments.map((a) => [a.source, a.id, a.amount])).toEqual([
        ['PROMOTION', 'coats-20', 2599],
        ['COUPON', 'welcome', 500],
        ['LOYALTY', 'tier:GOLD', 990],
      ]);
      expect(q).toMatchObject({
        subtotal: 12995,
        total: 8906,
        discountTotal: 4089,
        appliedCoupons: ['WELCOME5'],
        rejectedCoupons: [{ code: 'NOPE', reason: 'unknown coupon code' }],
      });
      expect(q.vatTotal).toBe(1546);
      expect(q.loyalty).toEqual({ pointsEarned: 133, tierAfter: 'GOLD' });
      const again = await quote(ctx.deps, {
        lines: [{ sku: 'COAT-M', quantity: 1 }],
        customerId: customer.id,
        couponCodes: ['NOPE', 'WELCOME5'],
      });
      expect(again.fingerprint).toBe(q.fingerprint);
      expect(again.revision).toBe(q.revision);
      await expect(quote(ctx.deps, { lines: [{ sku: 'NOPE', quantity: 1 }] })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      await expect(quote(ctx.deps, { lines: [{ sku: 'COAT-M', quantity: 0 }] })).rejects.toMatchObject({
        code: 'BAD_USER_INPUT',
      });

      // An online order from a reservation is priced the same way and counts the coupon once it commits.
      const r = await reserveStock(
        ctx.deps,
        { lines: [{ sku: 'COAT-M', locationId: 'wh-1', quantity: 1 }] },
        'cart-fleur',
      );
      const order = await placeOrder(
        ctx.deps,
        {
          reservationId: r.reservation.id,
          lines: [{ sku: 'COAT-M', quantity: 1 }],
          customerId: customer.id,
          couponCodes: ['WELCOME5'],
        },
        'order-fleur',
      );
      const stored = await ctx.deps.db
        .selectFrom('orders')
        .select(['totalAmount', 'customerRef'])
        .where('id', '=', order.orderId)
        .executeTakeFirstOrThrow();
      expect(stored).toEqual({ totalAmount: 8906, customerRef: customer.id });
      expect(await ctx.deps.db.selectFrom('couponRedemptions').select(['code', 'amount']).execute()).toEqual([
        { code: 'WELCOME5', amount: 500 },
      ]);
    },
  );

  it('earns a member the extra points a promotion promised in her quote, once', async () => {
    await upsertPromotion(ctx.deps, 'sock-points', {
      status: 'ACTIVE',
      rule: {
        label: 'Points on socks',
        conditions: [{ kind: 'category', categories: ['socks'] }],
        action: { kind: 'extraPoints', points: 40, perUnit: true },
      },
    });
    const { customer } = await enrollCustomer(
      ctx.deps,
      { email: 'points@example.nl' },
      { channel: 'STORE', idempotencyKey: 'points' },
    );
    const sale = await placeStoreSale(
      ctx.deps,
      { locationId: 'ams-01', lines: [{ sku: 'SOCK-3', quantity: 3 }], customerId: customer.id },
      'points-sale',
    );
    expect(sale.quote.extraPoints).toBe(120);
    const promised = sale.quote.loyalty!.pointsEarned;
    expect(promised).toBeGreaterThan(120);
    const row = await ctx.deps.db
      .selectFrom('outbox')
      .selectAll()
      .where('type', '=', 'sale.committed')
      .where('aggregateId', '=', sale.orderId)
      .executeTakeFirstOrThrow();
    const event = toEnvelope(row);
    for (let i = 0; i < 3; i++) await applyEvent(ctx.deps.db, [loyaltyConsumer(clock)], event, clock.now());
    const earned = await ctx.deps.db
      .selectFrom('loyaltyLedger')
      .select(['points'])
      .where('kind', '=', 'EARN')
      .where('reference', '=', sale.orderId)
      .execute();
    expect(earned).toEqual([{ points: promised }]);
    await upsertPromotion(ctx.deps, 'sock-points', {
      status: 'ARCHIVED',
      rule: {
        label: 'Points on socks',
        conditions: [{ kind: 'category', categories: ['socks'] }],
        action: { kind: 'extraPoints', points: 40, perUnit: true },
      },
    });
  });

  it('applies a personal offer only while the personalisation consent stands', async () => {
    const { customer } = await enrollCustomer(
      ctx.deps,
      { email: 'gijs@example.nl', attributes: { segments: ['students'] } },
      { channel: 'APP', idempotencyKey: 'gijs' },
    );
    await upsertPromotion(ctx.deps, 'students', {
      status: 'ACTIVE',
      rule: {
        label: 'Student deal',
        target: { segments: ['students'] },
        conditions: [{ kind: 'category', categories: ['socks'] }],
        action: { kind: 'percentOff', percentBp: 5000 },
      },
    });
    const line = [{ sku: 'SOCK-1', quantity: 1 }];
    expect((await quote(ctx.deps, { lines: line, customerId: customer.id })).discountTotal).toBe(0);
    await setConsent(ctx.deps, customer.id, { purpose: 'PERSONALISATION', granted: true, channel: 'APP' });
    expect((await quote(ctx.deps, { lines: line, customerId: customer.id })).discountTotal).toBe(500);
    await updateCustomerProfile(ctx.deps, customer.id, { attributes: { segments: [] } }, 'APP');
    expect((await quote(ctx.deps, { lines: line, customerId: customer.id })).discountTotal).toBe(0);
  });

  it(
    'C3: a coupon with usage limit 25 and 1,000 concurrent orders is redeemed at most 25 times; ' +
      'per-customer limits hold',
    async () => {
      await upsertPromotion(ctx.deps, 'flash', {
        status: 'ACTIVE',
        rule: {
          label: 'Flash code',
          couponRequired: true,
          conditions: [{ kind: 'category', categories: ['socks'] }],
          action: { kind: 'amountOff', amount: 200 },
        },
      });
      await createCoupons(ctx.deps, 'flash', { codes: ['FLASH25'], usageLimit: 25, perCustomerLimit: 2 });
      const customers: string[] = [];
      for (let i = 0; i < 20; i++)
        customers.push(
          (
            await enrollCustomer(
              ctx.deps,
              { email: `c${i}@example.nl` },
              { channel: 'STORE', idempotencyKey: `c3-${i}` },
            )
          ).customer.id,
        );
      const results = await Promise.allSettled(
        Array.from({ length: 1000 }, (_, i) =>
          placeStoreSale(
            ctx.deps,
            {
              locationId: 'ams-01',
              lines: [{ sku: SKUS[i % 10]!, quantity: 1 }],
              customerId: customers[i % 20],
              couponCodes: ['FLASH25'],
            },
            `c3-order-${i}`,
          ),
        ),
      );
      for (const r of results)
        if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'CONFLICT' });
      const redemptions = await ctx.deps.db
        .selectFrom('couponRedemptions')
        .select(['customerId'])
        .where('code', '=', 'FLASH25')
        .execute();
      expect(redemptions.length).toBeLessThanOrEqual(25);
      expect(redemptions.length).toBeGreaterThan(0);
      const perCustomer = new Map<string, number>();
      for (const r of redemptions) perCustomer.set(r.customerId!, (perCustomer.get(r.customerId!) ?? 0) + 1);
      expect(Math.max(...perCustomer.values())).toBeLessThanOrEqual(2);
      const coupon = await ctx.deps.db
        .selectFrom('coupons')
        .select('usedCount')
        .where('code', '=', 'FLASH25')
        .executeTakeFirstOrThrow();
      expect(coupon.usedCount).toBe(redemptions.length);
      // Every order that carries the discount has its redemption row, and vice versa.
      const discounted = await ctx.deps.db
        .selectFrom('orders')
        .select('id')
        .where('totalAmount', '=', 799)
        .execute();
      expect(discounted.length).toBe(redemptions.length);
    },
    120_000,
  );

  it(
    'C7: a scheduled promotion switches at its instant, committing a revision that no answer with the ' +
      'old value carries',
    async () => {
      const opens = new Date('2026-11-20T23:00:00Z');
      await upsertPromotion(ctx.deps, 'midnight', {
        status: 'ACTIVE',
        rule: {
          label: 'Midnight sale',
          validFrom: opens.toISOString(),
          conditions: [{ kind: 'sku', skus: ['SOCK-9'] }],
          action: { kind: 'fixedPrice', unitAmount: 500 },
        },
      });
      expect(await nextPromotionBoundary(ctx.deps.db, clock.now())).toEqual(opens);
      clock.set(new Date(opens.getTime() - 1));
      const before = await quote(ctx.deps, { lines: [{ sku: 'SOCK-9', quantity: 1 }] });
      expect(before.total).toBe(999);
      clock.set(opens);
      const switched = await runDuePriceSwitches(ctx.deps, new Date(opens.getTime() - 1), [
        nextPromotionBoundary,
      ]);
      expect(switched.map((s) => s.at)).toEqual([opens.toISOString()]);
      const switchRevision = (await commitPriceSwitch(ctx.deps, opens)).revision;
      expect(switchRevision).toBeGreaterThan(before.revision);
      const after = await quote(ctx.deps, {
        lines: [{ sku: 'SOCK-9', quantity: 1 }],
        minRevision: switchRevision,
      });
      expect(after.total).toBe(500);
      expect(after.revision).toBeGreaterThanOrEqual(switchRevision);
      expect(after.fingerprint).not.toBe(before.fingerprint);
    },
  );

  it(
    'B1: promotion routes reject malformed rules and ' + 'coupon batches with 4xx and write nothing',
    async () => {
      const api = await startAdminApi(ctx);
      try {
        const valid = {
          status: 'ACTIVE',
          rule: { label: 'Ok', action: { kind: 'percentOff', percentBp: 1000 } },
        };
        const ok = await api.request('PUT', '/admin/v1/promotions/ok-promo', valid);
        expect(ok.status).toBe(200);
        expect(
          (await api.request('GET', '/admin/v1/promotions/ok-promo')).body.promotion.rule.action,
        ).toEqual({
          kind: 'percentOff',
          percentBp: 1000,
        });
        const badRule = fc.oneof(
          mutated({ label: 'X', action: { kind: 'percentOff', percentBp: 1000 }, priority: 1 }).filter(
            (r) => {
              const o = r as Record<string, unknown>;
              return !(
                o &&
                typeof o === 'object' &&
                !Array.isArray(o) &&
                typeof o.label === 'string' &&
                o.label.trim() &&
                JSON.stringify(o.action) === '{"kind":"percentOff","percentBp":1000}' &&
                (o.priority === undefined ||
                  (Number.isInteger(o.priority) && Math.abs(o.priority as number) <= 1000)) &&
                Object.keys(o).every((k) => ['label', 'action', 'priority'].includes(k))
              );
            },
          ),
          fc.constant({ label: 'X', action: { kind: 'buyXGetY', buy: 0, get: 1 } }),
          fc.constant({
            label: 'X',
            action: { kind: 'percentOff', percentBp: 1000 },
            conditions: [{ kind: 'schedule', from: '25:00' }],
          }),
          fc.constant({
            label: 'X',
            action: { kind: 'percentOff', percentBp: 1000 },
            target: { segments: [] },
          }),
        );
        const cases: fc.Arbitrary<FuzzCase> = fc.oneof(
          badRule.map((rule) => ({
            method: 'PUT',
            path: '/admin/v1/promotions/fuzz',
            body: { status: 'ACTIVE', rule },
          })),
          fc
            .constantFrom(
              { status: 'LIVE', rule: valid.rule },
              { rule: valid.rule, budgetAmount: -1 },
              { rule: valid.rule, extra: 1 },
            )
            .map((body) => ({ method: 'PUT', path: '/admin/v1/promotions/fuzz', body })),
          fc.constant({ method: 'PUT', path: '/admin/v1/promotions/bad%20id', body: valid }),
          fc
            .constantFrom(
              {},
              { codes: ['x'] },
              { generate: { count: 0 } },
              { codes: ['OK1'], usageLimit: 0 },
              { codes: ['ABC'], extra: true },
            )
            .map((body) => ({ method: 'POST', path: '/admin/v1/promotions/welcome/coupons', body })),
          fc.constant({
            method: 'POST',
            path: '/admin/v1/promotions/coats-20/coupons',
            body: { codes: ['NOTACOUPON'] },
          }),
          fc.constant({
            method: 'POST',
            path: '/admin/v1/promotions/welcome/coupons',
            body: { codes: ['WELCOME5'] },
          }),
          fc.constant({ method: 'DELETE', path: '/admin/v1/promotions/nope' }),
        );
        const promotionsBefore = await ctx.deps.db
          .selectFrom('promotions')
          .selectAll()
          .orderBy('id')
          .execute();
        await assertAllRejected(ctx, api, cases, 150);
        expect(await ctx.deps.db.selectFrom('promotions').selectAll().orderBy('id').execute()).toEqual(
          promotionsBefore,
        );
      } finally {
        await api.close();
      }
    },
  );
});

describe('offers', () => {
  let ctx: BackofficeTestContext;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await upsertLocation(ctx.deps, 'wh-1', { name: 'Warehouse', kind: 'WAREHOUSE', fulfilsOnline: true });
    await upsertLocation(ctx.deps, 'ams-01', { name: 'Amsterdam', kind: 'STORE', fulfilsOnline: false });
    await upsertPriceList(ctx.deps, 'base', { name: 'Base', currency: 'EUR', priority: 0 });
    await upsertProduct(ctx.deps, 'COAT-M', {
      name: 'Wollen jas',
      category: 'coats',
      vatRate: 21,
      attributes: { size: 'M' },
      status: 'ACTIVE',
    });
    await setPrice(ctx.deps, 'base', 'COAT-M', { amount: 12995, minQuantity: 1 });
    await setStockCount(ctx.deps, 'COAT-M', 'wh-1', { onHand: 12, safetyStock: 2 });
    await setStockCount(ctx.deps, 'COAT-M', 'ams-01', { onHand: 2 });
    await upsertPromotion(ctx.deps, 'coats-20', {
      status: 'ACTIVE',
      rule: {
        label: 'Winter coats',
        conditions: [{ kind: 'category', categories: ['coats'] }],
        action: { kind: 'percentOff', percentBp: 2000 },
      },
    });
  });
  afterAll(async () => {
    await ctx.close();
  });

  it(
    'answers price and availability online, at a store and per location, with revision and ' + 'fingerprint',
    async () => {
      const o = await offer(ctx.deps, { sku: 'COAT-M', locationId: 'ams-01' });
      expect(o.price).toMatchObject({ base: 12995, final: 10396, savings: 2599, currency: 'EUR' });
      expect(o.availability).toEqual({
        online: { locationId: null, available: 10, status: 'IN_STOCK' },
        atLocation: { locationId: 'ams-01', available: 2, status: 'LOW_STOCK' },
        locations: [
          { locationId: 'ams-01', available: 2, status: 'LOW_STOCK' },
          { locationId: 'wh-1', available: 10, status: 'IN_STOCK' },
        ],
      });
      expect((await offer(ctx.deps, { sku: 'COAT-M', locationId: 'ams-01' })).fingerprint).toBe(
        o.fingerprint,
      );
      const moved = await setStockCount(ctx.deps, 'COAT-M', 'ams-01', { onHand: 0 });
      const after = await offer(ctx.deps, {
        sku: 'COAT-M',
        locationId: 'ams-01',
        minRevision: moved.revision,
      });
      expect(after.availability.atLocation).toEqual({
        locationId: 'ams-01',
        available: 0,
        status: 'OUT_OF_STOCK',
      });
      expect(after.revision).toBeGreaterThan(o.revision);
      expect(after.fingerprint).not.toBe(o.fingerprint);
      await expect(offer(ctx.deps, { sku: 'NOPE' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(offer(ctx.deps, { sku: 'COAT-M', locationId: 'nowhere' })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    },
  );
});
