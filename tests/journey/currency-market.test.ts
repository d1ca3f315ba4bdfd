import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  applyEvent,
  createReadModel,
  returnItems,
  setPrice,
  setStockCount,
  toEnvelope,
  upsertLocation,
  upsertPriceList,
  upsertProduct,
  type ReadModel,
} from '../../backoffice-layer/index.js';
import {
  authenticateChannelClient,
  ClientBodySchema,
  createChannelClient,
  type ChannelClient,
} from '../../channel-layer/index.js';
import {
  DEFAULT_PROGRAM,
  enrollCustomer,
  getCustomerFacts,
  getLoyaltyStatus,
  journeyReadModelSections,
  loyaltyConsumer,
  offers,
  placeOrder,
  placeStoreSale,
  pointsForOrder,
  quote,
  setLoyaltyProgram,
} from '../../journey-layer/index.js';
import { loadConfig, ManualClock } from '../../shared/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';

// Issue 11, "Currency is data": the channel client's market decides the currency a price is in; price lists
// in that currency serve it, identically across the market's channels; refunds and points follow the order's
// currency.
describe('markets: the channel client decides the currency', () => {
  const clock = new ManualClock('2026-11-20T10:00:00Z');
  let ctx: BackofficeTestContext;
  let rm: ReadModel;
  const clients: Record<string, ChannelClient> = {};

  /** A client issued as the admin API issues it, then let in by its key as the channel gate lets it in. */
  const issue = async (name: string, body: Record<string, unknown>): Promise<void> => {
    const { key } = await createChannelClient(
      ctx.deps.db,
      ClientBodySchema.parse({ name, scopes: [], ...body }),
      clock.now(),
    );
    clients[name] = (await authenticateChannelClient(ctx.deps.db, key))!;
  };

  /** What the channel layer hands pricing for a client: its market's currency, as an input. */
  const market = (name: string) => ({ currency: clients[name]!.currency });

  /** A till sale of one coat to a new member in a market, and the loyalty consumer applied to it. */
  const memberSale = async (email: string, at: { locationId: string; market: string }) => {
    const { customer } = await enrollCustomer(
      ctx.deps,
      { email },
      { channel: 'STORE', idempotencyKey: email },
    );
    const sale = await placeStoreSale(
      ctx.deps,
      {
        locationId: at.locationId,
        lines: [{ sku: 'COAT-M', quantity: 1 }],
        customerId: customer.id,
        ...market(at.market),
      },
      `${email}-sale`,
    );
    const rows = await ctx.deps.db
      .selectFrom('outbox')
      .selectAll()
      .where('type', '=', 'sale.committed')
      .where('aggregateId', '=', sale.orderId)
      .execute();
    for (const row of rows)
      await applyEvent(ctx.deps.db, [loyaltyConsumer(clock)], toEnvelope(row), clock.now());
    return { customer, sale };
  };

  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
    await upsertLocation(ctx.deps, 'wh-1', { name: 'Warehouse', kind: 'WAREHOUSE', fulfilsOnline: true });
    await upsertLocation(ctx.deps, 'lon-01', { name: 'London', kind: 'STORE', fulfilsOnline: false });
    await upsertLocation(ctx.deps, 'tyo-01', { name: 'Tokyo', kind: 'STORE', fulfilsOnline: false });
    await upsertPriceList(ctx.deps, 'base', { name: 'Base', currency: 'EUR', priority: 0 });
    // A higher priority than the EUR list: were currencies not kept apart, it would win everywhere.
    await upsertPriceList(ctx.deps, 'uk', { name: 'United Kingdom', currency: 'GBP', priority: 10 });
    await upsertPriceList(ctx.deps, 'jp', { name: 'Japan', currency: 'JPY', priority: 0 });
    for (const sku of ['COAT-M', 'SOCK-1']) {
      await upsertProduct(ctx.deps, sku, {
        name: sku,
        category: 'coats',
        vatRate: 21,
        attributes: {},
        status: 'ACTIVE',
      });
      for (const at of ['wh-1', 'lon-01', 'tyo-01']) await setStockCount(ctx.deps, sku, at, { onHand: 50 });
    }
    await setPrice(ctx.deps, 'base', 'COAT-M', { amount: 12995, minQuantity: 1 });
    await setPrice(ctx.deps, 'base', 'SOCK-1', { amount: 999, minQuantity: 1 });
    await setPrice(ctx.deps, 'uk', 'COAT-M', { amount: 10995, minQuantity: 1 }); // no GBP price for SOCK-1
    await setPrice(ctx.deps, 'jp', 'COAT-M', { amount: 21000, minQuantity: 1 }); // ¥21,000: no minor unit

    await issue('eur-web', { channel: 'WEB' }); // no currency: the hub's default (EUR)
    await issue('eur-app', { channel: 'APP', currency: 'EUR' });
    await issue('gbp-web', { channel: 'WEB', currency: 'GBP' });
    await issue('gbp-app', { channel: 'APP', currency: 'GBP' });
    await issue('gbp-till', { channel: 'STORE', locationId: 'lon-01', currency: 'GBP' });
    await issue('jpy-till', { channel: 'STORE', locationId: 'tyo-01', currency: 'JPY' });
    rm = await createReadModel(ctx.deps, { sections: journeyReadModelSections });
  });
  afterAll(async () => {
    await rm.close();
    await ctx.close();
  });

  it('stores a client’s currency, and refuses one that is not an ISO 4217 code the hub knows', () => {
    expect(clients['eur-web']!.currency).toBeNull();
    expect(clients['gbp-till']!.currency).toBe('GBP');
    for (const currency of ['gbp', 'XYZ', 'EURO', ''])
      expect(ClientBodySchema.safeParse({ channel: 'WEB', currency }).success).toBe(false);
  });

  it('prices each market from its own list, with one fingerprint across its channels', async () => {
    const lines = [{ sku: 'COAT-M', quantity: 2 }];
    const answers = new Map<string, { total: number; currency: string; fingerprint: string }>();
    for (const name of ['eur-web', 'eur-app', 'gbp-web', 'gbp-app', 'gbp-till']) {
      for (const readModel of [undefined, rm]) {
        const q = await quote(ctx.deps, { lines, ...market(name) }, readModel ? { readModel } : {});
        const o = (
          await offers(ctx.deps, { skus: ['COAT-M'], ...market(name) }, readModel ? { readModel } : {})
        )[0]!;
        expect({ name, offer: o.price.final, currency: o.price.currency }).toEqual({
          name,
          offer: q.total / 2,
          currency: q.currency,
        });
        answers.set(`${name}${readModel ? ' (read model)' : ''}`, q);
      }
    }
    const eur = answers.get('eur-web')!;
    const gbp = answers.get('gbp-web')!;
    expect(eur).toMatchObject({ total: 25990, currency: 'EUR' });
    expect(gbp).toMatchObject({ total: 21990, currency: 'GBP' });
    for (const [name, q] of answers)
      expect({ name, fingerprint: q.fingerprint }).toEqual({
        name,
        fingerprint: name.startsWith('eur') ? eur.fingerprint : gbp.fingerprint,
      });
    expect(gbp.fingerprint).not.toBe(eur.fingerprint);
  });

  it('leaves a SKU unpriced where its currency has no price; EUR never sees GBP', async () => {
    await expect(
      quote(ctx.deps, { lines: [{ sku: 'SOCK-1', quantity: 1 }], ...market('gbp-web') }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('SOCK-1 has no price in GBP'),
    });
    await expect(
      offers(ctx.deps, { skus: ['SOCK-1'], ...market('gbp-app') }, { readModel: rm }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const sock = await quote(ctx.deps, { lines: [{ sku: 'SOCK-1', quantity: 1 }], ...market('eur-app') });
    expect(sock).toMatchObject({ total: 999, currency: 'EUR' });
  });

  it('prices a client without a currency in the hub’s default (OMNIHUB_DEFAULT_CURRENCY)', async () => {
    expect(loadConfig({}).defaultCurrency).toBe('EUR');
    expect(loadConfig({ OMNIHUB_DEFAULT_CURRENCY: 'GBP' }).defaultCurrency).toBe('GBP');
    expect(() => loadConfig({ OMNIHUB_DEFAULT_CURRENCY: 'XYZ' })).toThrow(/OMNIHUB_DEFAULT_CURRENCY/);
    const ukHub = { ...ctx.deps, config: { ...ctx.deps.config, defaultCurrency: 'GBP' } };
    const q = await quote(ukHub, { lines: [{ sku: 'COAT-M', quantity: 1 }], ...market('eur-web') });
    expect(q).toMatchObject({ total: 10995, currency: 'GBP' });
  });

  it('records a market’s orders in its currency, and labels a refund of a GBP order GBP', async () => {
    const sale = await placeStoreSale(
      ctx.deps,
      { locationId: 'lon-01', lines: [{ sku: 'COAT-M', quantity: 2 }], ...market('gbp-till') },
      'gbp-sale',
    );
    expect(sale.quote).toMatchObject({ total: 21990, currency: 'GBP' });
    const online = await placeOrder(
      ctx.deps,
      { locationId: 'wh-1', lines: [{ sku: 'COAT-M', quantity: 1 }], ...market('gbp-web') },
      'gbp-order',
    );
    for (const orderId of [sale.orderId, online.orderId]) {
      const row = await ctx.deps.db
        .selectFrom('orders')
        .select(['currency', 'totalAmount'])
        .where('id', '=', orderId)
        .executeTakeFirstOrThrow();
      expect(row.currency).toBe('GBP');
    }
    const refund = await returnItems(
      ctx.deps,
      {
        orderId: sale.orderId,
        locationId: 'lon-01',
        lines: [{ sku: 'COAT-M', quantity: 1, sellable: true }],
      },
      randomUUID(),
    );
    expect(refund).toMatchObject({ refundAmount: 10995, currency: 'GBP' });
  });

  it('ends first-order offers with her first order, whatever its currency', async () => {
    const { customer, sale } = await memberSale('london@example.co.uk', {
      locationId: 'lon-01',
      market: 'gbp-till',
    });
    // The programme is in euros: a pound order earns nothing, and the quote says so.
    expect(sale.quote).toMatchObject({ currency: 'GBP', loyalty: { pointsEarned: 0 } });
    expect((await getCustomerFacts(ctx.deps.db, customer.id))?.firstOrder).toBe(false);
    expect((await getLoyaltyStatus(ctx.deps.db, customer.id, clock.now())).points).toBe(0);
  });

  it('counts points per whole unit of the order’s currency: ¥21,000 earns 21,000, not 210', async () => {
    await setLoyaltyProgram(ctx.deps, { ...DEFAULT_PROGRAM, currency: 'JPY' });
    const { customer, sale } = await memberSale('tokyo@example.jp', {
      locationId: 'tyo-01',
      market: 'jpy-till',
    });
    expect(sale.quote).toMatchObject({ total: 21000, currency: 'JPY', loyalty: { pointsEarned: 21000 } });
    expect((await getLoyaltyStatus(ctx.deps.db, customer.id, clock.now())).points).toBe(21000);
  });
});

describe('the points rule and the currency’s exponent', () => {
  const bronze = DEFAULT_PROGRAM.tiers[0]!;
  const gold = DEFAULT_PROGRAM.tiers[2]!; // 150 % points
  const programIn = (currency: string) => ({ ...DEFAULT_PROGRAM, currency });

  it('divides by 10^exponent: 2 for EUR, 0 for JPY, 3 for KWD', () => {
    expect(pointsForOrder(DEFAULT_PROGRAM, gold, { amount: 12995, currency: 'EUR' })).toBe(193);
    expect(pointsForOrder(programIn('JPY'), bronze, { amount: 1299, currency: 'JPY' })).toBe(1299);
    expect(pointsForOrder(programIn('JPY'), gold, { amount: 1299, currency: 'JPY' })).toBe(1948);
    expect(pointsForOrder(programIn('KWD'), bronze, { amount: 12995, currency: 'KWD' })).toBe(12);
    expect(pointsForOrder(programIn('KWD'), bronze, { amount: 999, currency: 'KWD' }, 5)).toBe(5);
  });

  it('gives nothing for an order in another currency than the programme’s', () => {
    expect(pointsForOrder(DEFAULT_PROGRAM, gold, { amount: 12995, currency: 'GBP' }, 10)).toBe(0);
  });
});
