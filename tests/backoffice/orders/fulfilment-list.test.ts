/**
 * `GET /admin/v1/fulfilments` over real HTTP on the demo retailer's orders: a store's pickups to prepare and
 * to hand over (its own shelf and a transfer on its way to it), a warehouse's picking list with each
 * fulfilment's SKUs and quantities, pages with `after`, and refusals of a bad filter or cursor.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { seedDemoOrders, seedDemoRetailer } from '../../../backoffice-layer/index.js';
import { createChannelClient } from '../../../channel-layer/index.js';
import { startAdminNode, type AdminNode } from '../../support/admin-node.js';

const demoId = (n: number) => `d3e0a000-0000-4000-8000-${String(n).padStart(12, '0')}`;

interface Listed {
  id: string;
  orderId: string;
  method: string;
  status: string;
  locationId: string;
  pickupLocationId: string | null;
  lines: Array<{ sku: string; quantity: number }>;
}

let admin: AdminNode;
beforeAll(async () => {
  admin = await startAdminNode('fulfilment list');
  await seedDemoRetailer(admin.ctx.deps);
  await seedDemoOrders(admin.ctx.deps);
}, 120_000);
afterAll(async () => {
  await admin.close();
});

const list = async (query: string) => {
  const res = await admin.call('GET', `/fulfilments?${query}`);
  expect(res.status).toBe(200);
  return res.body as { fulfilments: Listed[]; next: string | null };
};

describe('GET /admin/v1/fulfilments', () => {
  it("lists a store's pickups to prepare and to hand over, a transfer to it included", async () => {
    const toPrepare = await list('locationId=ams-01&method=PICKUP&status=PENDING,PICKING');
    expect(toPrepare.fulfilments).toEqual([
      expect.objectContaining({
        orderId: demoId(8),
        method: 'PICKUP',
        status: 'PICKING',
        locationId: 'ams-01',
        pickupLocationId: 'ams-01',
        lines: [{ sku: expect.stringMatching(/^NK-SHT-STRAND-/), quantity: 1 }],
      }),
    ]);
    expect(toPrepare.next).toBeNull();
    const toHandOver = await list('locationId=rtm-01&method=PICKUP&status=READY_FOR_PICKUP');
    expect(toHandOver.fulfilments).toEqual([
      expect.objectContaining({
        orderId: demoId(9),
        status: 'READY_FOR_PICKUP',
        locationId: 'wh-tilburg',
        pickupLocationId: 'rtm-01',
      }),
    ]);
    expect((await list('locationId=utr-01&status=READY_FOR_PICKUP')).fulfilments).toEqual([]);
  });

  it("answers a warehouse's picking list oldest first with SKUs and quantities", async () => {
    const picking = await list('locationId=wh-tilburg&status=PENDING,PICKING');
    expect(picking.fulfilments.map((f) => [f.orderId, f.status, f.method])).toEqual([
      [demoId(1), 'PENDING', 'DELIVERY'],
      [demoId(2), 'PICKING', 'DELIVERY'],
    ]);
    for (const f of picking.fulfilments) {
      expect(f.locationId).toBe('wh-tilburg');
      expect(f.lines).toEqual([{ sku: expect.stringMatching(/^NK-/), quantity: 1 }]);
    }
  });

  it('pages with after, every fulfilment once', async () => {
    const all = await list('limit=200');
    expect(all.fulfilments.length).toBe(14);
    const seen: string[] = [];
    let after = '';
    for (let i = 0; i < 20; i++) {
      const page = await list(`limit=5${after ? `&after=${after}` : ''}`);
      seen.push(...page.fulfilments.map((f) => f.id));
      if (!page.next) break;
      after = page.next;
    }
    expect(seen).toEqual(all.fulfilments.map((f) => f.id));
  });

  it('opens to a console key with console:orders at its own locations only', async () => {
    const { key } = await createChannelClient(
      admin.ctx.deps.db,
      { name: 'Amsterdam counter', channel: 'CONSOLE', scopes: ['console:orders', 'location:ams-01'] },
      new Date(),
    );
    const status = async (query: string) =>
      (await admin.call('GET', `/fulfilments?${query}`, { key })).status;
    expect(await status('locationId=ams-01&method=PICKUP')).toBe(200);
    expect(await status('locationId=utr-01&method=PICKUP')).toBe(403);
    expect(await status('method=PICKUP')).toBe(403);
    const { key: stockOnly } = await createChannelClient(
      admin.ctx.deps.db,
      { name: 'Stock clerk', channel: 'CONSOLE', scopes: ['console:stock'] },
      new Date(),
    );
    expect((await admin.call('GET', '/fulfilments?locationId=ams-01', { key: stockOnly })).status).toBe(403);
  });

  it('refuses an unknown status, method or cursor and an unnamed parameter with 400', async () => {
    for (const query of [
      'status=PENDING,LOST',
      'status=',
      'method=POST',
      'after=bm9wZQ',
      'locationId=a%20b',
      'orderId=x',
    ]) {
      const res = await admin.call('GET', `/fulfilments?${query}`);
      expect([query, res.status, res.body.code]).toEqual([query, 400, 'BAD_USER_INPUT']);
    }
  });
});
