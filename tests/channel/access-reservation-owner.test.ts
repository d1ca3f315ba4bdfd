/**
 * A reservation remembers who it belongs to (the channel client that made it, the customer it was made for),
 * on the batched path and the one-reservation path alike, so the access policy can ask.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  getReservation,
  reserveStock,
  setPrice,
  setStockCount,
  upsertLocation,
  upsertPriceList,
  upsertProduct,
} from '../../backoffice-layer/index.js';
import { enrollCustomer, placeOrder } from '../../journey-layer/index.js';
import { DomainError } from '../../shared/index.js';
import {
  createBackofficeTestContext,
  startAdminApi,
  type AdminClient,
  type BackofficeTestContext,
} from '../support/backoffice.js';

describe('reservation owners', () => {
  let ctx: BackofficeTestContext;
  let admin: AdminClient;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ poolSize: 16 });
    await upsertLocation(ctx.deps, 'wh-1', { name: 'Warehouse', kind: 'WAREHOUSE', fulfilsOnline: true });
    await upsertProduct(ctx.deps, 'HOT-1', {
      name: 'Hot',
      category: 'coats',
      vatRate: 21,
      attributes: {},
      status: 'ACTIVE',
    });
    await setStockCount(ctx.deps, 'HOT-1', 'wh-1', { onHand: 1000 });
    admin = await startAdminApi(ctx);
  });
  afterAll(async () => {
    await admin.close();
    await ctx.close();
  });

  const stored = (id: string) =>
    ctx.deps.db
      .selectFrom('reservations')
      .select(['clientId', 'customerId'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();

  it('stores the client and customer of reservations committed together, and of one made alone', async () => {
    const owners = Array.from({ length: 30 }, (_, i) => ({
      clientId: randomUUID(),
      ...(i % 3 === 0 ? {} : { customerId: randomUUID() }),
    }));
    const results = await Promise.all(
      owners.map((o, i) =>
        reserveStock(
          ctx.deps,
          { lines: [{ sku: 'HOT-1', locationId: 'wh-1', quantity: 1 }], channel: 'WEB', ...o },
          `burst-${i}`,
        ),
      ),
    );
    // Committed together: fewer revisions than reservations.
    expect(new Set(results.map((r) => r.revision)).size).toBeLessThan(results.length);
    for (const [i, r] of results.entries()) {
      const want = { clientId: owners[i]!.clientId, customerId: owners[i]!.customerId ?? null };
      expect(r.reservation).toMatchObject(want);
      expect(await stored(r.reservation.id)).toEqual(want);
      expect(await getReservation(ctx.deps.db, r.reservation.id)).toMatchObject(want);
    }
    const alone = await reserveStock(
      ctx.deps,
      {
        lines: [{ sku: 'HOT-1', locationId: 'wh-1', quantity: 1 }],
        clientId: owners[0]!.clientId,
        customerId: owners[1]!.customerId!,
      },
      'alone',
    );
    expect(await stored(alone.reservation.id)).toEqual({
      clientId: owners[0]!.clientId,
      customerId: owners[1]!.customerId,
    });
    // A replay answers the same owners; the same key for another customer is another request.
    const replay = await reserveStock(
      ctx.deps,
      {
        lines: [{ sku: 'HOT-1', locationId: 'wh-1', quantity: 1 }],
        clientId: owners[0]!.clientId,
        customerId: owners[1]!.customerId!,
      },
      'alone',
    );
    expect(replay).toMatchObject({
      replayed: true,
      reservation: {
        id: alone.reservation.id,
        clientId: owners[0]!.clientId,
        customerId: owners[1]!.customerId,
      },
    });
    const other = await reserveStock(
      ctx.deps,
      {
        lines: [{ sku: 'HOT-1', locationId: 'wh-1', quantity: 1 }],
        clientId: owners[0]!.clientId,
        customerId: randomUUID(),
      },
      'alone',
    ).catch((e: unknown) => e);
    expect(other).toBeInstanceOf(DomainError);
    expect((other as DomainError).code).toBe('CONFLICT');
  });

  it(
    'replays a key used before owners were recorded (the client is the key\u2019s own, not part ' +
      'of the request)',
    async () => {
      const body = { lines: [{ sku: 'HOT-1', locationId: 'wh-1', quantity: 1 }], channel: 'WEB' as const };
      const before = await reserveStock(ctx.deps, body, 'client-1:cart-7');
      const retried = await reserveStock(ctx.deps, { ...body, clientId: randomUUID() }, 'client-1:cart-7');
      expect(retried).toMatchObject({
        replayed: true,
        reservation: { id: before.reservation.id, clientId: null },
      });
    },
  );

  it('gives the reservation an order makes for itself its client and customer', async () => {
    await upsertPriceList(ctx.deps, 'base', { name: 'Base', currency: 'EUR', priority: 0 });
    await setPrice(ctx.deps, 'base', 'HOT-1', { amount: 1000, minQuantity: 1 });
    const customerId = (
      await enrollCustomer(ctx.deps, { displayName: 'Eva' }, { channel: 'WEB', idempotencyKey: 'eva' })
    ).customer.id;
    const clientId = randomUUID();
    const order = await placeOrder(
      ctx.deps,
      { lines: [{ sku: 'HOT-1', quantity: 1 }], locationId: 'wh-1', customerId },
      `${clientId}:order-1`,
      { channel: 'WEB', clientId },
    );
    const held = await ctx.deps.db
      .selectFrom('orders')
      .select('reservationId')
      .where('id', '=', order.orderId)
      .executeTakeFirstOrThrow();
    expect(await stored(held.reservationId!)).toEqual({ clientId, customerId });
  });

  it('gives a reservation made through the admin API no client', async () => {
    const r = await admin.request(
      'POST',
      '/admin/v1/reservations',
      { lines: [{ sku: 'HOT-1', locationId: 'wh-1', quantity: 1 }] },
      { 'idempotency-key': 'admin-1' },
    );
    expect(r.status).toBe(201);
    expect(r.body.reservation).toMatchObject({ channel: 'ADMIN', clientId: null, customerId: null });
    expect(await stored(r.body.reservation.id)).toEqual({ clientId: null, customerId: null });
    // A client id is never read from a request body.
    const forged = await admin.request(
      'POST',
      '/admin/v1/reservations',
      { lines: [{ sku: 'HOT-1', locationId: 'wh-1', quantity: 1 }], clientId: randomUUID() },
      { 'idempotency-key': 'admin-2' },
    );
    expect(forged.status).toBe(400);
  });
});
