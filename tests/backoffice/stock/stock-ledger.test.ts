/**
 * `GET /admin/v1/stock/{sku}/movements`, over real HTTP on a whole API node: a SKU's movement ledger per
 * location, newest first, each entry with its deltas, the level after it, its reference and — for admin
 * writes — who made it; keyset pages; console keys reach it with `console:stock`, a location-scoped key at
 * its own locations only.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { recordStoreSale } from '../../../backoffice-layer/index.js';
import { startAdminNode, type AdminNode } from '../../support/admin-node.js';
import { givenCatalogue } from './fixtures.js';

interface Entry {
  id: number;
  at: string;
  locationId: string;
  kind: string;
  reason: string | null;
  onHandDelta: number;
  reservedDelta: number;
  safetyStockDelta: number;
  onHandAfter: number;
  reservedAfter: number;
  safetyStockAfter: number;
  reference: string | null;
  actor: string | null;
  revision: number;
}

let admin: AdminNode;
let saleOrderId: string;
const ADMIN_ACTOR = 'admin:ledger test';

/** Issues a CONSOLE client with `scopes` through the admin API; answers its key. */
async function consoleKey(name: string, scopes: string[]): Promise<string> {
  const res = await admin.call('POST', '/clients', { body: { name, channel: 'CONSOLE', scopes } });
  expect(res.status).toBe(201);
  return (res.body as { key: string }).key;
}

/** The ledger entries' kind, deltas on hand and on hand after, newest first. */
const brief = (entries: Entry[]) =>
  entries.map((e) => [e.locationId, e.kind, e.onHandDelta, e.onHandAfter] as const);

beforeAll(async () => {
  admin = await startAdminNode('ledger test');
  await givenCatalogue(admin.ctx, ['COAT-M', 'SOCK-1'], ['wh-1', 'ams-01', 'utr-01']);
  const move = async (movements: Array<Record<string, unknown>>) => {
    const res = await admin.call('POST', '/stock/movements', {
      body: { movements },
      headers: { 'idempotency-key': randomUUID() },
    });
    expect(res.status).toBe(200);
  };
  await move([{ kind: 'RECEIPT', sku: 'COAT-M', locationId: 'wh-1', quantity: 10, reference: 'PO-77' }]);
  await move([{ kind: 'ADJUSTMENT', sku: 'COAT-M', locationId: 'wh-1', delta: -1, reason: 'damaged' }]);
  await move([{ kind: 'TRANSFER', sku: 'COAT-M', from: 'wh-1', to: 'ams-01', quantity: 3 }]);
  const count = await admin.call('PUT', '/stock/COAT-M/ams-01', { body: { onHand: 5, safetyStock: 1 } });
  expect(count.status).toBe(200);
  // Another SKU's movement is not in COAT-M's ledger.
  await move([{ kind: 'RECEIPT', sku: 'SOCK-1', locationId: 'ams-01', quantity: 4 }]);
  const sale = await recordStoreSale(
    admin.ctx.deps,
    { locationId: 'ams-01', currency: 'EUR', lines: [{ sku: 'COAT-M', quantity: 2, unitAmount: 12995 }] },
    randomUUID(),
  );
  saleOrderId = sale.orderId;
});
afterAll(async () => {
  await admin?.close();
});

describe('GET /admin/v1/stock/{sku}/movements', () => {
  it('lists receipt, adjustment, transfer, count and sale newest first, with the levels after', async () => {
    const ams = await admin.call('GET', '/stock/COAT-M/movements?locationId=ams-01');
    expect(ams.status).toBe(200);
    expect(ams.body.sku).toBe('COAT-M');
    expect(ams.body.next).toBeNull();
    const entries = ams.body.movements as Entry[];
    expect(brief(entries)).toEqual([
      ['ams-01', 'SALE', -2, 3],
      ['ams-01', 'COUNT', 2, 5],
      ['ams-01', 'TRANSFER_IN', 3, 3],
    ]);
    const [sale, count, transferIn] = entries as [Entry, Entry, Entry];
    expect(sale).toMatchObject({ reference: saleOrderId, actor: null, safetyStockAfter: 1 });
    expect(count).toMatchObject({
      reference: 'count',
      actor: ADMIN_ACTOR,
      safetyStockDelta: 1,
      safetyStockAfter: 1,
      reservedAfter: 0,
    });
    expect(transferIn.actor).toBe(ADMIN_ACTOR);
    expect(sale.revision).toBeGreaterThan(count.revision);
    expect(Number.isNaN(Date.parse(sale.at))).toBe(false);

    const wh = await admin.call('GET', '/stock/COAT-M/movements?locationId=wh-1');
    expect(brief(wh.body.movements)).toEqual([
      ['wh-1', 'TRANSFER_OUT', -3, 6],
      ['wh-1', 'ADJUSTMENT', -1, 9],
      ['wh-1', 'RECEIPT', 10, 10],
    ]);
    const [out, adjustment, receipt] = wh.body.movements as [Entry, Entry, Entry];
    // Both ends of a transfer carry one reference (the request's Idempotency-Key) and one revision.
    expect(out.reference).toBe(transferIn.reference);
    expect(out.revision).toBe(transferIn.revision);
    expect(adjustment).toMatchObject({ reason: 'damaged', actor: ADMIN_ACTOR });
    expect(receipt).toMatchObject({ reference: 'PO-77', actor: ADMIN_ACTOR });

    // The running sums end at the levels GET /stock/{sku} answers.
    const levels = await admin.call('GET', '/stock/COAT-M');
    const onHand = Object.fromEntries(
      (levels.body.levels as Array<{ locationId: string; onHand: number }>).map((l) => [
        l.locationId,
        l.onHand,
      ]),
    );
    expect([onHand['ams-01'], onHand['wh-1']]).toEqual([sale.onHandAfter, out.onHandAfter]);
  });

  it('pages all locations’ entries newest first; refuses a cursor it did not answer', async () => {
    const all = await admin.call('GET', '/stock/COAT-M/movements');
    expect(all.status).toBe(200);
    const whole = all.body.movements as Entry[];
    expect(whole).toHaveLength(6);
    const ids = whole.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const seen: Entry[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const q: string = after ? `&after=${encodeURIComponent(after)}` : '';
      const page = await admin.call('GET', `/stock/COAT-M/movements?limit=4${q}`);
      expect(page.status).toBe(200);
      seen.push(...(page.body.movements as Entry[]));
      after = page.body.next as string | null;
      pages += 1;
    } while (after);
    expect(pages).toBe(2);
    expect(seen).toEqual(whole);

    const forged = await admin.call(
      'GET',
      `/stock/COAT-M/movements?after=${Buffer.from('m0').toString('base64url')}`,
    );
    expect(forged).toMatchObject({ status: 400, body: { code: 'BAD_USER_INPUT' } });
    const tooMany = await admin.call('GET', '/stock/COAT-M/movements?limit=201');
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.issues[0].path).toBe('query.limit');
    const unknownParam = await admin.call('GET', '/stock/COAT-M/movements?location=ams-01');
    expect(unknownParam.status).toBe(400);
  });

  it('answers an unknown SKU with no entries, as GET /stock/{sku} answers no levels', async () => {
    expect(await admin.call('GET', '/stock/NO-SUCH-SKU')).toMatchObject({
      status: 200,
      body: { levels: [] },
    });
    expect(await admin.call('GET', '/stock/NO-SUCH-SKU/movements')).toMatchObject({
      status: 200,
      body: { sku: 'NO-SUCH-SKU', movements: [], next: null },
    });
  });

  it('opens to console:stock, a location-scoped key naming one of its own locations', async () => {
    const orders = await consoleKey('orders only', ['console:orders']);
    const refused = await admin.call('GET', '/stock/COAT-M/movements?locationId=ams-01', { key: orders });
    expect(refused).toMatchObject({ status: 403, body: { code: 'FORBIDDEN', area: 'stock' } });

    const ams = await consoleKey('Amsterdam stock reader', ['console:stock', 'location:ams-01']);
    const own = await admin.call('GET', '/stock/COAT-M/movements?locationId=ams-01', { key: ams });
    expect(own.status).toBe(200);
    expect(brief(own.body.movements).map(([, kind]) => kind)).toEqual(['SALE', 'COUNT', 'TRANSFER_IN']);
    const other = await admin.call('GET', '/stock/COAT-M/movements?locationId=wh-1', { key: ams });
    expect(other).toMatchObject({ status: 403, body: { code: 'FORBIDDEN', locationId: 'wh-1' } });
    const everywhere = await admin.call('GET', '/stock/COAT-M/movements', { key: ams });
    expect(everywhere).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });

    const unscoped = await consoleKey('stock reader', ['console:stock']);
    const all = await admin.call('GET', '/stock/COAT-M/movements', { key: unscoped });
    expect(all.status).toBe(200);
    expect(all.body.movements).toHaveLength(6);
  });
});
