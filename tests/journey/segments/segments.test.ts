/**
 * Computed segments (journey-layer/segments, RFM.md): six customers with orders across channels at fixed
 * instants land in exactly the RFM segments the worked examples say; rule segments staff define ("bought
 * coats in a store in the last 90 days", "click & collect user"); a new order moves a customer through the
 * consumer; a PROFILING withdrawal empties her segments at once and takes her out of a segment promotion in
 * her next offer; time alone makes a customer lapse at the nightly recomputation.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cancelOrder, createReadModel, startBackofficeWorker } from '../../../backoffice-layer/index.js';
import {
  customerSegments,
  journeyReadModelSections,
  journeyWorkerOptions,
  listDataUse,
  offer,
  putSegment,
  quote,
  recomputeSegments,
  runNightlySegments,
  segmentRoutes,
  upsertPromotion,
} from '../../../journey-layer/index.js';
import { ManualClock } from '../../../shared/index.js';
import {
  createBackofficeTestContext,
  newMembers,
  until,
  type BackofficeTestContext,
} from '../../support/backoffice.js';
import { DAY, openShop, shopper, startRoutes } from './fixtures.js';

const NOW = Date.parse('2026-11-30T10:00:00Z');

describe('computed segments', () => {
  const clock = new ManualClock(NOW - 400 * DAY);
  let ctx: BackofficeTestContext;
  let shop: ReturnType<typeof shopper>;
  const c: Record<'ana' | 'ben' | 'cleo' | 'dirk' | 'eva' | 'finn', string> = {
    ana: '',
    ben: '',
    cleo: '',
    dirk: '',
    eva: '',
    finn: '',
  };
  const segmentsOf = async (id: string) => (await customerSegments(ctx.deps.db, id)).map((m) => m.segment);
  const revisionOf = async (id: string) =>
    (
      await ctx.deps.db
        .selectFrom('customers')
        .select('revision')
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    ).revision;

  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
    shop = shopper(ctx, clock);
    await openShop(ctx);
    const member = newMembers(ctx, 'rfm');
    for (const name of Object.keys(c) as Array<keyof typeof c>) {
      c[name] = await member();
      await shop.profiling(c[name], true);
    }
    await putSegment(ctx.deps, 'store-coats', {
      name: 'Bought coats in a store',
      kind: 'RULE',
      definition: { bought: { category: 'coats', channel: 'STORE', withinDays: 90 } },
    });
    await putSegment(ctx.deps, 'click-collect', {
      name: 'Click & collect user',
      kind: 'RULE',
      definition: { fulfilment: { method: 'PICKUP', atLeast: 1, withinDays: 365 } },
    });
    // The purchases of the worked examples (RFM.md), placed in time order at their instants.
    const plan: Array<[number, () => Promise<unknown>]> = [
      // Ana: 8 coats (5 online, 3 at the till), the last 3 days ago: €1,240.00.
      ...[300, 250, 200, 150, 100].map(
        (d) => [d, () => shop.online(c.ana, 'COAT-1')] as [number, () => Promise<unknown>],
      ),
      ...[80, 40, 3].map((d) => [d, () => shop.store(c.ana, 'COAT-1')] as [number, () => Promise<unknown>]),
      // Ben: 3 scarves (one collected at the store), the last 45 days ago: €180.00.
      [200, () => shop.online(c.ben, 'SCARF-1')],
      [120, () => shop.online(c.ben, 'SCARF-1', true)],
      [45, () => shop.store(c.ben, 'SCARF-1')],
      // Cleo: one scarf at the till, 10 days ago.
      [10, () => shop.store(c.cleo, 'SCARF-1')],
      // Dirk: a coat online 300 days ago and one at the till 150 days ago; an order 20 days ago, cancelled.
      [300, () => shop.online(c.dirk, 'COAT-1')],
      [150, () => shop.store(c.dirk, 'COAT-1')],
      [
        20,
        async () =>
          cancelOrder(ctx.deps, await shop.online(c.dirk, 'COAT-1'), {}, randomUUID(), {
            actor: 'staff:agent',
            channel: 'CALL_CENTER',
          }),
      ],
      // Eva: a belt online 250 days ago.
      [250, () => shop.online(c.eva, 'BELT-1')],
      // Finn: two scarves at the till, the last 90 days ago.
      [150, () => shop.store(c.finn, 'SCARF-1')],
      [90, () => shop.store(c.finn, 'SCARF-1')],
    ];
    plan.sort((a, b) => b[0] - a[0]);
    for (const [daysAgo, place] of plan) {
      clock.set(NOW - daysAgo * DAY);
      await place();
    }
    clock.set(NOW);
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('puts each worked example in exactly its RFM segment, with the reason in words', async () => {
    expect(await recomputeSegments(ctx.deps, Object.values(c))).toBe(5); // Finn is in none
    expect(await segmentsOf(c.ana)).toEqual(['champions', 'store-coats']);
    expect(await segmentsOf(c.ben)).toEqual(['click-collect', 'loyal']);
    expect(await segmentsOf(c.cleo)).toEqual(['new']);
    expect(await segmentsOf(c.dirk)).toEqual(['at-risk']); // the cancelled order is no purchase
    expect(await segmentsOf(c.eva)).toEqual(['lapsed']);
    expect(await segmentsOf(c.finn)).toEqual([]);

    const ana = await customerSegments(ctx.deps.db, c.ana);
    expect(ana[0]).toEqual({
      segment: 'champions',
      name: 'Champions',
      since: new Date(NOW).toISOString(),
      computedAt: new Date(NOW).toISOString(),
      reason: 'R5 F5 M5: last purchase on 2026-11-27, 8 purchases and €1,240.00 in the last 365 days',
    });
    expect(ana[1]!.reason).toBe(
      'bought coats in a store 3 times in the last 90 days, the last on 2026-11-27',
    );
    const [dirk] = await customerSegments(ctx.deps.db, c.dirk);
    expect(dirk!.reason).toBe(
      'R2 F2 M3: last purchase on 2026-07-03, 2 purchases and €310.00 in the last 365 days',
    );
    const [ben] = await customerSegments(ctx.deps.db, c.ben);
    expect(ben!.reason).toBe('chose click & collect for 1 order in the last 365 days');

    // The computation is on record as a use of her data.
    const uses = await listDataUse(ctx.deps.db, c.ana, { first: 1 });
    expect(uses.items[0]).toMatchObject({
      actor: 'system',
      channel: 'SYSTEM',
      purpose: 'PROFILING',
      what: 'computed segments: champions, store-coats',
    });
  });

  it('writes only changes: recomputing unchanged facts keeps since and moves no revision', async () => {
    const before = await revisionOf(c.ana);
    clock.advance(3_600_000);
    expect(await recomputeSegments(ctx.deps, [c.ana, c.eva])).toBe(0);
    expect(await revisionOf(c.ana)).toBe(before);
    expect((await customerSegments(ctx.deps.db, c.ana))[0]!.since).toBe(new Date(NOW).toISOString());
  });

  it('moves Dirk from at-risk to loyal when he buys again, through the consumer', async () => {
    const from = await shop.position();
    const before = await revisionOf(c.dirk);
    await shop.online(c.dirk, 'COAT-1');
    await shop.follow(from);
    expect(await segmentsOf(c.dirk)).toEqual(['loyal']);
    expect(await revisionOf(c.dirk)).toBeGreaterThan(before);
    const changed = await ctx.deps.db
      .selectFrom('outbox')
      .select('payload')
      .where('type', '=', 'segments.changed')
      .where('aggregateId', '=', c.dirk)
      .orderBy('position', 'desc')
      .executeTakeFirstOrThrow();
    expect(changed.payload).toEqual({ customerId: c.dirk, segments: ['loyal'] });
  });

  it('a PROFILING withdrawal empties her segments and ends a segment offer in her next answer', async () => {
    await upsertPromotion(ctx.deps, 'win-back', {
      status: 'ACTIVE',
      rule: {
        label: 'Win back',
        conditions: [{ kind: 'segment', segments: ['lapsed'] }],
        action: { kind: 'percentOff', percentBp: 2000 },
      },
    });
    const belt = () => offer(ctx.deps, { sku: 'BELT-1', customerId: c.eva });
    const withSegment = await belt();
    expect(withSegment.price).toMatchObject({ base: 5000, final: 4000 });
    expect(withSegment.price.adjustments.map((a) => a.id)).toEqual(['win-back']);
    // Not for a customer who is not lapsed.
    expect((await offer(ctx.deps, { sku: 'BELT-1', customerId: c.ana })).price.final).toBe(5000);
    const priced = await quote(ctx.deps, { lines: [{ sku: 'BELT-1', quantity: 1 }], customerId: c.eva });
    expect(priced.total).toBe(4000);

    const from = await shop.position();
    await shop.profiling(c.eva, false);
    // Read before the consumer ran: the consent is checked at read time, in segments and prices alike.
    expect(await customerSegments(ctx.deps.db, c.eva)).toEqual([]);
    const without = await belt();
    expect(without.price.final).toBe(5000);
    expect(without.revision).toBeGreaterThan(withSegment.revision);
    expect(
      (await quote(ctx.deps, { lines: [{ sku: 'BELT-1', quantity: 1 }], customerId: c.eva })).total,
    ).toBe(5000);
    // The consumer removes her memberships and computes nothing more for her.
    await shop.follow(from);
    expect(
      await ctx.deps.db
        .selectFrom('segmentMemberships')
        .select('segmentId')
        .where('customerId', '=', c.eva)
        .execute(),
    ).toEqual([]);
    expect(await recomputeSegments(ctx.deps, [c.eva])).toBe(0);
    expect((await listDataUse(ctx.deps.db, c.eva, { first: 1 })).items[0]?.what).toBe(
      'computed segments: lapsed',
    );
  });

  it('archiving a segment ends its offer in her next answer, at the revision of the archiving', async () => {
    expect(await segmentsOf(c.ana)).toContain('store-coats');
    const regulars = (status: 'ACTIVE' | 'ARCHIVED') =>
      upsertPromotion(ctx.deps, 'store-regulars', {
        status,
        rule: {
          label: 'Store regulars',
          conditions: [{ kind: 'segment', segments: ['store-coats'] }],
          action: { kind: 'percentOff', percentBp: 1000 },
        },
      });
    const { revision: latest } = await regulars('ACTIVE');
    // A read model that has every change so far, and then stops following (its worker stopped): what a
    // channel node answers from while the worker is behind.
    const worker = await startBackofficeWorker(ctx.deps, {
      ...journeyWorkerOptions(ctx.deps),
      relayPollMs: 50,
    });
    const rm = await createReadModel(ctx.deps, { sections: journeyReadModelSections });
    try {
      await until(async () => (rm.watermark() ?? 0) >= latest, 15_000, 'the read model to catch up');
      await worker.stop();
      const belt = () => offer(ctx.deps, { sku: 'BELT-1', customerId: c.ana }, { readModel: rm });
      const before = await belt();
      expect(before.price.final).toBe(4500);
      const archived = await putSegment(ctx.deps, 'store-coats', {
        name: 'Bought coats in a store',
        kind: 'RULE',
        definition: { bought: { category: 'coats', channel: 'STORE', withinDays: 90 } },
        status: 'ARCHIVED',
      });
      expect(rm.watermark()).toBeLessThan(archived.revision);
      // A different answer is a newer revision: the one that archived the segment, not the model's older one.
      const after = await belt();
      expect(after.price.final).toBe(5000);
      expect(after.revision).toBeGreaterThanOrEqual(archived.revision);
    } finally {
      await worker.stop();
      await rm.close();
      await regulars('ARCHIVED');
    }
  });

  it('lets time alone move her: the nightly recomputation makes Cleo lapse, once a day', async () => {
    // 10 days after her only purchase she is new; 61 days after it, in no RFM segment; 181 days: lapsed.
    const midnight = NOW - 10 * 3_600_000; // 2026-11-30T00:00Z
    const at = (days: number, hour: number) => midnight + days * DAY + hour * 3_600_000;
    clock.set(at(52, 3) + 60_000); // 03:01 UTC, 61 days and 17 hours after her purchase
    expect(await runNightlySegments(ctx.deps, { hour: 3 })).toMatchObject({ ran: true });
    expect(await segmentsOf(c.cleo)).toEqual([]);
    clock.set(at(172, 2)); // 181 days and 16 hours after it, but 02:00: before the hour
    expect(await runNightlySegments(ctx.deps, { hour: 3 })).toMatchObject({ ran: false });
    expect(await segmentsOf(c.cleo)).toEqual([]);
    clock.set(at(172, 4));
    const run = await runNightlySegments(ctx.deps, { hour: 3 });
    expect(run).toMatchObject({ ran: true, day: new Date(at(172, 0)).toISOString().slice(0, 10) });
    expect(await segmentsOf(c.cleo)).toEqual(['lapsed']);
    expect((await customerSegments(ctx.deps.db, c.cleo))[0]!.since).toBe(clock.now().toISOString());
    // Once per local day, however often the workers check.
    clock.advance(3_600_000);
    expect(await runNightlySegments(ctx.deps, { hour: 3 })).toMatchObject({ ran: false });
  });

  it('serves the segments over admin REST: list, read, create a rule, refuse a bad one', async () => {
    const api = await startRoutes(ctx, segmentRoutes);
    try {
      const list = await api.request('GET', '/admin/v1/segments');
      expect(list.status).toBe(200);
      expect(list.body.segments.map((s: { id: string }) => s.id)).toEqual([
        'at-risk',
        'champions',
        'click-collect',
        'lapsed',
        'loyal',
        'new',
        'store-coats',
      ]);
      const put = await api.request('PUT', '/admin/v1/segments/big-spenders', {
        name: 'Big spenders',
        kind: 'RULE',
        definition: {
          all: [
            { spent: { atLeast: 50000, withinDays: 365 } },
            { bought: { category: 'coats', withinDays: 365 } },
          ],
        },
      });
      expect(put.status).toBe(200);
      expect(put.body.segment).toMatchObject({
        id: 'big-spenders',
        kind: 'RULE',
        status: 'ACTIVE',
        members: 0,
      });
      const got = await api.request('GET', '/admin/v1/segments/champions');
      expect(got.body.segment).toMatchObject({ kind: 'RFM', definition: { rank: 1 } });
      expect((await api.request('GET', '/admin/v1/segments/nope')).status).toBe(404);
      const bad = await api.request('PUT', '/admin/v1/segments/bad', {
        name: 'Bad',
        kind: 'RULE',
        definition: { bought: { category: 'coats', withinDays: 0 } },
      });
      expect(bad.status).toBe(400);
      const kind = await api.request('PUT', '/admin/v1/segments/champions', {
        name: 'Champions',
        kind: 'RULE',
        definition: { spent: { atLeast: 1, withinDays: 1 } },
      });
      expect(kind.status).toBe(409);
      // The new rule counts at her next computation: Ana spent €1,240.00 on coats.
      await recomputeSegments(ctx.deps, [c.ana]);
      expect(await segmentsOf(c.ana)).toContain('big-spenders');
    } finally {
      await api.close();
    }
  });
});
