/**
 * QUALITY B3 — the whole access matrix over real HTTP: every kind of caller against every kind of act, as a
 * table of outcomes compared in one piece, then the audit trail the staff reads left behind.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient } from 'graphql-ws';
import { sql } from 'kysely';
import WebSocket from 'ws';
import {
  getOrder,
  recordFulfilmentEvent,
  registerAdminKey,
  startBackofficeWorker,
  type BackofficeWorker,
} from '../../backoffice-layer/index.js';
import { createChannelClient, startApiNode, type ApiNode } from '../../channel-layer/index.js';
import {
  adjustPoints,
  enrollCustomer,
  journeyWorkerOptions,
  LOYALTY_CONSUMER,
  placeOrder,
  placeStoreSale,
} from '../../journey-layer/index.js';
import { createBackofficeTestContext, until, type BackofficeTestContext } from '../support/backoffice.js';
import { givenWarehouseAndTwoStores } from './access-fixtures.js';

type Caller = { key: string | null; token?: string };
type Answer = {
  status: number;
  body: {
    data?: Record<string, unknown> | null;
    errors?: Array<{ message: string; extensions: { code: string } }>;
  };
};

describe('B3: who may do what', () => {
  let ctx: BackofficeTestContext;
  let node: ApiNode;
  let a: string;
  let b: string;
  const clients: Record<string, { id: string; key: string }> = {};
  /** Every kind of caller, the same rows in every table below. */
  let callers: Record<string, Caller>;
  const ADMIN_KEY = 'matrix-admin-key-0123456789abcdef';

  const gql = async (
    caller: Caller,
    query: string,
    variables: Record<string, unknown> = {},
  ): Promise<Answer> => {
    const res = await fetch(`http://127.0.0.1:${node.port}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(caller.key ? { authorization: `Bearer ${caller.key}` } : {}),
        ...(caller.token ? { 'x-customer-token': caller.token } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, body: (await res.json()) as Answer['body'] };
  };
  /** OK, or the stable code of the first error. A 5xx is never an acceptable cell. */
  const result = (r: Answer): string => {
    if (r.status >= 500) return `HTTP ${r.status}`;
    return r.body.errors?.[0]?.extensions.code ?? 'OK';
  };
  const token = async (client: string, customerId: string): Promise<string> => {
    const r = await gql(
      { key: clients[client]!.key },
      'mutation($c: ID!) { issueCustomerToken(customerId: $c) { token } }',
      { c: customerId },
    );
    return (r.body.data as { issueCustomerToken: { token: string } }).issueCustomerToken.token;
  };

  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await givenWarehouseAndTwoStores(ctx, {
      sku: 'COAT-M',
      name: 'Wollen jas',
      category: 'coats',
      amount: 12995,
      onHand: 100,
    });
    a = (
      await enrollCustomer(
        ctx.deps,
        { displayName: 'Anna', email: 'anna@example.nl' },
        { channel: 'WEB', idempotencyKey: 'anna' },
      )
    ).customer.id;
    b = (
      await enrollCustomer(
        ctx.deps,
        { displayName: 'Bram', email: 'bram@example.nl' },
        { channel: 'APP', idempotencyKey: 'bram' },
      )
    ).customer.id;
    for (const [name, channel, locationId] of [
      ['web', 'WEB', null],
      ['app', 'APP', null],
      ['storeA', 'STORE', 'ams-01'],
      ['storeB', 'STORE', 'utr-01'],
      ['agent', 'CALL_CENTER', null],
    ] as const) {
      clients[name] = await createChannelClient(
        ctx.deps.db,
        {
          name,
          channel,
          ...(locationId ? { locationId } : {}),
          scopes: channel === 'WEB' || channel === 'APP' ? ['customer-tokens'] : [],
        },
        new Date(),
      );
    }
    await registerAdminKey(ctx.deps.db, ADMIN_KEY, 'matrix', new Date());
    node = await startApiNode(ctx.deps, 0, '127.0.0.1');
    const webTokenA = await token('web', a);
    callers = {
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
  });
  afterAll(async () => {
    await node.stop(100);
    await ctx.close();
  });

  it('gives every caller exactly the intended rights', async () => {
    const acts: Record<string, (c: Caller, n: string) => Promise<Answer>> = {
      offer: (c) => gql(c, '{ offer(sku: "COAT-M") { revision } }'),
      'offer priced for A': (c) =>
        gql(c, 'query($a: ID!) { offer(sku: "COAT-M", customerId: $a) { revision } }', { a }),
      'read A': (c) => gql(c, 'query($a: ID!) { customer(id: $a) { id displayName } }', { a }),
      'read B': (c) => gql(c, 'query($b: ID!) { customer(id: $b) { id displayName } }', { b }),
      'reserve at store A': (c, n) =>
        gql(
          c,
          'mutation($k: String!) { ' +
            'reserveStock(input: { lines: [{ sku: "COAT-M", quantity: 1, locationId: "ams-01" }] }, ' +
            'idempotencyKey: $k) { id } }',
          { k: `reserve-${n}` },
        ),
      'till sale': (c, n) =>
        gql(
          c,
          'mutation($k: String!) { recordStoreSale(input: { lines: [{ sku: "COAT-M", quantity: 1 }] }, ' +
            'idempotencyKey: $k) { id } }',
          { k: `sale-${n}` },
        ),
      'export A': (c) => gql(c, 'mutation($a: ID!) { exportCustomerData(customerId: $a) }', { a }),
      'redeem A’s points': (c, n) =>
        gql(
          c,
          'mutation($a: ID!, $k: String!) { redeemPoints(customerId: $a, points: 10, ' +
            'idempotencyKey: $k) { points } }',
          { a, k: `redeem-${n}` },
        ),
      'token for A': (c) =>
        gql(c, 'mutation($a: ID!) { issueCustomerToken(customerId: $a) { token } }', { a }),
    };
    const actual: Record<string, Record<string, string>> = {};
    for (const [who, caller] of Object.entries(callers)) {
      actual[who] = {};
      for (const [what, act] of Object.entries(acts))
        actual[who]![what] = result(await act(caller, who.replace(/\W+/g, '-')));
    }
    const row = (cells: string[]) => Object.fromEntries(Object.keys(acts).map((k, i) => [k, cells[i]!]));
    const none = row(Array(9).fill('UNAUTHENTICATED'));
    // Redeeming 10 of A's 0 points is allowed but refused by the ledger: CONFLICT means the caller got past
    // access.
    expect(actual).toEqual({
      // Columns: offer, offer priced for A, read A, read B, reserve at store A, till sale, export A,
      // redeem A's points, token for A.
      anonymous: none,
      // An admin key is a CONSOLE caller with every console area: staff in the back office, as the agent.
      'admin key': row(['OK', 'OK', 'OK', 'OK', 'OK', 'FORBIDDEN', 'OK', 'CONFLICT', 'FORBIDDEN']),
      web: row([
        'OK',
        'FORBIDDEN',
        'FORBIDDEN',
        'FORBIDDEN',
        'OK',
        'FORBIDDEN',
        'FORBIDDEN',
        'FORBIDDEN',
        'OK',
      ]),
      'web, customer A': row(['OK', 'OK', 'OK', 'FORBIDDEN', 'OK', 'FORBIDDEN', 'OK', 'CONFLICT', 'OK']),
      'app, customer B': row([
        'OK',
        'FORBIDDEN',
        'FORBIDDEN',
        'OK',
        'OK',
        'FORBIDDEN',
        'FORBIDDEN',
        'FORBIDDEN',
        'OK',
      ]),
      'app, A’s web token': none,
      'store A terminal': row(['OK', 'OK', 'OK', 'OK', 'OK', 'OK', 'FORBIDDEN', 'CONFLICT', 'FORBIDDEN']),
      'store B terminal': row([
        'OK',
        'OK',
        'OK',
        'OK',
        'FORBIDDEN',
        'OK',
        'FORBIDDEN',
        'CONFLICT',
        'FORBIDDEN',
      ]),
      'call-center agent': row(['OK', 'OK', 'OK', 'OK', 'OK', 'FORBIDDEN', 'OK', 'CONFLICT', 'FORBIDDEN']),
    });

    // Each store's till sale was booked at its own store, whatever the request said.
    const sales = await ctx.deps.db
      .selectFrom('orders')
      .select(['locationId'])
      .where('channel', '=', 'STORE')
      .orderBy('locationId')
      .execute();
    expect(sales.map((s) => s.locationId)).toEqual(['ams-01', 'utr-01']);
    // A customer never sees another's profile: B's answer names B only, A's token never reached B.
    const own = await gql(
      callers['app, customer B']!,
      'query($b: ID!) { customer(id: $b) { id displayName } }',
      { b },
    );
    expect(own.body.data).toEqual({ customer: { id: b, displayName: 'Bram' } });
  });

  it(
    'audits every staff read and act on a profile; of a ' + 'customer’s own acts only her data export',
    async () => {
      const audit = await ctx.deps.db
        .selectFrom('auditLog')
        .select(['actor', 'action', 'subject'])
        .orderBy('id')
        .execute();
      // The admin key is staff too (a CONSOLE caller), named as the admin API names it.
      const staff = new Set([
        ...[clients.storeA!.id, clients.storeB!.id, clients.agent!.id].map((id) => `client:${id}`),
        'admin:matrix',
      ]);
      expect(audit.length).toBeGreaterThan(0);
      // Every data export is on record whoever asked (the customer herself too); every other entry is a staff
      // act.
      expect(
        audit
          .filter((r) => r.action === 'customer.exported')
          .map((r) => r.actor)
          .sort(),
      ).toEqual([`client:${clients.web!.id}`, `client:${clients.agent!.id}`, 'admin:matrix'].sort());
      expect(audit.filter((r) => r.action !== 'customer.exported' && !staff.has(r.actor))).toEqual([]);
      const reads = (subject: string) =>
        audit
          .filter((r) => r.action === 'customer.read' && r.subject === `customer:${subject}`)
          .map((r) => r.actor)
          .sort();
      expect(reads(a)).toEqual([...staff].sort());
      expect(reads(b)).toEqual([...staff].sort());
      expect(
        audit
          .filter((r) => r.action === 'customer.export')
          .map((r) => r.actor)
          .sort(),
      ).toEqual([`client:${clients.agent!.id}`, 'admin:matrix'].sort());
    },
  );

  it('keeps the admin API to admin keys', async () => {
    const admin = (key: string | null, path: string, init: RequestInit = {}) =>
      fetch(`http://127.0.0.1:${node.port}/admin/v1${path}`, {
        ...init,
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      }).then((r) => r.status);
    const newClient = {
      method: 'POST',
      body: JSON.stringify({ name: 'rogue', channel: 'CALL_CENTER', scopes: [] }),
    };
    expect(await admin(ADMIN_KEY, '/products')).toBe(200);
    expect(await admin(null, '/products')).toBe(401);
    for (const c of Object.values(clients)) {
      // A channel key is a credential, but not for this API.
      expect(await admin(c.key, '/products')).toBe(403);
      expect(await admin(c.key, '/clients', newClient)).toBe(403);
    }
    expect(await admin(ADMIN_KEY, '/clients', newClient)).toBe(201);
  });

  /**
   * Whose resource a caller may touch: A's orders (an online one, and one sold at store B), reservations made
   * by the web, by each store and for A, and live feeds about A. Every refused cell is also checked to have
   * written nothing.
   */
  describe('orders, reservations and subscriptions', () => {
    let worker: BackofficeWorker;
    const LINE = [{ sku: 'COAT-M', quantity: 1 }];
    beforeAll(async () => {
      // The worker earns and reverses points, and publishes the loyalty notices a subscription waits for.
      worker = await startBackofficeWorker(ctx.deps, { ...journeyWorkerOptions(ctx.deps), relayPollMs: 50 });
    });
    afterAll(async () => {
      await worker.stop();
    });

    type Levels = Record<string, { onHand: number; reserved: number }>;
    const levels = async (): Promise<Levels> =>
      Object.fromEntries(
        (
          await ctx.deps.db
            .selectFrom('stockLevels')
            .select(['sku', 'locationId', 'onHand', 'reserved'])
            .orderBy('locationId')
            .execute()
        ).map((l) => [`${l.sku}@${l.locationId}`, { onHand: l.onHand, reserved: l.reserved }]),
      );
    const auditNaming = async (field: 'orderId' | 'reservationId', id: string) =>
      await ctx.deps.db
        .selectFrom('auditLog')
        .select(['actor', 'action', 'subject'])
        .where(sql<boolean>`details ->> ${field} = ${id}`)
        .execute();
    /** What went wrong in any cell: every cell is checked, and all of it is reported at once. */
    const violations: string[] = [];
    const check = (cell: string, ok: boolean, what: string) => {
      if (!ok) violations.push(`${cell}: ${what}`);
    };
    const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
    const accepted: Array<{ orderId: string; returnId: string; staff: boolean }> = [];
    const refusedOrders: string[] = [];
    let n = 0;

    /**
     * A's order to return: online (reserved at the warehouse, shipped, then delivered) or sold at store B's
     * till.
     */
    const ordersOfA = {
      online: async () => {
        const { orderId } = await placeOrder(
          ctx.deps,
          { locationId: 'wh-1', lines: LINE, customerId: a },
          `a-online-${++n}`,
          { channel: 'WEB' },
        );
        // Only what left the warehouse comes back as a return; it earned its points when it reached her.
        const [f] = (await getOrder(ctx.deps.db, orderId))!.fulfilments;
        for (const status of ['SHIPPED', 'DELIVERED'] as const)
          await recordFulfilmentEvent(ctx.deps, f!.id, { status }, `${status}-${n}`, {
            actor: 'admin:warehouse',
            channel: 'ADMIN',
          });
        return orderId;
      },
      'at store B': async () =>
        (
          await placeStoreSale(
            ctx.deps,
            { locationId: 'utr-01', lines: LINE, customerId: a },
            `a-store-${++n}`,
          )
        ).orderId,
    };
    /**
     * Returns A's new order's coat: a store terminal gives no location (its own store), everyone else the
     * warehouse.
     */
    const returnOf =
      (kind: keyof typeof ordersOfA) =>
      async (who: string, c: Caller): Promise<string> => {
        const orderId = await ordersOfA[kind]();
        const terminal = who.startsWith('store');
        const at = who === 'store A terminal' ? 'ams-01' : who === 'store B terminal' ? 'utr-01' : 'wh-1';
        const before = await levels();
        const outcome = result(
          await gql(
            c,
            'mutation($in: ReturnInput!, $k: String!) { ' +
              'returnItems(input: $in, idempotencyKey: $k) { id refund { amount } } }',
            {
              in: {
                orderId,
                lines: [{ sku: 'COAT-M', quantity: 1, sellable: true }],
                ...(terminal ? {} : { locationId: 'wh-1' }),
              },
              k: `return-${n}`,
            },
          ),
        );
        const cell = `${who} / return ${kind}`;
        const returns = await ctx.deps.db
          .selectFrom('returns')
          .select(['id', 'locationId'])
          .where('orderId', '=', orderId)
          .execute();
        const after = await levels();
        if (outcome === 'OK') {
          check(
            cell,
            returns.length === 1 && returns[0]!.locationId === at,
            `restocked at ${returns[0]?.locationId}, not ${at}`,
          );
          check(
            cell,
            same(after, {
              ...before,
              [`COAT-M@${at}`]: { ...before[`COAT-M@${at}`]!, onHand: before[`COAT-M@${at}`]!.onHand + 1 },
            }),
            'stock moved elsewhere than one unit back at the return location',
          );
          accepted.push({ orderId, returnId: returns[0]!.id, staff: !who.startsWith('web') });
        } else {
          refusedOrders.push(orderId);
          check(cell, returns.length === 0, 'a return row was written');
          check(cell, same(after, before), 'stock changed');
          const lines = await ctx.deps.db
            .selectFrom('orderLines')
            .select('returnedQuantity')
            .where('orderId', '=', orderId)
            .execute();
          check(
            cell,
            lines.every((l) => l.returnedQuantity === 0),
            'units were marked returned',
          );
          const events = await ctx.deps.db
            .selectFrom('outbox')
            .select('id')
            .where('type', '=', 'return.recorded')
            .where('aggregateId', '=', orderId)
            .execute();
          check(cell, events.length === 0, 'a return was announced (points would be reversed)');
          check(cell, (await auditNaming('orderId', orderId)).length === 0, 'an audit row claims the return');
        }
        return outcome;
      };

    /**
     * Who makes each kind of reservation, and where: the web at the warehouse, each store at its own, store A
     * for A.
     */
    const makers: Record<string, { by: string; token?: () => Promise<string>; at: string; forA?: boolean }> =
      {
        'web’s': { by: 'web', at: 'wh-1' },
        'store A’s': { by: 'storeA', at: 'ams-01' },
        'store B’s': { by: 'storeB', at: 'utr-01' },
        'A’s': { by: 'storeA', at: 'ams-01', forA: true },
      };
    const reservationOf = async (kind: string): Promise<string> => {
      const m = makers[kind]!;
      const r = await gql(
        { key: clients[m.by]!.key },
        'mutation($in: ReserveStockInput!, $k: String!) { reserveStock(input: $in, ' +
          'idempotencyKey: $k) { id } }',
        {
          in: {
            lines: [{ sku: 'COAT-M', quantity: 1, locationId: m.at }],
            ...(m.forA ? { customerId: a } : {}),
          },
          k: `hold-${++n}`,
        },
      );
      return (r.body.data as { reserveStock: { id: string } }).reserveStock.id;
    };
    const onReservation =
      (act: 'release' | 'order from', kind: string) =>
      async (who: string, c: Caller): Promise<string> => {
        const id = await reservationOf(kind);
        const before = await levels();
        const outcome = result(
          act === 'release'
            ? await gql(c, 'mutation($id: ID!) { releaseReservation(id: $id) { id status } }', { id })
            : await gql(
                c,
                'mutation($in: PlaceOrderInput!, $k: String!) { placeOrder(input: $in, ' +
                  'idempotencyKey: $k) { id } }',
                { in: { reservationId: id, lines: LINE }, k: `order-${n}` },
              ),
        );
        const cell = `${who} / ${act} ${kind}`;
        const status = (
          await ctx.deps.db
            .selectFrom('reservations')
            .select('status')
            .where('id', '=', id)
            .executeTakeFirstOrThrow()
        ).status;
        const orders = await ctx.deps.db
          .selectFrom('orders')
          .select('id')
          .where('reservationId', '=', id)
          .execute();
        if (outcome === 'OK') {
          check(
            cell,
            status === (act === 'release' ? 'RELEASED' : 'COMMITTED'),
            `the reservation is ${status}`,
          );
          check(cell, orders.length === (act === 'release' ? 0 : 1), `${orders.length} orders`);
        } else {
          check(cell, status === 'ACTIVE', `the reservation is ${status}`);
          check(cell, orders.length === 0, 'an order was written');
          check(cell, same(await levels(), before), 'stock changed');
          check(cell, (await auditNaming('reservationId', id)).length === 0, 'an audit row claims the act');
        }
        return outcome;
      };

    /**
     * A live feed about A over graphql-ws: OK once it pushes (the offer at once; her loyalty on her next
     * points).
     */
    const feed =
      (query: string, nudge: boolean) =>
      async (_who: string, c: Caller): Promise<string> => {
        const client = createClient({
          url: `ws://127.0.0.1:${node.port}/graphql`,
          webSocketImpl: WebSocket,
          retryAttempts: 0,
          lazy: true,
          connectionParams: {
            ...(c.key ? { authorization: `Bearer ${c.key}` } : {}),
            ...(c.token ? { customerToken: c.token } : {}),
          },
        });
        try {
          const answer = new Promise<string>((resolve) => {
            client.subscribe(
              { query, variables: { a } },
              {
                // An act refused before its stream starts comes as one result carrying the error, then
                // completes.
                next: (v) =>
                  resolve(
                    (v.errors?.[0] as { extensions?: { code?: string } } | undefined)?.extensions?.code ??
                      (v.errors ? 'ERROR' : 'OK'),
                  ),
                // A refused act: its error's code. A refused connection (no valid key or token): closed with
                // 4401 before any act.
                error: (e) =>
                  resolve(
                    Array.isArray(e)
                      ? ((e[0] as { extensions?: { code?: string } })?.extensions?.code ?? 'ERROR')
                      : (e as { code?: number }).code === 4401
                        ? 'UNAUTHENTICATED'
                        : `CLOSED ${(e as { code?: number }).code}`,
                  ),
                complete: () => resolve('COMPLETED'),
              },
            );
          });
          if (nudge) {
            await new Promise((r) => setTimeout(r, 300));
            await adjustPoints(
              ctx.deps,
              { customerId: a, points: 1, reason: 'matrix nudge' },
              `nudge-${++n}`,
            );
          }
          return await Promise.race([
            answer,
            new Promise<string>((r) => setTimeout(() => r('NO PUSH'), 8000)),
          ]);
        } finally {
          await client.dispose();
        }
      };

    it(
      'gives every caller exactly the intended rights over A’s orders, reservations and live feeds, and ' +
        'writes nothing it refuses',
      async () => {
        const acts: Record<string, (who: string, c: Caller) => Promise<string>> = {
          'return A’s online order': returnOf('online'),
          'return A’s store-B sale': returnOf('at store B'),
          ...Object.fromEntries(
            Object.keys(makers).map((k) => [`release ${k}`, onReservation('release', k)]),
          ),
          ...Object.fromEntries(
            Object.keys(makers).map((k) => [`order from ${k}`, onReservation('order from', k)]),
          ),
          'offerChanged for A': feed(
            'subscription($a: ID!) { offerChanged(sku: "COAT-M", customerId: $a) { revision } }',
            false,
          ),
          'loyaltyChanged for A': feed(
            'subscription($a: ID!) { loyaltyChanged(customerId: $a) { points } }',
            true,
          ),
        };
        const actual: Record<string, Record<string, string>> = {};
        for (const [who, caller] of Object.entries(callers)) {
          actual[who] = {};
          for (const [what, act] of Object.entries(acts)) actual[who]![what] = await act(who, caller);
        }
        const row = (cells: string[]) => Object.fromEntries(Object.keys(acts).map((k, i) => [k, cells[i]!]));
        const U = 'UNAUTHENTICATED';
        const F = 'FORBIDDEN';
        const OK = 'OK';
        expect(actual).toEqual({
          // Columns: return A's online order, A's store-B sale; release, then order from, each of: the web's,
          // store A's, store B's and A's reservation; the offer and loyalty feeds for A.
          anonymous: row([U, U, U, U, U, U, U, U, U, U, U, U]),
          // An admin key: a CONSOLE caller with every console area, as the agent.
          'admin key': row([OK, OK, F, F, F, OK, F, F, F, OK, OK, OK]),
          web: row([F, F, OK, F, F, F, OK, F, F, F, F, F]),
          'web, customer A': row([OK, OK, OK, F, F, OK, OK, F, F, OK, OK, OK]),
          'app, customer B': row([F, F, F, F, F, F, F, F, F, F, F, F]),
          'app, A’s web token': row([U, U, U, U, U, U, U, U, U, U, U, U]),
          'store A terminal': row([OK, OK, F, OK, F, OK, F, OK, F, OK, OK, OK]),
          'store B terminal': row([OK, OK, F, F, OK, F, F, F, OK, F, OK, OK]),
          'call-center agent': row([OK, OK, F, F, F, OK, F, F, F, OK, OK, OK]),
        });
        expect(violations).toEqual([]);

        // Every staff return of A's order is on record against her; hers through the web are not.
        const returnAudits = await ctx.deps.db
          .selectFrom('auditLog')
          .select(['actor', 'subject'])
          .where('action', '=', 'order.return')
          .execute();
        expect(returnAudits).toHaveLength(accepted.filter((x) => x.staff).length);
        expect(new Set(returnAudits.map((r) => r.subject))).toEqual(new Set([`customer:${a}`]));

        // Once the worker has applied every sale, delivery and return: points were reversed for exactly the
        // accepted returns, and every refused return's order still has all its points.
        const applied = async () => {
          const pending = await sql<{
            n: number;
          }>`SELECT count(*)::int AS n FROM outbox o
          WHERE o.type IN ('sale.committed', 'order.changed', 'return.recorded')
          AND NOT EXISTS (SELECT 1 FROM applied_events e
            WHERE e.consumer = ${LOYALTY_CONSUMER} AND e.event_id = o.id)`.execute(ctx.deps.db);
          return pending.rows[0]!.n === 0;
        };
        await until(applied, 15_000, 'the loyalty consumer to apply every sale, delivery and return');
        const ledger = await ctx.deps.db
          .selectFrom('loyaltyLedger')
          .select(['kind', 'points', 'reference'])
          .where('customerId', '=', a)
          .execute();
        // Every accepted return took back all its order's points: as a REVERSE when the points were booked
        // first, or, when the worker applied the delivery after the return was recorded, by the delivery
        // earning net of that refund (journey-layer/loyalty/order-standing.ts): the order keeps none.
        const kept = async (x: { orderId: string; returnId: string }) => {
          const refs = [
            x.orderId,
            x.returnId,
            ...(await getOrder(ctx.deps.db, x.orderId))!.fulfilments.map((f) => f.id),
          ];
          return ledger.filter((l) => refs.includes(l.reference!)).reduce((n, l) => n + l.points, 0);
        };
        const keptByReturn = Object.fromEntries(
          await Promise.all(accepted.map(async (x) => [x.returnId, await kept(x)] as const)),
        );
        expect(keptByReturn).toEqual(Object.fromEntries(accepted.map((x) => [x.returnId, 0])));
        // A store sale earns under its order's id, an online order under its fulfilment's (when delivered).
        for (const orderId of refusedOrders) {
          const earnedAs = [orderId, ...(await getOrder(ctx.deps.db, orderId))!.fulfilments.map((f) => f.id)];
          expect(
            ledger.filter((l) => l.kind === 'EARN' && earnedAs.includes(l.reference!) && l.points > 0),
          ).toHaveLength(1);
        }
      },
    );
  });
});
