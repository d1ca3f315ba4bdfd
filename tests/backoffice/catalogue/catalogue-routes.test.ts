import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { assertAllRejected, malformedJson, mutated, type FuzzCase } from '../../support/fuzz.js';
import {
  createBackofficeTestContext,
  startAdminApi,
  type AdminClient,
  type BackofficeTestContext,
} from '../../support/backoffice.js';

const coat = {
  name: 'Wollen jas Noord',
  category: 'coats',
  vatRate: 21,
  attributes: { size: 'M', colour: 'navy' },
  status: 'ACTIVE',
};

describe('catalogue and pricing admin routes', () => {
  let ctx: BackofficeTestContext;
  let api: AdminClient;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    api = await startAdminApi(ctx);
  });
  afterAll(async () => {
    await api.close();
    await ctx.close();
  });

  it('creates and updates a product, committing one outbox event per real change', async () => {
    const created = await api.request('PUT', '/admin/v1/products/COAT-NOORD-M', coat);
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      changed: true,
      product: {
        sku: 'COAT-NOORD-M',
        vatRate: 21,
        vatRateBp: 2100,
        attributes: { size: 'M', colour: 'navy' },
      },
    });
    const r1 = created.body.revision as number;
    const event = await ctx.deps.db
      .selectFrom('outbox')
      .select(['type', 'payload'])
      .where('revision', '=', r1)
      .executeTakeFirstOrThrow();
    expect(event).toEqual({
      type: 'product.changed',
      payload: {
        product: {
          sku: 'COAT-NOORD-M',
          name: coat.name,
          category: 'coats',
          attributes: coat.attributes,
          vatRateBp: 2100,
          status: 'ACTIVE',
        },
      },
    });

    const same = await api.request('PUT', '/admin/v1/products/COAT-NOORD-M', coat);
    expect(same.body).toMatchObject({ changed: false, revision: r1 });
    const renamed = await api.request('PUT', '/admin/v1/products/COAT-NOORD-M', {
      ...coat,
      name: 'Wollen jas Noordkust',
      vatRate: 9,
    });
    expect(renamed.body.revision).toBeGreaterThan(r1);
    expect((await api.request('GET', '/admin/v1/products/COAT-NOORD-M')).body.product).toMatchObject({
      name: 'Wollen jas Noordkust',
      vatRate: 9,
      revision: renamed.body.revision,
    });
    expect((await api.request('GET', '/admin/v1/products/NOPE')).status).toBe(404);
  });

  it('lists products with keyset pagination, category filter and search', async () => {
    for (const size of ['S', 'L', 'XL'])
      await api.request('PUT', `/admin/v1/products/COAT-NOORD-${size}`, { ...coat, attributes: { size } });
    await api.request('PUT', '/admin/v1/products/SOCK-1', {
      name: 'Sokken',
      category: 'accessories',
      vatRate: 21,
    });
    const p1 = await api.request('GET', '/admin/v1/products?limit=2&category=coats');
    expect(p1.body.products.map((p: { sku: string }) => p.sku)).toEqual(['COAT-NOORD-L', 'COAT-NOORD-M']);
    const p2 = await api.request('GET', `/admin/v1/products?limit=2&category=coats&after=${p1.body.next}`);
    expect(p2.body.products.map((p: { sku: string }) => p.sku)).toEqual(['COAT-NOORD-S', 'COAT-NOORD-XL']);
    expect(p2.body.next).toBeNull();
    expect(
      (await api.request('GET', '/admin/v1/products?search=sok')).body.products.map(
        (p: { sku: string }) => p.sku,
      ),
    ).toEqual(['SOCK-1']);
  });

  it('manages locations, price lists, tiered prices and keeps the price history', async () => {
    expect(
      (
        await api.request('PUT', '/admin/v1/locations/ams-01', {
          name: 'Amsterdam Kalverstraat',
          kind: 'STORE',
        })
      ).body.location,
    ).toMatchObject({ id: 'ams-01', fulfilsOnline: false });
    expect(
      (await api.request('GET', '/admin/v1/locations')).body.locations.map((l: { id: string }) => l.id),
    ).toEqual(['ams-01']);
    expect(
      (await api.request('PUT', '/admin/v1/price-lists/base-eur', { name: 'Base', currency: 'EUR' })).status,
    ).toBe(200);
    const sale = await api.request('PUT', '/admin/v1/price-lists/sale', {
      name: 'Sale',
      currency: 'EUR',
      priority: 10,
      validFrom: '2026-12-01T00:00:00+01:00',
      validTo: '2026-12-15T00:00:00+01:00',
    });
    expect(sale.body.priceList).toMatchObject({
      validFrom: '2026-11-30T23:00:00.000Z',
      validTo: '2026-12-14T23:00:00.000Z',
    });
    expect(
      (await api.request('PUT', '/admin/v1/price-lists/base-eur/prices/SOCK-1', { amount: 999 })).status,
    ).toBe(200);
    expect(
      (
        await api.request('PUT', '/admin/v1/price-lists/base-eur/prices/SOCK-1', {
          amount: 849,
          minQuantity: 3,
        })
      ).status,
    ).toBe(200);
    expect(
      (await api.request('PUT', '/admin/v1/price-lists/base-eur/prices/SOCK-1', { amount: 899 })).status,
    ).toBe(200);
    const list = await api.request('GET', '/admin/v1/price-lists/base-eur');
    expect(
      list.body.prices.map((p: { minQuantity: number; amount: number }) => [p.minQuantity, p.amount]),
    ).toEqual([
      [1, 899],
      [3, 849],
    ]);
    expect(
      (await api.request('DELETE', '/admin/v1/price-lists/base-eur/prices/SOCK-1?minQuantity=3')).status,
    ).toBe(200);
    expect(
      (await api.request('DELETE', '/admin/v1/price-lists/base-eur/prices/SOCK-1?minQuantity=3')).status,
    ).toBe(404);
    const history = await api.request('GET', '/admin/v1/products/SOCK-1/price-history');
    expect(
      history.body.changes.map((h: { minQuantity: number; amount: number | null }) => [
        h.minQuantity,
        h.amount,
      ]),
    ).toEqual([
      [3, null],
      [1, 899],
      [3, 849],
      [1, 999],
    ]);
    // A currency change of a list that holds prices would silently re-denominate them.
    expect(
      (await api.request('PUT', '/admin/v1/price-lists/base-eur', { name: 'Base', currency: 'GBP' })).body
        .code,
    ).toBe('CONFLICT');
    expect(
      (await api.request('PUT', '/admin/v1/price-lists/base-eur/prices/NOPE', { amount: 1 })).status,
    ).toBe(404);
    expect((await api.request('PUT', '/admin/v1/price-lists/nope/prices/SOCK-1', { amount: 1 })).status).toBe(
      404,
    );
  });

  it(
    'B1: rejects malformed, wrong-typed, negative, huge and unknown inputs with 4xx problems and ' +
      'writes nothing',
    async () => {
      const code = fc.oneof(
        fc.constant('bad sku'),
        fc.constant('-x'),
        fc.constant('x'.repeat(65)),
        fc.constant('%00'),
        fc.constant('a/b'),
      );
      const priceBody = {
        amount: 1299,
        minQuantity: 1,
        validFrom: '2026-12-01T00:00:00Z',
        validTo: '2026-12-02T00:00:00Z',
      };
      const cases: fc.Arbitrary<FuzzCase> = fc.oneof(
        mutated(coat)
          .filter((b) => !isValidProduct(b))
          .map((body) => ({ method: 'PUT', path: '/admin/v1/products/COAT-FUZZ', body })),
        code.map((c) => ({ method: 'PUT', path: `/admin/v1/products/${encodeURIComponent(c)}`, body: coat })),
        malformedJson.map((raw) => ({ method: 'PUT', path: '/admin/v1/products/COAT-FUZZ', raw })),
        mutated({ name: 'L', kind: 'STORE', fulfilsOnline: true })
          .filter((b) => !isValidLocation(b))
          .map((body) => ({ method: 'PUT', path: '/admin/v1/locations/fuzz-1', body })),
        mutated({ name: 'PL', currency: 'EUR', priority: 1 })
          .filter((b) => !isValidList(b))
          .map((body) => ({ method: 'PUT', path: '/admin/v1/price-lists/fuzz-list', body })),
        mutated(priceBody)
          .filter((b) => !isValidPrice(b))
          .map((body) => ({ method: 'PUT', path: '/admin/v1/price-lists/base-eur/prices/SOCK-1', body })),
        fc.constant({
          method: 'PUT',
          path: '/admin/v1/price-lists/base-eur/prices/SOCK-1',
          body: { amount: 100, validFrom: '2026-12-02T00:00:00Z', validTo: '2026-12-01T00:00:00Z' },
        }),
        fc.constant({
          method: 'PUT',
          path: '/admin/v1/price-lists/base-eur/prices/UNKNOWN-SKU',
          body: { amount: 100 },
        }),
        fc
          .constantFrom('?limit=0', '?limit=-1', '?limit=abc', '?limit=100000', '?after=%20', '?bogus=1')
          .map((q) => ({ method: 'GET', path: `/admin/v1/products${q}` })),
        fc
          .constantFrom('?minQuantity=0', '?minQuantity=x', '?minQuantity=99')
          .map((q) => ({ method: 'DELETE', path: `/admin/v1/price-lists/base-eur/prices/SOCK-1${q}` })),
      );
      await assertAllRejected(ctx, api, cases, 300);
    },
  );
});

// The generators mutate valid bodies; a mutation can by chance still be valid (e.g. removing an optional
// field).
function isValidProduct(b: unknown): boolean {
  const o = b as Record<string, unknown>;
  return (
    !!o &&
    typeof o === 'object' &&
    !Array.isArray(o) &&
    typeof o.name === 'string' &&
    o.name.trim().length > 0 &&
    o.name.length <= 200 &&
    typeof o.category === 'string' &&
    o.category.trim().length > 0 &&
    o.category.length <= 100 &&
    typeof o.vatRate === 'number' &&
    o.vatRate >= 0 &&
    o.vatRate <= 100 &&
    Object.keys(o).every((k) => ['name', 'category', 'vatRate', 'attributes', 'status'].includes(k)) &&
    (o.attributes === undefined ||
      (typeof o.attributes === 'object' && o.attributes !== null && !Array.isArray(o.attributes))) &&
    (o.status === undefined || ['ACTIVE', 'INACTIVE', 'DISCONTINUED'].includes(o.status as string))
  );
}
function isValidLocation(b: unknown): boolean {
  const o = b as Record<string, unknown>;
  return (
    !!o &&
    typeof o === 'object' &&
    !Array.isArray(o) &&
    typeof o.name === 'string' &&
    o.name.trim().length > 0 &&
    o.name.length <= 200 &&
    ['WAREHOUSE', 'STORE'].includes(o.kind as string) &&
    (o.fulfilsOnline === undefined || typeof o.fulfilsOnline === 'boolean') &&
    Object.keys(o).every((k) => ['name', 'kind', 'fulfilsOnline'].includes(k))
  );
}
function isValidList(b: unknown): boolean {
  const o = b as Record<string, unknown>;
  return (
    !!o &&
    typeof o === 'object' &&
    !Array.isArray(o) &&
    typeof o.name === 'string' &&
    o.name.trim().length > 0 &&
    o.name.length <= 200 &&
    o.currency === 'EUR' &&
    (o.priority === undefined ||
      (Number.isInteger(o.priority) && Math.abs(o.priority as number) <= 1_000_000)) &&
    Object.keys(o).every((k) => ['name', 'currency', 'priority'].includes(k))
  );
}
function isValidPrice(b: unknown): boolean {
  const o = b as Record<string, unknown>;
  return (
    !!o &&
    typeof o === 'object' &&
    !Array.isArray(o) &&
    Number.isInteger(o.amount) &&
    (o.amount as number) >= 0 &&
    (o.amount as number) <= 1_000_000_000 &&
    (o.minQuantity === undefined ||
      (Number.isInteger(o.minQuantity) &&
        (o.minQuantity as number) >= 1 &&
        (o.minQuantity as number) <= 1_000_000)) &&
    Object.keys(o).every((k) => ['amount', 'minQuantity', 'validFrom', 'validTo'].includes(k)) &&
    (o.validFrom === undefined || o.validFrom === null || o.validFrom === '2026-12-01T00:00:00Z') &&
    (o.validTo === undefined || o.validTo === null || o.validTo === '2026-12-02T00:00:00Z')
  );
}
