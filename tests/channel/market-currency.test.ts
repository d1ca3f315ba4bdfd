import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setPrice, setStockCount, upsertLocation, upsertPriceList } from '../../backoffice-layer/index.js';
import { createChannelClient, startApiNode, type ApiNode } from '../../channel-layer/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';
import { graphqlClient, seedCoat } from '../support/channel.js';

// Issue 11, "Currency is data", through the channel API over real HTTP: a GBP price list and GBP clients
// beside the EUR ones; each market's clients see their own prices, identically across that market's channels,
// and an order and its refund are in the order's own currency.
describe('the channel API prices each client in its market’s currency', () => {
  let ctx: BackofficeTestContext;
  let node: ApiNode;
  const gql: Record<string, ReturnType<typeof graphqlClient>> = {};

  const OFFER = `query { offer(sku: "COAT-M") {
    price { final { amount currency formatted } } revision fingerprint } }`;
  type OfferAnswer = {
    offer: { price: { final: { amount: number; currency: string } }; revision: number; fingerprint: string };
  };

  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await seedCoat(ctx.deps, { amount: 12995, onHand: 20 });
    await upsertLocation(ctx.deps, 'lon-01', { name: 'London', kind: 'STORE', fulfilsOnline: false });
    await setStockCount(ctx.deps, 'COAT-M', 'lon-01', { onHand: 5 });
    // Preferred over the EUR list: were markets not kept apart, the GBP price would win everywhere.
    await upsertPriceList(ctx.deps, 'uk', { name: 'United Kingdom', currency: 'GBP', priority: 10 });
    await setPrice(ctx.deps, 'uk', 'COAT-M', { amount: 10995, minQuantity: 1 });
    const clients = {
      webEu: { channel: 'WEB' },
      appEu: { channel: 'APP', currency: 'EUR' },
      webUk: { channel: 'WEB', currency: 'GBP' },
      appUk: { channel: 'APP', currency: 'GBP' },
      tillUk: { channel: 'STORE', currency: 'GBP', locationId: 'lon-01' },
    } as const;
    node = await startApiNode(ctx.deps, 0, '127.0.0.1');
    for (const [name, body] of Object.entries(clients)) {
      const { key } = await createChannelClient(
        ctx.deps.db,
        { name, scopes: [], ...body },
        ctx.deps.clock.now(),
      );
      gql[name] = graphqlClient(node.port, key);
    }
  });
  afterAll(async () => {
    await node?.stop(100);
    await ctx?.close();
  });

  it('answers each market in its own currency, the same answer in every channel of a market', async () => {
    const answers: Record<string, OfferAnswer['offer']> = {};
    for (const name of Object.keys(gql)) {
      const r = await gql[name]!(OFFER);
      expect(r.errors).toBeUndefined();
      answers[name] = (r.data as OfferAnswer).offer;
    }
    for (const name of ['webEu', 'appEu'])
      expect(answers[name]!.price.final).toMatchObject({ amount: 12995, currency: 'EUR' });
    for (const name of ['webUk', 'appUk', 'tillUk'])
      expect(answers[name]!.price.final).toMatchObject({ amount: 10995, currency: 'GBP' });
    expect(answers.appEu!.fingerprint).toBe(answers.webEu!.fingerprint);
    expect(answers.appUk!.fingerprint).toBe(answers.webUk!.fingerprint);
    expect(answers.tillUk!.fingerprint).toBe(answers.webUk!.fingerprint);
    expect(answers.webUk!.fingerprint).not.toBe(answers.webEu!.fingerprint);
  });

  it('quotes a cart in the market’s currency', async () => {
    const q = await gql.webUk!(
      `query { quote(input: { lines: [{ sku: "COAT-M", quantity: 2 }] }) { total { amount currency } } }`,
    );
    expect(q.errors).toBeUndefined();
    expect((q.data as { quote: { total: unknown } }).quote.total).toEqual({ amount: 21990, currency: 'GBP' });
  });

  it('records a till sale in the market’s currency and refunds it in that currency', async () => {
    const sale = await gql.tillUk!(
      `mutation { recordStoreSale(input: { lines: [{ sku: "COAT-M", quantity: 1 }] }, idempotencyKey: "lon-1")
        { id total { amount currency } } }`,
    );
    expect(sale.errors).toBeUndefined();
    const order = (sale.data as { recordStoreSale: { id: string; total: unknown } }).recordStoreSale;
    expect(order.total).toEqual({ amount: 10995, currency: 'GBP' });
    const ret = await gql.tillUk!(
      `mutation($id: ID!) { returnItems(input: { orderId: $id,
        lines: [{ sku: "COAT-M", quantity: 1, sellable: true }] },
        idempotencyKey: "lon-ret-1") { refund { amount currency } } }`,
      { id: order.id },
    );
    expect(ret.errors).toBeUndefined();
    expect((ret.data as { returnItems: { refund: unknown } }).returnItems.refund).toEqual({
      amount: 10995,
      currency: 'GBP',
    });
  });
});
