/**
 * A withdrawn consent takes effect in the next answer everywhere, even when it races the computation it
 * forbids: after a PROFILING withdrawal and a segment recomputation both commit, she is in no segment (no
 * membership row left), and the next price and next best offers carry no segment promotion; without
 * PERSONALISATION no personal offer.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  customerSegments,
  eraseCustomer,
  expireConsents,
  mergeCustomers,
  nextBestOffers,
  offer,
  putSegment,
  quote,
  recomputeSegments,
  setConsent,
  upsertPromotion,
} from '../../../journey-layer/index.js';
import { ManualClock } from '../../../shared/index.js';
import {
  createBackofficeTestContext,
  newMembers,
  type BackofficeTestContext,
} from '../../support/backoffice.js';
import { openShop, shopper } from '../segments/fixtures.js';
import { codeOf, expectInvariants } from './invariants.js';

describe('consent withdrawals under attack', () => {
  const clock = new ManualClock('2026-11-30T10:00:00Z');
  let ctx: BackofficeTestContext;
  let member: () => Promise<string>;

  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
    await openShop(ctx);
    member = newMembers(ctx, 'consent');
    await putSegment(ctx.deps, 'coat-buyers', {
      name: 'Coat buyers',
      kind: 'RULE',
      definition: { bought: { category: 'coats', withinDays: 90 } },
    });
    await upsertPromotion(ctx.deps, 'coat-club', {
      status: 'ACTIVE',
      rule: {
        label: 'Coat club: belts',
        conditions: [{ kind: 'segment', segments: ['coat-buyers'] }],
        action: { kind: 'percentOff', percentBp: 2000 },
      },
    });
  });
  afterAll(async () => {
    await ctx.close();
  });

  const memberships = (customerId: string) =>
    ctx.deps.db
      .selectFrom('segmentMemberships')
      .select('segmentId')
      .where('customerId', '=', customerId)
      .execute();
  const profiling = (customerId: string, granted: boolean) =>
    setConsent(ctx.deps, customerId, { purpose: 'PROFILING', granted, channel: 'APP' });

  /** A coat buyer with PROFILING, computed into the coat-buyers segment (the belt costs her €40.00). */
  async function coatBuyer(): Promise<string> {
    const id = await member();
    await profiling(id, true);
    await shopper(ctx, clock).store(id, 'COAT-1');
    await recomputeSegments(ctx.deps, [id]);
    expect(await memberships(id)).toContainEqual({ segmentId: 'coat-buyers' });
    expect((await offer(ctx.deps, { sku: 'BELT-1', customerId: id })).price.final).toBe(4000);
    return id;
  }

  /** Her next answers carry no segment promotion anywhere. */
  async function expectNoSegmentAnswer(id: string): Promise<void> {
    expect(await customerSegments(ctx.deps.db, id)).toEqual([]);
    expect((await offer(ctx.deps, { sku: 'BELT-1', customerId: id })).price.final).toBe(5000);
    expect((await quote(ctx.deps, { lines: [{ sku: 'BELT-1', quantity: 1 }], customerId: id })).total).toBe(
      5000,
    );
    const nbo = await nextBestOffers(ctx.deps, { customerId: id, locationId: 'ams-01', first: 20 });
    expect(nbo.items.map((i) => i.id)).not.toContain('coat-club');
  }

  it('a withdrawal leaves no membership behind, even before the consumer runs', async () => {
    const id = await coatBuyer();
    await profiling(id, false);
    expect(await memberships(id)).toEqual([]);
    await expectNoSegmentAnswer(id);
  });

  it('a recomputation racing a PROFILING withdrawal: the withdrawal wins either way', async () => {
    for (let round = 0; round < 8; round++) {
      const id = await coatBuyer();
      // The recomputation finds a change to write: a second coat sale moves her reason.
      await shopper(ctx, clock).store(id, 'COAT-1');
      const results = await Promise.allSettled([
        delay(round % 2).then(() => recomputeSegments(ctx.deps, [id])),
        delay((round >> 1) % 2).then(() => profiling(id, false)),
      ]);
      expect(results.map(codeOf)).toEqual(['OK', 'OK']);
      expect(await memberships(id)).toEqual([]);
      await expectNoSegmentAnswer(id);
    }
    await expectInvariants(ctx);
  });

  it('an expiry racing a renewal: the renewal stands whichever commits first', async () => {
    for (let round = 0; round < 4; round++) {
      const id = await member();
      const end = (ms: number) => new Date(clock.now().getTime() + ms).toISOString();
      await setConsent(ctx.deps, id, {
        purpose: 'PROFILING',
        granted: true,
        channel: 'APP',
        expiresAt: end(1000),
      });
      clock.advance(2000);
      const results = await Promise.allSettled([
        expireConsents(ctx.deps),
        delay(round % 2).then(() =>
          setConsent(ctx.deps, id, {
            purpose: 'PROFILING',
            granted: true,
            channel: 'APP',
            expiresAt: end(86_400_000),
          }),
        ),
      ]);
      expect(results.map(codeOf)).toEqual(['OK', 'OK']);
      const consent = await ctx.deps.db
        .selectFrom('consents')
        .select(['granted', 'expiresAt'])
        .where('customerId', '=', id)
        .where('purpose', '=', 'PROFILING')
        .executeTakeFirstOrThrow();
      expect(consent.granted).toBe(true);
      expect(consent.expiresAt!.getTime()).toBeGreaterThan(clock.now().getTime());
    }
  });

  it('a recomputation racing her erasure leaves no membership and no data use behind', async () => {
    for (let round = 0; round < 4; round++) {
      const id = await coatBuyer();
      await shopper(ctx, clock).store(id, 'COAT-1');
      const results = await Promise.allSettled([
        delay(round % 2).then(() => recomputeSegments(ctx.deps, [id])),
        eraseCustomer(ctx.deps, id, 'admin'),
      ]);
      expect(results.map(codeOf)).toEqual(['OK', 'OK']);
      for (const table of ['segmentMemberships', 'customerDataUse'] as const)
        expect(
          await ctx.deps.db.selectFrom(table).select('customerId').where('customerId', '=', id).execute(),
        ).toEqual([]);
    }
    await expectInvariants(ctx);
  });

  it('a merge whose later decision withdraws PROFILING leaves the survivor in no segment', async () => {
    const survivor = await coatBuyer();
    clock.advance(60_000);
    const other = await member();
    await profiling(other, true);
    await profiling(other, false);
    await mergeCustomers(ctx.deps, { survivorId: survivor, mergedId: other }, 'CALL_CENTER');
    expect(await memberships(survivor)).toEqual([]);
    await expectNoSegmentAnswer(survivor);
    await expectInvariants(ctx);
  });
});
