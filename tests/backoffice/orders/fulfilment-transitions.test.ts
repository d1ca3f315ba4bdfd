/**
 * The fulfilment lifecycle in transactions (issue 12, "Order lifecycle", must show "every legal transition,
 * every illegal one refused, each idempotent; cancel racing ship (50 concurrent pairs): exactly one wins each
 * time, stock and ledger consistent"): units stay reserved from placement, are committed at shipment or
 * collection and released at cancellation; the order's status and history follow; admin REST over real HTTP.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  cancelOrder,
  commitReservation,
  FULFILMENT_TRANSITIONS,
  FULFILMENT_STATUSES,
  getOrder,
  markCollected,
  recordFulfilmentEvent,
  reserveStock,
  verifyStockLedger,
  type FulfilmentMethod,
  type FulfilmentStatus,
  type OrderActor,
} from '../../../backoffice-layer/index.js';
import { startAdminNode, type AdminNode } from '../../support/admin-node.js';
import type { BackofficeTestContext } from '../../support/backoffice.js';
import { givenCatalogue, level } from '../stock/fixtures.js';

let admin: AdminNode;
let ctx: BackofficeTestContext;
const WAREHOUSE = 'wh-1';
const STORE = 'utr-01';
const by: OrderActor = { actor: 'admin:warehouse', channel: 'ADMIN' };
const ON_HAND = 10_000;

type Line = { sku: string; locationId: string; quantity: number };

/** Reserves `lines` and commits them as an online order; answers the order id. */
async function placeOnline(lines: Line[]): Promise<string> {
  const r = await reserveStock(ctx.deps, { lines, channel: 'WEB' }, randomUUID());
  const order = await commitReservation(
    ctx.deps,
    {
      reservationId: r.reservation.id,
      currency: 'EUR',
      customerRef: null,
      channel: 'WEB',
      lines: lines.map((l) => ({ ...l, unitAmount: 1000, lineAmount: 1000 * l.quantity })),
    },
    randomUUID(),
  );
  return order.orderId;
}

/**
 * An online order of `quantity` × `sku` with one fulfilment of `method` at `locationId`, moved to `status`
 * along its method's path. A pickup is a delivery's fulfilment turned into one (placement of pickups is
 * covered with sourcing); its units are held the same way.
 */
async function fulfilmentIn(
  method: FulfilmentMethod,
  status: FulfilmentStatus,
  sku: string,
  quantity = 2,
): Promise<{ orderId: string; fulfilmentId: string; locationId: string }> {
  const locationId = method === 'PICKUP' ? STORE : WAREHOUSE;
  const orderId = await placeOnline([{ sku, locationId, quantity }]);
  const fulfilmentId = (await getOrder(ctx.deps.db, orderId))!.fulfilments[0]!.id;
  if (method === 'PICKUP')
    await ctx.deps.db.updateTable('fulfilments').set({ method }).where('id', '=', fulfilmentId).execute();
  for (const step of pathTo(method, status))
    await recordFulfilmentEvent(ctx.deps, fulfilmentId, { status: step }, randomUUID(), by);
  return { orderId, fulfilmentId, locationId };
}

/** The statuses to pass through from PENDING to `status`: the method's first path that reaches it. */
function pathTo(method: FulfilmentMethod, status: FulfilmentStatus): FulfilmentStatus[] {
  const paths: Record<FulfilmentMethod, FulfilmentStatus[][]> = {
    DELIVERY: [['PICKING', 'PACKED', 'SHIPPED', 'DELIVERED'], ['CANCELLED']],
    PICKUP: [
      ['PICKING', 'READY_FOR_PICKUP', 'COLLECTED'],
      ['PICKING', 'READY_FOR_PICKUP', 'UNCOLLECTED'],
      ['CANCELLED'],
    ],
  };
  if (status === 'PENDING') return [];
  const path = paths[method].find((p) => p.includes(status))!;
  return path.slice(0, path.indexOf(status) + 1);
}

/** Units held, sold or free: what each status means for the stock of a fulfilment of `q` units. */
function expectedLevel(method: FulfilmentMethod, status: FulfilmentStatus, q: number) {
  const committed = ['SHIPPED', 'DELIVERED', 'COLLECTED'].includes(status);
  const released = status === 'CANCELLED' || status === 'UNCOLLECTED';
  return { onHand: committed ? -q : 0, reserved: committed || released ? 0 : q };
}

let skuNo = 0;
/** A fresh SKU with ON_HAND units at both locations, so each case reads its own levels. */
async function freshSku(): Promise<string> {
  const sku = `SKU-${++skuNo}`;
  await givenCatalogue(ctx, [sku], [WAREHOUSE, STORE], {
    [`${sku}@${WAREHOUSE}`]: ON_HAND,
    [`${sku}@${STORE}`]: ON_HAND,
  });
  return sku;
}

const levelDelta = async (sku: string, locationId: string) => {
  const l = await level(ctx, sku, locationId);
  return { onHand: l.onHand - ON_HAND, reserved: l.reserved };
};

beforeAll(async () => {
  admin = await startAdminNode('warehouse');
  ctx = admin.ctx;
});
afterAll(async () => {
  await admin.close();
});

const METHODS: FulfilmentMethod[] = ['DELIVERY', 'PICKUP'];
const legal = METHODS.flatMap((method) =>
  Object.entries(FULFILMENT_TRANSITIONS[method]).flatMap(([from, tos]) =>
    tos!.map((to) => ({ method, from: from as FulfilmentStatus, to })),
  ),
);

describe('every legal transition', () => {
  it.each(legal)('$method $from → $to moves stock, status and history once, idempotent', async (c) => {
    const sku = await freshSku();
    const { orderId, fulfilmentId, locationId } = await fulfilmentIn(c.method, c.from, sku);
    const before = (await getOrder(ctx.deps.db, orderId))!;
    expect(await levelDelta(sku, locationId)).toEqual(expectedLevel(c.method, c.from, 2));
    const key = randomUUID();
    const move = await recordFulfilmentEvent(
      ctx.deps,
      fulfilmentId,
      { status: c.to, reason: 'test' },
      key,
      by,
    );
    expect(move).toMatchObject({
      orderId,
      moved: [{ fulfilmentId, from: c.from, to: c.to }],
      replayed: false,
    });
    const after = (await getOrder(ctx.deps.db, orderId))!;
    expect(after.fulfilments[0]).toMatchObject({ status: c.to, revision: move.revision });
    expect(after.revision).toBe(move.revision);
    expect(after.status).toBe(move.status);
    expect(await levelDelta(sku, locationId)).toEqual(expectedLevel(c.method, c.to, 2));
    expect(await verifyStockLedger(ctx.deps.db, { sku })).toEqual([]);
    const added = after.history.slice(before.history.length);
    expect(added[0]).toMatchObject({
      status: c.to,
      actor: 'admin:warehouse',
      channel: 'ADMIN',
      reason: 'test',
      fulfilmentId,
    });
    // The order's own entry when its status changed.
    expect(added.slice(1)).toEqual(
      after.status === before.status
        ? []
        : [expect.objectContaining({ status: after.status, fulfilmentId: null })],
    );
    // The same key and body again: the first answer, nothing written twice.
    const again = await recordFulfilmentEvent(
      ctx.deps,
      fulfilmentId,
      { status: c.to, reason: 'test' },
      key,
      by,
    );
    expect(again).toEqual({ ...move, replayed: true });
    expect((await getOrder(ctx.deps.db, orderId))!.history).toHaveLength(after.history.length);
    expect(await levelDelta(sku, locationId)).toEqual(expectedLevel(c.method, c.to, 2));
    // The same key with another body is refused.
    await expect(
      recordFulfilmentEvent(ctx.deps, fulfilmentId, { status: c.to, reason: 'other' }, key, by),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});

describe('every illegal transition', () => {
  const states = METHODS.flatMap((method) =>
    Object.keys(FULFILMENT_TRANSITIONS[method]).map((from) => ({ method, from: from as FulfilmentStatus })),
  );
  it.each(states)(
    '$method from $from: every other illegal target is refused with CONFLICT, nothing written',
    async (c) => {
      const sku = await freshSku();
      const { orderId, fulfilmentId, locationId } = await fulfilmentIn(c.method, c.from, sku);
      const before = await getOrder(ctx.deps.db, orderId);
      const allowed = FULFILMENT_TRANSITIONS[c.method][c.from]!;
      // PENDING is where a fulfilment starts, never an event: refused as input (below), not as a move.
      const illegal = FULFILMENT_STATUSES.filter(
        (to) => to !== c.from && to !== 'PENDING' && !allowed.includes(to),
      );
      expect(illegal.length).toBeGreaterThan(0);
      for (const to of illegal)
        await expect(
          recordFulfilmentEvent(ctx.deps, fulfilmentId, { status: to }, randomUUID(), by),
        ).rejects.toMatchObject({
          code: 'CONFLICT',
          details: { method: c.method, from: c.from, to, allowed: [...allowed] },
        });
      await expect(
        recordFulfilmentEvent(ctx.deps, fulfilmentId, { status: 'PENDING' }, randomUUID(), by),
      ).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
      expect(await getOrder(ctx.deps.db, orderId)).toEqual(before);
      expect(await levelDelta(sku, locationId)).toEqual(expectedLevel(c.method, c.from, 2));
    },
  );

  it('refuses a terminal status again under a new key (collecting twice), answers a step again', async () => {
    const sku = await freshSku();
    const collected = await fulfilmentIn('PICKUP', 'COLLECTED', sku);
    await expect(
      recordFulfilmentEvent(ctx.deps, collected.fulfilmentId, { status: 'COLLECTED' }, randomUUID(), by),
    ).rejects.toMatchObject({ code: 'CONFLICT', details: { status: 'COLLECTED' } });
    await expect(markCollected(ctx.deps, collected.orderId, randomUUID(), by)).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    const picking = await fulfilmentIn('DELIVERY', 'PICKING', sku);
    const before = await getOrder(ctx.deps.db, picking.orderId);
    const again = await recordFulfilmentEvent(
      ctx.deps,
      picking.fulfilmentId,
      { status: 'PICKING' },
      randomUUID(),
      by,
    );
    expect(again).toMatchObject({ moved: [], status: 'OPEN', revision: before!.revision });
    expect(await getOrder(ctx.deps.db, picking.orderId)).toEqual(before);
  });
});

describe('orders of several fulfilments', () => {
  it('derives the order status from its fulfilments, and cancels only what has not left', async () => {
    const sku = await freshSku();
    const orderId = await placeOnline([
      { sku, locationId: WAREHOUSE, quantity: 1 },
      { sku, locationId: STORE, quantity: 3 },
    ]);
    const [wh, store] = ['wh-1', 'utr-01'].map(
      (loc) => async () =>
        (await getOrder(ctx.deps.db, orderId))!.fulfilments.find((f) => f.locationId === loc)!,
    );
    const whId = (await wh!()).id;
    await recordFulfilmentEvent(
      ctx.deps,
      whId,
      { status: 'SHIPPED', trackingCode: 'PNL-123' },
      randomUUID(),
      by,
    );
    expect((await getOrder(ctx.deps.db, orderId))!.status).toBe('OPEN');
    expect((await wh!()).trackingCode).toBe('PNL-123');
    await recordFulfilmentEvent(ctx.deps, whId, { status: 'DELIVERED' }, randomUUID(), by);
    expect((await getOrder(ctx.deps.db, orderId))!.status).toBe('PARTIALLY_FULFILLED');
    const cancel = await cancelOrder(ctx.deps, orderId, { reason: 'changed her mind' }, randomUUID(), {
      actor: 'customer:c-1',
      channel: 'WEB',
    });
    expect(cancel).toMatchObject({
      status: 'FULFILLED',
      moved: [{ fulfilmentId: (await store!()).id, to: 'CANCELLED' }],
    });
    expect(await levelDelta(sku, WAREHOUSE)).toEqual({ onHand: -1, reserved: 0 });
    expect(await levelDelta(sku, STORE)).toEqual({ onHand: 0, reserved: 0 });
    const history = (await getOrder(ctx.deps.db, orderId))!.history.map((e) => [e.status, e.actor, e.reason]);
    expect(history).toEqual([
      ['PLACED', 'channel:WEB', null],
      ['SHIPPED', 'admin:warehouse', null],
      ['DELIVERED', 'admin:warehouse', null],
      ['PARTIALLY_FULFILLED', 'admin:warehouse', null],
      ['CANCELLED', 'customer:c-1', 'changed her mind'],
      ['FULFILLED', 'customer:c-1', 'changed her mind'],
    ]);
    await expect(cancelOrder(ctx.deps, orderId, {}, randomUUID(), by)).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    expect(await verifyStockLedger(ctx.deps.db, { sku })).toEqual([]);
  });

  it("refuses a pickup's tracking code, unknown fulfilments and orders, collection elsewhere", async () => {
    const sku = await freshSku();
    const pickup = await fulfilmentIn('PICKUP', 'READY_FOR_PICKUP', sku);
    await expect(
      recordFulfilmentEvent(
        ctx.deps,
        pickup.fulfilmentId,
        { status: 'COLLECTED', trackingCode: 'X' },
        randomUUID(),
        by,
      ),
    ).rejects.toMatchObject({ code: 'BAD_USER_INPUT', details: { field: 'trackingCode' } });
    await expect(
      markCollected(ctx.deps, pickup.orderId, randomUUID(), by, { atLocationId: 'ams-01' }),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    for (const id of [randomUUID(), 'nope'])
      await expect(
        recordFulfilmentEvent(ctx.deps, id, { status: 'PICKING' }, randomUUID(), by),
      ).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    await expect(cancelOrder(ctx.deps, randomUUID(), {}, randomUUID(), by)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    const done = await markCollected(ctx.deps, pickup.orderId, randomUUID(), by, { atLocationId: STORE });
    expect(done).toMatchObject({
      status: 'FULFILLED',
      moved: [{ from: 'READY_FOR_PICKUP', to: 'COLLECTED' }],
    });
    expect(await levelDelta(sku, STORE)).toEqual({ onHand: -2, reserved: 0 });
  });
});

describe('cancel racing ship', () => {
  it('50 concurrent pairs: exactly one wins each time, stock and ledger consistent', async () => {
    const sku = await freshSku();
    const orders = [];
    for (let i = 0; i < 50; i++)
      orders.push(await fulfilmentIn('DELIVERY', i % 2 ? 'PACKED' : 'PENDING', sku, 1));
    const outcomes = await Promise.all(
      orders.map(async (o, i) => {
        const ship = () =>
          recordFulfilmentEvent(ctx.deps, o.fulfilmentId, { status: 'SHIPPED' }, randomUUID(), by);
        const cancel = () => cancelOrder(ctx.deps, o.orderId, {}, randomUUID(), by);
        // Half the pairs start the shipment first, half the cancellation: both sides get to win.
        const started = i % 2 ? { ship: ship(), cancel: cancel() } : { cancel: cancel(), ship: ship() };
        const [shipped, cancelled] = await Promise.allSettled([started.ship, started.cancel]);
        const loser = [shipped, cancelled].find((r) => r.status === 'rejected');
        return {
          winners: [shipped, cancelled].filter((r) => r.status === 'fulfilled').length,
          loserCode: (loser?.reason as { code?: string } | undefined)?.code,
          status: (await getOrder(ctx.deps.db, o.orderId))!.fulfilments[0]!.status,
          shipped: shipped.status === 'fulfilled',
        };
      }),
    );
    expect(outcomes.map((o) => [o.winners, o.loserCode])).toEqual(outcomes.map(() => [1, 'CONFLICT']));
    for (const o of outcomes) expect(o.status).toBe(o.shipped ? 'SHIPPED' : 'CANCELLED');
    const shipped = outcomes.filter((o) => o.shipped).length;
    // Both sides won some of the races (each order's row lock decides; neither is favoured by the wiring).
    expect({ shippedSome: shipped > 0, cancelledSome: shipped < 50 }).toEqual({
      shippedSome: true,
      cancelledSome: true,
    });
    expect(await levelDelta(sku, WAREHOUSE)).toEqual({ onHand: 0 - shipped, reserved: 0 });
    expect(await verifyStockLedger(ctx.deps.db, { sku })).toEqual([]);
    const ledger = await ctx.deps.db
      .selectFrom('stockMovements')
      .select(['kind', (eb) => eb.fn.countAll<string>().as('n')])
      .where('sku', '=', sku)
      .where('kind', 'in', ['SALE', 'RELEASE'])
      .groupBy('kind')
      .execute();
    expect(Object.fromEntries(ledger.map((r) => [r.kind, Number(r.n)]))).toEqual({
      ...(shipped > 0 ? { SALE: shipped } : {}),
      ...(shipped < 50 ? { RELEASE: 50 - shipped } : {}),
    });
  });
});

describe('admin REST', () => {
  it('posts fulfilment events with an Idempotency-Key: 200, replay, 409, 400, 404', async () => {
    const sku = await freshSku();
    const { orderId, fulfilmentId } = await fulfilmentIn('DELIVERY', 'PACKED', sku);
    const post = (body: unknown, key?: string, id = fulfilmentId) =>
      admin.call('POST', `/fulfilments/${id}/events`, {
        body,
        headers: key ? { 'Idempotency-Key': key } : {},
      });
    const key = randomUUID();
    const shipped = await post({ status: 'SHIPPED', trackingCode: '3SABC123' }, key);
    expect(shipped.status).toBe(200);
    expect(shipped.body).toMatchObject({
      order: {
        id: orderId,
        status: 'OPEN',
        fulfilments: [{ id: fulfilmentId, status: 'SHIPPED', trackingCode: '3SABC123' }],
      },
      moved: [{ fulfilmentId, from: 'PACKED', to: 'SHIPPED' }],
      replayed: false,
    });
    expect((await post({ status: 'SHIPPED', trackingCode: '3SABC123' }, key)).body).toMatchObject({
      replayed: true,
    });
    const cancelled = await admin.call('POST', `/orders/${orderId}/cancel`, {
      body: {},
      headers: { 'Idempotency-Key': randomUUID() },
    });
    expect([cancelled.status, cancelled.body.code]).toEqual([409, 'CONFLICT']);
    expect((await post({ status: 'PICKING' }, randomUUID())).status).toBe(409);
    expect((await post({ status: 'DELIVERED' })).status).toBe(400);
    expect((await post({ status: 'LOST' }, randomUUID())).status).toBe(400);
    expect((await post({ status: 'DELIVERED', extra: 1 }, randomUUID())).status).toBe(400);
    expect((await post({ status: 'DELIVERED', reason: 'a\u0000b' }, randomUUID())).status).toBe(400);
    expect((await post({ status: 'DELIVERED' }, randomUUID(), randomUUID())).status).toBe(404);
    const delivered = await post({ status: 'DELIVERED' }, randomUUID());
    expect(delivered.body.order).toMatchObject({ status: 'FULFILLED' });
    expect(
      delivered.body.order.history.map((e: { status: string; actor: string }) => [e.status, e.actor]),
    ).toEqual([
      ['PLACED', 'channel:WEB'],
      ['PICKING', 'admin:warehouse'],
      ['PACKED', 'admin:warehouse'],
      ['SHIPPED', 'admin:warehouse'],
      ['DELIVERED', 'admin:warehouse'],
      ['FULFILLED', 'admin:warehouse'],
    ]);
  });

  it('cancels an order over REST and releases its units', async () => {
    const sku = await freshSku();
    const { orderId } = await fulfilmentIn('DELIVERY', 'PICKING', sku);
    const r = await admin.call('POST', `/orders/${orderId}/cancel`, {
      body: { reason: 'out of stock at the shelf' },
      headers: { 'Idempotency-Key': randomUUID() },
    });
    expect(r.status).toBe(200);
    expect(r.body.order).toMatchObject({ status: 'CANCELLED', fulfilments: [{ status: 'CANCELLED' }] });
    expect(await levelDelta(sku, WAREHOUSE)).toEqual({ onHand: 0, reserved: 0 });
  });
});
