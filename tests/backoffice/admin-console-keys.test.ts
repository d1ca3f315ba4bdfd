/**
 * CONSOLE client keys on the admin REST API, over real HTTP on a whole API node: a key reaches the routes of
 * the console areas its scopes open (`console:<area>`, `console:<area>:write`) at the locations it holds
 * (`location:<id>`), and nothing else; `GET /admin/v1/session` says who a key is, for either kind; the audit
 * trail names a console key `client:<id>`; bad scopes are refused when the client is issued.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  commitReservation,
  getOrder,
  reserveStock,
  upsertPriceList,
  setPrice,
} from '../../backoffice-layer/index.js';
import { CONSOLE_AREAS } from '../../shared/index.js';
import { startAdminNode, type AdminNode } from '../support/admin-node.js';
import { givenCatalogue } from './stock/fixtures.js';

let admin: AdminNode;
/** Orders with one fulfilment each, at Amsterdam and at Utrecht. */
const orders: Record<'ams' | 'utr', { orderId: string; fulfilmentId: string }> = {} as never;

/** Issues a CONSOLE client with `scopes` through the admin API; answers its id and key. */
async function consoleKey(name: string, scopes: string[]): Promise<{ id: string; key: string }> {
  const res = await admin.call('POST', '/clients', { body: { name, channel: 'CONSOLE', scopes } });
  expect(res.status).toBe(201);
  return res.body as { id: string; key: string };
}

/** An online order of one COAT-M from `locationId`, with its one fulfilment there. */
async function orderAt(locationId: string): Promise<{ orderId: string; fulfilmentId: string }> {
  const lines = [{ sku: 'COAT-M', locationId, quantity: 1 }];
  const r = await reserveStock(admin.ctx.deps, { lines, channel: 'WEB' }, randomUUID());
  const order = await commitReservation(
    admin.ctx.deps,
    {
      reservationId: r.reservation.id,
      currency: 'EUR',
      customerRef: null,
      channel: 'WEB',
      lines: lines.map((l) => ({ ...l, unitAmount: 1000, lineAmount: 1000 })),
    },
    randomUUID(),
  );
  const fulfilmentId = (await getOrder(admin.ctx.deps.db, order.orderId))!.fulfilments[0]!.id;
  return { orderId: order.orderId, fulfilmentId };
}

beforeAll(async () => {
  admin = await startAdminNode('console test');
  await givenCatalogue(admin.ctx, ['COAT-M'], ['ams-01', 'utr-01', 'wh-1'], {
    'COAT-M@ams-01': 50,
    'COAT-M@utr-01': 50,
    'COAT-M@wh-1': 50,
  });
  await upsertPriceList(admin.ctx.deps, 'base', { name: 'Base', currency: 'EUR', priority: 0 });
  await setPrice(admin.ctx.deps, 'base', 'COAT-M', { amount: 12995, minQuantity: 1 });
  orders.ams = await orderAt('ams-01');
  orders.utr = await orderAt('utr-01');
});
afterAll(async () => {
  await admin?.close();
});

describe('GET /admin/v1/session', () => {
  it('answers an admin key: every area with write, every location', async () => {
    const res = await admin.call('GET', '/session');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      kind: 'ADMIN',
      name: 'console test',
      areas: CONSOLE_AREAS.map((area) => ({ area, write: true })),
      locations: null,
    });
  });

  it('answers a CONSOLE key: its areas (write wins over read) and locations, sorted', async () => {
    const c = await consoleKey('Store Utrecht', [
      'console:orders',
      'console:stock:write',
      'console:orders:write',
      'location:utr-01',
      'location:ams-01',
      'rate:50',
    ]);
    const res = await admin.call('GET', '/session', { key: c.key });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      kind: 'CONSOLE',
      name: 'Store Utrecht',
      clientId: c.id,
      areas: [
        { area: 'orders', write: true },
        { area: 'stock', write: true },
      ],
      locations: ['ams-01', 'utr-01'],
    });
  });

  it('is in the OpenAPI document as getSession', async () => {
    const doc = (await admin.call('GET', '/openapi.json')).body;
    expect(doc.paths['/admin/v1/session'].get.operationId).toBe('getSession');
  });
});

describe('a CONSOLE key reaches the routes of its areas only', () => {
  it('console:dashboard reads the KPIs, not data quality nor prices, and changes no price', async () => {
    const c = await consoleKey('dashboard', ['console:dashboard']);
    expect((await admin.call('GET', '/kpis', { key: c.key })).status).toBe(200);
    // Reference data: any console key with an area.
    expect((await admin.call('GET', '/products', { key: c.key })).status).toBe(200);
    expect((await admin.call('GET', '/locations', { key: c.key })).status).toBe(200);
    const quality = await admin.call('GET', '/data-quality', { key: c.key });
    expect(quality.status).toBe(403);
    expect(quality.body).toMatchObject({ code: 'FORBIDDEN', area: 'quality' });
    expect((await admin.call('GET', '/price-lists', { key: c.key })).status).toBe(403);
    const put = await admin.call('PUT', '/price-lists/base/prices/COAT-M', {
      key: c.key,
      body: { amount: 1 },
    });
    expect(put.status).toBe(403);
    const price = await admin.call('GET', '/price-lists/base');
    expect(JSON.stringify(price.body)).not.toMatch(/"amount":1\b/);
  });

  it('console:prices reads prices; console:prices:write changes one, on record as client:<id>', async () => {
    const reader = await consoleKey('price reader', ['console:prices']);
    expect((await admin.call('GET', '/price-lists/base', { key: reader.key })).status).toBe(200);
    const refused = await admin.call('PUT', '/price-lists/base/prices/COAT-M', {
      key: reader.key,
      body: { amount: 11995 },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toMatch(/console:prices:write/);

    const writer = await consoleKey('price desk', ['console:prices:write']);
    const put = await admin.call('PUT', '/price-lists/base/prices/COAT-M', {
      key: writer.key,
      body: { amount: 11995 },
    });
    expect(put.status).toBe(200);
    const audit = await admin.call('GET', '/audit?limit=1000');
    const entries = (audit.body.entries as Array<{ actor: string; action: string; details: unknown }>).filter(
      (e) => e.action === 'PUT /price-lists/:id/prices/:sku',
    );
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      actor: `client:${writer.id}`,
      details: { clientId: writer.id, clientName: 'price desk' },
    });
  });

  it('location:ams-01 with console:orders lists and reads Amsterdam orders, not Utrecht ones', async () => {
    const c = await consoleKey('Amsterdam orders', ['console:orders', 'location:ams-01']);
    const list = await admin.call('GET', '/orders?locationId=ams-01', { key: c.key });
    expect(list.status).toBe(200);
    expect(list.body.orders.map((o: { id: string }) => o.id)).toEqual([orders.ams.orderId]);
    expect((await admin.call('GET', `/orders/${orders.ams.orderId}`, { key: c.key })).status).toBe(200);

    const all = await admin.call('GET', '/orders', { key: c.key });
    expect(all.status).toBe(403);
    expect(all.body.detail).toMatch(/locationId/);
    expect((await admin.call('GET', '/orders?locationId=utr-01', { key: c.key })).status).toBe(403);
    const other = await admin.call('GET', `/orders/${orders.utr.orderId}`, { key: c.key });
    expect(other.status).toBe(403);
    expect(other.text).not.toMatch(/utr-01/);
    // A read key does not act.
    const event = await admin.call('POST', `/fulfilments/${orders.ams.fulfilmentId}/events`, {
      key: c.key,
      body: { status: 'PICKING' },
      headers: { 'idempotency-key': randomUUID() },
    });
    expect(event.status).toBe(403);
  });

  it('console:orders:write acts on its own location’s fulfilments only, on record as CONSOLE', async () => {
    const c = await consoleKey('Amsterdam desk', ['console:orders:write', 'location:ams-01']);
    const post = (fulfilmentId: string) =>
      admin.call('POST', `/fulfilments/${fulfilmentId}/events`, {
        key: c.key,
        body: { status: 'PICKING' },
        headers: { 'idempotency-key': randomUUID() },
      });
    const refused = await post(orders.utr.fulfilmentId);
    expect(refused.status).toBe(403);
    expect((await getOrder(admin.ctx.deps.db, orders.utr.orderId))!.fulfilments[0]!.status).toBe('PENDING');
    const cancel = await admin.call('POST', `/orders/${orders.utr.orderId}/cancel`, {
      key: c.key,
      body: {},
      headers: { 'idempotency-key': randomUUID() },
    });
    expect(cancel.status).toBe(403);

    const ok = await post(orders.ams.fulfilmentId);
    expect(ok.status).toBe(200);
    const order = (await getOrder(admin.ctx.deps.db, orders.ams.orderId))!;
    expect(order.fulfilments[0]!.status).toBe('PICKING');
    expect(order.history.at(-1)).toMatchObject({ actor: `client:${c.id}`, channel: 'CONSOLE' });
  });

  it('console:stock:write counts stock at its own locations only; reads levels everywhere', async () => {
    const c = await consoleKey('Amsterdam stock', ['console:stock:write', 'location:ams-01']);
    expect((await admin.call('GET', '/stock/COAT-M', { key: c.key })).status).toBe(200);
    const count = (locationId: string) =>
      admin.call('PUT', `/stock/COAT-M/${locationId}`, { key: c.key, body: { onHand: 40 } });
    expect((await count('utr-01')).status).toBe(403);
    expect((await count('ams-01')).status).toBe(200);
    const moves = (movements: Array<Record<string, unknown>>) =>
      admin.call('POST', '/stock/movements', {
        key: c.key,
        body: { movements },
        headers: { 'idempotency-key': randomUUID() },
      });
    const found = (locationId: string) => ({
      kind: 'ADJUSTMENT',
      sku: 'COAT-M',
      locationId,
      delta: 1,
      reason: 'found',
    });
    const mixed = await moves([found('ams-01'), found('utr-01')]);
    expect(mixed.status).toBe(403);
    expect(mixed.body).toMatchObject({ code: 'FORBIDDEN', locationId: 'utr-01' });
    // A transfer touches both ends.
    const transfer = await moves([
      { kind: 'TRANSFER', sku: 'COAT-M', from: 'utr-01', to: 'ams-01', quantity: 1 },
    ]);
    expect(transfer.status).toBe(403);
    expect(transfer.body).toMatchObject({ code: 'FORBIDDEN', locationId: 'utr-01' });
    expect((await moves([found('ams-01')])).status).toBe(200);
    const levels = await admin.call('GET', '/stock/COAT-M');
    const onHand = (id: string) =>
      levels.body.levels.find((l: { locationId: string }) => l.locationId === id)?.onHand;
    expect([onHand('ams-01'), onHand('utr-01')]).toEqual([41, 50]);
  });

  it('refuses a console key every route outside the console table', async () => {
    const c = await consoleKey('everything', [
      ...CONSOLE_AREAS.map((a) => `console:${a}:write`),
      'location:ams-01',
    ]);
    for (const [method, path, body] of [
      ['GET', '/clients'],
      ['POST', '/clients', { name: 'rogue', channel: 'CONSOLE', scopes: ['console:audit'] }],
      ['GET', '/admin-keys'],
      ['POST', '/admin-keys', { name: 'rogue' }],
      ['GET', '/imports'],
      ['GET', '/sourcing'],
      ['PUT', '/products/COAT-M', { name: 'x', category: 'coats', vatRate: 21, attributes: {} }],
      ['GET', '/openapi.json'],
    ] as const) {
      const res = await admin.call(method, path, { key: c.key, ...(body ? { body } : {}) });
      expect(`${method} ${path}: ${res.status} ${res.body?.code}`).toBe(`${method} ${path}: 403 FORBIDDEN`);
    }
    expect((await admin.call('GET', '/clients')).body.clients).toHaveLength(
      (await admin.ctx.deps.db.selectFrom('channelClients').select('id').execute()).length,
    );
  });

  it('gives a bare CONSOLE key no admin route but its session; other channels none', async () => {
    const bare = await consoleKey('bare console', []);
    expect((await admin.call('GET', '/products', { key: bare.key })).status).toBe(403);
    expect((await admin.call('GET', '/kpis', { key: bare.key })).status).toBe(403);
    expect((await admin.call('GET', '/session', { key: bare.key })).body).toEqual({
      kind: 'CONSOLE',
      name: 'bare console',
      clientId: bare.id,
      areas: [],
      locations: null,
    });
    const web = await admin.call('POST', '/clients', { body: { channel: 'WEB', scopes: [] } });
    const refused = await admin.call('GET', '/session', { key: web.body.key });
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toMatch(/not a valid admin key/);
  });
});

describe('console scopes when a client is issued', () => {
  it('refuses console scopes on other channels and malformed ones, naming each', async () => {
    const issue = (body: Record<string, unknown>) => admin.call('POST', '/clients', { body });
    const clients = async () =>
      (await admin.ctx.deps.db.selectFrom('channelClients').select('id').execute()).length;
    const before = await clients();
    for (const [body, path] of [
      [{ channel: 'WEB', scopes: ['console:orders'] }, 'body.scopes.0'],
      [{ channel: 'CALL_CENTER', scopes: ['rate:10', 'location:ams-01'] }, 'body.scopes.1'],
      [{ channel: 'CONSOLE', scopes: ['console:payroll'] }, 'body.scopes.0'],
      [{ channel: 'CONSOLE', scopes: ['console:orders:read'] }, 'body.scopes.0'],
      [{ channel: 'CONSOLE', scopes: ['console:orders:write:now'] }, 'body.scopes.0'],
      [{ channel: 'CONSOLE', scopes: ['location:'] }, 'body.scopes.0'],
      [{ channel: 'CONSOLE', scopes: ['console:Orders'] }, 'body.scopes.0'],
    ] as const) {
      const res = await issue(body);
      expect(`${JSON.stringify(body)}: ${res.status} ${res.body.code}`).toBe(
        `${JSON.stringify(body)}: 400 BAD_USER_INPUT`,
      );
      expect(res.body.issues.map((i: { path: string }) => i.path)).toContain(path);
    }
    const unknown = await issue({ channel: 'CONSOLE', scopes: ['console:stock', 'location:nowhere'] });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 'NOT_FOUND', locationId: 'nowhere' });
    // Nothing refused was issued.
    expect(await clients()).toBe(before);
  });
});
