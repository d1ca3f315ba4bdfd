/**
 * A staff write that fails in the domain tells her of nothing that was not done: a consent that expired
 * already, a home store that does not exist, an identifier that is not hers, an order beyond the store's
 * stock, a store sale of a product the shop does not sell (a till sells what is on the shelf: stock never
 * refuses it), two profiles already one, more points than she has — each answers its stable code, over
 * HTTP and WebSocket alike, and leaves no entry in her `dataUse`, while the audit trail keeps the attempt.
 * The same write done right leaves exactly one entry.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { adjustPoints, linkIdentifier, listDataUse } from '../../journey-layer/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';
import { wsClient, wsOperation } from '../support/ws.js';
import { givenMember } from './access-fixtures.js';
import { givenJourneyShop, outcome, type JourneyShop } from './journey-fixtures.js';

const CONSENT =
  'mutation($c: ID!, $e: DateTime) { setConsent(customerId: $c, purpose: EMAIL_MARKETING, granted: true, ' +
  'expiresAt: $e) { id } }';
const PROFILE = 'mutation($c: ID!, $in: ProfileInput!) { updateProfile(customerId: $c, input: $in) { id } }';
const UNLINK =
  'mutation($c: ID!, $k: IdentifierKind!, $v: String!) { unlinkIdentifier(customerId: $c, kind: $k, ' +
  'value: $v) { id } }';
const ORDER =
  'mutation($c: ID!, $n: Int!, $k: String!) { placeOrder(input: { customerId: $c, locationId: "ams-01", ' +
  'lines: [{ sku: "COAT-M", quantity: $n }] }, idempotencyKey: $k) { id } }';
const SALE =
  'mutation($c: ID!, $sku: ID!, $k: String!) { recordStoreSale(input: { customerId: $c, ' +
  'lines: [{ sku: $sku, quantity: 1 }] }, idempotencyKey: $k) { id } }';
const MERGE =
  'mutation($s: ID!, $m: ID!, $k: String!) { mergeCustomers(survivorId: $s, mergedId: $m, ' +
  'idempotencyKey: $k) { mergeId } }';
const REDEEM =
  'mutation($c: ID!, $p: Int!, $k: String!) { redeemPoints(customerId: $c, points: $p, idempotencyKey: $k) ' +
  '{ points } }';

/**
 * One kind of staff write on her: its audit action and data-use words, the customer it is about, who asks
 * and the operation, the variables of a call that fails in the domain (with its code) and of one that
 * succeeds (`successFirst`: the failure needs the success before it — two profiles are one only once merged).
 */
interface WriteKind {
  name: string;
  action: string;
  what: string;
  customer: () => string;
  caller: 'storeA' | 'agent';
  query: string;
  failed: () => Record<string, unknown>;
  code: string;
  done: () => Record<string, unknown>;
  successFirst?: boolean;
}

describe('failed staff writes are not in her data use', () => {
  let ctx: BackofficeTestContext;
  let shop: JourneyShop;
  let carla: string;
  let dirk: string;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    shop = await givenJourneyShop(ctx);
    carla = await givenMember(ctx, 'Carla', 'carla@example.nl');
    dirk = await givenMember(ctx, 'Dirk', 'carla.work@example.nl');
    // A phone of hers to unlink (linked through the admin API: no channel act of anyone's on her data use).
    await linkIdentifier(ctx.deps, shop.a, { kind: 'PHONE', value: '+31687654321', channel: 'ADMIN' });
    // Points of hers to redeem (a manual credit: a sale's points are booked when its event is applied).
    await adjustPoints(ctx.deps, { customerId: shop.a, points: 50, reason: 'welcome' }, 'welcome-anna');
  });
  afterAll(async () => {
    await shop.stop();
    await ctx.close();
  });

  /** How many of her data-use entries say `what`, read as she would (following merges). */
  const uses = async (customerId: string, what: string) =>
    (await listDataUse(ctx.deps.db, customerId, { first: 200, after: null })).items.filter(
      (u) => u.what === what,
    ).length;

  /** How many audit rows name `action` about her. */
  const attempts = async (customerId: string, action: string) =>
    (
      await ctx.deps.db
        .selectFrom('auditLog')
        .select('id')
        .where('action', '=', action)
        .where('subject', '=', `customer:${customerId}`)
        .execute()
    ).length;

  /** Runs `kind` with `variables` over HTTP: its outcome, and how her data use and the audit trail moved. */
  const run = async (kind: WriteKind, variables: Record<string, unknown>) => {
    const id = kind.customer();
    const before = { uses: await uses(id, kind.what), audit: await attempts(id, kind.action) };
    const r = await shop.gql({ key: shop.clients[kind.caller].key }, kind.query, variables);
    return {
      name: kind.name,
      code: outcome(r),
      uses: (await uses(id, kind.what)) - before.uses,
      audit: (await attempts(id, kind.action)) - before.audit,
    };
  };

  const her = () => shop.a;
  const kinds: WriteKind[] = [
    {
      name: 'a consent that expired already',
      action: 'customer.consent',
      what: 'recorded a consent decision',
      customer: her,
      caller: 'agent',
      query: CONSENT,
      failed: () => ({ c: shop.a, e: '2001-01-01T00:00:00Z' }),
      code: 'BAD_USER_INPUT',
      done: () => ({ c: shop.a, e: '2100-01-01T00:00:00Z' }),
    },
    {
      name: 'a home store that does not exist',
      action: 'customer.update-profile',
      what: 'corrected the profile',
      customer: her,
      caller: 'agent',
      query: PROFILE,
      failed: () => ({ c: shop.a, in: { attributes: { homeStore: 'nowhere-01' } } }),
      code: 'NOT_FOUND',
      done: () => ({ c: shop.a, in: { attributes: { homeStore: 'ams-01' } } }),
    },
    {
      name: 'an identifier that is not hers',
      action: 'customer.unlink-identifier',
      what: 'unlinked an identifier',
      customer: her,
      caller: 'agent',
      query: UNLINK,
      failed: () => ({ c: shop.a, k: 'EMAIL', v: 'bram@example.nl' }),
      code: 'NOT_FOUND',
      done: () => ({ c: shop.a, k: 'PHONE', v: '+31687654321' }),
    },
    {
      name: 'an order beyond the store’s stock',
      action: 'order.for-customer',
      what: 'placed an order for her',
      customer: her,
      caller: 'storeA',
      query: ORDER,
      failed: () => ({ c: shop.a, n: 101, k: 'order-too-many' }),
      code: 'INSUFFICIENT_STOCK',
      done: () => ({ c: shop.a, n: 1, k: 'order-1' }),
    },
    {
      name: 'a store sale of a product the shop does not sell',
      action: 'sale.for-customer',
      what: 'recorded a store sale for her',
      customer: her,
      caller: 'storeA',
      query: SALE,
      failed: () => ({ c: shop.a, sku: 'NO-SUCH-SKU', k: 'sale-unknown' }),
      code: 'NOT_FOUND',
      done: () => ({ c: shop.a, sku: 'COAT-M', k: 'sale-1' }),
    },
    {
      name: 'more points than she has',
      action: 'loyalty.redeem',
      what: 'redeemed points',
      customer: her,
      caller: 'agent',
      query: REDEEM,
      failed: () => ({ c: shop.a, p: 1_000_000, k: 'redeem-too-many' }),
      code: 'CONFLICT',
      done: () => ({ c: shop.a, p: 1, k: 'redeem-1' }),
    },
    {
      name: 'two profiles already one',
      action: 'customer.merge',
      what: 'merged profiles',
      customer: () => carla,
      caller: 'agent',
      query: MERGE,
      failed: () => ({ s: carla, m: dirk, k: 'merge-again' }),
      code: 'CONFLICT',
      done: () => ({ s: carla, m: dirk, k: 'merge' }),
      successFirst: true,
    },
  ];

  for (const kind of kinds)
    it(`refuses ${kind.name}: its code, the attempt audited, only the write done on her record`, async () => {
      const failed = async () =>
        expect(await run(kind, kind.failed())).toEqual({
          name: kind.name,
          code: kind.code,
          uses: 0,
          audit: 1,
        });
      const done = async () =>
        expect(await run(kind, kind.done())).toEqual({ name: kind.name, code: 'OK', uses: 1, audit: 1 });
      if (kind.successFirst) {
        await done();
        await failed();
      } else {
        await failed();
        await done();
      }
      expect(await uses(kind.customer(), kind.what)).toBe(1);
    });

  it('shows her, as the console reads it, one entry per write done and none per write failed', async () => {
    const r = await shop.gql(
      { key: shop.clients.console.key },
      'query($c: ID!) { customer(id: $c) { dataUse(first: 200) { edges { node { actor purpose what } } } } }',
      { c: shop.a },
    );
    expect(r.errors).toBeUndefined();
    type Use = { actor: string; purpose: string; what: string };
    const staffWrites = (r.data!.customer.dataUse.edges as Array<{ node: Use }>)
      .map((e) => e.node)
      .filter((u) => u.purpose === 'SERVICE' && u.actor !== `client:${shop.clients.console.id}`)
      .map((u) => u.what)
      .sort();
    expect(staffWrites).toEqual(
      kinds
        .filter((k) => k.customer() === shop.a)
        .map((k) => k.what)
        .sort(),
    );
  });

  it('tells her nothing of a write that failed over WebSocket either, and once of one done', async () => {
    const consent = kinds[0]!;
    const client = wsClient(shop.node.port, shop.clients.agent.key);
    try {
      const before = await uses(shop.a, consent.what);
      const auditBefore = await attempts(shop.a, consent.action);
      const failed = await wsOperation(client, CONSENT, { c: shop.a, e: '2001-06-01T00:00:00Z' });
      expect(failed.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
      expect(await uses(shop.a, consent.what)).toBe(before);
      expect(await attempts(shop.a, consent.action)).toBe(auditBefore + 1);
      const done = await wsOperation(client, CONSENT, { c: shop.a, e: '2101-01-01T00:00:00Z' });
      expect(done.errors).toBeUndefined();
      expect(await uses(shop.a, consent.what)).toBe(before + 1);
    } finally {
      await client.dispose();
    }
  });
});
