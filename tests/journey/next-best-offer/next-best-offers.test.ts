/**
 * Next best offers (journey-layer/next-best-offer): for one customer at a store or online, the promotions
 * and personal offers she qualifies for on the item in stock where each saves her most (priced as her offer
 * in every channel), her points to redeem and her progress to the next tier; ranked by saving; the same
 * answer and fingerprint for the same request at the same revision.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  adjustPoints,
  nextBestOffers,
  offer,
  setConsent,
  upsertPromotion,
} from '../../../journey-layer/index.js';
import { DomainError, ManualClock } from '../../../shared/index.js';
import {
  createBackofficeTestContext,
  newMembers,
  type BackofficeTestContext,
} from '../../support/backoffice.js';
import { addProducts, openShop } from '../segments/fixtures.js';

describe('next best offers', () => {
  const clock = new ManualClock('2026-11-30T10:00:00Z');
  let ctx: BackofficeTestContext;
  let eva: string;
  let ben: string;
  const ask = (customerId: string, locationId: string | null, first = 5) =>
    nextBestOffers(ctx.deps, { customerId, locationId, first });

  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
    await openShop(ctx);
    // A dearer coat none of in Amsterdam, 10 in the warehouse; a belt out of stock everywhere.
    await addProducts(ctx, { 'COAT-2': ['coats', 20000] }, { 'wh-1': 10, 'ams-01': 0 });
    await addProducts(ctx, { 'BELT-2': ['belts', 8000] }, { 'wh-1': 0, 'ams-01': 0 });
    const member = newMembers(ctx, 'nbo');
    eva = await member();
    ben = await member();
    await upsertPromotion(ctx.deps, 'winter-coats', {
      status: 'ACTIVE',
      rule: {
        label: 'Winter coats',
        conditions: [{ kind: 'category', categories: ['coats'] }],
        action: { kind: 'percentOff', percentBp: 2000 },
      },
    });
    await upsertPromotion(ctx.deps, 'belt-deal', {
      status: 'ACTIVE',
      rule: {
        label: 'Belt deal',
        conditions: [{ kind: 'sku', skus: ['BELT-2'] }],
        action: { kind: 'percentOff', percentBp: 5000 },
      },
    });
    await upsertPromotion(ctx.deps, 'vip-scarves', {
      status: 'ACTIVE',
      rule: {
        label: 'Scarves for you',
        target: { customerIds: [eva], segments: [] },
        conditions: [{ kind: 'category', categories: ['scarves'] }],
        action: { kind: 'percentOff', percentBp: 5000 },
      },
    });
    await setConsent(ctx.deps, eva, { purpose: 'PERSONALISATION', granted: true, channel: 'APP' });
    await adjustPoints(ctx.deps, { customerId: eva, points: 1250, reason: 'welcome back' }, 'nbo-eva-points');
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('ranks her offers by saving, each on the item in stock at the store where it saves most', async () => {
    const answer = await ask(eva, 'ams-01');
    expect(answer.items.map((i) => [i.kind, i.id, i.sku, i.saving?.amount ?? null])).toEqual([
      ['PROMOTION', 'winter-coats', 'COAT-1', 3100], // COAT-2 would save €40.00, but none is in Amsterdam
      ['PERSONAL_OFFER', 'vip-scarves', 'SCARF-1', 3000],
      ['REDEEM_POINTS', 'redeem-points', null, 1200],
      ['TIER_PROGRESS', 'tier-silver', null, null],
    ]);
    const [coats, scarves, redeem, tier] = answer.items;
    expect(coats!.reason).toBe('Winter coats, saves €31.00 on COAT-1, 1000 in stock at Amsterdam');
    expect(scarves!.reason).toBe(
      'A personal offer for you: Scarves for you, saves €30.00 on SCARF-1, 1000 in stock at Amsterdam',
    );
    expect(redeem).toMatchObject({
      label: 'Redeem 1200 points for €12.00',
      reason: 'You have 1250 points: 1200 of them are worth €12.00',
      saving: { amount: 1200, currency: 'EUR' },
    });
    expect(tier!.label).toBe('500 points to Silver');
    // The saving is what her offer of that SKU shows, in every channel.
    const shown = await offer(ctx.deps, { sku: 'COAT-1', customerId: eva, locationId: 'ams-01' });
    expect(shown.price.adjustments.find((a) => a.id === 'winter-coats')?.amount).toBe(3100);
    // No item for the belt deal: its only SKU is out of stock everywhere.
    expect(answer.items.some((i) => i.id === 'belt-deal')).toBe(false);
    for (const item of answer.items) {
      expect(item.revision).toBe(answer.revision);
      expect(item.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('online, takes the SKU available online where the saving is largest', async () => {
    const answer = await ask(eva, null);
    expect(answer.items[0]).toMatchObject({ id: 'winter-coats', sku: 'COAT-2', saving: { amount: 4000 } });
    expect(answer.items[0]!.reason).toBe('Winter coats, saves €40.00 on COAT-2, 10 available online');
  });

  it('answers the same items and fingerprints for the same request at the same revision', async () => {
    const a = await ask(eva, 'ams-01');
    const b = await ask(eva, 'ams-01');
    expect(b).toEqual(a);
    const c = await nextBestOffers(ctx.deps, {
      customerId: eva,
      locationId: 'ams-01',
      first: 5,
      minRevision: a.revision,
    });
    expect(c.fingerprint).toBe(a.fingerprint);
    // `first` keeps the best ones, unchanged.
    const two = await ask(eva, 'ams-01', 2);
    expect(two.items).toEqual(a.items.slice(0, 2));
    expect(two.fingerprint).not.toBe(a.fingerprint);
  });

  it('offers no PERSONAL_OFFER without the PERSONALISATION consent', async () => {
    expect((await ask(ben, 'ams-01')).items.map((i) => i.id)).toEqual(['winter-coats', 'tier-silver']);
    const before = await ask(eva, 'ams-01');
    await setConsent(ctx.deps, eva, { purpose: 'PERSONALISATION', granted: false, channel: 'APP' });
    const after = await ask(eva, 'ams-01');
    expect(after.items.map((i) => i.kind)).toEqual(['PROMOTION', 'REDEEM_POINTS', 'TIER_PROGRESS']);
    expect(after.revision).toBeGreaterThan(before.revision);
  });

  it('refuses an unknown location or customer and a bad `first`', async () => {
    await expect(ask(eva, 'nowhere')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(ask('00000000-0000-4000-8000-000000000000', null)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(ask(eva, null, 21)).rejects.toBeInstanceOf(DomainError);
    await expect(ask(eva, null, 0)).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});
