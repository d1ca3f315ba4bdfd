/**
 * Orders get fulfilments, a status and a history at placement (issue 12, "Order lifecycle"): an online order
 * one PENDING delivery per location its reserved units come from and a PLACED entry, a till sale FULFILLED
 * with a SOLD entry; admin REST lists them (filters, cursor) and reads one over real HTTP.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  commitReservation,
  getOrder,
  listOrders,
  orderRoutes,
  reassignCustomerOrders,
  recordStoreSale,
  reserveStock,
  type OrderListQuery,
} from '../../../backoffice-layer/index.js';
import { startAdminNode, type AdminNode } from '../../support/admin-node.js';
import type { BackofficeTestContext } from '../../support/backoffice.js';
import { givenCatalogue } from '../stock/fixtures.js';

let admin: AdminNode;
let ctx: BackofficeTestContext;
/** The orders placed, oldest first. */
const placed: { split: string; till: string; app: string; anonymousTill: string } = {
  split: '',
  till: '',
  app: '',
  anonymousTill: '',
};

type Line = { sku: string; locationId: string; quantity: number };
const priced = (lines: Line[]) =>
  lines.map((l) => ({ ...l, unitAmount: 1000, lineAmount: 1000 * l.quantity }));

/** Reserves `lines` and commits the reservation as an online order; answers the order id and revision. */
async function placeOnline(
  lines: Line[],
  opts: { channel: 'WEB' | 'APP'; customerRef?: string },
): Promise<{ orderId: string; revision: number }> {
  const r = await reserveStock(ctx.deps, { lines, channel: opts.channel }, randomUUID());
  return commitReservation(
    ctx.deps,
    {
      reservationId: r.reservation.id,
      currency: 'EUR',
      customerRef: opts.customerRef ?? null,
      channel: opts.channel,
      lines: priced(lines),
    },
    randomUUID(),
  );
}

beforeAll(async () => {
  admin = await startAdminNode('orders');
  ctx = admin.ctx;
  await givenCatalogue(ctx, ['COAT-M', 'SOCK-1'], ['wh-1', 'ams-01', 'utr-01'], {
    'COAT-M@wh-1': 10,
    'SOCK-1@wh-1': 10,
    'COAT-M@ams-01': 3,
    'SOCK-1@utr-01': 5,
  });
  placed.split = (
    await placeOnline(
      [
        { sku: 'COAT-M', locationId: 'wh-1', quantity: 2 },
        { sku: 'SOCK-1', locationId: 'wh-1', quantity: 1 },
        { sku: 'COAT-M', locationId: 'ams-01', quantity: 1 },
      ],
      { channel: 'WEB', customerRef: 'cust-a' },
    )
  ).orderId;
  placed.till = (
    await recordStoreSale(
      ctx.deps,
      {
        locationId: 'utr-01',
        currency: 'EUR',
        customerRef: 'cust-b',
        lines: [{ sku: 'SOCK-1', quantity: 2, unitAmount: 999 }],
      },
      randomUUID(),
    )
  ).orderId;
  placed.app = (
    await placeOnline([{ sku: 'SOCK-1', locationId: 'utr-01', quantity: 1 }], { channel: 'APP' })
  ).orderId;
  placed.anonymousTill = (
    await recordStoreSale(
      ctx.deps,
      { locationId: 'ams-01', currency: 'EUR', lines: [{ sku: 'COAT-M', quantity: 1, unitAmount: 12995 }] },
      randomUUID(),
    )
  ).orderId;
});
afterAll(async () => {
  await admin.close();
});

describe('placement', () => {
  it('gives an online order one PENDING delivery per location it reserved at, OPEN, PLACED', async () => {
    const order = (await getOrder(ctx.deps.db, placed.split))!;
    expect(order).toMatchObject({ kind: 'ONLINE', status: 'OPEN', channel: 'WEB', customerRef: 'cust-a' });
    const byLocation = Object.fromEntries(
      order.fulfilments.map((f) => [f.locationId, { method: f.method, status: f.status, lines: f.lines }]),
    );
    expect(byLocation).toEqual({
      'wh-1': {
        method: 'DELIVERY',
        status: 'PENDING',
        lines: [
          { sku: 'COAT-M', quantity: 2 },
          { sku: 'SOCK-1', quantity: 1 },
        ],
      },
      'ams-01': { method: 'DELIVERY', status: 'PENDING', lines: [{ sku: 'COAT-M', quantity: 1 }] },
    });
    expect(order.fulfilments.every((f) => f.trackingCode === null && f.deliverBy === null)).toBe(true);
    // Stamped with the order at the revision that committed it.
    expect(order.fulfilments.map((f) => f.revision)).toEqual([order.revision, order.revision]);
    expect(order.revision).toBeGreaterThan(0);
    expect(order.history).toEqual([
      {
        at: order.placedAt,
        status: 'PLACED',
        actor: 'customer:cust-a',
        channel: 'WEB',
        reason: null,
        fulfilmentId: null,
      },
    ]);
    expect(order.lines.map((l) => [l.sku, l.locationId, l.quantity])).toEqual([
      ['COAT-M', 'ams-01', 1],
      ['COAT-M', 'wh-1', 2],
      ['SOCK-1', 'wh-1', 1],
    ]);
  });

  it('names the channel as the actor of an order placed for nobody known', async () => {
    const order = (await getOrder(ctx.deps.db, placed.app))!;
    expect(order.status).toBe('OPEN');
    expect(order.fulfilments.map((f) => [f.locationId, f.status, f.lines])).toEqual([
      ['utr-01', 'PENDING', [{ sku: 'SOCK-1', quantity: 1 }]],
    ]);
    expect(order.history.map((e) => [e.status, e.actor, e.channel])).toEqual([
      ['PLACED', 'channel:APP', 'APP'],
    ]);
  });

  it('records a till sale as FULFILLED at once, with a SOLD entry and no fulfilment', async () => {
    const till = (await getOrder(ctx.deps.db, placed.till))!;
    expect(till).toMatchObject({
      kind: 'STORE',
      status: 'FULFILLED',
      locationId: 'utr-01',
      totalAmount: 1998,
    });
    expect(till.fulfilments).toEqual([]);
    // A till sale is the store's act (the customer did not ring it up herself): the till is named.
    expect(till.history.map((e) => [e.status, e.actor, e.channel, e.fulfilmentId])).toEqual([
      ['SOLD', 'channel:STORE', 'STORE', null],
    ]);
    const anonymous = (await getOrder(ctx.deps.db, placed.anonymousTill))!;
    expect(anonymous.history.map((e) => [e.status, e.actor, e.channel])).toEqual([
      ['SOLD', 'channel:STORE', 'STORE'],
    ]);
  });

  it('finds no order under an unknown or malformed id', async () => {
    expect(await getOrder(ctx.deps.db, randomUUID())).toBeNull();
    expect(await getOrder(ctx.deps.db, 'not-an-order')).toBeNull();
  });
});

describe('listing orders', () => {
  const ids = async (query: Omit<OrderListQuery, 'limit'>, limit = 50) =>
    (await listOrders(ctx.deps.db, { ...query, limit })).orders.map((o) => o.id);

  it('answers newest first, filtered by status, location and customer', async () => {
    expect(await ids({})).toEqual([placed.anonymousTill, placed.app, placed.till, placed.split]);
    expect(await ids({ status: 'OPEN' })).toEqual([placed.app, placed.split]);
    expect(await ids({ status: 'FULFILLED' })).toEqual([placed.anonymousTill, placed.till]);
    expect(await ids({ status: 'CANCELLED' })).toEqual([]);
    expect(await ids({ locationId: 'ams-01' })).toEqual([placed.anonymousTill, placed.split]);
    expect(await ids({ locationId: 'utr-01' })).toEqual([placed.app, placed.till]);
    expect(await ids({ locationId: 'wh-1', status: 'OPEN' })).toEqual([placed.split]);
    expect(await ids({ customerId: 'cust-a' })).toEqual([placed.split]);
    expect(await ids({ customerId: 'cust-b', status: 'OPEN' })).toEqual([]);
  });

  it('pages with a cursor that survives new orders, and refuses a cursor it did not answer', async () => {
    const first = await listOrders(ctx.deps.db, { limit: 3 });
    expect(first.orders.map((o) => o.id)).toEqual([placed.anonymousTill, placed.app, placed.till]);
    const newer = await placeOnline([{ sku: 'COAT-M', locationId: 'wh-1', quantity: 1 }], { channel: 'WEB' });
    const second = await listOrders(ctx.deps.db, { limit: 3, after: first.next! });
    expect(second).toEqual({ orders: [expect.objectContaining({ id: placed.split })], next: null });
    const all: string[] = [];
    let after: string | undefined;
    do {
      const page = await listOrders(ctx.deps.db, { limit: 1, ...(after ? { after } : {}) });
      all.push(...page.orders.map((o) => o.id));
      after = page.next ?? undefined;
    } while (after);
    expect(all).toEqual([newer.orderId, placed.anonymousTill, placed.app, placed.till, placed.split]);
    await expect(listOrders(ctx.deps.db, { limit: 1, after: 'bm9wZQ' })).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
    });
  });
});

describe('admin REST', () => {
  const schemaOf = (operationId: string) => orderRoutes.find((r) => r.operationId === operationId)!.response!;

  it('reads one order with its fulfilments and history', async () => {
    const answer = await admin.call('GET', `/orders/${placed.split}`);
    expect(answer.status).toBe(200);
    expect(schemaOf('getOrder').safeParse(answer.body).error?.issues ?? []).toEqual([]);
    const order = answer.body.order;
    expect(order).toMatchObject({ id: placed.split, kind: 'ONLINE', status: 'OPEN', currency: 'EUR' });
    expect(order.fulfilments.map((f: { locationId: string }) => f.locationId).sort()).toEqual([
      'ams-01',
      'wh-1',
    ]);
    expect(order.history).toEqual([
      expect.objectContaining({ status: 'PLACED', actor: 'customer:cust-a', at: order.placedAt }),
    ]);
  });

  it('lists orders with filters and a cursor', async () => {
    const page = await admin.call('GET', '/orders?status=FULFILLED&limit=1');
    expect(page.status).toBe(200);
    expect(schemaOf('listOrders').safeParse(page.body).error?.issues ?? []).toEqual([]);
    expect(page.body.orders.map((o: { id: string }) => o.id)).toEqual([placed.anonymousTill]);
    const next = await admin.call('GET', `/orders?status=FULFILLED&limit=1&after=${page.body.next}`);
    expect(next.body).toEqual({ orders: [expect.objectContaining({ id: placed.till })], next: null });
    const mine = await admin.call('GET', '/orders?customerId=cust-b&locationId=utr-01');
    expect(mine.body.orders.map((o: { id: string }) => o.id)).toEqual([placed.till]);
    expect((await admin.call('GET', '/orders?status=SHIPPED')).status).toBe(400);
    expect((await admin.call('GET', '/orders?after=bm9wZQ')).status).toBe(400);
    // Only a cursor the API wrote is taken: an instant PostgreSQL cannot hold, or another spelling of one it
    // wrote, is refused naming `after` before any query runs.
    const forged = (text: string) => Buffer.from(text).toString('base64url');
    const uuid = '0b6a3c1e-4d2f-4a8b-9c7d-1e2f3a4b5c6d';
    for (const text of [
      `-271821-04-20T00:00:00.000Z|${uuid}`,
      `2026-01-01|${uuid}`,
      `2026-01-01T00:00:00.000Z|${uuid.toUpperCase()}`,
    ]) {
      const r = await admin.call('GET', `/orders?after=${forged(text)}`);
      expect({ text, status: r.status, after: (r.body as { after?: unknown }).after }).toEqual({
        text,
        status: 400,
        after: forged(text),
      });
    }
  });

  it('answers 404 problem+json for an unknown or malformed id', async () => {
    for (const id of [randomUUID(), 'not-an-order']) {
      const res = await fetch(`http://127.0.0.1:${admin.node.port}/admin/v1/orders/${id}`, {
        headers: { authorization: `Bearer ${admin.key}` },
      });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await res.json()).toMatchObject({
        status: 404,
        code: 'NOT_FOUND',
        instance: `/admin/v1/orders/${id}`,
      });
    }
  });
});

describe('erasure', () => {
  it("renames her in the orders' history when her orders move to a pseudonym", async () => {
    const [her, pseudonym] = [randomUUID(), randomUUID()];
    const { orderId } = await placeOnline([{ sku: 'SOCK-1', locationId: 'wh-1', quantity: 1 }], {
      channel: 'WEB',
      customerRef: her,
    });
    expect(await reassignCustomerOrders(ctx.deps.db, [her], pseudonym)).toEqual({
      orders: 1,
      reservations: 0,
    });
    const order = (await getOrder(ctx.deps.db, orderId))!;
    expect(order.customerRef).toBe(pseudonym);
    expect(order.history.map((e) => e.actor)).toEqual([`customer:${pseudonym}`]);
  });
});
