/**
 * GET /admin/v1/data-quality over real HTTP: one bad and one good example of each check, each check's count,
 * score, population and items; each bad example fixed through the hub's own API clears its check; bad query
 * parameters are refused (problem+json) and a channel client key is not an admin key.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createChannelClient } from '../../channel-layer/index.js';
import {
  enrollCustomer,
  eraseCustomer,
  mergeCustomers,
  updateCustomerProfile,
} from '../../journey-layer/index.js';
import { createBackofficeTestContext, startAdminApi, type AdminClient } from '../support/backoffice.js';
import type { BackofficeTestContext } from '../support/backoffice.js';
import { ManualClock } from '../support/test-context.js';

const DAY = 86_400_000;
const T0 = new Date('2026-10-01T10:00:00Z');
const NOW = new Date(T0.getTime() + 40 * DAY);
const clock = new ManualClock(T0);
let ctx: BackofficeTestContext;
let api: AdminClient;
const ids: Record<string, string> = {};

interface Check {
  id: string;
  title: string;
  count: number;
  score: number;
  population: number;
  items: Array<{ keys: Record<string, string>; problem: string }>;
}

async function report(query = ''): Promise<Record<string, Check>> {
  const res = await api.request('GET', `/admin/v1/data-quality${query}`);
  expect(res.status).toBe(200);
  expect(res.body.at).toBe(clock.now().toISOString());
  return Object.fromEntries((res.body.checks as Check[]).map((c) => [c.id, c]));
}

async function ok(method: string, path: string, body?: unknown): Promise<void> {
  const res = await api.request(method, `/admin/v1${path}`, body);
  expect({ path, status: res.status, body: res.body }).toMatchObject({ status: 200 });
}

const enrol = async (input: Parameters<typeof enrollCustomer>[1]) =>
  (await enrollCustomer(ctx.deps, input, { channel: 'ADMIN', idempotencyKey: randomUUID() })).customer.id;

const product = (status = 'ACTIVE') => ({
  name: 'Jas',
  category: 'coats',
  vatRate: 21,
  attributes: {},
  status,
});
const promotion = (stacking: string, conditions: unknown[]) => ({
  rule: { label: `Promo ${stacking}`, stacking, conditions, action: { kind: 'percentOff', percentBp: 1000 } },
});

beforeAll(async () => {
  ctx = await createBackofficeTestContext({ clock });
  api = await startAdminApi(ctx);
  await ok('PUT', '/locations/wh-1', { name: 'Warehouse', kind: 'WAREHOUSE', fulfilsOnline: true });
  await ok('PUT', '/locations/ams-01', { name: 'Amsterdam', kind: 'STORE', fulfilsOnline: false });
  await ok('PUT', '/locations/utr-01', { name: 'Utrecht', kind: 'STORE', fulfilsOnline: false });
  for (const sku of ['GOOD', 'NOPRICE', 'NOSTOCK', 'ENDING']) await ok('PUT', `/products/${sku}`, product());
  await ok('PUT', '/products/RETIRED', product('DISCONTINUED'));
  // Counted 40 days before NOW: stale by then.
  await ok('PUT', '/stock/GOOD/wh-1', { onHand: 5 });
  clock.set(NOW);
  await ok('PUT', '/stock/NOPRICE/wh-1', { onHand: 3 });
  await ok('PUT', '/stock/ENDING/wh-1', { onHand: 2 });
  await ok('PUT', '/price-lists/eur', { name: 'Euro', currency: 'EUR' });
  for (const sku of ['GOOD', 'NOSTOCK']) await ok('PUT', `/price-lists/eur/prices/${sku}`, { amount: 999 });
  await ok('PUT', '/price-lists/eur/prices/ENDING', {
    amount: 1999,
    validTo: new Date(NOW.getTime() + 10 * DAY).toISOString(),
  });

  ids.anna = await enrol({ displayName: 'Anna de Vries', email: 'anna@example.nl' });
  ids.anna2 = await enrol({ displayName: 'ANNA DE VRIÉS', email: 'devries@example.nl' });
  for (const id of [ids.anna, ids.anna2])
    await updateCustomerProfile(ctx.deps, id!, { attributes: { homeStore: 'ams-01' } }, 'ADMIN');
  ids.bram = await enrol({ displayName: 'Bram Jansen', email: 'bram.jansen+shop@example.nl' });
  ids.bram2 = await enrol({ displayName: 'bram jansen', email: 'bramjansen@example.nl' });
  // Same name, other store and other e-mail: not a candidate.
  ids.dirk = await enrol({ displayName: 'Dirk Smit', email: 'dirk@example.nl' });
  ids.dirk2 = await enrol({ displayName: 'Dirk Smit', email: 'dirk.smit@example.com' });
  await updateCustomerProfile(ctx.deps, ids.dirk, { attributes: { homeStore: 'ams-01' } }, 'ADMIN');
  await updateCustomerProfile(ctx.deps, ids.dirk2, { attributes: { homeStore: 'utr-01' } }, 'ADMIN');
  // An identifier stored before today's rules (no API writes one): a phone number that is not one.
  ids.carla = await enrol({ displayName: 'Carla Bos', email: 'carla@example.nl' });
  await sql`INSERT INTO customer_identifiers (kind, value, customer_id, channel, created_at)
    VALUES ('PHONE', 'nope', ${ids.carla}, 'ADMIN', ${NOW})`.execute(ctx.deps.db);

  await ok('PUT', '/promotions/p-excl', promotion('EXCLUSIVE', [{ kind: 'sku', skus: ['GOOD'] }]));
  await ok(
    'PUT',
    '/promotions/p-stack',
    promotion('STACKABLE', [{ kind: 'sku', skus: ['NOSTOCK', 'GOOD'] }]),
  );
  await ok(
    'PUT',
    '/promotions/p-shoes',
    promotion('EXCLUSIVE_ALL', [{ kind: 'category', categories: ['shoes'] }]),
  );
});
afterAll(async () => {
  await api?.close();
  await ctx?.close();
});

describe('GET /admin/v1/data-quality', () => {
  it('answers every check in a fixed order with count, score, population and items', async () => {
    const res = await api.request('GET', '/admin/v1/data-quality');
    expect(res.status).toBe(200);
    expect((res.body.checks as Check[]).map((c) => c.id)).toEqual([
      'product-without-price',
      'price-without-stock',
      'negative-stock',
      'stale-stock-count',
      'reserved-above-on-hand',
      'price-schedule-gap',
      'duplicate-profile-candidates',
      'invalid-identifier',
      'conflicting-promotions',
    ]);
    const c = await report();
    const problem = expect.any(String);
    expect(c['product-without-price']).toMatchObject({
      count: 1,
      population: 4,
      score: 75,
      items: [{ keys: { sku: 'NOPRICE' }, problem: expect.stringContaining('EUR') }],
    });
    expect(c['price-without-stock']).toMatchObject({
      count: 1,
      population: 3,
      score: 66,
      items: [{ keys: { sku: 'NOSTOCK' }, problem }],
    });
    expect(c['negative-stock']).toMatchObject({ count: 0, population: 3, score: 100, items: [] });
    expect(c['stale-stock-count']).toMatchObject({
      count: 1,
      population: 3,
      score: 66,
      items: [{ keys: { sku: 'GOOD', locationId: 'wh-1' }, problem: 'last counted 2026-10-01T10:00:00Z' }],
    });
    expect(c['reserved-above-on-hand']).toMatchObject({ count: 0, population: 3, score: 100, items: [] });
    expect(c['price-schedule-gap']).toMatchObject({
      count: 1,
      population: 1,
      score: 0,
      items: [{ keys: { priceListId: 'eur', sku: 'ENDING', minQuantity: '1' }, problem }],
    });
    const pair = (a: string, b: string) =>
      a < b ? { customerId: a, otherCustomerId: b } : { customerId: b, otherCustomerId: a };
    const dup = c['duplicate-profile-candidates']!;
    expect(dup).toMatchObject({ count: 2, population: 7, score: 42 });
    expect(dup.items).toEqual(
      expect.arrayContaining([
        { keys: pair(ids.anna!, ids.anna2!), problem: 'same name and home store' },
        { keys: pair(ids.bram!, ids.bram2!), problem: 'same name and e-mail (ignoring dots and +tags)' },
      ]),
    );
    expect(JSON.stringify(dup)).not.toMatch(/@/);
    expect(c['invalid-identifier']).toMatchObject({
      count: 1,
      population: 8,
      score: 87,
      items: [{ keys: { customerId: ids.carla, kind: 'PHONE' }, problem: expect.stringContaining('phone') }],
    });
    expect(JSON.stringify(c['invalid-identifier'])).not.toMatch(/nope/);
    expect(c['conflicting-promotions']).toMatchObject({
      count: 1,
      population: 3,
      score: 33,
      items: [
        {
          keys: { promotionId: 'p-excl', otherPromotionId: 'p-stack' },
          problem: 'windows overlap on the same SKUs and p-excl is EXCLUSIVE',
        },
      ],
    });
  });

  it('honours limit and staleDays', async () => {
    const c = await report('?limit=1&staleDays=50');
    expect(c['stale-stock-count']).toMatchObject({ count: 0, score: 100, items: [] });
    expect(c['duplicate-profile-candidates']).toMatchObject({ count: 2 });
    expect(c['duplicate-profile-candidates']!.items).toHaveLength(1);
  });

  it('clears each check when its bad example is fixed through the API', async () => {
    await ok('PUT', '/price-lists/eur/prices/NOPRICE', { amount: 500 });
    await ok('PUT', '/stock/NOSTOCK/ams-01', { onHand: 4 });
    await ok('PUT', '/stock/GOOD/wh-1', { onHand: 6 });
    await ok('PUT', '/price-lists/eur/prices/ENDING', { amount: 1999, validTo: null });
    await updateCustomerProfile(ctx.deps, ids.anna2!, { displayName: 'Anna Bakker' }, 'ADMIN');
    await mergeCustomers(ctx.deps, { survivorId: ids.bram!, mergedId: ids.bram2! }, 'ADMIN');
    await eraseCustomer(ctx.deps, ids.carla!, 'test');
    await ok('DELETE', '/promotions/p-stack');
    const c = await report();
    for (const check of Object.values(c))
      expect({ id: check.id, count: check.count, items: check.items }).toEqual({
        id: check.id,
        count: 0,
        items: [],
      });
    expect(c['product-without-price']).toMatchObject({ population: 4, score: 100 });
    expect(c['price-without-stock']).toMatchObject({ population: 4, score: 100 });
    expect(c['price-schedule-gap']).toMatchObject({ population: 0, score: 100 });
    expect(c['conflicting-promotions']).toMatchObject({ population: 2, score: 100 });
  });

  it('refuses the DB a row that negative-stock or reserved-above-on-hand would catch', async () => {
    for (const set of [sql`on_hand = -1`, sql`reserved = on_hand + 1`])
      await expect(
        sql`UPDATE stock_levels SET ${set} WHERE sku = 'GOOD'`.execute(ctx.deps.db),
      ).rejects.toThrow(/check constraint/);
  });

  it('refuses bad query parameters with problem+json', async () => {
    for (const q of ['limit=0', 'limit=101', 'limit=abc', 'staleDays=0', 'other=1']) {
      const res = await api.request('GET', `/admin/v1/data-quality?${q}`);
      expect({ q, status: res.status }).toEqual({ q, status: 400 });
      expect(res.contentType).toMatch(/application\/problem\+json/);
      expect(res.body.code).toBe('BAD_USER_INPUT');
    }
  });

  it('refuses a channel client key', async () => {
    const web = await createChannelClient(ctx.deps.db, { channel: 'WEB', scopes: [] }, NOW);
    const res = await api.request('GET', '/admin/v1/data-quality', undefined, {
      authorization: `Bearer ${web.key}`,
    });
    expect([401, 403]).toContain(res.status);
    expect(res.body.checks).toBeUndefined();
  });
});
