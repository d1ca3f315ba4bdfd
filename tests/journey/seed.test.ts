import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { seedDemoRetailer } from '../../backoffice-layer/index.js';
import {
  findCustomerByIdentifier,
  getLoyaltyStatus,
  listSegments,
  listTimeline,
  quote,
  seedDemoJourney,
} from '../../journey-layer/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';

describe('the demo retailer\u2019s members and offers', () => {
  let ctx: BackofficeTestContext;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
  });
  afterAll(async () => {
    await ctx.close();
  });

  it(
    'seeds members in every tier, a newsletter promotion, a ' + 'coupon batch and a personal offer — once',
    async () => {
      await seedDemoRetailer(ctx.deps);
      const s = await seedDemoJourney(ctx.deps);
      expect(s).toMatchObject({ skipped: false, members: 6, promotions: 5, coupons: 101 });
      const accounts = await ctx.deps.db.selectFrom('loyaltyAccounts').select('tier').execute();
      expect(new Set(accounts.map((a) => a.tier))).toEqual(new Set(['BRONZE', 'SILVER', 'GOLD']));
      const anne = (await findCustomerByIdentifier(ctx.deps.db, 'PHONE', '06 1234 5678'))!;
      expect((await getLoyaltyStatus(ctx.deps.db, anne, ctx.deps.clock.now())).tier).toBe('GOLD');
      // Her timeline starts with a store visit and a call; a segment staff defined is there to compute.
      const timeline = await listTimeline(ctx.deps.db, anne, { first: 10 });
      expect(timeline.items.map((i) => [i.kind, i.channel, i.locationId])).toEqual([
        ['SERVICE_CONTACT', 'CALL_CENTER', null],
        ['STORE_VISIT', 'STORE', 'ams-01'],
      ]);
      expect((await listSegments(ctx.deps.db)).map((d) => d.id)).toContain('click-collect');

      const knit = await ctx.deps.db
        .selectFrom('products')
        .select('sku')
        .where('category', '=', 'knitwear')
        .orderBy('sku')
        .executeTakeFirstOrThrow();
      const small = await quote(ctx.deps, {
        lines: [{ sku: knit.sku, quantity: 1 }],
        customerId: anne,
        couponCodes: ['WELKOM10'],
      });
      expect(small.rejectedCoupons).toEqual([
        { code: 'WELKOM10', reason: 'the cart does not meet the conditions of this offer' },
      ]);
      const q = await quote(ctx.deps, {
        lines: [{ sku: knit.sku, quantity: 2 }],
        customerId: anne,
        couponCodes: ['WELKOM10'],
      });
      expect(q.lines[0]!.adjustments.map((a) => a.id)).toEqual([
        'newsletter-knitwear',
        'welkom',
        'tier:GOLD',
      ]);
      const chantal = (await findCustomerByIdentifier(ctx.deps.db, 'EMAIL', 'chantal.bakker@example.nl'))!;
      const coat = await ctx.deps.db
        .selectFrom('products')
        .select('sku')
        .where('category', '=', 'coats')
        .orderBy('sku')
        .executeTakeFirstOrThrow();
      const personal = await quote(ctx.deps, {
        lines: [{ sku: coat.sku, quantity: 1 }],
        customerId: chantal,
      });
      expect(personal.lines[0]!.adjustments.find((a) => a.id === 'students-coats')?.reason).toBe(
        'Your personal offer: 10% off coats',
      );
      expect((await seedDemoJourney(ctx.deps)).skipped).toBe(true);
    },
  );
});
