import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  setPrice,
  setStockCount,
  upsertLocation,
  upsertPriceList,
  upsertProduct,
} from '../../backoffice-layer/index.js';
import { createChannelClient, startApiNode, type ApiNode } from '../../channel-layer/index.js';
import { upsertPromotion } from '../../journey-layer/index.js';
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
    // Scarves carry three promotions: 10 % off (any currency), €2 off and £3 off (each in its own currency
    // only).
    await upsertProduct(ctx.deps, 'SCARF-1', {
      name: 'Sjaal',
      category: 'scarves',
      vatRate: 21,
      attributes: {},
      status: 'ACTIVE',
    });
    await setPrice(ctx.deps, 'base', 'SCARF-1', { amount: 3000, minQuantity: 1 });
    await setPrice(ctx.deps, 'uk', 'SCARF-1', { amount: 2500, minQuantity: 1 });
    await setStockCount(ctx.deps, 'SCARF-1', 'wh-1', { onHand: 10 });
    const scarves = [{ kind: 'category', categories: ['scarves'] }];
    const promotions = {
      'scarves-10': { kind: 'percentOff', percentBp: 1000 },
      'scarves-eur-2': { kind: 'amountOff', amount: 200, currency: 'EUR' },
      'scarves-gbp-3': { kind: 'amountOff', amount: 300, currency: 'GBP' },
    };
    for (const [id, action] of Object.entries(promotions))
      await upsertPromotion(ctx.deps, id, {
        status: 'ACTIVE',
        rule: { label: id, conditions: scarves, action },
      });
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

  it('applies an amount off only in its own currency, a percentage in every currency', async () => {
    const SCARF = `query { offer(sku: "SCARF-1") {
      price { final { amount currency } adjustments { id } } } }`;
    type ScarfAnswer = {
      offer: { price: { final: { amount: number; currency: string }; adjustments: Array<{ id: string }> } };
    };
    const eu = ((await gql.webEu!(SCARF)).data as ScarfAnswer).offer.price;
    const uk = ((await gql.webUk!(SCARF)).data as ScarfAnswer).offer.price;
    // 30,00 € − 10 % − 2,00 € = 25,00 €; £25.00 − 10 % − £3.00 = £19.50.
    expect(eu.adjustments.map((a) => a.id).sort()).toEqual(['scarves-10', 'scarves-eur-2']);
    expect(eu.final).toEqual({ amount: 2500, currency: 'EUR' });
    expect(uk.adjustments.map((a) => a.id).sort()).toEqual(['scarves-10', 'scarves-gbp-3']);
    expect(uk.final).toEqual({ amount: 1950, currency: 'GBP' });
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
