import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import {
  getStockLevels,
  setPrice,
  setStockCount,
  upsertLocation,
  upsertPriceList,
  upsertProduct,
} from '../../backoffice-layer/index.js';
import { createChannelClient, startApiNode, type ApiNode } from '../../channel-layer/index.js';
import { createCoupons, enrollCustomer, upsertPromotion } from '../../journey-layer/index.js';
import { DomainError } from '../../shared/index.js';
import { graphqlExtensions } from '../../channel-layer/graphql/errors.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';

type GqlError = { message: string; path?: string[]; extensions: Record<string, unknown> & { code: string } };

// Issue 8 §2 and §3 over the GraphQL API: every input field is honoured or refused with BAD_USER_INPUT, a
// client's mistake never reaches a database rule nor INTERNAL, a failed call leaves nothing behind, and
// details never overwrite the error envelope.
describe('checkout inputs, failures and error envelopes over GraphQL', () => {
  let ctx: BackofficeTestContext;
  let node: ApiNode;
  const keys: Record<string, string> = {};
  const COAT = 'NK-COAT-ARCTIC-BLACK-M';
  const BEANIE = 'NK-ACC-MUTS-NAVY';
  const SCARF = 'NK-ACC-SJAAL-GREY';

  const gql = async (
    key: string,
    query: string,
    variables: Record<string, unknown> = {},
    customerToken?: string,
  ) => {
    const res = await fetch(`http://127.0.0.1:${node.port}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${key}`,
        ...(customerToken ? { 'x-customer-token': customerToken } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, body: (await res.json()) as { data?: any; errors?: GqlError[] } };
  };
  const PLACE =
    `mutation($in: PlaceOrderInput!, $k: String!) { placeOrder(input: $in, idempotencyKey: $k) { ` +
    `id total { amount } lines { sku quantity final { amount } } } }`;
  const RESERVE =
    `mutation($in: ReserveStockInput!, $k: String!) { reserveStock(input: $in, idempotencyKey: ` +
    `$k) { id status } }`;
  const available = async (sku: string, locationId = 'wh-1') =>
    (await getStockLevels(ctx.deps.db, [sku])).get(sku)?.find((l) => l.locationId === locationId)?.available;
  const reservations = async (status: 'ACTIVE' | 'RELEASED') =>
    (await ctx.deps.db.selectFrom('reservations').select('id').where('status', '=', status).execute()).map(
      (r) => r.id,
    );

  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await upsertLocation(ctx.deps, 'wh-1', { name: 'Warehouse', kind: 'WAREHOUSE', fulfilsOnline: true });
    await upsertLocation(ctx.deps, 'ams-01', { name: 'Amsterdam', kind: 'STORE', fulfilsOnline: false });
    await upsertPriceList(ctx.deps, 'base', { name: 'Base', currency: 'EUR', priority: 0 });
    for (const [sku, amount, category] of [
      [COAT, 24995, 'coats'],
      [BEANIE, 1995, 'accessories'],
      [SCARF, 2995, 'accessories'],
    ] as const) {
      await upsertProduct(ctx.deps, sku, {
        name: sku,
        category,
        vatRate: 21,
        attributes: {},
        status: 'ACTIVE',
      });
      await setPrice(ctx.deps, 'base', sku, { amount, minQuantity: 1 });
      await setStockCount(ctx.deps, sku, 'wh-1', { onHand: 10 });
      await setStockCount(ctx.deps, sku, 'ams-01', { onHand: 10 });
    }
    await setStockCount(ctx.deps, SCARF, 'wh-1', { onHand: 2 });
    await upsertPromotion(ctx.deps, 'last-one', {
      status: 'ACTIVE',
      rule: { label: 'Last one', couponRequired: true, action: { kind: 'amountOff', amount: 500 } },
    });
    await createCoupons(ctx.deps, 'last-one', { codes: ['LASTONE'], usageLimit: 1 });
    for (const [channel, locationId] of [
      ['WEB', undefined],
      ['STORE', 'ams-01'],
      ['CALL_CENTER', undefined],
    ] as const) {
      keys[channel] = (
        await createChannelClient(
          ctx.deps.db,
          { name: channel, channel, ...(locationId ? { locationId } : {}), scopes: ['rate:100000'] },
          new Date(),
        )
      ).key;
    }
    node = await startApiNode(ctx.deps, 0, '127.0.0.1');
  });
  afterAll(async () => {
    await node.stop(100);
    await ctx.close();
  });

  it('refuses lines that do not match the reservation instead of ordering what it holds (§2)', async () => {
    const r = await gql(keys.WEB!, RESERVE, {
      in: { lines: [{ sku: BEANIE, quantity: 1, locationId: 'wh-1' }] },
      k: 'beanie',
    });
    const reservationId = r.body.data.reserveStock.id as string;
    const coat = await gql(keys.WEB!, PLACE, {
      in: { reservationId, lines: [{ sku: COAT, quantity: 3 }] },
      k: 'coat-order',
    });
    expect(coat.body.data).toBeNull();
    expect(coat.body.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      reservationId,
      reserved: [{ sku: BEANIE, quantity: 1 }],
    });
    expect(coat.body.errors?.[0]?.message).toMatch(/holds 1 × NK-ACC-MUTS-NAVY/);
    // Two beanies are not one; the beanie at another location is not this reservation's.
    expect(
      (
        await gql(keys.WEB!, PLACE, {
          in: { reservationId, lines: [{ sku: BEANIE, quantity: 2 }] },
          k: 'two',
        })
      ).body.errors?.[0]?.extensions.code,
    ).toBe('BAD_USER_INPUT');
    expect(
      (
        await gql(keys.WEB!, PLACE, {
          in: { reservationId, lines: [{ sku: BEANIE, quantity: 1 }], locationId: 'ams-01' },
          k: 'elsewhere',
        })
      ).body.errors?.[0]?.extensions.code,
    ).toBe('BAD_USER_INPUT');
    expect(await ctx.deps.db.selectFrom('orders').select('id').execute()).toEqual([]);
    // the client's own hold is left to the client
    expect(await reservations('ACTIVE')).toEqual([reservationId]);
    // The lines that match, in any split, are honoured.
    const ok = await gql(keys.WEB!, PLACE, {
      in: { reservationId, lines: [{ sku: BEANIE, quantity: 1 }], locationId: 'wh-1' },
      k: 'beanie-order',
    });
    expect(ok.body.errors).toBeUndefined();
    expect(ok.body.data.placeOrder.lines).toEqual([{ sku: BEANIE, quantity: 1, final: { amount: 1995 } }]);
  });

  it('refuses an order or a till sale with a coupon it would not honour, and writes nothing', async () => {
    const web = await gql(keys.WEB!, PLACE, {
      in: { locationId: 'wh-1', lines: [{ sku: BEANIE, quantity: 1 }], couponCodes: ['NOSUCHCODE'] },
      k: 'bogus-coupon',
    });
    expect(web.body.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      rejectedCoupons: [{ code: 'NOSUCHCODE', reason: 'unknown coupon code' }],
    });
    const till = await gql(
      keys.STORE!,
      `mutation { recordStoreSale(input: { lines: [{ sku: "${BEANIE}", quantity: 1 }], ` +
        `couponCodes: ["NOSUCHCODE"] }, idempotencyKey: "till-bogus") { id } }`,
    );
    expect(till.body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(
      await ctx.deps.db.selectFrom('orders').select('id').where('totalAmount', '=', 1995).execute(),
    ).toHaveLength(1); // only the beanie order above
    expect(await reservations('ACTIVE')).toEqual([]);
  });

  it(
    'answers zero or negative return quantities with ' + 'BAD_USER_INPUT, never a database rule (§2)',
    async () => {
      const sale = await gql(
        keys.STORE!,
        `mutation { recordStoreSale(input: { lines: [{ sku: "${COAT}", quantity: 2 }] }, ` +
          `idempotencyKey: "till-coats") { id } }`,
      );
      const orderId = sale.body.data.recordStoreSale.id as string;
      const RETURN =
        `mutation($o: ID!, $q: Int!, $k: String!) { returnItems(input: { orderId: $o, lines: [{ ` +
        `sku: "${COAT}", quantity: $q, sellable: true }] }, idempotencyKey: $k) { id refund { ` +
        `amount } } }`;
      for (const q of [0, -1, -5]) {
        const r = await gql(keys.STORE!, RETURN, { o: orderId, q, k: `ret-${q}` });
        expect(r.body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
        expect(r.body.errors?.[0]?.message).toMatch(/input\.lines\.0\.quantity/);
        expect(JSON.stringify(r.body)).not.toMatch(/check|constraint/i);
      }
      expect(await ctx.deps.db.selectFrom('returns').select('id').execute()).toEqual([]);
      const ok = await gql(keys.STORE!, RETURN, { o: orderId, q: 1, k: 'ret-1' });
      expect(ok.body.data.returnItems.refund.amount).toBe(24995);
    },
  );

  it(
    'answers three concurrent erasures of one customer with one receipt and two NOT_FOUND, never ' +
      'INTERNAL (§2)',
    async () => {
      const { customer } = await enrollCustomer(
        ctx.deps,
        { displayName: 'Mila', email: 'mila@example.nl' },
        { channel: 'WEB', idempotencyKey: 'mila' },
      );
      const ERASE = `mutation($c: ID!) { eraseCustomer(customerId: $c) { erasureId } }`;
      const answers = await Promise.all(
        [0, 1, 2].map(() => gql(keys.CALL_CENTER!, ERASE, { c: customer.id })),
      );
      const codes = answers.map((a) => a.body.errors?.[0]?.extensions.code ?? 'OK').sort();
      expect(codes).toEqual(['NOT_FOUND', 'NOT_FOUND', 'OK']);
      expect(
        await ctx.deps.db.selectFrom('customers').select('status').where('status', '=', 'ERASED').execute(),
      ).toHaveLength(1);
    },
  );

  it(
    'answers writes that race an erasure with success or NOT_FOUND, never a database rule nor ' + 'INTERNAL',
    async () => {
      const outcomes = new Set<string>();
      for (let i = 0; i < 8; i++) {
        const { customer } = await enrollCustomer(
          ctx.deps,
          { email: `race${i}@example.nl` },
          { channel: 'WEB', idempotencyKey: `race-${i}` },
        );
        const answers = await Promise.all([
          gql(
            keys.CALL_CENTER!,
            `mutation($c: ID!) { setConsent(customerId: $c, purpose: EMAIL_MARKETING, granted: ` +
              `true) { id } }`,
            { c: customer.id },
          ),
          gql(
            keys.CALL_CENTER!,
            `mutation($c: ID!) { linkIdentifier(customerId: $c, kind: PHONE, value: ` +
              `"+31612345${String(i).padStart(3, '0')}") { id } }`,
            { c: customer.id },
          ),
          gql(keys.CALL_CENTER!, `mutation($c: ID!) { eraseCustomer(customerId: $c) { erasureId } }`, {
            c: customer.id,
          }),
        ]);
        expect(answers[2]!.body.errors).toBeUndefined();
        for (const a of answers.slice(0, 2)) outcomes.add(a.body.errors?.[0]?.extensions.code ?? 'OK');
      }
      expect([...outcomes].filter((c) => c !== 'OK' && c !== 'NOT_FOUND')).toEqual([]);
    },
  );

  it(
    'leaves nothing behind when a coupon race is lost: no hold, no count, and the retry succeeds ' +
      '(§3); the code stays CONFLICT',
    async () => {
      expect(await available(SCARF)).toBe(2);
      const order = (k: string, coupon: boolean) =>
        gql(keys.WEB!, PLACE, {
          in: {
            locationId: 'wh-1',
            lines: [{ sku: SCARF, quantity: 1 }],
            ...(coupon ? { couponCodes: ['LASTONE'] } : {}),
          },
          k,
        });
      const [a, b] = await Promise.all([order('race-a', true), order('race-b', true)]);
      const won = [a, b].filter((x) => !x.body.errors);
      const lost = [a, b].filter((x) => x.body.errors);
      expect(won).toHaveLength(1);
      expect(won[0]!.body.data.placeOrder.total.amount).toBe(2495);
      expect(lost).toHaveLength(1);
      const error = lost[0]!.body.errors![0]!;
      expect(error.extensions.code).toBe('CONFLICT');
      expect(JSON.stringify(error.extensions)).toMatch(/LASTONE/); // the detail is kept, under its own name
      expect(error.message).toMatch(/LASTONE/);
      expect(await reservations('ACTIVE')).toEqual([]);
      expect(await available(SCARF)).toBe(1);
      expect(
        (
          await ctx.deps.db
            .selectFrom('coupons')
            .select('usedCount')
            .where('code', '=', 'LASTONE')
            .executeTakeFirstOrThrow()
        ).usedCount,
      ).toBe(1);
      // The loser's retry without the coupon (same key or a new one) goes through on the unit left.
      const retry = await order(lost[0] === a ? 'race-a' : 'race-b', false);
      expect(retry.body.errors).toBeUndefined();
      expect(retry.body.data.placeOrder.total.amount).toBe(2995);
      expect(await available(SCARF)).toBe(0);
    },
  );

  it('keeps the error envelope: a detail named like an envelope field never replaces it (§3)', () => {
    const e = new DomainError('CONFLICT', 'Coupon X has just been used up', {
      code: 'X',
      http: { status: 200 },
      available: 1,
    });
    expect(graphqlExtensions(e)).toEqual({
      code: 'CONFLICT',
      available: 1,
      details: { code: 'X', http: { status: 200 } },
    });
  });

  it('answers a subscription over WebSocket with the same codes as over HTTP', async () => {
    const client = createClient({
      url: `ws://127.0.0.1:${node.port}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${keys.CALL_CENTER}` },
      retryAttempts: 0,
    });
    try {
      const first = (query: string) =>
        new Promise<unknown>((resolve) => {
          const stop = client.subscribe(
            { query },
            {
              next: (v) => {
                stop();
                resolve(v);
              },
              error: (e) => resolve({ errors: e }),
              complete: () => undefined,
            },
          );
        });
      const unknown = (await first('subscription { offerChanged(sku: "NOPE") { sku } }')) as {
        errors: GqlError[];
      };
      expect(unknown.errors[0]!.extensions.code).toBe('NOT_FOUND');
      const invalid = (await first('subscription { offerChanged(sku: "NOPE") { nosuchfield } }')) as {
        errors: GqlError[];
      };
      expect(invalid.errors[0]!.extensions.code).toBe('BAD_USER_INPUT');
    } finally {
      await client.dispose();
    }
  });
});
