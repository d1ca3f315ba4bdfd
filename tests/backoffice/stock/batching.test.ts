import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ReservationQueue,
  reserveStock,
  verifyStockLedger,
  type BackofficeDeps,
} from '../../../backoffice-layer/index.js';
import { DomainError } from '../../../shared/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../../support/backoffice.js';
import { givenCatalogue, level, liveReserved } from './fixtures.js';

// Concurrent reservations share transactions (one commit serves many) and answer exactly as one at a time
// would.
describe('reservations committed together', () => {
  let ctx: BackofficeTestContext;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ poolSize: 24 });
    await givenCatalogue(ctx, ['HOT-1', 'HOT-2', 'COLD-1', 'ZED-1'], ['wh-1', 'ams-01'], {
      'HOT-1@wh-1': 1000,
      'HOT-2@wh-1': 10,
      'COLD-1@ams-01': 3,
    });
  });
  afterAll(async () => {
    await ctx.close();
  });

  it(
    'serves a burst on one SKU with far fewer commits than reservations, each its own ' +
      'reservation, replayable by key',
    async () => {
      const n = 60;
      const results = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          reserveStock(
            ctx.deps,
            { lines: [{ sku: 'HOT-1', locationId: 'wh-1', quantity: 1 + (i % 3) }], channel: 'WEB' },
            `burst-${i}`,
          ),
        ),
      );
      const units = Array.from({ length: n }, (_, i) => 1 + (i % 3)).reduce((a, b) => a + b, 0);
      expect(new Set(results.map((r) => r.reservation.id)).size).toBe(n);
      expect(
        results.every(
          (r) => !r.replayed && r.reservation.status === 'ACTIVE' && r.reservation.revision === r.revision,
        ),
      ).toBe(true);
      const revisions = new Set(results.map((r) => r.revision));
      expect(revisions.size).toBeLessThan(n / 3);
      expect((await level(ctx, 'HOT-1', 'wh-1')).reserved).toBe(units);
      expect(await liveReserved(ctx, 'HOT-1', 'wh-1')).toBe(units);
      expect(await verifyStockLedger(ctx.deps.db)).toEqual([]);
      // Each revision carries one reservation.created per reservation and one stock.changed with the level
      // after all of them.
      for (const rev of revisions) {
        const events = await ctx.deps.db
          .selectFrom('outbox')
          .select(['type', 'payload'])
          .where('revision', '=', rev)
          .orderBy('position')
          .execute();
        const mine = results.filter((r) => r.revision === rev);
        expect(
          events
            .filter((e) => e.type === 'reservation.created')
            .map((e) => (e.payload as { reservationId: string }).reservationId)
            .sort(),
        ).toEqual(mine.map((r) => r.reservation.id).sort());
        expect(events.filter((e) => e.type === 'stock.changed')).toHaveLength(1);
      }
      const last = Math.max(...revisions);
      const final = await ctx.deps.db
        .selectFrom('outbox')
        .select('payload')
        .where('revision', '=', last)
        .where('type', '=', 'stock.changed')
        .executeTakeFirstOrThrow();
      expect((final.payload as { levels: Array<{ reserved: number }> }).levels[0]!.reserved).toBe(units);
      // A replay of any of them answers that reservation at its revision.
      const replays = await Promise.all(
        results
          .slice(0, 10)
          .map((r, i) =>
            reserveStock(
              ctx.deps,
              { lines: [{ sku: 'HOT-1', locationId: 'wh-1', quantity: 1 + (i % 3) }], channel: 'WEB' },
              `burst-${i}`,
            ),
          ),
      );
      replays.forEach((r, i) =>
        expect(r).toMatchObject({
          replayed: true,
          revision: results[i]!.revision,
          reservation: { id: results[i]!.reservation.id },
        }),
      );
    },
  );

  it('answers every kind of request in a concurrent mix exactly as it would alone', async () => {
    await reserveStock(
      ctx.deps,
      { lines: [{ sku: 'HOT-2', locationId: 'wh-1', quantity: 1 }] },
      'used-before',
    );
    const asks: Array<[string, { lines: Array<{ sku: string; locationId: string; quantity: number }> }]> = [
      ...Array.from(
        { length: 12 },
        (_, i): [string, { lines: Array<{ sku: string; locationId: string; quantity: number }> }] => [
          `mix-${i}`,
          { lines: [{ sku: 'HOT-2', locationId: 'wh-1', quantity: 1 }] },
        ],
      ),
      ['used-before', { lines: [{ sku: 'HOT-2', locationId: 'wh-1', quantity: 1 }] }], // replay
      ['used-before', { lines: [{ sku: 'HOT-2', locationId: 'wh-1', quantity: 2 }] }], // same key, other body
      ['unknown-sku', { lines: [{ sku: 'NOPE-1', locationId: 'wh-1', quantity: 1 }] }],
      ['no-level-row', { lines: [{ sku: 'HOT-2', locationId: 'ams-01', quantity: 1 }] }],
      [
        'two-rows',
        {
          lines: [
            { sku: 'HOT-2', locationId: 'wh-1', quantity: 1 },
            { sku: 'COLD-1', locationId: 'ams-01', quantity: 3 },
          ],
        },
      ],
    ];
    const settled = await Promise.allSettled(asks.map(([key, body]) => reserveStock(ctx.deps, body, key)));
    const byKey = (k: string): PromiseSettledResult<Awaited<ReturnType<typeof reserveStock>>>[] =>
      settled.filter((_, i) => asks[i]![0] === k);
    const codeOf = (r: PromiseSettledResult<unknown>): string =>
      r.status === 'rejected' ? (r.reason as DomainError).code : 'OK';

    // 9 units were left on HOT-2: 9 of the 13 single-unit asks (12 new + the cart with two rows) get one.
    const hot = asks
      .map((a, i) => [a, settled[i]!] as const)
      .filter(([a]) => a[0].startsWith('mix-') || a[0] === 'two-rows');
    expect(hot.filter(([, r]) => r.status === 'fulfilled')).toHaveLength(9);
    for (const [, r] of hot.filter(([, x]) => x.status === 'rejected')) {
      expect(codeOf(r)).toBe('INSUFFICIENT_STOCK');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(DomainError);
    }
    expect(byKey('used-before').map(codeOf).sort()).toEqual(['CONFLICT', 'OK']);
    expect(byKey('used-before').find((r) => r.status === 'fulfilled')).toMatchObject({
      value: { replayed: true },
    });
    expect(codeOf(byKey('unknown-sku')[0]!)).toBe('NOT_FOUND');
    expect(byKey('no-level-row')[0]).toMatchObject({
      status: 'rejected',
      reason: { code: 'INSUFFICIENT_STOCK', details: { available: 0 } },
    });

    const hot2 = await level(ctx, 'HOT-2', 'wh-1');
    expect(hot2.reserved).toBe(10);
    expect(await liveReserved(ctx, 'HOT-2', 'wh-1')).toBe(10);
    const cold = await level(ctx, 'COLD-1', 'ams-01');
    expect(cold.reserved).toBe(await liveReserved(ctx, 'COLD-1', 'ams-01'));
    expect(cold.reserved).toBe(byKey('two-rows')[0]!.status === 'fulfilled' ? 3 : 0);
    // A refused key stored nothing: it may be used again.
    const refusedKey = asks.find((a, i) => a[0].startsWith('mix-') && settled[i]!.status === 'rejected')![0];
    expect(
      await ctx.deps.db.selectFrom('idempotencyKeys').select('key').where('key', '=', refusedKey).execute(),
    ).toEqual([]);
    expect(await verifyStockLedger(ctx.deps.db)).toEqual([]);
  });

  it(
    'refuses in the group a request with an unknown SKU or no stock row as it would alone, ' +
      'taking nothing',
    async () => {
      const before = (await level(ctx, 'HOT-1', 'wh-1')).reserved;
      const one = { lines: [{ sku: 'HOT-1', locationId: 'wh-1', quantity: 1 }] };
      // All share HOT-1@wh-1 as their first line, so they queue in one lane and go together.
      const settled = await Promise.allSettled([
        ...Array.from({ length: 6 }, (_, i) => reserveStock(ctx.deps, one, `undecided-${i}`)),
        reserveStock(
          ctx.deps,
          {
            lines: [
              { sku: 'HOT-1', locationId: 'wh-1', quantity: 1 },
              { sku: 'ZZZ-NOPE', locationId: 'wh-1', quantity: 1 },
            ],
          },
          'undecided-unknown',
        ),
        reserveStock(
          ctx.deps,
          {
            lines: [
              { sku: 'HOT-1', locationId: 'wh-1', quantity: 1 },
              { sku: 'ZED-1', locationId: 'wh-1', quantity: 1 },
            ],
          },
          'undecided-no-row',
        ),
      ]);
      expect(settled.slice(0, 6).every((r) => r.status === 'fulfilled')).toBe(true);
      expect(settled[6]).toMatchObject({ status: 'rejected', reason: { code: 'NOT_FOUND' } });
      expect(settled[7]).toMatchObject({
        status: 'rejected',
        reason: { code: 'INSUFFICIENT_STOCK', details: { sku: 'ZED-1', available: 0 } },
      });
      expect((await level(ctx, 'HOT-1', 'wh-1')).reserved).toBe(before + 6);
      expect(await liveReserved(ctx, 'HOT-1', 'wh-1')).toBe(before + 6);
      expect(
        await ctx.deps.db
          .selectFrom('idempotencyKeys')
          .select('key')
          .where('key', 'in', ['undecided-unknown', 'undecided-no-row'])
          .execute(),
      ).toEqual([]);
    },
  );

  it(
    'groups the reservations of every deps carrying the same queue, and keeps a queue it made on ' +
      'its deps',
    async () => {
      const queue = new ReservationQueue();
      const both = [
        { ...ctx.deps, reservationQueue: queue },
        { ...ctx.deps, reservationQueue: queue },
      ];
      const n = 30;
      const results = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          reserveStock(
            both[i % 2]!,
            { lines: [{ sku: 'HOT-1', locationId: 'wh-1', quantity: 1 }] },
            `shared-queue-${i}`,
          ),
        ),
      );
      const revisions = new Set(results.map((r) => r.revision));
      expect(revisions.size).toBeLessThan(n / 3);
      // One transaction served callers of both deps objects.
      const mixed = [...revisions].some(
        (rev) => new Set(results.flatMap((r, i) => (r.revision === rev ? [i % 2] : []))).size === 2,
      );
      expect(mixed).toBe(true);

      const { reservationQueue: _shared, ...bare }: BackofficeDeps = ctx.deps;
      const deps: BackofficeDeps = bare;
      await reserveStock(deps, { lines: [{ sku: 'HOT-1', locationId: 'wh-1', quantity: 1 }] }, 'own-queue');
      expect(deps.reservationQueue).toBeInstanceOf(ReservationQueue);
      expect(await verifyStockLedger(ctx.deps.db)).toEqual([]);
    },
  );
});
