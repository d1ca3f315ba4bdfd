/**
 * Attacks on the staff console's server surface that the hub refuses today: each test guards the refusal.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { CONSOLE_AREAS } from '../../shared/index.js';
import {
  databaseDigest,
  demoOrderId,
  memberId,
  outcome,
  startAttackHub,
  type AttackHub,
} from './console-attack-hub.js';
import { wsClient, wsOperation } from '../support/ws.js';

jest.setTimeout(60_000);

let hub: AttackHub;
let anne: string;
/** The Rotterdam pickup (demo order 9, sent from the warehouse, READY_FOR_PICKUP)'s fulfilment. */
let rotterdamFulfilment: string;
const SKU = 'NK-COAT-ARCTIC-NAVY-S';

beforeAll(async () => {
  hub = await startAttackHub();
  anne = await memberId(hub, 'Anne de Vries');
  rotterdamFulfilment = (
    await hub.deps.db
      .selectFrom('fulfilments')
      .select('id')
      .where('orderId', '=', demoOrderId(9))
      .executeTakeFirstOrThrow()
  ).id;
}, 120_000);
afterAll(async () => {
  await hub?.close();
});

const idem = () => ({ 'idempotency-key': randomUUID() });

describe('admin REST: another location', () => {
  it('refuses a list without locationId, a case variant, an order or a fulfilment elsewhere', async () => {
    const key = (await hub.consoleKey(['console:orders:write', 'location:ams-01'])).key;
    const calls = {
      ordersWithoutLocation: (await hub.rest(key, 'GET', '/orders')).status,
      fulfilmentsWithoutLocation: (await hub.rest(key, 'GET', '/fulfilments')).status,
      ordersAtAMS01: (await hub.rest(key, 'GET', '/orders?locationId=AMS-01')).status,
      fulfilmentsAtRotterdam: (await hub.rest(key, 'GET', '/fulfilments?locationId=rtm-01')).status,
      twoLocations: (await hub.rest(key, 'GET', '/fulfilments?locationId=ams-01&locationId=rtm-01')).status,
      rotterdamOrder: (await hub.rest(key, 'GET', `/orders/${demoOrderId(9)}`)).status,
      rotterdamOrderUpperCase: (await hub.rest(key, 'GET', `/orders/${demoOrderId(9).toUpperCase()}`)).status,
      cancelRotterdam: (await hub.rest(key, 'POST', `/orders/${demoOrderId(9)}/cancel`, {}, idem())).status,
      collectRotterdam: (
        await hub.rest(
          key,
          'POST',
          `/fulfilments/${rotterdamFulfilment}/events`,
          { status: 'COLLECTED' },
          idem(),
        )
      ).status,
      collectRotterdamUpperCase: (
        await hub.rest(
          key,
          'POST',
          `/fulfilments/${rotterdamFulfilment.toUpperCase()}/events`,
          { status: 'COLLECTED' },
          idem(),
        )
      ).status,
    };
    expect(calls).toEqual({
      ordersWithoutLocation: 403,
      fulfilmentsWithoutLocation: 403,
      ordersAtAMS01: 403,
      fulfilmentsAtRotterdam: 403,
      twoLocations: 400,
      rotterdamOrder: 403,
      rotterdamOrderUpperCase: 403,
      cancelRotterdam: 403,
      collectRotterdam: 403,
      collectRotterdamUpperCase: 403,
    });
    // Its own store's list answers only fulfilments held or collected there.
    const own = await hub.rest(key, 'GET', '/fulfilments?locationId=ams-01&status=PICKING,PICKING');
    expect(own.status).toBe(200);
    for (const f of own.body.fulfilments) expect([f.locationId, f.pickupLocationId]).toContain('ams-01');
  });

  it('refuses stock movements naming another location at any end, and counts elsewhere', async () => {
    const key = (await hub.consoleKey(['console:stock:write', 'location:ams-01'])).key;
    const before = await databaseDigest(hub);
    const movements = [
      { kind: 'TRANSFER', sku: SKU, from: 'rtm-01', to: 'ams-01', quantity: 1 },
      { kind: 'TRANSFER', sku: SKU, from: 'ams-01', to: 'rtm-01', quantity: 1 },
      { kind: 'RECEIPT', sku: SKU, locationId: 'AMS-01', quantity: 1 },
      { kind: 'ADJUSTMENT', sku: SKU, locationId: 'rtm-01', delta: -1, reason: 'shrinkage' },
    ];
    for (const m of movements) {
      // One allowed movement first, the foreign one last: the batch is refused whole.
      const batch = [{ kind: 'RECEIPT', sku: SKU, locationId: 'ams-01', quantity: 1 }, m];
      const r = await hub.rest(key, 'POST', '/stock/movements', { movements: batch }, idem());
      expect(r.status).toBe(403);
    }
    expect((await hub.rest(key, 'PUT', `/stock/${SKU}/rtm-01`, { onHand: 1 })).status).toBe(403);
    expect((await hub.rest(key, 'PUT', `/stock/${SKU}/AMS-01`, { onHand: 1 })).status).toBe(403);
    expect(await databaseDigest(hub)).toEqual(before);
  });

  it('refuses to issue a location id in another case, or a malformed console scope', async () => {
    for (const scopes of [['location:AMS-01'], ['console:ORDERS'], ['console:orders:WRITE'], ['console:*']]) {
      const r = await hub.rest(hub.adminKey, 'POST', '/clients', { channel: 'CONSOLE', scopes });
      expect([400, 404]).toContain(r.status);
    }
    const web = await hub.rest(hub.adminKey, 'POST', '/clients', {
      channel: 'WEB',
      scopes: ['console:orders'],
    });
    expect(web.status).toBe(400);
  });
});

describe('read scope → write', () => {
  it('a read key acts on nothing, over admin REST or GraphQL', async () => {
    const key = (await hub.consoleKey(['console:customers', 'console:orders', 'console:stock'])).key;
    const before = await databaseDigest(hub);
    expect((await hub.rest(key, 'POST', `/orders/${demoOrderId(8)}/cancel`, {}, idem())).status).toBe(403);
    expect((await hub.rest(key, 'PUT', `/stock/${SKU}/ams-01`, { onHand: 1 })).status).toBe(403);
    const mutations = [
      `mutation($c: ID!) { updateProfile(customerId: $c, input: { displayName: "X" }) { id } }`,
      `mutation($c: ID!) { redeemPoints(customerId: $c, points: 1,
        idempotencyKey: "${randomUUID()}") { points } }`,
      `mutation($c: ID!) { exportCustomerData(customerId: $c) }`,
      `mutation($c: ID!) { eraseCustomer(customerId: $c) { __typename } }`,
      `mutation($c: ID!) { linkIdentifier(customerId: $c, kind: PHONE, value: "+31612345678") { id } }`,
      `mutation { enrollCustomer(input: { displayName: "Z" }, idempotencyKey: "${randomUUID()}") { id } }`,
      `mutation { cancelOrder(id: "${demoOrderId(2)}", idempotencyKey: "${randomUUID()}") { id } }`,
      `mutation { markCollected(orderId: "${demoOrderId(9)}", idempotencyKey: "${randomUUID()}") { id } }`,
      `mutation { reserveStock(input: { lines: [{ sku: "${SKU}", locationId: "ams-01", quantity: 1 }] },
        idempotencyKey: "${randomUUID()}") { id } }`,
    ];
    for (const m of mutations) expect(outcome(await hub.gql(key, m, { c: anne }))).toBe('FORBIDDEN');
    // Refused acts leave no trace, not even an audit row.
    expect(await databaseDigest(hub)).toEqual(before);
  });

  it('the admin-only routes (openapi, clients, admin keys) refuse every console key', async () => {
    const key = (await hub.consoleKey(CONSOLE_AREAS.map((a) => `console:${a}:write`))).key;
    for (const path of ['/openapi.json', '/clients', '/admin-keys'])
      expect((await hub.rest(key, 'GET', path)).status).toBe(403);
    const hold = { lines: [{ sku: SKU, locationId: 'ams-01', quantity: 1 }] };
    expect((await hub.rest(key, 'POST', '/reservations', hold, idem())).status).toBe(403);
  });
});

describe('GraphQL: another store', () => {
  it('refuses order, cancel, collect and orderChanged of a Rotterdam order to an Amsterdam key', async () => {
    const key = (await hub.consoleKey(['console:orders:write', 'location:ams-01'])).key;
    const id = demoOrderId(9);
    expect(outcome(await hub.gql(key, `{ order(id: "${id}") { id } }`))).toBe('FORBIDDEN');
    expect(outcome(await hub.gql(key, `{ order(id: "${id.toUpperCase()}") { id } }`))).toBe('FORBIDDEN');
    const cancel = `mutation { cancelOrder(id: "${id}", idempotencyKey: "${randomUUID()}") { id } }`;
    expect(outcome(await hub.gql(key, cancel))).toBe('FORBIDDEN');
    const collect = `mutation { markCollected(orderId: "${id.toUpperCase()}",
      idempotencyKey: "${randomUUID()}") { id } }`;
    expect(outcome(await hub.gql(key, collect))).toBe('FORBIDDEN');
    const reserve = `mutation { reserveStock(
      input: { lines: [{ sku: "${SKU}", locationId: "rtm-01", quantity: 1 }] },
      idempotencyKey: "${randomUUID()}") { id } }`;
    expect(outcome(await hub.gql(key, reserve))).toBe('FORBIDDEN');
    const client = wsClient(hub.node.port, key);
    try {
      const sub = await wsOperation(client, `subscription { orderChanged(id: "${id}") { id } }`);
      expect(sub.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    } finally {
      await client.dispose();
    }
    // An order that also involves Amsterdam (13: warehouse and Amsterdam) is its to follow.
    expect(outcome(await hub.gql(key, `{ order(id: "${demoOrderId(13)}") { id } }`))).toBe('OK');
  });
});

describe('POST /admin/v1/promotions/preview changes nothing and never answers 5xx', () => {
  it('prices odd carts and drafts without writing a row (coupons, budgets, holds, audit)', async () => {
    const key = (await hub.consoleKey(['console:prices'])).key;
    const before = await databaseDigest(hub);
    const cart = [{ sku: SKU, quantity: 1 }];
    const draft = (rule: unknown, extra: Record<string, unknown> = {}) => ({
      channel: 'WEB',
      lines: cart,
      promotion: { id: 'draft-1', rule, ...extra },
    });
    const bodies: unknown[] = [
      { channel: 'WEB', customerId: anne, lines: cart, couponCodes: ['WELKOM10', 'welkom10', 'NOPE-NOPE'] },
      {
        channel: 'WEB',
        customerId: anne,
        lines: [{ sku: SKU, quantity: 3 }],
        promotion: {
          id: 'welkom',
          budgetAmount: 1,
          rule: { label: 'All free', action: { kind: 'percentOff', percentBp: 10000 } },
        },
      },
      draft({
        label: 'x',
        action: { kind: 'amountOff', amount: 999999999999, perUnit: true, currency: 'EUR' },
      }),
      draft({ label: 'x', action: { kind: 'fixedPrice', unitAmount: 0, currency: 'JPY' } }),
      {
        channel: 'WEB',
        customerId: anne,
        lines: Array.from({ length: 200 }, () => ({ sku: SKU, quantity: 10000 })),
        promotion: {
          id: 'draft-2',
          rule: { label: 'x', action: { kind: 'extraPoints', points: 1000000, perUnit: true } },
        },
      },
      draft({ label: 'x', action: { kind: 'buyXGetY', buy: 1, get: 100 } }),
      draft({
        label: 'x',
        conditions: [{ kind: 'schedule', timeZone: 'Etc/GMT-14', from: '23:59', to: '00:00' }],
        action: { kind: 'percentOff', percentBp: 5000 },
      }),
      draft({
        label: 'x',
        target: { customerIds: [anne] },
        couponRequired: true,
        action: { kind: 'percentOff', percentBp: 1 },
      }),
      draft({ label: 'x', action: { kind: 'percentOff', percentBp: 1 } }, { status: 'ARCHIVED' }),
      draft('nope'),
      draft(null),
      draft(JSON.parse('['.repeat(3000) + ']'.repeat(3000))),
      { channel: 'WEB', at: '0000-01-01T00:00:00Z', lines: cart },
      { channel: 'WEB', at: '9999-12-31T23:59:59-14:00', lines: cart },
      { channel: 'WEB', currency: 'JPY', lines: cart },
      { channel: 'WEB', lines: [{ sku: 'A\u0000B', quantity: 1 }] },
      { channel: 'STORE', locationId: 'wh-tilburg', lines: cart },
      { channel: 'STORE', locationId: 'AMS-01', lines: cart },
      { channel: 'WEB', customerId: '00000000-0000-0000-0000-000000000000', lines: cart },
      [1, 2],
      'null',
      '{"channel":',
      JSON.stringify({ channel: 'WEB', lines: cart, pad: 'x'.repeat(2_000_000) }),
    ];
    const statuses = [];
    for (const body of bodies) {
      const r = await hub.rest(key, 'POST', '/promotions/preview', body);
      statuses.push(r.status);
      if (r.status >= 400) expect(r.body?.code).toEqual(expect.any(String));
    }
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    // The coupons were applied, the draft's budget capped it: and nothing was counted or written.
    expect(statuses[0]).toBe(200);
    expect(await databaseDigest(hub)).toEqual(before);
  });

  it('a draft under the id of a saved promotion leaves the saved one as it is', async () => {
    const key = (await hub.consoleKey(['console:promotions'])).key;
    const saved = await hub.rest(hub.adminKey, 'GET', '/promotions/welkom');
    const r = await hub.rest(key, 'POST', '/promotions/preview', {
      channel: 'WEB',
      lines: [{ sku: SKU, quantity: 1 }],
      couponCodes: ['WELKOM10'],
      promotion: {
        id: 'welkom',
        status: 'ACTIVE',
        rule: { label: 'Free', action: { kind: 'percentOff', percentBp: 10000 } },
      },
    });
    expect(r.status).toBe(200);
    expect((await hub.rest(hub.adminKey, 'GET', '/promotions/welkom')).body).toEqual(saved.body);
  });
});

describe('garbage on the new read routes', () => {
  it('the audit filters and the fulfilments list answer 400, never 5xx', async () => {
    const audit = (await hub.consoleKey(['console:audit'])).key;
    for (const q of [
      'before=99999999999999999999',
      'before=1e400',
      'subject=%00',
      'actor=a%00b',
      'action=%00',
      'from=2020-02-30T00:00:00Z',
      'from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z',
      'limit=0',
      'subject=%ED%A0%80',
    ]) {
      const r = await hub.rest(audit, 'GET', `/audit?${q}`);
      expect(r.status).toBeLessThan(500);
    }
    const orders = (await hub.consoleKey(['console:orders', 'location:ams-01'])).key;
    for (const q of [
      'status=',
      'status=,',
      'locationId[]=ams-01',
      `after=${'A'.repeat(200)}`,
      'limit=99999999999999999999',
      'method=x',
    ]) {
      const r = await hub.rest(orders, 'GET', `/fulfilments?locationId=ams-01&${q}`);
      expect(r.status).toBe(400);
    }
    expect((await hub.rest(orders, 'GET', '/fulfilments?locationId=ams-01%00')).status).toBe(400);
  });
});

describe('console keys: many scopes', () => {
  it('40 scopes with duplicates are issued and read once each; 41 are refused', async () => {
    const locations = ['wh-tilburg', 'ams-01', 'rtm-01', 'utr-01', 'dhg-01', 'ehv-01', 'gro-01'];
    const scopes = [
      ...CONSOLE_AREAS.flatMap((a) => [`console:${a}`, `console:${a}:write`]),
      ...locations.map((l) => `location:${l}`),
      ...Array.from({ length: 15 }, () => 'console:orders'),
    ];
    expect(scopes).toHaveLength(40);
    const issued = await hub.rest(hub.adminKey, 'POST', '/clients', { channel: 'CONSOLE', scopes });
    expect(issued.status).toBe(201);
    const session = await hub.rest(issued.body.key, 'GET', '/session');
    expect(session.body.areas).toEqual(CONSOLE_AREAS.map((area) => ({ area, write: true })));
    expect(session.body.locations).toEqual([...locations].sort());
    const tooMany = await hub.rest(hub.adminKey, 'POST', '/clients', {
      channel: 'CONSOLE',
      scopes: [...scopes, 'console:audit'],
    });
    expect(tooMany.status).toBe(400);
  });
});

describe('GraphQL cost of channelMirror', () => {
  it('refuses 31 aliased channelMirrors, and 50 spread over fragments', async () => {
    const key = (await hub.consoleKey(['console:mirror'])).key;
    const field = (name: string) =>
      `${name}: channelMirror(sku: "${SKU}") { panes { channel offer { revision } } }`;
    const aliased = `{ ${Array.from({ length: 31 }, (_, i) => field(`m${i}`)).join(' ')} }`;
    expect(outcome(await hub.gql(key, aliased))).toBe('BAD_USER_INPUT');
    const fragments =
      '{ ...A ...B } ' +
      `fragment A on Query { ${Array.from({ length: 25 }, (_, i) => field(`a${i}`)).join(' ')} } ` +
      `fragment B on Query { ${Array.from({ length: 25 }, (_, i) => field(`b${i}`)).join(' ')} }`;
    expect(outcome(await hub.gql(key, fragments))).toBe('BAD_USER_INPUT');
  });
});

describe('a revoked console key', () => {
  it('stops within 5 s on admin REST, GraphQL over HTTP and over WebSocket', async () => {
    const c = await hub.consoleKey(['console:orders', 'console:mirror']);
    const ws = wsClient(hub.node.port, c.key);
    try {
      expect((await hub.rest(c.key, 'GET', '/session')).status).toBe(200);
      expect((await wsOperation(ws, '{ revision }')).errors).toBeUndefined();
      expect((await hub.rest(hub.adminKey, 'POST', `/clients/${c.id}/revoke`)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 5_200));
      expect((await hub.rest(c.key, 'GET', '/session')).status).toBe(403);
      expect(outcome(await hub.gql(c.key, '{ revision }'))).toBe('UNAUTHENTICATED');
      const after = await wsOperation(ws, '{ revision }').catch(() => ({
        errors: [{ extensions: { code: 'CLOSED' } }],
      }));
      expect(after.errors?.[0]?.extensions.code).toMatch(/UNAUTHENTICATED|CLOSED/);
    } finally {
      await ws.dispose();
    }
  });
});

describe('/console static serving', () => {
  const raw = (path: string) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: hub.node.port, path, method: 'GET' }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });

  it('never serves a file from outside the build, whatever the path', async () => {
    for (const p of [
      '/console/assets/../../../package.json',
      '/console/assets/%2e%2e/%2e%2e/%2e%2e/package.json',
      '/console/assets/..%2f..%2fpackage.json',
      '/console/assets/..%5c..%5cpackage.json',
      '/console/assets/%2e%2e%2findex.html',
      '/console/assets/....//....//package.json',
      '/console/assets/%252e%252e/package.json',
      '/console/assets//etc/passwd',
      '/console/assets/%00',
      '/console/assets/x%00.js',
      '/console/assets/%E0%A4%A',
      '/console/assets/',
      '/console/.env',
      '/console/../package.json',
      `/console/${'a/'.repeat(2000)}`,
    ]) {
      const r = await raw(p);
      expect(r.status).toBeLessThan(500);
      expect(r.body).not.toContain('"devDependencies"');
      expect(r.body).not.toContain('root:');
      if (p.startsWith('/console/assets')) expect(r.status).toBeGreaterThanOrEqual(400);
      // The page or a refusal: either carries a CSP (the console's, or Express's default-src 'none').
      if (r.status !== 404 || p.startsWith('/console/assets'))
        expect(r.headers['content-security-policy']).toMatch(/script-src 'self'|default-src 'none'/);
    }
  });

  it("the page's CSP allows no inline or foreign script, no framing", async () => {
    const r = await raw('/console/customers/x');
    expect(r.status).toBe(200);
    const csp = r.headers['content-security-policy']!;
    expect(csp).toContain("script-src 'self';");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(r.headers['x-content-type-options']).toBe('nosniff');
  });
});
