/**
 * What an integrator created, listed and read back through the admin API: channel clients (read, revoked by
 * DELETE or POST …/revoke, never a key or its hash), price lists with their counts, and promotions with their
 * window — and a promotion whose action is wrong is refused naming the wrong field.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setPrice, upsertPriceList, upsertProduct } from '../../backoffice-layer/index.js';
import { startAdminNode, type AdminNode } from '../support/admin-node.js';
import { until, type BackofficeTestContext } from '../support/backoffice.js';

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

let admin: AdminNode;
let ctx: BackofficeTestContext;
beforeAll(async () => {
  admin = await startAdminNode('lists');
  ctx = admin.ctx;
});
afterAll(async () => {
  await admin.close();
});

const call = (method: string, path: string, body?: unknown) => admin.call(method, path, { body });

describe('channel clients', () => {
  const graphqlCode = async (key: string) => {
    const res = await fetch(`http://127.0.0.1:${admin.node.port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: '{ revision }' }),
    });
    const body = (await res.json()) as { errors?: Array<{ extensions: { code: string } }> };
    return body.errors?.[0]?.extensions.code ?? 'OK';
  };

  it(
    'refuses a scope it would not honour (a typo, a limit that is no whole number from 1), ' +
      'naming the forms',
    async () => {
      for (const scope of [
        'customer-token',
        'rate:abc',
        'rate:-5',
        'rate:0',
        'bogus',
        'held-units:',
        'subscriptions:1.5',
      ]) {
        const res = await call('POST', '/clients', { channel: 'WEB', scopes: ['rate:500', scope] });
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('BAD_USER_INPUT');
        expect(res.body.issues).toEqual([
          expect.objectContaining({
            path: 'body.scopes.1',
            message: expect.stringContaining('"customer-tokens", "rate:<n>"'),
          }),
        ]);
      }
      const good = await call('POST', '/clients', {
        channel: 'WEB',
        scopes: ['customer-tokens', 'rate:500', 'subscriptions:20', 'held-units:100'],
      });
      expect(good.status).toBe(201);
    },
  );

  it(
    'reads one client without its key or hash, and revokes it with DELETE (idempotently): the ' +
      'key stops within 5 s',
    async () => {
      const created = await call('POST', '/clients', { name: 'webshop', channel: 'WEB' });
      expect(created.status).toBe(201);
      const { id, key } = created.body as { id: string; key: string };
      expect(await graphqlCode(key)).toBe('OK');
      const one = await call('GET', `/clients/${id}`);
      expect(one.status).toBe(200);
      expect(one.body.client).toMatchObject({
        id,
        name: 'webshop',
        channel: 'WEB',
        locationId: null,
        scopes: [],
        revokedAt: null,
      });
      expect(Object.keys(one.body.client).sort()).toEqual([
        'channel',
        'createdAt',
        'currency',
        'id',
        'locationId',
        'name',
        'revokedAt',
        'scopes',
      ]);
      expect(one.text).not.toContain(key);
      expect((await call('GET', '/clients')).text).not.toMatch(/keyHash|key_hash/);

      const revoked = await call('DELETE', `/clients/${id}`);
      expect(revoked.status).toBe(200);
      expect(revoked.body.client.revokedAt).not.toBeNull();
      const again = await call('DELETE', `/clients/${id}`);
      expect(again.body.client.revokedAt).toBe(revoked.body.client.revokedAt);
      expect((await call('GET', `/clients/${id}`)).body.client.revokedAt).toBe(revoked.body.client.revokedAt);
      await until(
        async () => (await graphqlCode(key)) === 'UNAUTHENTICATED',
        15_000,
        'the revoked client key to be refused',
      );
    },
  );

  it(
    'keeps POST /clients/{id}/revoke working, and answers ' + 'unknown ids 404 and malformed ones 400',
    async () => {
      const { id } = (await call('POST', '/clients', { channel: 'CALL_CENTER' })).body as { id: string };
      expect((await call('POST', `/clients/${id}/revoke`)).body.client.revokedAt).not.toBeNull();
      for (const [method, path] of [
        ['GET', `/clients/${UNKNOWN}`],
        ['DELETE', `/clients/${UNKNOWN}`],
        ['POST', `/clients/${UNKNOWN}/revoke`],
      ] as const) {
        const res = await call(method, path);
        expect(res.status).toBe(404);
        expect(res.body.code).toBe('NOT_FOUND');
      }
      const bad = await call('DELETE', '/clients/nope');
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ code: 'BAD_USER_INPUT', issues: [{ path: 'path.id' }] });
    },
  );
});

describe('price lists', () => {
  it('lists price lists with currency, priority, status and counts, a page at a time', async () => {
    await upsertProduct(ctx.deps, 'LIST-A', {
      name: 'A',
      category: 'coats',
      vatRate: 21,
      attributes: {},
      status: 'ACTIVE',
    });
    await upsertProduct(ctx.deps, 'LIST-B', {
      name: 'B',
      category: 'coats',
      vatRate: 21,
      attributes: {},
      status: 'ACTIVE',
    });
    await upsertPriceList(ctx.deps, 'pl-base', { name: 'Base', currency: 'EUR', priority: 0 });
    await upsertPriceList(ctx.deps, 'pl-sale', {
      name: 'Sale',
      currency: 'EUR',
      priority: 10,
      validFrom: new Date('2099-01-01T00:00:00Z'),
    });
    await upsertPriceList(ctx.deps, 'pl-usd', { name: 'US', currency: 'USD', priority: 0 });
    await setPrice(ctx.deps, 'pl-base', 'LIST-A', { amount: 1000, minQuantity: 1 });
    await setPrice(ctx.deps, 'pl-base', 'LIST-A', { amount: 900, minQuantity: 5 });
    await setPrice(ctx.deps, 'pl-base', 'LIST-B', { amount: 2000, minQuantity: 1 });

    const all = await call('GET', '/price-lists');
    expect(all.status).toBe(200);
    expect(all.body.priceLists.map((l: { id: string }) => l.id)).toEqual(['pl-base', 'pl-sale', 'pl-usd']);
    expect(all.body.priceLists[0]).toMatchObject({
      id: 'pl-base',
      name: 'Base',
      currency: 'EUR',
      priority: 0,
      status: 'ACTIVE',
      prices: 3,
      skus: 2,
      validFrom: null,
    });
    expect(all.body.priceLists[1]).toMatchObject({
      id: 'pl-sale',
      priority: 10,
      status: 'SCHEDULED',
      prices: 0,
      skus: 0,
    });
    expect(all.body.next).toBeNull();

    const first = await call('GET', '/price-lists?limit=2');
    expect(first.body.priceLists).toHaveLength(2);
    expect(first.body.next).toBe('pl-sale');
    const second = await call('GET', `/price-lists?limit=2&after=${first.body.next}`);
    expect(second.body.priceLists.map((l: { id: string }) => l.id)).toEqual(['pl-usd']);
    expect(second.body.next).toBeNull();
    expect(
      (await call('GET', '/price-lists?currency=USD')).body.priceLists.map((l: { id: string }) => l.id),
    ).toEqual(['pl-usd']);

    for (const q of ['limit=0', 'limit=x', 'currency=eur', 'colour=red']) {
      const bad = await call('GET', `/price-lists?${q}`);
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('BAD_USER_INPUT');
    }
  });
});

describe('promotions', () => {
  const rule = (label: string, extra: Record<string, unknown> = {}) => ({
    label,
    action: { kind: 'percentOff', percentBp: 1000 },
    ...extra,
  });

  it('lists promotions with status, window and action, a page at a time, filtered by status', async () => {
    expect((await call('PUT', '/promotions/promo-a', { rule: rule('Ten off') })).status).toBe(200);
    expect(
      (
        await call('PUT', '/promotions/promo-b', {
          rule: rule('Later', { validFrom: '2099-01-01T00:00:00Z' }),
          status: 'PAUSED',
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await call('PUT', '/promotions/promo-c', {
          rule: rule('Over', {
            validFrom: '2020-01-01T00:00:00Z',
            validTo: '2020-02-01T00:00:00Z',
            couponRequired: true,
          }),
          budgetAmount: 5000,
        })
      ).status,
    ).toBe(200);

    const all = await call('GET', '/promotions');
    expect(all.status).toBe(200);
    expect(all.body.promotions.map((p: { id: string }) => p.id)).toEqual(['promo-a', 'promo-b', 'promo-c']);
    expect(all.body.promotions[0]).toMatchObject({
      label: 'Ten off',
      status: 'ACTIVE',
      window: 'RUNNING',
      action: 'percentOff',
      stacking: 'STACKABLE',
      couponRequired: false,
      personal: false,
      budgetAmount: null,
      budgetSpent: 0,
    });
    expect(all.body.promotions[1]).toMatchObject({
      status: 'PAUSED',
      window: 'SCHEDULED',
      validFrom: '2099-01-01T00:00:00.000Z',
    });
    expect(all.body.promotions[2]).toMatchObject({
      window: 'ENDED',
      couponRequired: true,
      budgetAmount: 5000,
    });

    const page = await call('GET', '/promotions?limit=1&after=promo-a');
    expect(page.body.promotions.map((p: { id: string }) => p.id)).toEqual(['promo-b']);
    expect(page.body.next).toBe('promo-b');
    expect(
      (await call('GET', '/promotions?status=PAUSED')).body.promotions.map((p: { id: string }) => p.id),
    ).toEqual(['promo-b']);
    const bad = await call('GET', '/promotions?status=LIVE');
    expect(bad.status).toBe(400);
    expect(bad.body.issues[0].path).toBe('query.status');
  });

  it('refuses a wrong action or condition naming the field, and an unknown kind at its kind', async () => {
    const tooBig = await call('PUT', '/promotions/promo-x', {
      rule: { label: 'x', action: { kind: 'percentOff', percentBp: 20_000 } },
    });
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.code).toBe('BAD_USER_INPUT');
    expect(tooBig.body.issues.map((i: { path: string }) => i.path)).toEqual(['body.rule.action.percentBp']);

    const wrongField = await call('PUT', '/promotions/promo-x', {
      rule: { label: 'x', action: { kind: 'amountOff', percentBp: 100 } },
    });
    expect(wrongField.body.issues.map((i: { path: string }) => i.path).sort()).toEqual([
      'body.rule.action',
      'body.rule.action.amount',
    ]);

    const unknownKind = await call('PUT', '/promotions/promo-x', {
      rule: { label: 'x', action: { kind: 'teleport' } },
    });
    expect(unknownKind.body.issues.map((i: { path: string }) => i.path)).toEqual(['body.rule.action.kind']);

    const condition = await call('PUT', '/promotions/promo-x', {
      rule: {
        label: 'x',
        conditions: [{ kind: 'sku', skus: [] }],
        action: { kind: 'percentOff', percentBp: 100 },
      },
    });
    expect(condition.body.issues.map((i: { path: string }) => i.path)).toEqual([
      'body.rule.conditions.0.skus',
    ]);
    expect((await call('GET', '/promotions/promo-x')).status).toBe(404);
  });
});
