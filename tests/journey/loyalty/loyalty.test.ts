import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  applyEvent,
  recordStoreSale,
  returnItems,
  toEnvelope,
  upsertLocation,
  upsertProduct,
} from '../../../backoffice-layer/index.js';
import {
  adjustPoints,
  enrollCustomer,
  expirePoints,
  getLoyaltyStatus,
  loyaltyConsumer,
  redeemPoints,
  DEFAULT_PROGRAM,
  setLoyaltyProgram,
} from '../../../journey-layer/index.js';
import { ManualClock, type EventEnvelope } from '../../../shared/index.js';
import { assertAllRejected, mutated, type FuzzCase } from '../../support/fuzz.js';
import {
  createBackofficeTestContext,
  startAdminApi,
  type BackofficeTestContext,
} from '../../support/backoffice.js';

async function ledgerEqualsBalance(ctx: BackofficeTestContext): Promise<void> {
  const rows = await ctx.deps.db
    .selectFrom('loyaltyAccounts')
    .leftJoin('loyaltyLedger', 'loyaltyLedger.customerId', 'loyaltyAccounts.customerId')
    .select((eb) => [
      'loyaltyAccounts.customerId',
      'loyaltyAccounts.balance',
      eb.fn.coalesce(eb.fn.sum<number>('loyaltyLedger.points'), eb.lit(0)).as('sum'),
    ])
    .groupBy(['loyaltyAccounts.customerId', 'loyaltyAccounts.balance'])
    .execute();
  for (const r of rows) expect(Number(r.sum)).toBe(r.balance);
}

describe('loyalty', () => {
  const clock = new ManualClock('2026-11-20T10:00:00Z');
  let ctx: BackofficeTestContext;
  let member: string;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock, poolSize: 30 });
    await upsertProduct(ctx.deps, 'COAT-M', {
      name: 'Jas',
      category: 'coats',
      vatRate: 21,
      attributes: {},
      status: 'ACTIVE',
    });
    await upsertLocation(ctx.deps, 'ams-01', { name: 'Amsterdam', kind: 'STORE', fulfilsOnline: false });
    member = (
      await enrollCustomer(
        ctx.deps,
        { displayName: 'Eva', email: 'eva@example.nl' },
        { channel: 'STORE', idempotencyKey: 'eva' },
      )
    ).customer.id;
  });
  afterAll(async () => {
    await ctx.close();
  });

  const saleEvent = async (
    amount: number,
    customerRef: string | null = member,
  ): Promise<EventEnvelope & { orderId: string }> => {
    const sale = await recordStoreSale(
      ctx.deps,
      {
        locationId: 'ams-01',
        currency: 'EUR',
        customerRef,
        lines: [{ sku: 'COAT-M', quantity: 1, unitAmount: amount }],
      },
      randomUUID(),
    );
    const row = await ctx.deps.db
      .selectFrom('outbox')
      .selectAll()
      .where('type', '=', 'sale.committed')
      .where('aggregateId', '=', sale.orderId)
      .executeTakeFirstOrThrow();
    return { ...toEnvelope(row), orderId: sale.orderId };
  };

  it('C5: a committed sale delivered five times earns once; its return reverses once', async () => {
    const consumer = loyaltyConsumer(clock);
    const sale = await saleEvent(59_995); // € 599.95 → 599 points at Bronze, reaching Silver
    const applied = [];
    for (let i = 0; i < 5; i++) applied.push(await applyEvent(ctx.deps.db, [consumer], sale, clock.now()));
    expect(applied.map((a) => a.length)).toEqual([1, 0, 0, 0, 0]);
    let status = await getLoyaltyStatus(ctx.deps.db, member, clock.now());
    expect(status).toMatchObject({ points: 599, tier: 'SILVER', nextTier: 'GOLD', pointsToNextTier: 901 });
    expect(status.benefits).toContain('5% member discount on coats, knitwear');
    // The same order arriving as a different event (a replayed outbox row) is still earned once: the ledger
    // guards too.
    await applyEvent(ctx.deps.db, [consumer], { ...sale, id: randomUUID() }, clock.now());
    expect((await getLoyaltyStatus(ctx.deps.db, member, clock.now())).points).toBe(599);

    const ret = await returnItems(
      ctx.deps,
      {
        orderId: sale.orderId,
        locationId: 'ams-01',
        lines: [{ sku: 'COAT-M', quantity: 1, sellable: true }],
      },
      randomUUID(),
    );
    const row = await ctx.deps.db
      .selectFrom('outbox')
      .selectAll()
      .where('type', '=', 'return.recorded')
      .where('revision', '=', ret.revision)
      .executeTakeFirstOrThrow();
    const retEvent = toEnvelope(row);
    for (let i = 0; i < 5; i++) await applyEvent(ctx.deps.db, [consumer], retEvent, clock.now());
    status = await getLoyaltyStatus(ctx.deps.db, member, clock.now());
    expect(status).toMatchObject({ points: 0, tier: 'BRONZE' });
    const kinds = await ctx.deps.db
      .selectFrom('loyaltyLedger')
      .select(['kind', 'points'])
      .where('customerId', '=', member)
      .orderBy('id')
      .execute();
    expect(kinds).toEqual([
      { kind: 'EARN', points: 599 },
      { kind: 'REVERSE', points: -599 },
    ]);
    const changes = await ctx.deps.db
      .selectFrom('outbox')
      .select('payload')
      .where('type', '=', 'loyalty.changed')
      .orderBy('position')
      .execute();
    expect(changes.map((c) => (c.payload as { tier: string }).tier)).toEqual(['SILVER', 'BRONZE']);
    await ledgerEqualsBalance(ctx);
  });

  it('C4: 50 concurrent redemptions of 60 points against 100 points: exactly one succeeds', async () => {
    await adjustPoints(ctx.deps, { customerId: member, points: 100, reason: 'welcome bonus' }, 'bonus-1');
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => redeemPoints(ctx.deps, member, 60, `redeem-${i}`)),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(ok).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'CONFLICT' });
    expect((await getLoyaltyStatus(ctx.deps.db, member, clock.now())).points).toBe(40);
    // A replay of the winning key returns the first result without spending again.
    const winner = results.findIndex((r) => r.status === 'fulfilled');
    expect((await redeemPoints(ctx.deps, member, 60, `redeem-${winner}`)).replayed).toBe(true);
    expect((await getLoyaltyStatus(ctx.deps.db, member, clock.now())).points).toBe(40);
    await expect(
      adjustPoints(ctx.deps, { customerId: member, points: -41, reason: 'correction' }, 'corr-1'),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await expect(redeemPoints(ctx.deps, member, 0, 'zero')).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    await ledgerEqualsBalance(ctx);
  });

  it('expires unspent points after the programme period, oldest first, once', async () => {
    const consumer = loyaltyConsumer(clock);
    await applyEvent(ctx.deps.db, [consumer], await saleEvent(30_000), clock.now()); // +300, balance 340
    await redeemPoints(ctx.deps, member, 100, 'spend-100');
    clock.advance((DEFAULT_PROGRAM.pointsExpireAfterDays! + 1) * 86_400_000);
    const expired = await expirePoints(ctx.deps, member);
    // 899 points earned long ago (599 + 300), 759 spent or reversed since (599 + 60 + 100): 140 were never
    // spent. The 100 bonus points (a manual adjustment) do not expire.
    expect(expired).toBe(140);
    expect(await expirePoints(ctx.deps, member)).toBe(0);
    expect((await getLoyaltyStatus(ctx.deps.db, member, clock.now())).points).toBe(100);
    await ledgerEqualsBalance(ctx);
  });

  it('sets the programme over REST; B1 for the tiers route', async () => {
    const api = await startAdminApi(ctx);
    try {
      const program = {
        currency: 'EUR',
        tiers: [
          { id: 'MEMBER', name: 'Member', threshold: 0, benefits: {} },
          { id: 'VIP', name: 'VIP', threshold: 100, benefits: { memberDiscountBp: 1500 } },
        ],
      };
      const res = await api.request('PUT', '/admin/v1/loyalty/tiers', program);
      expect(res.status).toBe(200);
      expect(
        (await api.request('GET', '/admin/v1/loyalty/tiers')).body.program.tiers.map(
          (t: { id: string }) => t.id,
        ),
      ).toEqual(['MEMBER', 'VIP']);
      await setLoyaltyProgram(ctx.deps, DEFAULT_PROGRAM);
      const cases: fc.Arbitrary<FuzzCase> = fc.oneof(
        // Every mutation of the programme is invalid: both fields are required and unknown fields are
        // refused.
        mutated(program).map((body) => ({ method: 'PUT', path: '/admin/v1/loyalty/tiers', body })),
        fc.constant({
          method: 'PUT',
          path: '/admin/v1/loyalty/tiers',
          body: { ...program, tiers: [{ id: 'A', name: 'A', threshold: 5, benefits: {} }] },
        }),
        fc.constant({
          method: 'PUT',
          path: '/admin/v1/loyalty/tiers',
          body: { ...program, tiers: [program.tiers[1], program.tiers[0]] },
        }),
        fc.constant({
          method: 'PUT',
          path: '/admin/v1/loyalty/tiers',
          body: {
            ...program,
            tiers: [program.tiers[0], { ...program.tiers[1], benefits: { memberDiscountBp: 99_999 } }],
          },
        }),
      );
      await assertAllRejected(ctx, api, cases, 120);
    } finally {
      await api.close();
    }
  });
});
