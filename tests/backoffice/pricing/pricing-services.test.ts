import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { KyselyPlugin } from 'kysely';
import {
  deletePrice,
  getBasePrice,
  getPriceHistory,
  getPriceList,
  listPrices,
  loadPriceCandidates,
  setPrice,
  skusSwitchingAt,
  upsertPriceList,
  upsertProduct,
  PriceBodySchema,
  PriceListBodySchema,
  ProductBodySchema,
} from '../../../backoffice-layer/index.js';
import { DomainError, ManualClock } from '../../../shared/index.js';
import { databaseState } from '../../support/fuzz.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../../support/backoffice.js';

const list = (over: Record<string, unknown> = {}) =>
  PriceListBodySchema.parse({ name: 'Basis', currency: 'EUR', ...over });
const price = (over: Record<string, unknown>) => PriceBodySchema.parse(over);
const at = (s: string) => new Date(s);

describe('pricing services against PostgreSQL', () => {
  let ctx: BackofficeTestContext;
  const clock = new ManualClock('2026-11-22T09:00:00Z');
  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
    for (const sku of ['JAS-1', 'JAS-2', 'SOK-1'])
      await upsertProduct(
        ctx.deps,
        sku,
        ProductBodySchema.parse({ name: sku, category: 'test', vatRate: 21 }),
      );
  });
  afterAll(async () => {
    await ctx.close();
  });

  const outboxFor = (id: string) =>
    ctx.deps.db
      .selectFrom('outbox')
      .select(['revision', 'type', 'payload'])
      .where('aggregateId', '=', id)
      .orderBy('position')
      .execute();

  it('creates a price list, announces it, and a no-op update keeps the revision', async () => {
    const created = await upsertPriceList(ctx.deps, 'base', list());
    expect(created.priceList).toEqual({
      id: 'base',
      name: 'Basis',
      currency: 'EUR',
      priority: 0,
      validFrom: null,
      validTo: null,
      revision: created.revision,
    });
    expect(await upsertPriceList(ctx.deps, 'base', list())).toMatchObject({
      changed: false,
      revision: created.revision,
    });
    expect(await outboxFor('base')).toEqual([
      {
        revision: created.revision,
        type: 'price-list.changed',
        payload: {
          priceList: {
            id: 'base',
            name: 'Basis',
            currency: 'EUR',
            priority: 0,
            validFrom: null,
            validTo: null,
          },
        },
      },
    ]);
    const sale = await upsertPriceList(
      ctx.deps,
      'sale',
      list({
        name: 'Winter sale',
        priority: 10,
        validFrom: '2026-12-01T00:00:00+01:00',
        validTo: '2026-12-15T00:00:00+01:00',
      }),
    );
    expect(sale.priceList).toMatchObject({
      validFrom: '2026-11-30T23:00:00.000Z',
      validTo: '2026-12-14T23:00:00.000Z',
      priority: 10,
    });
    // The same instant written with another offset is the same window: no change.
    expect(
      (
        await upsertPriceList(
          ctx.deps,
          'sale',
          list({
            name: 'Winter sale',
            priority: 10,
            validFrom: '2026-11-30T23:00:00Z',
            validTo: '2026-12-14T23:00:00Z',
          }),
        )
      ).changed,
    ).toBe(false);
  });

  it(
    'sets prices per tier, records every change in the ' + 'history, and announces the new PriceState',
    async () => {
      const first = await setPrice(ctx.deps, 'base', 'JAS-1', price({ amount: 12995 }));
      expect(first).toMatchObject({
        changed: true,
        price: {
          priceListId: 'base',
          sku: 'JAS-1',
          minQuantity: 1,
          amount: 12995,
          validFrom: null,
          validTo: null,
        },
      });
      const tier = await setPrice(
        ctx.deps,
        'base',
        'JAS-1',
        price({ amount: 11995, minQuantity: 3 }),
        'import:feed-7',
      );
      // A no-op commits nothing and answers the current revision (at which this price is still the one in
      // force).
      const same = await setPrice(ctx.deps, 'base', 'JAS-1', price({ amount: 12995 }));
      expect(same).toMatchObject({ changed: false, revision: tier.revision });
      clock.advance(3_600_000);
      const raised = await setPrice(ctx.deps, 'base', 'JAS-1', price({ amount: 13995 }));
      const removed = await deletePrice(ctx.deps, 'base', 'JAS-1', 3);

      const history = await getPriceHistory(ctx.deps.db, 'JAS-1', { limit: 10 });
      expect(history.changes.map((h) => [h.minQuantity, h.amount, h.source, h.revision])).toEqual([
        [3, null, 'admin', removed.revision],
        [1, 13995, 'admin', raised.revision],
        [3, 11995, 'import:feed-7', tier.revision],
        [1, 12995, 'admin', first.revision],
      ]);
      expect(history.changes[1]!.changedAt).toBe('2026-11-22T10:00:00.000Z');
      expect(history.next).toBeNull();
      const page1 = await getPriceHistory(ctx.deps.db, 'JAS-1', { limit: 2 });
      const page2 = await getPriceHistory(ctx.deps.db, 'JAS-1', { limit: 2, before: page1.next! });
      expect([...page1.changes, ...page2.changes]).toEqual(history.changes);

      expect(await outboxFor('base/JAS-1/3')).toEqual([
        {
          revision: tier.revision,
          type: 'price.changed',
          payload: {
            priceListId: 'base',
            sku: 'JAS-1',
            minQuantity: 3,
            price: {
              priceListId: 'base',
              sku: 'JAS-1',
              minQuantity: 3,
              amount: 11995,
              validFrom: null,
              validTo: null,
            },
          },
        },
        {
          revision: removed.revision,
          type: 'price.changed',
          payload: { priceListId: 'base', sku: 'JAS-1', minQuantity: 3, price: null },
        },
      ]);
      expect((await listPrices(ctx.deps.db, 'base', { limit: 10 })).prices).toEqual([
        {
          priceListId: 'base',
          sku: 'JAS-1',
          minQuantity: 1,
          amount: 13995,
          validFrom: null,
          validTo: null,
          revision: raised.revision,
        },
      ]);
    },
  );

  it('refuses unknown lists, SKUs and prices with NOT_FOUND and writes nothing', async () => {
    const before = await databaseState(ctx);
    for (const attempt of [
      () => setPrice(ctx.deps, 'nope', 'JAS-1', price({ amount: 1 })),
      () => setPrice(ctx.deps, 'base', 'GHOST', price({ amount: 1 })),
      () => deletePrice(ctx.deps, 'base', 'JAS-1', 99),
      () => deletePrice(ctx.deps, 'nope', 'JAS-1'),
    ]) {
      const err = await attempt().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DomainError);
      expect(err).toMatchObject({ code: 'NOT_FOUND' });
    }
    expect(await databaseState(ctx)).toEqual(before);
  });

  it('refuses to re-denominate a list that holds prices, but allows it while empty', async () => {
    await expect(upsertPriceList(ctx.deps, 'base', list({ currency: 'GBP' }))).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    expect((await getPriceList(ctx.deps.db, 'base'))?.currency).toBe('EUR');
    await upsertPriceList(ctx.deps, 'uk', list({ currency: 'EUR' }));
    expect((await upsertPriceList(ctx.deps, 'uk', list({ currency: 'GBP' }))).priceList.currency).toBe('GBP');
  });

  it('loads the candidates of many SKUs in one query and selects the base price from them', async () => {
    await setPrice(ctx.deps, 'sale', 'JAS-1', price({ amount: 9995 }));
    await setPrice(ctx.deps, 'base', 'SOK-1', price({ amount: 999 }));
    await setPrice(ctx.deps, 'base', 'SOK-1', price({ amount: 799, minQuantity: 5 }));
    await setPrice(
      ctx.deps,
      'uk',
      'SOK-1',
      price({ amount: 850, validFrom: '2026-12-24T00:00:00Z', validTo: '2026-12-27T00:00:00Z' }),
    );

    let queries = 0;
    const counting: KyselyPlugin = {
      transformQuery: (args) => {
        queries += 1;
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const candidates = await loadPriceCandidates(ctx.deps.db.withPlugin(counting), [
      'SOK-1',
      'JAS-1',
      'JAS-2',
      'GHOST',
      'JAS-1',
    ]);
    expect(queries).toBe(1);
    expect([...candidates.keys()].sort()).toEqual(['GHOST', 'JAS-1', 'JAS-2', 'SOK-1']);
    expect(candidates.get('JAS-2')).toEqual([]);
    expect(candidates.get('JAS-1')).toEqual([
      {
        priceListId: 'base',
        priority: 0,
        currency: 'EUR',
        listValidFrom: null,
        listValidTo: null,
        minQuantity: 1,
        amount: 13995,
        validFrom: null,
        validTo: null,
      },
      {
        priceListId: 'sale',
        priority: 10,
        currency: 'EUR',
        listValidFrom: '2026-11-30T23:00:00.000Z',
        listValidTo: '2026-12-14T23:00:00.000Z',
        minQuantity: 1,
        amount: 9995,
        validFrom: null,
        validTo: null,
      },
    ]);
    expect(candidates.get('SOK-1')?.map((c) => [c.priceListId, c.currency, c.minQuantity, c.amount])).toEqual(
      [
        ['base', 'EUR', 1, 999],
        ['base', 'EUR', 5, 799],
        ['uk', 'GBP', 1, 850],
      ],
    );

    expect(await getBasePrice(ctx.deps.db, 'JAS-1', { at: at('2026-11-30T22:59:59.999Z') })).toEqual({
      amount: 13995,
      currency: 'EUR',
      priceListId: 'base',
      minQuantity: 1,
      validTo: '2026-11-30T23:00:00.000Z',
    });
    expect(await getBasePrice(ctx.deps.db, 'JAS-1', { at: at('2026-11-30T23:00:00Z') })).toMatchObject({
      amount: 9995,
      priceListId: 'sale',
      validTo: '2026-12-14T23:00:00.000Z',
    });
    expect(await getBasePrice(ctx.deps.db, 'JAS-1', { at: at('2026-12-14T23:00:00Z') })).toMatchObject({
      amount: 13995,
      validTo: null,
    });
    expect(
      await getBasePrice(ctx.deps.db, 'SOK-1', {
        at: at('2026-12-25T00:00:00Z'),
        quantity: 6,
        currency: 'EUR',
      }),
    ).toMatchObject({
      amount: 799,
      minQuantity: 5,
    });
    expect(
      await getBasePrice(ctx.deps.db, 'SOK-1', {
        at: at('2026-12-25T00:00:00Z'),
        quantity: 1,
        currency: 'GBP',
      }),
    ).toMatchObject({
      amount: 850,
      currency: 'GBP',
    });
    expect(
      await getBasePrice(ctx.deps.db, 'SOK-1', {
        at: at('2026-12-28T00:00:00Z'),
        quantity: 1,
        currency: 'GBP',
      }),
    ).toBeNull();
    expect(await getBasePrice(ctx.deps.db, 'JAS-2', { at: at('2026-12-25T00:00:00Z') })).toBeNull();
    expect(await skusSwitchingAt(ctx.deps.db, at('2026-11-30T23:00:00Z'))).toEqual(['JAS-1']);
    expect(await skusSwitchingAt(ctx.deps.db, at('2026-12-24T00:00:00Z'))).toEqual(['SOK-1']);
  });

  it(
    'lets concurrent first writers of one price tier and one ' + 'list all commit, the last revision winning',
    async () => {
      const prices = await Promise.all(
        [101, 102, 103, 104].map((amount) =>
          setPrice(ctx.deps, 'base', 'JAS-2', price({ amount, minQuantity: 2 })),
        ),
      );
      const last = prices.reduce((a, b) => (a.revision > b.revision ? a : b));
      expect((await loadPriceCandidates(ctx.deps.db, ['JAS-2'])).get('JAS-2')?.map((c) => c.amount)).toEqual([
        last.price.amount,
      ]);
      expect(
        (await getPriceHistory(ctx.deps.db, 'JAS-2', { limit: 10 })).changes.map((h) => h.revision),
      ).toEqual(prices.map((p) => p.revision).sort((a, b) => b - a));
      const lists = await Promise.all(
        ['A', 'B', 'C'].map((name) => upsertPriceList(ctx.deps, 'race', list({ name }))),
      );
      expect((await getPriceList(ctx.deps.db, 'race'))?.name).toBe(
        lists.reduce((a, b) => (a.revision > b.revision ? a : b)).priceList.name,
      );
    },
  );

  it('moves the effective price when the list window moves, without touching the price rows', async () => {
    const moved = await upsertPriceList(
      ctx.deps,
      'sale',
      list({
        name: 'Winter sale',
        priority: 10,
        validFrom: '2026-11-25T00:00:00Z',
        validTo: '2026-12-15T00:00:00Z',
      }),
    );
    expect(moved.changed).toBe(true);
    expect(await getBasePrice(ctx.deps.db, 'JAS-1', { at: at('2026-11-26T00:00:00Z') })).toMatchObject({
      amount: 9995,
      validTo: '2026-12-15T00:00:00.000Z',
    });
    expect((await outboxFor('sale')).at(-1)).toMatchObject({
      revision: moved.revision,
      type: 'price-list.changed',
      payload: { priceList: { validFrom: '2026-11-25T00:00:00.000Z' } },
    });
  });
});
