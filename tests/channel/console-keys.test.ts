/**
 * The staff console on the GraphQL API, over real HTTP and WebSocket: an admin key is let in as a CONSOLE
 * caller with every console area (audited as `admin:<name>`); a CONSOLE key with console scopes may do only
 * the acts of its areas, at its locations; one without console scopes keeps the channel's rules.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  commitReservation,
  registerAdminKey,
  reserveStock,
  setStockCount,
  upsertLocation,
} from '../../backoffice-layer/index.js';
import { createChannelClient, startApiNode, type ApiNode } from '../../channel-layer/index.js';
import { enrollCustomer } from '../../journey-layer/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';
import { graphqlClient, seedCoat } from '../support/channel.js';
import { wsClient, wsOperation } from '../support/ws.js';

const ADMIN_KEY = 'console-graphql-admin-key-0123456789';
let ctx: BackofficeTestContext;
let node: ApiNode;
let anna: string;
const orderAt: Record<string, string> = {};

const READ = 'query($id: ID!) { customer(id: $id) { id displayName } }';
const OFFER = '{ offer(sku: "COAT-M") { revision } }';
const RENAME =
  'mutation($id: ID!) { updateProfile(customerId: $id, input: { displayName: "Anna V." }) { id } }';
const ORDER = 'query($id: ID!) { order(id: $id) { id status } }';

/** A CONSOLE client key with `scopes`. */
async function consoleKey(scopes: string[]): Promise<{ id: string; key: string }> {
  return createChannelClient(
    ctx.deps.db,
    { name: scopes.join(' ') || 'bare', channel: 'CONSOLE', scopes },
    new Date(),
  );
}

/** What one answer came to: OK, or its first error's code. */
const outcome = (r: { data?: unknown; errors?: Array<{ extensions: { code: string } }> }): string =>
  r.errors?.[0]?.extensions.code ?? 'OK';

beforeAll(async () => {
  ctx = await createBackofficeTestContext();
  await seedCoat(ctx.deps);
  for (const id of ['ams-01', 'utr-01']) {
    await upsertLocation(ctx.deps, id, { name: id, kind: 'STORE', fulfilsOnline: false });
    await setStockCount(ctx.deps, 'COAT-M', id, { onHand: 10 });
  }
  for (const locationId of ['ams-01', 'utr-01']) {
    const lines = [{ sku: 'COAT-M', locationId, quantity: 1 }];
    const r = await reserveStock(ctx.deps, { lines, channel: 'WEB' }, randomUUID());
    const order = await commitReservation(
      ctx.deps,
      {
        reservationId: r.reservation.id,
        currency: 'EUR',
        customerRef: null,
        channel: 'WEB',
        lines: lines.map((l) => ({ ...l, unitAmount: 12995, lineAmount: 12995 })),
      },
      randomUUID(),
    );
    orderAt[locationId] = order.orderId;
  }
  anna = (
    await enrollCustomer(
      ctx.deps,
      { displayName: 'Anna', email: 'anna@example.nl' },
      { channel: 'WEB', idempotencyKey: 'anna' },
    )
  ).customer.id;
  await registerAdminKey(ctx.deps.db, ADMIN_KEY, 'head office', new Date());
  node = await startApiNode(ctx.deps, 0, '127.0.0.1');
});
afterAll(async () => {
  await node?.stop(100);
  await ctx?.close();
});

describe('an admin key on GraphQL', () => {
  it('answers offer and customer as a console caller with every area, audited as admin:<name>', async () => {
    const gql = graphqlClient(node.port, ADMIN_KEY);
    const offer = await gql(OFFER);
    expect(offer.errors).toBeUndefined();
    expect(offer.data).toEqual({ offer: { revision: expect.stringMatching(/^\d+$/) } });
    const read = await gql(READ, { id: anna });
    expect(read).toEqual({ data: { customer: { id: anna, displayName: 'Anna' } } });
    expect(outcome(await gql(ORDER, { id: orderAt['utr-01'] }))).toBe('OK');
    const audit = await ctx.deps.db
      .selectFrom('auditLog')
      .select(['actor', 'subject'])
      .where('action', '=', 'customer.read')
      .execute();
    expect(audit).toContainEqual({ actor: 'admin:head office', subject: `customer:${anna}` });
  });

  it('is let in over WebSocket too (connection_init), and a wrong key is still refused', async () => {
    const ws = wsClient(node.port, ADMIN_KEY);
    try {
      const answer = await wsOperation(ws, READ, { id: anna });
      expect(answer.data).toEqual({ customer: { id: anna, displayName: 'Anna' } });
    } finally {
      await ws.dispose();
    }
    const wrong = await graphqlClient(node.port, `${ADMIN_KEY}-not`)(OFFER);
    expect(outcome(wrong)).toBe('UNAUTHENTICATED');
  });
});

describe('a CONSOLE key with console scopes on GraphQL', () => {
  it('without console:customers cannot read a customer, but prices offers', async () => {
    const gql = graphqlClient(node.port, (await consoleKey(['console:orders'])).key);
    const refused = await gql(READ, { id: anna });
    expect(outcome(refused)).toBe('FORBIDDEN');
    expect(refused.errors?.[0]?.message).toMatch(/console:customers/);
    expect(outcome(await gql(OFFER))).toBe('OK');
  });

  it('reads her with console:customers, and changes her only with console:customers:write', async () => {
    const reader = graphqlClient(node.port, (await consoleKey(['console:customers'])).key);
    expect(outcome(await reader(READ, { id: anna }))).toBe('OK');
    const refused = await reader(RENAME, { id: anna });
    expect(outcome(refused)).toBe('FORBIDDEN');
    expect(refused.errors?.[0]?.message).toMatch(/console:customers:write/);
    expect((await reader(READ, { id: anna })).data).toEqual({ customer: { id: anna, displayName: 'Anna' } });

    const writer = graphqlClient(node.port, (await consoleKey(['console:customers:write'])).key);
    expect(outcome(await writer(RENAME, { id: anna }))).toBe('OK');
    expect((await writer(READ, { id: anna })).data).toEqual({
      customer: { id: anna, displayName: 'Anna V.' },
    });
  });

  it('reads orders at its own locations only', async () => {
    const gql = graphqlClient(node.port, (await consoleKey(['console:orders', 'location:ams-01'])).key);
    expect(outcome(await gql(ORDER, { id: orderAt['ams-01'] }))).toBe('OK');
    const other = await gql(ORDER, { id: orderAt['utr-01'] });
    expect(outcome(other)).toBe('FORBIDDEN');
    expect(other.errors?.[0]?.message).not.toMatch(/utr-01/);
  });

  it('keeps the channel rules alone for a CONSOLE key without console scopes', async () => {
    const gql = graphqlClient(node.port, (await consoleKey([])).key);
    expect(outcome(await gql(READ, { id: anna }))).toBe('OK');
    expect(outcome(await gql(ORDER, { id: orderAt['utr-01'] }))).toBe('OK');
  });
});
