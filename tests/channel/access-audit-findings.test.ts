/**
 * The hostile-client audits' findings (three, then a fourth: any web key could mint a customer token), each
 * replayed over real HTTP: each is now FORBIDDEN, and nothing of it is written — no refund, no points lost,
 * no restock, no order, no release, no audit row claiming the act.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { applyEvent, toEnvelope } from '../../backoffice-layer/index.js';
import { createChannelClient, startApiNode, type ApiNode } from '../../channel-layer/index.js';
import {
  enrollCustomer,
  getLoyaltyStatus,
  loyaltyConsumer,
  placeStoreSale,
} from '../../journey-layer/index.js';
import { graphqlClient } from '../support/channel.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';
import { givenWarehouseAndTwoStores } from './access-fixtures.js';

describe('the hostile-client audit’s findings', () => {
  let ctx: BackofficeTestContext;
  let node: ApiNode;
  const keys: Record<'web' | 'storeA' | 'storeB', string> = { web: '', storeA: '', storeB: '' };
  const consumer = loyaltyConsumer({ now: () => new Date() });

  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await givenWarehouseAndTwoStores(ctx, {
      sku: 'BOOT-40',
      name: 'Leren laars',
      category: 'shoes',
      amount: 32000,
      onHand: 10,
    });
    keys.web = (
      await createChannelClient(ctx.deps.db, { name: 'webshop', channel: 'WEB', scopes: [] }, new Date())
    ).key;
    keys.storeA = (
      await createChannelClient(
        ctx.deps.db,
        { name: 'till A', channel: 'STORE', locationId: 'ams-01', scopes: [] },
        new Date(),
      )
    ).key;
    keys.storeB = (
      await createChannelClient(
        ctx.deps.db,
        { name: 'till B', channel: 'STORE', locationId: 'utr-01', scopes: [] },
        new Date(),
      )
    ).key;
    node = await startApiNode(ctx.deps, 0, '127.0.0.1');
  });
  afterAll(async () => {
    await node.stop(100);
    await ctx.close();
  });

  const levels = () =>
    ctx.deps.db
      .selectFrom('stockLevels')
      .select(['locationId', 'onHand', 'reserved'])
      .where('sku', '=', 'BOOT-40')
      .orderBy('locationId')
      .execute();
  /** Applies the loyalty consumer to every sale and return announced for this order, as the worker would. */
  const applyLoyalty = async (orderId: string) => {
    const rows = await ctx.deps.db
      .selectFrom('outbox')
      .selectAll()
      .where('aggregateId', '=', orderId)
      .where('type', 'in', ['sale.committed', 'return.recorded'])
      .orderBy('position')
      .execute();
    for (const row of rows) await applyEvent(ctx.deps.db, [consumer], toEnvelope(row), new Date());
  };
  const auditsNaming = (field: string, id: string) =>
    ctx.deps.db
      .selectFrom('auditLog')
      .selectAll()
      .where(sql<boolean>`details ->> ${field} = ${id}`)
      .execute();
  const reserveAtStoreB = async (k: string): Promise<string> => {
    const r = await graphqlClient(node.port, keys.storeB)(
      'mutation($k: String!) { reserveStock(input: { lines: [{ sku: "BOOT-40", quantity: 1, ' +
        'locationId: "utr-01" }] }, idempotencyKey: $k) { id } }',
      { k },
    );
    return (r.data as { reserveStock: { id: string } }).reserveStock.id;
  };
  const statusOf = async (id: string) =>
    (
      await ctx.deps.db
        .selectFrom('reservations')
        .select('status')
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    ).status;

  it(
    'refuses a web key without her customer token the return of her store order: no refund, her ' +
      '320 points kept, nothing restocked',
    async () => {
      const { customer } = await enrollCustomer(
        ctx.deps,
        { displayName: 'Marit', email: 'marit@example.nl' },
        { channel: 'STORE', idempotencyKey: 'marit' },
      );
      const sale = await placeStoreSale(
        ctx.deps,
        { locationId: 'utr-01', lines: [{ sku: 'BOOT-40', quantity: 1 }], customerId: customer.id },
        'marit-boots',
      );
      await applyLoyalty(sale.orderId);
      expect((await getLoyaltyStatus(ctx.deps.db, customer.id, new Date())).points).toBe(320);
      const before = await levels();

      const r = await graphqlClient(node.port, keys.web)(
        'mutation($in: ReturnInput!) { returnItems(input: $in, idempotencyKey: "steal-refund") { ' +
          'id refund { amount } } }',
        {
          in: {
            orderId: sale.orderId,
            locationId: 'wh-1',
            lines: [{ sku: 'BOOT-40', quantity: 1, sellable: true }],
          },
        },
      );
      expect(r.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
      expect(r.data ?? null).toBeNull();

      await applyLoyalty(sale.orderId);
      expect((await getLoyaltyStatus(ctx.deps.db, customer.id, new Date())).points).toBe(320);
      expect(
        await ctx.deps.db.selectFrom('returns').select('id').where('orderId', '=', sale.orderId).execute(),
      ).toEqual([]);
      expect(
        await ctx.deps.db
          .selectFrom('orderLines')
          .select('returnedQuantity')
          .where('orderId', '=', sale.orderId)
          .execute(),
      ).toEqual([{ returnedQuantity: 0 }]);
      expect(
        await ctx.deps.db
          .selectFrom('loyaltyLedger')
          .select('kind')
          .where('customerId', '=', customer.id)
          .where('kind', '=', 'REVERSE')
          .execute(),
      ).toEqual([]);
      expect(await levels()).toEqual(before);
      expect(await auditsNaming('orderId', sale.orderId)).toEqual([]);
    },
  );

  it(
    'refuses store A’s terminal an order from store B’s reservation: no sale of B’s units, the ' +
      'reservation still held',
    async () => {
      const id = await reserveAtStoreB('b-hold-1');
      const before = await levels();
      const r = await graphqlClient(node.port, keys.storeA)(
        'mutation($in: PlaceOrderInput!) { placeOrder(input: $in, idempotencyKey: "sell-b-units") { id } }',
        { in: { reservationId: id, lines: [{ sku: 'BOOT-40', quantity: 1 }] } },
      );
      expect(r.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
      expect(await statusOf(id)).toBe('ACTIVE');
      expect(
        await ctx.deps.db.selectFrom('orders').select('id').where('reservationId', '=', id).execute(),
      ).toEqual([]);
      expect(await levels()).toEqual(before);
      expect(await auditsNaming('reservationId', id)).toEqual([]);
    },
  );

  it(
    'refuses a web key the release of store B’s ' + 'reservation: still ACTIVE, its units still held',
    async () => {
      const id = await reserveAtStoreB('b-hold-2');
      const before = await levels();
      const r = await graphqlClient(node.port, keys.web)(
        'mutation($id: ID!) { releaseReservation(id: $id) { id status } }',
        { id },
      );
      expect(r.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
      expect(await statusOf(id)).toBe('ACTIVE');
      expect(await levels()).toEqual(before);
      expect(before.find((l) => l.locationId === 'utr-01')!.reserved).toBeGreaterThanOrEqual(1);
      expect(await auditsNaming('reservationId', id)).toEqual([]);
    },
  );

  it(
    'refuses a web key that does not sign customers in a token for anyone, so it cannot reach ' +
      'her return either',
    async () => {
      const { customer } = await enrollCustomer(
        ctx.deps,
        { displayName: 'Noor', email: 'noor@example.nl' },
        { channel: 'STORE', idempotencyKey: 'noor' },
      );
      const sale = await placeStoreSale(
        ctx.deps,
        { locationId: 'utr-01', lines: [{ sku: 'BOOT-40', quantity: 1 }], customerId: customer.id },
        'noor-boots',
      );
      const minted = await graphqlClient(node.port, keys.web)(
        'mutation($c: ID!) { issueCustomerToken(customerId: $c) { token } }',
        { c: customer.id },
      );
      expect(minted.errors?.[0]).toMatchObject({
        message: expect.stringMatching(/customer-tokens/),
        extensions: { code: 'FORBIDDEN' },
      });
      expect(minted.data ?? null).toBeNull();
      // The sign-in back end's key (scope customer-tokens) may, and its token lets that client act for her
      // alone.
      const signIn = (
        await createChannelClient(
          ctx.deps.db,
          { name: 'sign-in', channel: 'WEB', scopes: ['customer-tokens'] },
          new Date(),
        )
      ).key;
      const token = (
        (
          await graphqlClient(node.port, signIn)(
            'mutation($c: ID!) { issueCustomerToken(customerId: $c) { token } }',
            { c: customer.id },
          )
        ).data as { issueCustomerToken: { token: string } }
      ).issueCustomerToken.token;
      const res = await fetch(`http://127.0.0.1:${node.port}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${keys.web}`,
          'x-customer-token': token,
        },
        body: JSON.stringify({ query: '{ revision }' }),
      });
      expect(res.status).toBe(401); // bound to the client it was issued to
      expect(
        await ctx.deps.db.selectFrom('returns').select('id').where('orderId', '=', sale.orderId).execute(),
      ).toEqual([]);
    },
  );
});
