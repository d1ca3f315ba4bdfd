/**
 * The journey's promises under pressure: one idempotency key sent 20 times at once records one interaction;
 * a hub event delivered to several workers at once lands on the timeline once; next best offers are
 * identical for identical requests, follow stock and consent in the very next answer, and are the same
 * through a merged profile's old id.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { applyEvent, setStockCount, toEnvelope } from '../../../backoffice-layer/index.js';
import {
  expireConsents,
  listTimeline,
  mergeCustomers,
  nextBestOffers,
  placeStoreSale,
  recordInteraction,
  setConsent,
  timelineConsumer,
  upsertPromotion,
} from '../../../journey-layer/index.js';
import { ManualClock } from '../../../shared/index.js';
import {
  createBackofficeTestContext,
  newMembers,
  type BackofficeTestContext,
} from '../../support/backoffice.js';
import { addProducts, openShop } from '../segments/fixtures.js';
import { codeOf, expectInvariants } from './invariants.js';

describe('journey promises under pressure', () => {
  const clock = new ManualClock('2026-11-30T10:00:00Z');
  let ctx: BackofficeTestContext;
  let member: () => Promise<string>;

  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
    await openShop(ctx);
    await addProducts(ctx, { 'BAG-1': ['bags', 10000] }, { 'wh-1': 3, 'ams-01': 2 });
    member = newMembers(ctx, 'promise');
    await upsertPromotion(ctx.deps, 'bag-days', {
      status: 'ACTIVE',
      rule: {
        label: 'Bag days',
        conditions: [{ kind: 'sku', skus: ['BAG-1'] }],
        action: { kind: 'percentOff', percentBp: 4000 },
      },
    });
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('one idempotency key sent 20 times at once records one interaction, answered alike', async () => {
    const her = await member();
    const key = randomUUID();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        recordInteraction(
          ctx.deps,
          { customerId: her, kind: 'PRODUCT_VIEWED', sku: 'COAT-1' },
          { channel: 'APP', clientId: null, locationId: null, actor: 'client:app', idempotencyKey: key },
        ),
      ),
    );
    expect(results.map(codeOf)).toEqual(Array.from({ length: 20 }, () => 'OK'));
    const ids = new Set(
      results.map((r) => (r as PromiseFulfilledResult<{ interaction: { id: string } }>).value.interaction.id),
    );
    expect(ids.size).toBe(1);
    expect((await listTimeline(ctx.deps.db, her, { first: 50 })).items).toHaveLength(1);
  });

  it('a hub event delivered to five workers at once lands on the timeline once', async () => {
    const her = await member();
    const sale = await placeStoreSale(
      ctx.deps,
      { locationId: 'ams-01', lines: [{ sku: 'SOCK-1', quantity: 1 }], customerId: her },
      randomUUID(),
    );
    const rows = await ctx.deps.db
      .selectFrom('outbox')
      .selectAll()
      .where('type', '=', 'sale.committed')
      .execute();
    const row = rows.find((r) => (r.payload as { orderId?: string }).orderId === sale.orderId)!;
    const event = toEnvelope(row);
    const runs = await Promise.allSettled(
      Array.from({ length: 5 }, () => applyEvent(ctx.deps.db, [timelineConsumer(clock)], event, clock.now())),
    );
    expect(runs.map(codeOf)).toEqual(['OK', 'OK', 'OK', 'OK', 'OK']);
    const applied = runs.flatMap((r) => (r as PromiseFulfilledResult<string[]>).value);
    expect(applied).toEqual(['timeline']);
    const items = (await listTimeline(ctx.deps.db, her, { first: 50 })).items;
    expect(items.filter((i) => i.kind === 'STORE_SALE')).toHaveLength(1);
  });

  it('next best offers: identical at once, gone with the stock, the same via an old merged id', async () => {
    const her = await member();
    const ask = (customerId: string, locationId: string | null) =>
      nextBestOffers(ctx.deps, { customerId, locationId, first: 5 });
    const answers = await Promise.all(Array.from({ length: 8 }, () => ask(her, 'ams-01')));
    for (const a of answers) expect(a).toEqual(answers[0]);
    expect(answers[0]!.items.map((i) => i.id)).toContain('bag-days');

    // Out of stock in Amsterdam but deliverable: not at the store; then none anywhere: not online either.
    await setStockCount(ctx.deps, 'BAG-1', 'ams-01', { onHand: 0 });
    expect((await ask(her, 'ams-01')).items.map((i) => i.id)).not.toContain('bag-days');
    expect((await ask(her, null)).items.map((i) => i.id)).toContain('bag-days');
    await setStockCount(ctx.deps, 'BAG-1', 'wh-1', { onHand: 0 });
    expect((await ask(her, null)).items.map((i) => i.id)).not.toContain('bag-days');
    await setStockCount(ctx.deps, 'BAG-1', 'ams-01', { onHand: 2 });

    const old = await member();
    await mergeCustomers(ctx.deps, { survivorId: her, mergedId: old }, 'CALL_CENTER');
    const viaOld = await ask(old, 'ams-01');
    const viaNew = await ask(her, 'ams-01');
    expect(viaOld).toEqual(viaNew);
    await expectInvariants(ctx);
  });

  it('a consent that runs out ends her personal offers in the next answer', async () => {
    const her = await member();
    await upsertPromotion(ctx.deps, `for-${her.slice(0, 8)}`, {
      status: 'ACTIVE',
      rule: {
        label: 'Just for you',
        target: { customerIds: [her], segments: [] },
        conditions: [{ kind: 'category', categories: ['belts'] }],
        action: { kind: 'percentOff', percentBp: 5000 },
      },
    });
    await setConsent(ctx.deps, her, {
      purpose: 'PERSONALISATION',
      granted: true,
      channel: 'APP',
      expiresAt: new Date(clock.now().getTime() + 60_000).toISOString(),
    });
    const ask = () => nextBestOffers(ctx.deps, { customerId: her, locationId: 'ams-01', first: 10 });
    expect((await ask()).items.map((i) => i.kind)).toContain('PERSONAL_OFFER');
    clock.advance(61_000);
    expect(await expireConsents(ctx.deps)).toBe(1);
    expect((await ask()).items.map((i) => i.kind)).not.toContain('PERSONAL_OFFER');
  });
});
