/**
 * A correction through the journey's mutations reaches live subscriptions as every other change of her does:
 * her offer feed pushes the price her new segment gets.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startBackofficeWorker, type BackofficeWorker } from '../../backoffice-layer/index.js';
import { journeyWorkerOptions, setConsent, upsertPromotion } from '../../journey-layer/index.js';
import { createBackofficeTestContext, until, type BackofficeTestContext } from '../support/backoffice.js';
import { watch, wsClient } from '../support/ws.js';
import { givenJourneyShop, type JourneyShop } from './journey-fixtures.js';

type Pushed = { offerChanged: { price: { final: { amount: number }; adjustments: Array<{ id: string }> } } };

describe('journey corrections and live subscriptions', () => {
  let ctx: BackofficeTestContext;
  let shop: JourneyShop;
  let worker: BackofficeWorker;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    shop = await givenJourneyShop(ctx);
    await upsertPromotion(ctx.deps, 'vip-10', {
      status: 'ACTIVE',
      rule: {
        label: 'VIP',
        conditions: [{ kind: 'segment', segments: ['vip'] }],
        action: { kind: 'percentOff', percentBp: 1000 },
      },
    });
    await setConsent(ctx.deps, shop.a, { purpose: 'PROFILING', granted: true, channel: 'WEB' });
    worker = await startBackofficeWorker(ctx.deps, { ...journeyWorkerOptions(ctx.deps), relayPollMs: 50 });
  });
  afterAll(async () => {
    await worker.stop();
    await shop.stop();
    await ctx.close();
  });

  it('pushes her new price to an offer feed once the call center puts her in a segment', async () => {
    const client = wsClient(shop.node.port, shop.clients.agent.key);
    try {
      const feed = watch<Pushed>(
        client,
        'subscription($a: ID!) { offerChanged(sku: "COAT-M", customerId: $a) { price { final { amount } ' +
          'adjustments { id } } } }',
        { a: shop.a },
      );
      await feed.first;
      expect(feed.values[0]!.offerChanged.price.final.amount).toBe(12995);
      const r = await shop.gql(
        { key: shop.clients.agent.key },
        'mutation($a: ID!) { updateProfile(customerId: $a, input: { attributes: { segments: ["vip"] } }) ' +
          '{ id } }',
        { a: shop.a },
      );
      expect(r.errors).toBeUndefined();
      await until(async () => feed.values.length > 1, 10_000, 'the offer feed to push her VIP price');
      expect(feed.values.at(-1)!.offerChanged.price).toEqual({
        final: { amount: 11695 },
        adjustments: [{ id: 'vip-10' }],
      });
      feed.stop();
    } finally {
      await client.dispose();
    }
  });
});
