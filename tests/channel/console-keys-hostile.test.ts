/**
 * Attacks on the staff console's server surface that SUCCEED today: each test states the behaviour the hub
 * should have and fails while the hole is open.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { commitReservation, reserveStock } from '../../backoffice-layer/index.js';
import { demoOrderId, memberId, outcome, startAttackHub, type AttackHub } from './console-attack-hub.js';
import { wsClient } from '../support/ws.js';

jest.setTimeout(60_000);

let hub: AttackHub;
let anne: string;
/** An order of Anne's whose one line is held at Rotterdam (rtm-01). */
let anneAtRotterdam: string;
const SKU = 'NK-COAT-ARCTIC-NAVY-S';

beforeAll(async () => {
  hub = await startAttackHub();
  anne = await memberId(hub, 'Anne de Vries');
  const lines = [{ sku: SKU, locationId: 'rtm-01', quantity: 1 }];
  const r = await reserveStock(hub.deps, { lines, channel: 'WEB' }, randomUUID());
  anneAtRotterdam = (
    await commitReservation(
      hub.deps,
      {
        reservationId: r.reservation.id,
        currency: 'EUR',
        customerRef: anne,
        channel: 'WEB',
        lines: lines.map((l) => ({ ...l, unitAmount: 1000, lineAmount: 1000 })),
      },
      randomUUID(),
    )
  ).orderId;
}, 120_000);
afterAll(async () => {
  await hub?.close();
});

describe('a CONSOLE key holding location scopes but no console: area', () => {
  it('is limited to its location on GraphQL too (it is on admin REST)', async () => {
    // The admin issues a key meant for the Amsterdam store only; the hub accepts it and its session says so.
    const issued = await hub.rest(hub.adminKey, 'POST', '/clients', {
      channel: 'CONSOLE',
      name: 'Amsterdam only',
      scopes: ['location:ams-01'],
    });
    expect(issued.status).toBe(201);
    const key = issued.body.key as string;
    expect((await hub.rest(key, 'GET', '/session')).body).toMatchObject({ areas: [], locations: ['ams-01'] });
    // Admin REST refuses it everything but the session.
    expect((await hub.rest(key, 'GET', `/orders/${demoOrderId(9)}`)).status).toBe(403);
    // GraphQL: the Rotterdam order (9) is read and the Utrecht pickup (7) is cancelled.
    const read = await hub.gql(key, `{ order(id: "${demoOrderId(9)}") { id status } }`);
    const cancel = await hub.gql(
      key,
      `mutation { cancelOrder(id: "${demoOrderId(7)}", idempotencyKey: "${randomUUID()}") { id status } }`,
    );
    const after = await hub.deps.db
      .selectFrom('orders')
      .select('status')
      .where('id', '=', demoOrderId(7))
      .executeTakeFirstOrThrow();
    expect({ read: outcome(read), cancel: outcome(cancel), utrechtOrder: after.status }).toEqual({
      read: 'FORBIDDEN',
      cancel: 'FORBIDDEN',
      utrechtOrder: 'OPEN',
    });
  });
});

describe('Customer.orders on GraphQL', () => {
  it('does not show an Amsterdam key her order at Rotterdam (order(id) refuses it)', async () => {
    const key = (await hub.consoleKey(['console:customers', 'console:orders', 'location:ams-01'])).key;
    expect(outcome(await hub.gql(key, `{ order(id: "${anneAtRotterdam}") { id } }`))).toBe('FORBIDDEN');
    const r = await hub.gql(
      key,
      'query($c: ID!) { customer(id: $c) { orders { edges { node { id ' +
        'fulfilments { stockLocation { id } } } } } } }',
      { c: anne },
    );
    const seen = (r.data?.customer?.orders?.edges ?? []).map((e: { node: { id: string } }) => e.node.id);
    expect(seen).not.toContain(anneAtRotterdam);
  });

  it('shows no orders to a key without console:orders (order(id) refuses it)', async () => {
    const key = (await hub.consoleKey(['console:customers'])).key;
    expect(outcome(await hub.gql(key, `{ order(id: "${anneAtRotterdam}") { id } }`))).toBe('FORBIDDEN');
    const r = await hub.gql(
      key,
      'query($c: ID!) { customer(id: $c) { orders { edges { node { id status total { amount } } } } } }',
      { c: anne },
    );
    expect({ errors: outcome(r), orders: r.data?.customer?.orders?.edges?.length ?? 0 }).toEqual({
      errors: 'FORBIDDEN',
      orders: 0,
    });
  });
});

describe('the channel mirror and a key without console:customers', () => {
  const MIRROR = `query($c: ID) { channelMirror(sku: "${SKU}", customerId: $c) {
    panes { channel error loyalty { tier points } } } }`;

  it('refuses customer(id) (the guard the mirror should follow)', async () => {
    const key = (await hub.consoleKey(['console:mirror'])).key;
    expect(outcome(await hub.gql(key, 'query($c: ID!) { customer(id: $c) { id } }', { c: anne }))).toBe(
      'FORBIDDEN',
    );
  });

  it('channelMirror does not answer her loyalty (tier and points) to a key without customers', async () => {
    const key = (await hub.consoleKey(['console:mirror'])).key;
    const r = await hub.gql(key, MIRROR, { c: anne });
    const loyalty = (r.data?.channelMirror?.panes ?? []).map((p: { loyalty: unknown }) => p.loyalty);
    expect(loyalty.filter((l: unknown) => l !== null)).toEqual([]);
  });

  it('channelMirrorChanged does not push her loyalty to a key without customers', async () => {
    const key = (await hub.consoleKey(['console:mirror'])).key;
    const client = wsClient(hub.node.port, key);
    try {
      const first = await new Promise<any>((resolve) => {
        const stop = client.subscribe(
          {
            query: `subscription($c: ID) { channelMirrorChanged(sku: "${SKU}", customerId: $c) {
              panes { loyalty { tier points } } } }`,
            variables: { c: anne },
          },
          {
            next: (v) => {
              resolve(v);
              stop();
            },
            error: (e) => resolve({ errors: e }),
            complete: () => undefined,
          },
        );
        setTimeout(() => resolve({ timeout: true }), 10_000);
      });
      const loyalty = (first.data?.channelMirrorChanged?.panes ?? []).map(
        (p: { loyalty: unknown }) => p.loyalty,
      );
      expect(loyalty.filter((l: unknown) => l !== null)).toEqual([]);
    } finally {
      await client.dispose();
    }
  });
});

describe('a revoked admin key on GraphQL', () => {
  it('is refused at once by the node that revoked it, as admin REST refuses it (docs/API.md)', async () => {
    const issued = await hub.rest(hub.adminKey, 'POST', '/admin-keys', { name: 'leaked' });
    expect(issued.status).toBe(201);
    const key = issued.body.key as string;
    expect(outcome(await hub.gql(key, '{ revision }'))).toBe('OK');
    expect((await hub.rest(hub.adminKey, 'DELETE', `/admin-keys/${issued.body.adminKey.id}`)).status).toBe(
      200,
    );
    const rest = await hub.rest(key, 'GET', '/session');
    // Every console area with write, every location: e.g. read an order of any store.
    const gql = await hub.gql(key, `{ order(id: "${demoOrderId(9)}") { id status } }`);
    expect({ rest: rest.status, gql: outcome(gql) }).toEqual({ rest: 403, gql: 'UNAUTHENTICATED' });
  });
});
