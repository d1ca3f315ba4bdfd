import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { reserveStock, setStockCount, verifyStockLedger } from '../../../backoffice-layer/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../../support/backoffice.js';
import { givenCatalogue, level, liveReserved, seeded } from './fixtures.js';

const CHANNELS = ['WEB', 'APP', 'STORE', 'CALL_CENTER'] as const;

// QUALITY C1: N ≫ K concurrent reservations never grant more than K units; losers get INSUFFICIENT_STOCK
// only.
describe('oversell stress (C1)', () => {
  let ctx: BackofficeTestContext;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ poolSize: 24 });
    await givenCatalogue(ctx, ['HOT', 'SIDE'], ['wh-1', 'ams-01']);
  });
  afterAll(async () => {
    await ctx.close();
  });

  it(
    'grants at most K units in every round, exactly K with single-unit demand, and no loser ' +
      'could have been served',
    async () => {
      const ROUNDS = 12;
      for (let round = 0; round < ROUNDS; round++) {
        const rnd = seeded(1000 + round);
        const K = 5 + Math.floor(rnd() * 40);
        const sideUnits = 3 + Math.floor(rnd() * 10);
        const singleUnits = round % 3 === 0;
        await setStockCount(ctx.deps, 'HOT', 'wh-1', {
          onHand: K + (await level(ctx, 'HOT', 'wh-1')).reserved,
          safetyStock: 0,
        });
        await setStockCount(ctx.deps, 'SIDE', 'ams-01', {
          onHand: sideUnits + (await level(ctx, 'SIDE', 'ams-01')).reserved,
        });
        const N = 80;
        const carts = Array.from({ length: N }, (_, i) => {
          const q = singleUnits ? 1 : 1 + Math.floor(rnd() * 3);
          const shape = rnd();
          const lines =
            shape < 0.2
              ? [
                  { sku: 'HOT', locationId: 'wh-1', quantity: Math.max(1, q - 1) },
                  { sku: 'HOT', locationId: 'wh-1', quantity: 1 },
                ] // two lines on one row
              : shape < 0.4 && !singleUnits
                ? [
                    { sku: 'SIDE', locationId: 'ams-01', quantity: 1 },
                    { sku: 'HOT', locationId: 'wh-1', quantity: q },
                  ] // multi-SKU cart
                : [{ sku: 'HOT', locationId: 'wh-1', quantity: q }];
          return { key: `r${round}-c${i}`, lines, channel: CHANNELS[i % 4]! };
        });
        const before = await level(ctx, 'HOT', 'wh-1');
        const results = await Promise.allSettled(
          carts.map((c) => reserveStock(ctx.deps, { lines: c.lines, channel: c.channel }, c.key)),
        );
        let granted = 0;
        let sideGranted = 0;
        const rejectedNeeds: number[] = [];
        results.forEach((r, i) => {
          const hot = carts[i]!.lines.filter((l) => l.sku === 'HOT').reduce((s, l) => s + l.quantity, 0);
          if (r.status === 'fulfilled') {
            granted += hot;
            sideGranted += carts[i]!.lines.filter((l) => l.sku === 'SIDE').reduce(
              (s, l) => s + l.quantity,
              0,
            );
          } else {
            expect(r.reason).toMatchObject({ code: 'INSUFFICIENT_STOCK' });
            if (!carts[i]!.lines.some((l) => l.sku === 'SIDE')) rejectedNeeds.push(hot);
          }
        });
        const after = await level(ctx, 'HOT', 'wh-1');
        const demand = carts.reduce(
          (s, c) => s + c.lines.filter((l) => l.sku === 'HOT').reduce((a, l) => a + l.quantity, 0),
          0,
        );
        expect(granted).toBeLessThanOrEqual(K);
        expect(sideGranted).toBeLessThanOrEqual(sideUnits);
        if (singleUnits && demand >= K) expect(granted).toBe(K);
        // Availability only shrinks during a round, so a request refused at any time could not be served at
        // the end.
        const finalAvailable = after.onHand - after.reserved - after.safetyStock;
        for (const need of rejectedNeeds) expect(need).toBeGreaterThan(finalAvailable);
        expect(after.reserved - before.reserved).toBe(granted);
        expect(after.reserved).toBe(await liveReserved(ctx, 'HOT', 'wh-1'));
        expect((await level(ctx, 'SIDE', 'ams-01')).reserved).toBe(await liveReserved(ctx, 'SIDE', 'ams-01'));
      }
      expect(await verifyStockLedger(ctx.deps.db)).toEqual([]);
    },
  );
});
