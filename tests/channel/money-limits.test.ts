import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  getStockLevels,
  setPrice,
  setStockCount,
  upsertLocation,
  upsertPriceList,
  upsertProduct,
} from '../../backoffice-layer/index.js';
import { createChannelClient, startApiNode, type ApiNode } from '../../channel-layer/index.js';
import { graphqlClient } from '../support/channel.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';

// An order whose amounts no answer can carry (Money.amount is a GraphQL Int) is refused before anything is
// written — it was committed, then answered INTERNAL, so a client retrying with a new key bought twice.
describe('amounts beyond what an answer can carry', () => {
  let ctx: BackofficeTestContext;
  let node: ApiNode;
  let key: string;
  let gql: ReturnType<typeof graphqlClient>;

  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await upsertLocation(ctx.deps, 'ams-01', { name: 'Amsterdam', kind: 'STORE', fulfilsOnline: true });
    await upsertPriceList(ctx.deps, 'base', { name: 'Base', currency: 'EUR', priority: 0 });
    await upsertProduct(ctx.deps, 'HUGE-1', {
      name: 'Kunstwerk',
      category: 'art',
      vatRate: 21,
      attributes: {},
      status: 'ACTIVE',
    });
    await setPrice(ctx.deps, 'base', 'HUGE-1', { amount: 1_000_000_000, minQuantity: 1 });
    await setStockCount(ctx.deps, 'HUGE-1', 'ams-01', { onHand: 100 });
    key = (
      await createChannelClient(
        ctx.deps.db,
        { name: 'web', channel: 'WEB', scopes: ['rate:100000'] },
        new Date(),
      )
    ).key;
    node = await startApiNode(ctx.deps, 0, '127.0.0.1');
    gql = graphqlClient(node.port, key);
  });
  afterAll(async () => {
    await node.stop(100);
    await ctx.close();
  });

  it(
    'a quote and an order over € 21.474.836,47 are ' + 'BAD_USER_INPUT, and the order leaves nothing behind',
    async () => {
      const q = await gql('query($in: QuoteInput!) { quote(input: $in) { total { amount } } }', {
        in: { lines: [{ sku: 'HUGE-1', quantity: 3 }] },
      });
      expect(q.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
      expect(q.errors?.[0]?.message).toMatch(/more than the largest amount/);
      const o = await gql(
        'mutation($in: PlaceOrderInput!) { placeOrder(input: $in, idempotencyKey: "huge-1") { id ' +
          'total { amount } } }',
        { in: { lines: [{ sku: 'HUGE-1', quantity: 3 }], locationId: 'ams-01' } },
      );
      expect(o.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
      expect(await ctx.deps.db.selectFrom('orders').select('id').execute()).toEqual([]);
      expect((await getStockLevels(ctx.deps.db, ['HUGE-1'])).get('HUGE-1')?.[0]).toMatchObject({
        onHand: 100,
        reserved: 0,
      });
      // Two units (€ 20.000.000,00) fit: the order goes through and is answered.
      const ok = await gql(
        'mutation($in: PlaceOrderInput!) { placeOrder(input: $in, idempotencyKey: "huge-2") { id ' +
          'total { amount } } }',
        { in: { lines: [{ sku: 'HUGE-1', quantity: 2 }], locationId: 'ams-01' } },
      );
      expect(ok.errors).toBeUndefined();
      expect(ok.data).toMatchObject({ placeOrder: { total: { amount: 2_000_000_000 } } });
    },
  );
});
