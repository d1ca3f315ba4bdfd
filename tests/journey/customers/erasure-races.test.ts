import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import {
  setPrice,
  setStockCount,
  upsertLocation,
  upsertPriceList,
  upsertProduct,
} from '../../../backoffice-layer/index.js';
import {
  adjustPoints,
  enrollCustomer,
  eraseCustomer,
  linkIdentifier,
  placeOrder,
  placeStoreSale,
  redeemPoints,
  setConsent,
  type ErasureReceipt,
} from '../../../journey-layer/index.js';
import { DomainError } from '../../../shared/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../../support/backoffice.js';

// A write that names a customer and races her erasure either commits first (and the erasure pseudonymises it
// like every earlier record) or finds nobody (NOT_FOUND): never a record under an erased person's id, never a
// CONFLICT from a data rule or a deadlock. Each round runs the calls at once, the second one started a few ms
// later in some rounds, so both orders of commit are exercised.
describe('writes racing an erasure', () => {
  let ctx: BackofficeTestContext;
  const ROUNDS = 10;

  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await upsertLocation(ctx.deps, 'ams-01', { name: 'Amsterdam', kind: 'STORE', fulfilsOnline: false });
    await upsertLocation(ctx.deps, 'wh-1', { name: 'Warehouse', kind: 'WAREHOUSE', fulfilsOnline: true });
    await upsertPriceList(ctx.deps, 'base', { name: 'Base', currency: 'EUR', priority: 0 });
    await upsertProduct(ctx.deps, 'SOCK-1', {
      name: 'Sock',
      category: 'accessories',
      vatRate: 21,
      attributes: {},
      status: 'ACTIVE',
    });
    await setPrice(ctx.deps, 'base', 'SOCK-1', { amount: 999, minQuantity: 1 });
    await setStockCount(ctx.deps, 'SOCK-1', 'ams-01', { onHand: 1000 });
    await setStockCount(ctx.deps, 'SOCK-1', 'wh-1', { onHand: 1000 });
  });
  afterAll(async () => {
    await ctx.close();
  });

  const enrol = async (tag: string) => {
    const { customer } = await enrollCustomer(
      ctx.deps,
      { email: `${tag}-${randomUUID()}@example.nl` },
      { channel: 'WEB', idempotencyKey: randomUUID() },
    );
    return customer.id;
  };

  /**
   * The loser's answer: only NOT_FOUND is right; a CONFLICT (data rule, deadlock) or INTERNAL is the defect.
   */
  const codeOf = (r: PromiseSettledResult<unknown>): string => {
    if (r.status === 'fulfilled') return 'OK';
    return r.reason instanceof DomainError ? r.reason.code : `THROWN ${String(r.reason)}`;
  };

  /**
   * Nothing anywhere still names her original id: orders, ledger, coupon use, outbox payloads, her profile.
   */
  const assertNothingUnder = async (customerId: string) => {
    const db = ctx.deps.db;
    expect(
      await db.selectFrom('orders').select('id').where('customerRef', '=', customerId).execute(),
    ).toEqual([]);
    expect(
      await db.selectFrom('loyaltyLedger').select('id').where('customerId', '=', customerId).execute(),
    ).toEqual([]);
    expect(
      await db
        .selectFrom('loyaltyAccounts')
        .select('customerId')
        .where('customerId', '=', customerId)
        .execute(),
    ).toEqual([]);
    expect(await db.selectFrom('customers').select('id').where('id', '=', customerId).execute()).toEqual([]);
    const events = await sql<{
      type: string;
    }>`SELECT type FROM outbox
       WHERE aggregate_id = ${customerId} OR payload::text LIKE ${`%${customerId}%`}`.execute(db);
    expect(events.rows).toEqual([]);
  };

  /** A sale that committed first was moved to her pseudonym; one that lost wrote no order at all. */
  const assertOrderOutcome = async (
    r: PromiseSettledResult<{ orderId: string }>,
    receipt: ErasureReceipt,
  ) => {
    if (r.status !== 'fulfilled') return;
    const order = await ctx.deps.db
      .selectFrom('orders')
      .select('customerRef')
      .where('id', '=', r.value.orderId)
      .executeTakeFirstOrThrow();
    expect(order.customerRef).toBe(receipt.erasureId);
    const payload = await sql<{
      customerRef: string | null;
    }>`SELECT payload->>'customerRef' AS "customerRef" FROM outbox
      WHERE type = 'sale.committed' AND aggregate_id = ${r.value.orderId}`.execute(ctx.deps.db);
    expect(payload.rows).toEqual([{ customerRef: receipt.erasureId }]);
  };

  const sales = [
    [
      'a store sale',
      (c: string) =>
        placeStoreSale(
          ctx.deps,
          { locationId: 'ams-01', lines: [{ sku: 'SOCK-1', quantity: 1 }], customerId: c },
          randomUUID(),
        ),
    ],
    [
      'an online order',
      (c: string) =>
        placeOrder(
          ctx.deps,
          { locationId: 'wh-1', lines: [{ sku: 'SOCK-1', quantity: 1 }], customerId: c },
          randomUUID(),
        ),
    ],
  ] as const;
  it.each(sales)(
    '%s racing her erasure commits before it (pseudonymised) or answers NOT_FOUND',
    async (_name, place) => {
      for (let round = 0; round < ROUNDS; round++) {
        const c = await enrol('buyer');
        const [erased, sale] = await Promise.allSettled([
          eraseCustomer(ctx.deps, c, 'agent-1'),
          delay(round % 4).then(() => place(c)),
        ]);
        expect([codeOf(erased), codeOf(sale)]).toEqual(['OK', expect.stringMatching(/^(OK|NOT_FOUND)$/)]);
        await assertOrderOutcome(sale, (erased as PromiseFulfilledResult<ErasureReceipt>).value);
        await assertNothingUnder(c);
      }
      // A refused online order leaves no hold behind.
      expect(
        await ctx.deps.db.selectFrom('reservations').select('id').where('status', '=', 'ACTIVE').execute(),
      ).toEqual([]);
    },
  );

  it(
    'a redemption racing her erasure commits before it (pseudonymised) or answers NOT_FOUND, never a ' +
      'data-rule CONFLICT',
    async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const c = await enrol('points');
        await adjustPoints(ctx.deps, { customerId: c, points: 500, reason: 'welcome' }, randomUUID());
        const [erased, redeemed] = await Promise.allSettled([
          eraseCustomer(ctx.deps, c, 'agent-1'),
          delay(round % 4).then(() => redeemPoints(ctx.deps, c, 100, randomUUID())),
        ]);
        expect([codeOf(erased), codeOf(redeemed)]).toEqual(['OK', expect.stringMatching(/^(OK|NOT_FOUND)$/)]);
        const receipt = (erased as PromiseFulfilledResult<ErasureReceipt>).value;
        const account = await ctx.deps.db
          .selectFrom('loyaltyAccounts')
          .select('balance')
          .where('customerId', '=', receipt.erasureId)
          .executeTakeFirstOrThrow();
        expect(account.balance).toBe(redeemed.status === 'fulfilled' ? 400 : 500);
        await assertNothingUnder(c);
      }
    },
  );

  it(
    'two erasures racing a consent change, a new identifier, a sale, an order and a redemption: one ' +
      'receipt, no deadlock',
    async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const c = await enrol('mixed');
        await adjustPoints(ctx.deps, { customerId: c, points: 500, reason: 'welcome' }, randomUUID());
        const results = await Promise.allSettled<unknown>([
          eraseCustomer(ctx.deps, c, 'agent-1'),
          eraseCustomer(ctx.deps, c, 'agent-2'),
          setConsent(ctx.deps, c, { purpose: 'EMAIL_MARKETING', granted: true, channel: 'APP' }),
          linkIdentifier(ctx.deps, c, {
            kind: 'PHONE',
            value: `+316${String(10_000_000 + round)}`,
            channel: 'STORE',
          }),
          sales[0][1](c),
          sales[1][1](c),
          redeemPoints(ctx.deps, c, 100, randomUUID()),
        ]);
        const codes = results.map(codeOf);
        expect(codes.slice(0, 2).sort()).toEqual(['NOT_FOUND', 'OK']);
        for (const code of codes.slice(2)) expect(code).toMatch(/^(OK|NOT_FOUND)$/);
        const receipt = results
          .slice(0, 2)
          .find((r): r is PromiseFulfilledResult<ErasureReceipt> => r.status === 'fulfilled')!.value;
        await assertOrderOutcome(results[4] as PromiseSettledResult<{ orderId: string }>, receipt);
        await assertOrderOutcome(results[5] as PromiseSettledResult<{ orderId: string }>, receipt);
        await assertNothingUnder(c);
      }
    },
  );
});
