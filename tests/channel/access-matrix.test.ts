/**
 * QUALITY B3 — the whole access matrix over real HTTP: every kind of caller against every kind of act, as a table
 * of outcomes compared in one piece, then the audit trail the staff reads left behind.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { registerAdminKey, setPrice, setStockCount, upsertLocation, upsertPriceList, upsertProduct } from '../../backoffice-layer/index.js';
import { createChannelClient, startApiNode, type ApiNode } from '../../channel-layer/index.js';
import { enrollCustomer } from '../../journey-layer/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';

type Caller = { key: string | null; token?: string };
type Answer = { status: number; body: { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions: { code: string } }> } };

describe('B3: who may do what', () => {
  let ctx: BackofficeTestContext;
  let node: ApiNode;
  let a: string;
  let b: string;
  const clients: Record<string, { id: string; key: string }> = {};
  const ADMIN_KEY = 'matrix-admin-key-0123456789abcdef';

  const gql = async (caller: Caller, query: string, variables: Record<string, unknown> = {}): Promise<Answer> => {
    const res = await fetch(`http://127.0.0.1:${node.port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(caller.key ? { authorization: `Bearer ${caller.key}` } : {}), ...(caller.token ? { 'x-customer-token': caller.token } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, body: await res.json() as Answer['body'] };
  };
  /** OK, or the stable code of the first error. A 5xx is never an acceptable cell. */
  const outcome = (r: Answer): string => {
    if (r.status >= 500) return `HTTP ${r.status}`;
    return r.body.errors?.[0]?.extensions.code ?? 'OK';
  };
  const token = async (client: string, customerId: string): Promise<string> => {
    const r = await gql({ key: clients[client]!.key }, 'mutation($c: ID!) { issueCustomerToken(customerId: $c) { token } }', { c: customerId });
    return (r.body.data as { issueCustomerToken: { token: string } }).issueCustomerToken.token;
  };

  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await upsertLocation(ctx.deps, 'wh-1', { name: 'Warehouse', kind: 'WAREHOUSE', fulfilsOnline: true });
    await upsertLocation(ctx.deps, 'ams-01', { name: 'Amsterdam', kind: 'STORE', fulfilsOnline: false });
    await upsertLocation(ctx.deps, 'utr-01', { name: 'Utrecht', kind: 'STORE', fulfilsOnline: false });
    await upsertPriceList(ctx.deps, 'base', { name: 'Base', currency: 'EUR', priority: 0 });
    await upsertProduct(ctx.deps, 'COAT-M', { name: 'Wollen jas', category: 'coats', vatRate: 21, attributes: {}, status: 'ACTIVE' });
    await setPrice(ctx.deps, 'base', 'COAT-M', { amount: 12995, minQuantity: 1 });
    for (const loc of ['wh-1', 'ams-01', 'utr-01']) await setStockCount(ctx.deps, 'COAT-M', loc, { onHand: 50 });
    a = (await enrollCustomer(ctx.deps, { displayName: 'Anna', email: 'anna@example.nl' }, { channel: 'WEB', idempotencyKey: 'anna' })).customer.id;
    b = (await enrollCustomer(ctx.deps, { displayName: 'Bram', email: 'bram@example.nl' }, { channel: 'APP', idempotencyKey: 'bram' })).customer.id;
    for (const [name, channel, locationId] of [['web', 'WEB', null], ['app', 'APP', null], ['storeA', 'STORE', 'ams-01'], ['storeB', 'STORE', 'utr-01'], ['agent', 'CALL_CENTER', null]] as const) {
      clients[name] = await createChannelClient(ctx.deps.db, { name, channel, ...(locationId ? { locationId } : {}), scopes: [] }, new Date());
    }
    await registerAdminKey(ctx.deps.db, ADMIN_KEY, 'matrix', new Date());
    node = await startApiNode(ctx.deps, 0, '127.0.0.1');
  });
  afterAll(async () => { await node.stop(100); await ctx.close(); });

  it('gives every caller exactly the intended rights', async () => {
    const webTokenA = await token('web', a);
    const callers: Record<string, Caller> = {
      anonymous: { key: null },
      'admin key': { key: ADMIN_KEY },
      web: { key: clients.web!.key },
      'web, customer A': { key: clients.web!.key, token: webTokenA },
      'app, customer B': { key: clients.app!.key, token: await token('app', b) },
      'app, A’s web token': { key: clients.app!.key, token: webTokenA },
      'store A terminal': { key: clients.storeA!.key },
      'store B terminal': { key: clients.storeB!.key },
      'call-center agent': { key: clients.agent!.key },
    };
    const acts: Record<string, (c: Caller, n: string) => Promise<Answer>> = {
      'offer': (c) => gql(c, '{ offer(sku: "COAT-M") { revision } }'),
      'offer priced for A': (c) => gql(c, 'query($a: ID!) { offer(sku: "COAT-M", customerId: $a) { revision } }', { a }),
      'read A': (c) => gql(c, 'query($a: ID!) { customer(id: $a) { id displayName } }', { a }),
      'read B': (c) => gql(c, 'query($b: ID!) { customer(id: $b) { id displayName } }', { b }),
      'reserve at store A': (c, n) => gql(c, 'mutation($k: String!) { reserveStock(input: { lines: [{ sku: "COAT-M", quantity: 1, locationId: "ams-01" }] }, idempotencyKey: $k) { id } }', { k: `reserve-${n}` }),
      'till sale': (c, n) => gql(c, 'mutation($k: String!) { recordStoreSale(input: { lines: [{ sku: "COAT-M", quantity: 1 }] }, idempotencyKey: $k) { id } }', { k: `sale-${n}` }),
      'export A': (c) => gql(c, 'mutation($a: ID!) { exportCustomerData(customerId: $a) }', { a }),
      'redeem A’s points': (c, n) => gql(c, 'mutation($a: ID!, $k: String!) { redeemPoints(customerId: $a, points: 10, idempotencyKey: $k) { points } }', { a, k: `redeem-${n}` }),
      'token for A': (c) => gql(c, 'mutation($a: ID!) { issueCustomerToken(customerId: $a) { token } }', { a }),
    };
    const actual: Record<string, Record<string, string>> = {};
    for (const [who, caller] of Object.entries(callers)) {
      actual[who] = {};
      for (const [what, act] of Object.entries(acts)) actual[who]![what] = outcome(await act(caller, who.replace(/\W+/g, '-')));
    }
    const row = (cells: string[]) => Object.fromEntries(Object.keys(acts).map((k, i) => [k, cells[i]!]));
    const none = row(Array(9).fill('UNAUTHENTICATED'));
    // Redeeming 10 of A's 0 points is allowed but refused by the ledger: CONFLICT means the caller got past access.
    expect(actual).toEqual({
      //                              offer  for A        read A       read B       reserve A    till sale    export A     redeem A     token A
      anonymous: none,
      'admin key': none,
      web: row(['OK', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'OK', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'OK']),
      'web, customer A': row(['OK', 'OK', 'OK', 'FORBIDDEN', 'OK', 'FORBIDDEN', 'OK', 'CONFLICT', 'OK']),
      'app, customer B': row(['OK', 'FORBIDDEN', 'FORBIDDEN', 'OK', 'OK', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'OK']),
      'app, A’s web token': none,
      'store A terminal': row(['OK', 'OK', 'OK', 'OK', 'OK', 'OK', 'FORBIDDEN', 'CONFLICT', 'FORBIDDEN']),
      'store B terminal': row(['OK', 'OK', 'OK', 'OK', 'FORBIDDEN', 'OK', 'FORBIDDEN', 'CONFLICT', 'FORBIDDEN']),
      'call-center agent': row(['OK', 'OK', 'OK', 'OK', 'OK', 'FORBIDDEN', 'OK', 'CONFLICT', 'FORBIDDEN']),
    });

    // Each store's till sale was booked at its own store, whatever the request said.
    const sales = await ctx.deps.db.selectFrom('orders').select(['locationId']).where('channel', '=', 'STORE').orderBy('locationId').execute();
    expect(sales.map((s) => s.locationId)).toEqual(['ams-01', 'utr-01']);
    // A customer never sees another's profile: B's answer names B only, A's token never reached B.
    const own = await gql(callers['app, customer B']!, 'query($b: ID!) { customer(id: $b) { id displayName } }', { b });
    expect(own.body.data).toEqual({ customer: { id: b, displayName: 'Bram' } });
  });

  it('audits every staff read and act on a profile; of a customer’s own acts only her data export', async () => {
    const audit = await ctx.deps.db.selectFrom('auditLog').select(['actor', 'action', 'subject']).orderBy('id').execute();
    const staff = new Set([clients.storeA!.id, clients.storeB!.id, clients.agent!.id].map((id) => `client:${id}`));
    expect(audit.length).toBeGreaterThan(0);
    // Every data export is on record whoever asked (the customer herself too); every other entry is a staff act.
    expect(audit.filter((r) => r.action === 'customer.exported').map((r) => r.actor).sort()).toEqual([`client:${clients.web!.id}`, `client:${clients.agent!.id}`].sort());
    expect(audit.filter((r) => r.action !== 'customer.exported' && !staff.has(r.actor))).toEqual([]);
    const reads = (subject: string) => audit.filter((r) => r.action === 'customer.read' && r.subject === `customer:${subject}`).map((r) => r.actor).sort();
    expect(reads(a)).toEqual([...staff].sort());
    expect(reads(b)).toEqual([...staff].sort());
    expect(audit.filter((r) => r.action === 'customer.export').map((r) => r.actor)).toEqual([`client:${clients.agent!.id}`]);
  });

  it('keeps the admin API to admin keys', async () => {
    const admin = (key: string | null, path: string, init: RequestInit = {}) => fetch(`http://127.0.0.1:${node.port}/admin/v1${path}`, {
      ...init, headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    }).then((r) => r.status);
    const newClient = { method: 'POST', body: JSON.stringify({ name: 'rogue', channel: 'CALL_CENTER', scopes: [] }) };
    expect(await admin(ADMIN_KEY, '/products')).toBe(200);
    expect(await admin(null, '/products')).toBe(401);
    for (const c of Object.values(clients)) {
      // A channel key is a credential, but not for this API.
      expect(await admin(c.key, '/products')).toBe(403);
      expect(await admin(c.key, '/clients', newClient)).toBe(403);
    }
    expect(await admin(ADMIN_KEY, '/clients', newClient)).toBe(201);
  });
});
