/**
 * A PROFILING withdrawal takes effect in the next answer of every channel, over real HTTP: a lapsed member
 * (RFM.md: no purchase for more than 180 days) who allows profiling is priced by a promotion for the computed
 * segment `lapsed` in her web shop and app (her token), at her store's terminal and at the call center —
 * one revision, one fingerprint. She withdraws PROFILING through GraphQL; asked again at the withdrawal's
 * revision, no channel carries the promotion any more, her segments are empty, and the four answers agree
 * again.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { placeOrder, recomputeSegments, setConsent, upsertPromotion } from '../../journey-layer/index.js';
import { currentRevision, ManualClock } from '../../shared/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';
import { givenJourneyShop, type JourneyCaller, type JourneyShop } from './journey-fixtures.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-30T10:00:00Z');

/** Her offer for the coat at the Amsterdam store, her segments and her next best offers, in one question. */
const ASK =
  'query($c: ID!, $rev: Revision) { ' +
  'offer(sku: "COAT-M", customerId: $c, locationId: "ams-01", minRevision: $rev) { ' +
  'price { final { amount currency } adjustments { source id label amount { amount } } } ' +
  'revision fingerprint } ' +
  'customer(id: $c) { segments { segment name reason } ' +
  'nextBestOffers(locationId: "ams-01", first: 5, minRevision: $rev) { ' +
  'kind id sku revision fingerprint } } }';

interface Answer {
  offer: {
    price: { final: { amount: number }; adjustments: Array<{ id: string }> };
    revision: string;
    fingerprint: string;
  };
  customer: {
    segments: Array<{ segment: string }>;
    nextBestOffers: Array<{ kind: string; id: string; revision: string; fingerprint: string }>;
  };
}

describe('a PROFILING withdrawal in every channel', () => {
  const clock = new ManualClock(NOW - 250 * DAY);
  let ctx: BackofficeTestContext;
  let shop: JourneyShop;
  let callers: Record<'web' | 'app' | 'store' | 'agent', JourneyCaller>;

  /** The four channels' answers at `minRevision`, by channel; every one without errors. */
  const askAll = async (minRevision: number): Promise<Record<string, Answer>> =>
    Object.fromEntries(
      await Promise.all(
        Object.entries(callers).map(async ([who, caller]) => {
          const r = await shop.gql(caller, ASK, { c: shop.a, rev: String(minRevision) });
          expect({ who, status: r.status, errors: r.errors }).toEqual({
            who,
            status: 200,
            errors: undefined,
          });
          return [who, r.data as Answer] as const;
        }),
      ),
    );

  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
    shop = await givenJourneyShop(ctx);
    // Anna allows profiling and bought one coat online 250 days ago; nothing since: lapsed.
    await setConsent(ctx.deps, shop.a, { purpose: 'PROFILING', granted: true, channel: 'WEB' });
    await placeOrder(
      ctx.deps,
      { locationId: 'wh-1', lines: [{ sku: 'COAT-M', quantity: 1 }], customerId: shop.a },
      randomUUID(),
    );
    clock.set(NOW);
    // The nightly recomputation sees the time pass.
    await recomputeSegments(ctx.deps, [shop.a]);
    await upsertPromotion(ctx.deps, 'win-back', {
      status: 'ACTIVE',
      rule: {
        label: 'Win back',
        conditions: [{ kind: 'segment', segments: ['lapsed'] }],
        action: { kind: 'percentOff', percentBp: 2000 },
      },
    });
    callers = {
      web: { key: shop.clients.web.key, token: await shop.token('web', shop.a) },
      app: { key: shop.clients.app.key, token: await shop.token('app', shop.a) },
      store: { key: shop.clients.storeA.key },
      agent: { key: shop.clients.agent.key },
    };
  });
  afterAll(async () => {
    await shop.stop();
    await ctx.close();
  });

  it('prices her by the lapsed promotion, then not, identically in all four channels', async () => {
    const before = await askAll(await currentRevision(ctx.deps.db));
    const web = before.web!;
    expect(web.customer.segments.map((s) => s.segment)).toEqual(['lapsed']);
    expect(web.offer.price.adjustments.map((a) => a.id)).toEqual(['win-back']);
    expect(web.offer.price.final.amount).toBe(10396); // € 129,95 less 20 %
    expect(web.customer.nextBestOffers.map((o) => o.id)).toContain('win-back');
    // One revision, one fingerprint: the four answers are the same answer.
    expect(new Set(Object.values(before).map((a) => a.offer.revision)).size).toBe(1);
    expect(before).toEqual({ web, app: web, store: web, agent: web });

    // She withdraws PROFILING herself, from her app.
    const withdrawal = await shop.gql(
      callers.app,
      'mutation($c: ID!) { setConsent(customerId: $c, purpose: PROFILING, granted: false) { revision ' +
        'consents { purpose granted } } }',
      { c: shop.a },
    );
    expect(withdrawal.errors).toBeUndefined();
    const customer = withdrawal.data!.setConsent as {
      revision: string;
      consents: Array<{ purpose: string; granted: boolean }>;
    };
    expect(customer.consents).toContainEqual({ purpose: 'PROFILING', granted: false });
    const revision = Number(customer.revision);
    expect(revision).toBeGreaterThan(Number(web.offer.revision));

    const after = await askAll(revision);
    const webAfter = after.web!;
    expect(webAfter.customer.segments).toEqual([]);
    expect(webAfter.offer.price.adjustments).toEqual([]);
    expect(webAfter.offer.price.final.amount).toBe(12995);
    expect(webAfter.customer.nextBestOffers.map((o) => o.id)).not.toContain('win-back');
    expect(Number(webAfter.offer.revision)).toBeGreaterThanOrEqual(revision);
    expect(webAfter.offer.fingerprint).not.toBe(web.offer.fingerprint);
    for (const o of webAfter.customer.nextBestOffers)
      expect(Number(o.revision)).toBeGreaterThanOrEqual(revision);
    expect(after).toEqual({ web: webAfter, app: webAfter, store: webAfter, agent: webAfter });
  });
});
