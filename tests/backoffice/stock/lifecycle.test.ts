import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  applyStockMovements,
  commitReservation,
  expireReservation,
  getOrder,
  getReservation,
  recordFulfilmentEvent,
  recordStoreSale,
  releaseReservation,
  ReservationQueue,
  reserveStock,
  returnItems,
  setStockCount,
  startReservationExpiryWorker,
  verifyStockLedger,
} from '../../../backoffice-layer/index.js';
import { createBackofficeTestContext, until, type BackofficeTestContext } from '../../support/backoffice.js';
import { givenCatalogue, level, liveReserved, seeded } from './fixtures.js';

describe('stock lifecycle', () => {
  let ctx: BackofficeTestContext;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await givenCatalogue(ctx, ['COAT-M', 'COAT-L', 'SOCK-1'], ['wh-1', 'ams-01', 'utr-01'], {
      'COAT-M@wh-1': 10,
      'SOCK-1@ams-01': 3,
    });
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('counts with optimistic concurrency and refuses to count below the reserved units', async () => {
    const count = await setStockCount(ctx.deps, 'COAT-L', 'utr-01', { onHand: 4, safetyStock: 1 });
    expect(count.level).toMatchObject({ onHand: 4, safetyStock: 1, available: 3, revision: count.revision });
    const same = await setStockCount(ctx.deps, 'COAT-L', 'utr-01', { onHand: 4 });
    expect(same).toMatchObject({ changed: false, revision: count.revision });
    await expect(
      setStockCount(ctx.deps, 'COAT-L', 'utr-01', { onHand: 5, expectedRevision: count.revision - 1 }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(
      (await setStockCount(ctx.deps, 'COAT-L', 'utr-01', { onHand: 5, expectedRevision: count.revision }))
        .level.onHand,
    ).toBe(5);
    await reserveStock(ctx.deps, { lines: [{ sku: 'COAT-L', locationId: 'utr-01', quantity: 2 }] }, 'hold-2');
    await expect(setStockCount(ctx.deps, 'COAT-L', 'utr-01', { onHand: 1 })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await expect(setStockCount(ctx.deps, 'NOPE', 'utr-01', { onHand: 1 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('applies a movement batch all or nothing', async () => {
    await expect(
      applyStockMovements(
        ctx.deps,
        {
          movements: [
            { kind: 'RECEIPT', sku: 'COAT-M', locationId: 'ams-01', quantity: 5 },
            { kind: 'TRANSFER', sku: 'COAT-M', from: 'wh-1', to: 'ams-01', quantity: 999 },
          ],
        },
        'batch-bad',
      ),
    ).rejects.toMatchObject({ code: 'INSUFFICIENT_STOCK' });
    expect((await level(ctx, 'COAT-M', 'ams-01')).onHand).toBe(0);
    const ok = await applyStockMovements(
      ctx.deps,
      {
        movements: [
          { kind: 'RECEIPT', sku: 'COAT-M', locationId: 'ams-01', quantity: 5 },
          { kind: 'TRANSFER', sku: 'COAT-M', from: 'wh-1', to: 'ams-01', quantity: 2 },
          { kind: 'ADJUSTMENT', sku: 'COAT-M', locationId: 'ams-01', delta: -1, reason: 'damaged in store' },
        ],
      },
      'batch-ok',
    );
    expect(ok.levels.map((l) => [l.locationId, l.onHand])).toEqual([
      ['ams-01', 6],
      ['wh-1', 8],
    ]);
    const kinds = await ctx.deps.db
      .selectFrom('stockMovements')
      .select(['kind', 'onHandDelta', 'locationId'])
      .where('revision', '=', ok.revision)
      .orderBy('id')
      .execute();
    expect(kinds).toEqual([
      { kind: 'RECEIPT', onHandDelta: 5, locationId: 'ams-01' },
      { kind: 'TRANSFER_OUT', onHandDelta: -2, locationId: 'wh-1' },
      { kind: 'TRANSFER_IN', onHandDelta: 2, locationId: 'ams-01' },
      { kind: 'ADJUSTMENT', onHandDelta: -1, locationId: 'ams-01' },
    ]);
  });

  it('reserves, releases idempotently, and commits a reservation to an online order', async () => {
    const r = await reserveStock(
      ctx.deps,
      {
        lines: [
          { sku: 'COAT-M', locationId: 'wh-1', quantity: 1 },
          { sku: 'COAT-M', locationId: 'wh-1', quantity: 2 },
        ],
      },
      'cart-1',
    );
    expect(r.reservation.lines).toEqual([{ sku: 'COAT-M', locationId: 'wh-1', quantity: 3 }]);
    expect((await level(ctx, 'COAT-M', 'wh-1')).reserved).toBe(3);
    const released = await releaseReservation(ctx.deps, r.reservation.id);
    expect(released.reservation.status).toBe('RELEASED');
    expect((await releaseReservation(ctx.deps, r.reservation.id)).revision).toBe(released.revision);
    expect((await level(ctx, 'COAT-M', 'wh-1')).reserved).toBe(0);

    const r2 = await reserveStock(
      ctx.deps,
      { lines: [{ sku: 'COAT-M', locationId: 'wh-1', quantity: 2 }] },
      'cart-2',
    );
    await expect(
      commitReservation(
        ctx.deps,
        {
          reservationId: r2.reservation.id,
          currency: 'EUR',
          lines: [{ sku: 'COAT-M', locationId: 'wh-1', quantity: 1, unitAmount: 100, lineAmount: 100 }],
        },
        'order-x',
      ),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    const order = await commitReservation(
      ctx.deps,
      {
        reservationId: r2.reservation.id,
        currency: 'EUR',
        customerRef: 'cust-1',
        lines: [{ sku: 'COAT-M', locationId: 'wh-1', quantity: 2, unitAmount: 12995, lineAmount: 23391 }],
      },
      'order-1',
    );
    expect(order.totalAmount).toBe(23391);
    // The order holds its units reserved until they are shipped (issue 12): committed at shipment.
    expect(await level(ctx, 'COAT-M', 'wh-1')).toMatchObject({ onHand: 8, reserved: 2 });
    expect((await getReservation(ctx.deps.db, r2.reservation.id))?.status).toBe('COMMITTED');
    await expect(releaseReservation(ctx.deps, r2.reservation.id)).rejects.toMatchObject({ code: 'CONFLICT' });
    const sale = await ctx.deps.db
      .selectFrom('outbox')
      .select('payload')
      .where('type', '=', 'sale.committed')
      .where('revision', '=', order.revision)
      .executeTakeFirstOrThrow();
    expect(sale.payload).toMatchObject({
      orderId: order.orderId,
      kind: 'ONLINE',
      customerRef: 'cust-1',
      totalAmount: 23391,
    });

    // Nothing comes back before it left: units still held are cancelled, not returned.
    await expect(
      returnItems(
        ctx.deps,
        {
          orderId: order.orderId,
          locationId: 'wh-1',
          lines: [{ sku: 'COAT-M', quantity: 1, sellable: true }],
        },
        'early-return',
      ),
    ).rejects.toMatchObject({ code: 'CONFLICT', details: { returnable: 0 } });
    const [fulfilment] = (await getOrder(ctx.deps.db, order.orderId))!.fulfilments;
    await recordFulfilmentEvent(ctx.deps, fulfilment!.id, { status: 'SHIPPED' }, 'ship-1', {
      actor: 'admin:warehouse',
      channel: 'ADMIN',
    });
    expect(await level(ctx, 'COAT-M', 'wh-1')).toMatchObject({ onHand: 6, reserved: 0 });

    // Returns: partial refunds add up to exactly what was paid.
    const ret1 = await returnItems(
      ctx.deps,
      {
        orderId: order.orderId,
        locationId: 'ams-01',
        lines: [{ sku: 'COAT-M', quantity: 1, sellable: true }],
      },
      'ret-1',
    );
    const ret2 = await returnItems(
      ctx.deps,
      {
        orderId: order.orderId,
        locationId: 'ams-01',
        lines: [{ sku: 'COAT-M', quantity: 1, sellable: false }],
      },
      'ret-2',
    );
    expect(ret1.refundAmount + ret2.refundAmount).toBe(23391);
    expect((await level(ctx, 'COAT-M', 'ams-01')).onHand).toBe(7);
    await expect(
      returnItems(
        ctx.deps,
        {
          orderId: order.orderId,
          locationId: 'ams-01',
          lines: [{ sku: 'COAT-M', quantity: 1, sellable: true }],
        },
        'ret-3',
      ),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it(
    'records a POS sale even when the books are short, ' + 'raising a discrepancy instead of refusing',
    async () => {
      const sale = await recordStoreSale(
        ctx.deps,
        { locationId: 'ams-01', currency: 'EUR', lines: [{ sku: 'SOCK-1', quantity: 5, unitAmount: 999 }] },
        'till-1',
      );
      expect(sale).toMatchObject({ totalAmount: 4995, discrepancies: [{ sku: 'SOCK-1', shortfall: 2 }] });
      expect((await level(ctx, 'SOCK-1', 'ams-01')).onHand).toBe(0);
      const discrepancy = await ctx.deps.db
        .selectFrom('outbox')
        .select('payload')
        .where('type', '=', 'stock.discrepancy')
        .executeTakeFirstOrThrow();
      expect(discrepancy.payload).toEqual({
        sku: 'SOCK-1',
        locationId: 'ams-01',
        shortfall: 2,
        reference: sale.orderId,
      });
      // A sale where nothing was ever booked is recorded too.
      const none = await recordStoreSale(
        ctx.deps,
        { locationId: 'utr-01', currency: 'EUR', lines: [{ sku: 'SOCK-1', quantity: 1, unitAmount: 999 }] },
        'till-2',
      );
      expect(none.discrepancies).toEqual([{ sku: 'SOCK-1', shortfall: 1 }]);
      expect(await verifyStockLedger(ctx.deps.db)).toEqual([]);
    },
  );

  it('expires a reservation with the real delayed BullMQ job, once', async () => {
    const worker = await startReservationExpiryWorker(ctx.deps);
    try {
      const heldBefore = (await level(ctx, 'COAT-M', 'wh-1')).reserved;
      const r = await reserveStock(
        ctx.deps,
        { lines: [{ sku: 'COAT-M', locationId: 'wh-1', quantity: 1 }], ttlSeconds: 1 },
        'short-cart',
      );
      expect((await level(ctx, 'COAT-M', 'wh-1')).reserved).toBe(heldBefore + 1);
      let status = 'ACTIVE';
      for (let i = 0; i < 60 && status === 'ACTIVE'; i++) {
        await new Promise((res) => setTimeout(res, 100));
        status = (await getReservation(ctx.deps.db, r.reservation.id))!.status;
      }
      expect(status).toBe('EXPIRED');
      expect((await level(ctx, 'COAT-M', 'wh-1')).reserved).toBe(heldBefore);
      expect(await expireReservation(ctx.deps, r.reservation.id)).toBe(false);
      const releases = await ctx.deps.db
        .selectFrom('stockMovements')
        .select('reason')
        .where('reference', '=', r.reservation.id)
        .where('kind', '=', 'RELEASE')
        .execute();
      expect(releases).toEqual([{ reason: 'expired' }]);
    } finally {
      await worker.stop();
    }
  });

  it(
    'expires the reservations one transaction made with one delayed job, passing over one released ' +
      'meanwhile',
    async () => {
      const worker = await startReservationExpiryWorker(ctx.deps);
      try {
        const heldBefore = (await level(ctx, 'COAT-M', 'wh-1')).reserved;
        const deps = { ...ctx.deps, reservationQueue: new ReservationQueue() };
        const made = await Promise.all(
          Array.from({ length: 4 }, (_, i) =>
            reserveStock(
              deps,
              { lines: [{ sku: 'COAT-M', locationId: 'wh-1', quantity: 1 }], ttlSeconds: 1 },
              `group-cart-${i}`,
            ),
          ),
        );
        // The first takes the lane alone; the three that waited for it commit together.
        const [, ...group] = made;
        expect(new Set(group.map((r) => r.revision)).size).toBe(1);
        const ids = group.map((r) => r.reservation.id);
        await until(
          async () => (await ctx.deps.queues.reservations.getJob(`group-${ids[0]}`)) !== undefined,
          5_000,
          "the group's expiry job",
        );
        const job = await ctx.deps.queues.reservations.getJob(`group-${ids[0]}`);
        expect(job?.data).toEqual({ reservationIds: ids });
        await releaseReservation(ctx.deps, ids[1]!);
        await until(
          async () =>
            (await Promise.all(made.map((r) => getReservation(ctx.deps.db, r.reservation.id)))).every(
              (r) => r!.status !== 'ACTIVE',
            ),
          10_000,
          'every reservation to end',
        );
        const statuses = await Promise.all(
          ids.map(async (id) => (await getReservation(ctx.deps.db, id))!.status),
        );
        expect(statuses).toEqual(['EXPIRED', 'RELEASED', 'EXPIRED']);
        expect((await level(ctx, 'COAT-M', 'wh-1')).reserved).toBe(heldBefore);
        const releases = await ctx.deps.db
          .selectFrom('stockMovements')
          .select(['reference', 'reason'])
          .where('reference', 'in', ids)
          .where('kind', '=', 'RELEASE')
          .execute();
        expect(releases.map((r) => `${r.reference}:${r.reason}`).sort()).toEqual(
          [`${ids[0]}:expired`, `${ids[1]}:released`, `${ids[2]}:expired`].sort(),
        );
        expect(await verifyStockLedger(ctx.deps.db)).toEqual([]);
      } finally {
        await worker.stop();
      }
    },
  );

  it('re-derives every level from the ledger after a random workload', async () => {
    const rnd = seeded(42);
    const skus = ['COAT-M', 'COAT-L', 'SOCK-1'];
    const locs = ['wh-1', 'ams-01', 'utr-01'];
    const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const active: string[] = [];
    const orders: string[] = [];
    for (let i = 0; i < 160; i++) {
      const sku = pick(skus);
      const loc = pick(locs);
      const q = 1 + Math.floor(rnd() * 4);
      const op = rnd();
      try {
        if (op < 0.15)
          await applyStockMovements(
            ctx.deps,
            { movements: [{ kind: 'RECEIPT', sku, locationId: loc, quantity: q * 3 }] },
            `w-${i}`,
          );
        else if (op < 0.25)
          await applyStockMovements(
            ctx.deps,
            {
              movements: [
                { kind: 'ADJUSTMENT', sku, locationId: loc, delta: rnd() < 0.5 ? -q : q, reason: 'check' },
              ],
            },
            `w-${i}`,
          );
        else if (op < 0.35)
          await applyStockMovements(
            ctx.deps,
            {
              movements: [
                { kind: 'TRANSFER', sku, from: loc, to: pick(locs.filter((l) => l !== loc)), quantity: q },
              ],
            },
            `w-${i}`,
          );
        else if (op < 0.42)
          await setStockCount(ctx.deps, sku, loc, {
            onHand: q * 2 + (await level(ctx, sku, loc)).reserved,
            safetyStock: Math.floor(rnd() * 2),
          });
        else if (op < 0.62)
          active.push(
            (
              await reserveStock(
                ctx.deps,
                {
                  lines: [
                    { sku, locationId: loc, quantity: q },
                    { sku: pick(skus), locationId: loc, quantity: 1 },
                  ],
                },
                `w-${i}`,
              )
            ).reservation.id,
          );
        else if (op < 0.7 && active.length)
          await releaseReservation(ctx.deps, active.splice(Math.floor(rnd() * active.length), 1)[0]!);
        else if (op < 0.8 && active.length) {
          const id = active.splice(Math.floor(rnd() * active.length), 1)[0]!;
          const res = (await getReservation(ctx.deps.db, id))!;
          orders.push(
            (
              await commitReservation(
                ctx.deps,
                {
                  reservationId: id,
                  currency: 'EUR',
                  lines: res.lines.map((l) => ({ ...l, unitAmount: 500, lineAmount: 500 * l.quantity })),
                },
                `w-${i}`,
              )
            ).orderId,
          );
        } else if (op < 0.9)
          orders.push(
            (
              await recordStoreSale(
                ctx.deps,
                { locationId: loc, currency: 'EUR', lines: [{ sku, quantity: q, unitAmount: 700 }] },
                `w-${i}`,
              )
            ).orderId,
          );
        else if (op < 0.95 && orders.length) {
          // Ship or cancel what an online order still holds.
          const held = (await getOrder(ctx.deps.db, pick(orders)))!.fulfilments.filter(
            (f) => f.status === 'PENDING',
          );
          for (const f of held)
            await recordFulfilmentEvent(
              ctx.deps,
              f.id,
              { status: rnd() < 0.7 ? 'SHIPPED' : 'CANCELLED' },
              `w-${i}-${f.id}`,
              {
                actor: 'system',
                channel: 'ADMIN',
              },
            );
        } else if (orders.length) {
          const orderId = pick(orders);
          const lines = await ctx.deps.db
            .selectFrom('orderLines')
            .select(['sku', 'quantity', 'returnedQuantity'])
            .where('orderId', '=', orderId)
            .execute();
          const open = lines.find((l) => l.quantity > l.returnedQuantity);
          if (open)
            await returnItems(
              ctx.deps,
              { orderId, locationId: loc, lines: [{ sku: open.sku, quantity: 1, sellable: rnd() < 0.7 }] },
              `w-${i}`,
            );
        }
      } catch (e) {
        expect(['INSUFFICIENT_STOCK', 'CONFLICT']).toContain((e as { code?: string }).code);
      }
    }
    expect(await verifyStockLedger(ctx.deps.db)).toEqual([]);
    const levels = await ctx.deps.db.selectFrom('stockLevels').selectAll().execute();
    for (const l of levels) expect(l.reserved).toBe(await liveReserved(ctx, l.sku, l.locationId));
  });
});
