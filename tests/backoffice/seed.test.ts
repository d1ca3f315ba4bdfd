import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import {
  backofficeQualityChecks,
  commitReservation,
  DEMO_ORDERS,
  fulfilmentStatusesOf,
  generateDemoRetailer,
  getOrder,
  markCollected,
  ORDER_STATUSES,
  pickupHoldUntil,
  reserveStock,
  seedDemoOrders,
  seedDemoRetailer,
  verifyStockLedger,
} from '../../backoffice-layer/index.js';
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
    // The opening stock is a stock take: a fresh demo has no stock row never counted (data quality).
    const checks = await backofficeQualityChecks(ctx.deps.db, {
      now: clock.now(),
      currency: 'EUR',
      staleDays: 30,
      limit: 5,
    });
    expect(checks.find((c) => c.id === 'stale-stock-count')).toMatchObject({ count: 0 });
    const events = await ctx.deps.db.selectFrom('outbox').select(['type', 'revision']).execute();
    expect(new Set(events.map((e) => e.revision))).toEqual(new Set([first.revision]));
    expect(events.some((e) => e.type === 'catalogue.bulk-changed')).toBe(true);

    const second = await seedDemoRetailer(ctx.deps);
    expect(second.skipped).toBe(true);
    expect(second.revision).toBe(first.revision);
  });
});

describe('demo orders', () => {
  /** Every fulfilment's method, status and tracking code, every order's status, and what the levels hold. */
  const state = async () => {
    const db = ctx.deps.db;
    const [fulfilments, orders, held, levels, history] = await Promise.all([
      db
        .selectFrom('fulfilments')
        .select(['orderId', 'method', 'status', 'trackingCode', 'holdUntil'])
        .execute(),
      db.selectFrom('orders').select(['id', 'status', 'revision']).orderBy('id').execute(),
      sql<{ n: number }>`SELECT coalesce(sum(l.quantity), 0)::int AS n FROM fulfilment_lines l
                         JOIN fulfilments f ON f.id = l.fulfilment_id WHERE f.stock_held`.execute(db),
      sql<{ reserved: number; onHand: number }>`
        SELECT sum(reserved)::int AS reserved, sum(on_hand)::int AS "onHand" FROM stock_levels`.execute(db),
      db
        .selectFrom('orderEvents')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow(),
    ]);
    return { fulfilments, orders, held: held.rows[0]!.n, levels: levels.rows[0]!, events: Number(history.n) };
  };

  it('puts orders in every fulfilment status of both methods and every order status, once', async () => {
    await seedDemoRetailer(ctx.deps);
    const before = await state();
    const seeded = await seedDemoOrders(ctx.deps);
    expect(seeded).toEqual({ skipped: false, orders: DEMO_ORDERS.length, placed: DEMO_ORDERS.length });
    const after = await state();
    expect(after.orders.map((o) => o.id)).toEqual(DEMO_ORDERS.map((o) => o.id).sort());
    for (const method of ['DELIVERY', 'PICKUP'] as const)
      expect(new Set(after.fulfilments.filter((f) => f.method === method).map((f) => f.status))).toEqual(
        new Set(fulfilmentStatusesOf(method)),
      );
    expect(new Set(after.orders.map((o) => o.status))).toEqual(new Set(ORDER_STATUSES));
    for (const f of after.fulfilments.filter((x) => x.status === 'SHIPPED' || x.status === 'DELIVERED'))
      expect(f.trackingCode).toMatch(/^3SNKM\d{8}$/);
    // Placed as checkout places them: each promised from its locations, a pickup collected at its store.
    const unpromised = await ctx.deps.db
      .selectFrom('orders')
      .select('id')
      .where(sql<boolean>`promised = '[]'::jsonb`)
      .execute();
    expect(unpromised).toEqual([]);
    const pickups = await ctx.deps.db
      .selectFrom('fulfilments')
      .select(['locationId', 'pickupLocationId', 'readyBy'])
      .where('method', '=', 'PICKUP')
      .execute();
    expect(pickups.every((f) => f.pickupLocationId !== null && f.readyBy !== null)).toBe(true);
    expect(pickups.filter((f) => f.locationId !== f.pickupLocationId)).toEqual([
      { locationId: 'wh-tilburg', pickupLocationId: 'rtm-01', readyBy: expect.any(Date) },
    ]);
    // The pickup waiting at the counter: held 7 days in Rotterdam, its uncollected job due then.
    const ready = after.fulfilments.find((f) => f.status === 'READY_FOR_PICKUP')!;
    const holdUntil = pickupHoldUntil(clock.now(), { timeZone: 'Europe/Amsterdam', pickupHoldDays: 7 });
    expect(ready.holdUntil).toEqual(holdUntil);
    const job = await ctx.deps.queues.pickupHolds.getJobs(['delayed']);
    expect(job.map((j) => j.opts.delay)).toContain(holdUntil.getTime() - clock.now().getTime());
    // Units: what the fulfilments still hold, the levels hold reserved; what left is gone from on hand.
    expect(before.levels.reserved).toBe(0);
    expect(after.levels.reserved).toBe(after.held);
    expect(after.held).toBeGreaterThan(0);
    expect(after.levels.onHand).toBeLessThan(before.levels.onHand);
    expect(await verifyStockLedger(ctx.deps.db)).toEqual([]);
    // Each order's history starts with its placement; the lapsed pickup was moved by the hub itself.
    const lapsed = after.fulfilments.find((f) => f.status === 'UNCOLLECTED')!;
    const order = (await getOrder(ctx.deps.db, lapsed.orderId))!;
    expect(order.history.map((e) => [e.status, e.actor])).toEqual([
      ['PLACED', 'channel:APP'],
      ['PICKING', 'channel:STORE'],
      ['READY_FOR_PICKUP', 'channel:STORE'],
      ['UNCOLLECTED', 'system'],
      ['CANCELLED', 'system'],
    ]);

    // Seeded again (every start of the embedded hub): nothing placed, nothing moved.
    expect(await seedDemoOrders(ctx.deps)).toEqual({ skipped: false, orders: DEMO_ORDERS.length, placed: 0 });
    expect(await state()).toEqual(after);
  });

  it('leaves a demo order a visitor moved on as it is; skipped once the retailer has orders', async () => {
    const waiting = await ctx.deps.db
      .selectFrom('fulfilments')
      .select('orderId')
      .where('status', '=', 'READY_FOR_PICKUP')
      .executeTakeFirstOrThrow();
    await markCollected(ctx.deps, waiting.orderId, 'visitor-collects', {
      actor: 'channel:STORE',
      channel: 'STORE',
    });
    const collected = await state();
    expect(await seedDemoOrders(ctx.deps)).toMatchObject({ skipped: false, placed: 0 });
    expect(await state()).toEqual(collected);

    const lines = [{ sku: 'NK-ACC-SOKKEN-MIXEDDARK-3942', locationId: 'wh-tilburg', quantity: 1 }];
    const r = await reserveStock(ctx.deps, { lines, channel: 'WEB' }, 'own-order');
    await commitReservation(
      ctx.deps,
      {
        reservationId: r.reservation.id,
        currency: 'EUR',
        lines: lines.map((l) => ({ ...l, unitAmount: 1495, lineAmount: 1495 })),
      },
      'own-order',
    );
    const own = await state();
    expect(await seedDemoOrders(ctx.deps)).toEqual({ skipped: true, orders: DEMO_ORDERS.length, placed: 0 });
    expect(await state()).toEqual(own);
  });
});
