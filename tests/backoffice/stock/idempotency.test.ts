import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { reserveStock, applyStockMovements } from '../../../backoffice-layer/index.js';
import {
  createBackofficeTestContext,
  startAdminApi,
  type AdminClient,
  type BackofficeTestContext,
} from '../../support/backoffice.js';
import { givenCatalogue, level } from './fixtures.js';

// QUALITY C2: the same idempotency key sent 20 times at once executes once; replays return the first result.
describe('idempotency races (C2)', () => {
  let ctx: BackofficeTestContext;
  let api: AdminClient;
  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ poolSize: 24 });
    api = await startAdminApi(ctx);
    await givenCatalogue(ctx, ['COAT-M', 'SOCK-1'], ['wh-1', 'ams-01'], {
      'COAT-M@wh-1': 50,
      'SOCK-1@ams-01': 5,
    });
  });
  afterAll(async () => {
    await api.close();
    await ctx.close();
  });

  it(
    'executes a reservation once for 20 concurrent calls with one key, and replays its result ' +
      'and revision',
    async () => {
      const body = { lines: [{ sku: 'COAT-M', locationId: 'wh-1', quantity: 2 }], channel: 'WEB' as const };
      const results = await Promise.all(
        Array.from({ length: 20 }, () => reserveStock(ctx.deps, body, 'checkout-123')),
      );
      const ids = new Set(results.map((r) => r.reservation.id));
      expect(ids.size).toBe(1);
      expect(new Set(results.map((r) => r.revision)).size).toBe(1);
      expect(results.filter((r) => !r.replayed)).toHaveLength(1);
      expect(await ctx.deps.db.selectFrom('reservations').select('id').execute()).toHaveLength(1);
      expect((await level(ctx, 'COAT-M', 'wh-1')).reserved).toBe(2);
      const ledger = await ctx.deps.db
        .selectFrom('stockMovements')
        .select('kind')
        .where('kind', '=', 'RESERVATION')
        .execute();
      expect(ledger).toHaveLength(1);
      const events = await ctx.deps.db
        .selectFrom('outbox')
        .select('type')
        .where('revision', '=', results[0]!.revision)
        .orderBy('position')
        .execute();
      expect(events.map((e) => e.type)).toEqual(['reservation.created', 'stock.changed']);
      // Later replays too.
      const later = await reserveStock(ctx.deps, body, 'checkout-123');
      expect(later).toMatchObject({
        replayed: true,
        revision: results[0]!.revision,
        reservation: { id: [...ids][0] },
      });
    },
  );

  it(
    'answers CONFLICT for the same key with another body, ' + 'and for every concurrent mix of the two',
    async () => {
      await expect(
        reserveStock(
          ctx.deps,
          { lines: [{ sku: 'COAT-M', locationId: 'wh-1', quantity: 3 }] },
          'checkout-123',
        ),
      ).rejects.toMatchObject({ code: 'CONFLICT' });
      const a = { lines: [{ sku: 'COAT-M', locationId: 'wh-1', quantity: 1 }] };
      const b = { lines: [{ sku: 'COAT-M', locationId: 'wh-1', quantity: 4 }] };
      const mixed = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => reserveStock(ctx.deps, i % 2 ? a : b, 'checkout-mixed')),
      );
      const ok = mixed.filter((r) => r.status === 'fulfilled') as Array<
        PromiseFulfilledResult<Awaited<ReturnType<typeof reserveStock>>>
      >;
      const failed = mixed.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
      expect(new Set(ok.map((r) => r.value.reservation.id)).size).toBe(1);
      expect(ok.length + failed.length).toBe(20);
      for (const f of failed) expect(f.reason).toMatchObject({ code: 'CONFLICT' });
      expect(ok.length).toBe(10);
    },
  );

  it('stores nothing for a request that fails, so the key can be used again', async () => {
    await expect(
      reserveStock(ctx.deps, { lines: [{ sku: 'SOCK-1', locationId: 'ams-01', quantity: 9 }] }, 'retry-me'),
    ).rejects.toMatchObject({ code: 'INSUFFICIENT_STOCK' });
    await applyStockMovements(
      ctx.deps,
      { movements: [{ kind: 'RECEIPT', sku: 'SOCK-1', locationId: 'ams-01', quantity: 10 }] },
      'receipt-1',
    );
    const ok = await reserveStock(
      ctx.deps,
      { lines: [{ sku: 'SOCK-1', locationId: 'ams-01', quantity: 9 }] },
      'retry-me',
    );
    expect(ok.replayed).toBe(false);
  });

  it(
    'does not store a request that failed validation (over ' + 'HTTP), and needs the Idempotency-Key header',
    async () => {
      const bad = await api.request(
        'POST',
        '/admin/v1/reservations',
        { lines: [{ sku: 'COAT-M', locationId: 'wh-1', quantity: -1 }] },
        { 'idempotency-key': 'http-1' },
      );
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('BAD_USER_INPUT');
      const good = await api.request(
        'POST',
        '/admin/v1/reservations',
        { lines: [{ sku: 'COAT-M', locationId: 'wh-1', quantity: 1 }] },
        { 'idempotency-key': 'http-1' },
      );
      expect(good.status).toBe(201);
      expect(good.body.reservation.status).toBe('ACTIVE');
      const replay = await api.request(
        'POST',
        '/admin/v1/reservations',
        { lines: [{ sku: 'COAT-M', locationId: 'wh-1', quantity: 1 }] },
        { 'idempotency-key': 'http-1' },
      );
      expect(replay.body.reservation.id).toBe(good.body.reservation.id);
      const missing = await api.request('POST', '/admin/v1/reservations', {
        lines: [{ sku: 'COAT-M', locationId: 'wh-1', quantity: 1 }],
      });
      expect(missing.status).toBe(400);
      expect(missing.body.detail).toMatch(/Idempotency-Key/);
    },
  );

  it('replays a movement batch with one key 20 times at once as one execution', async () => {
    const before = await level(ctx, 'COAT-M', 'ams-01');
    const body = {
      movements: [{ kind: 'TRANSFER' as const, sku: 'COAT-M', from: 'wh-1', to: 'ams-01', quantity: 3 }],
    };
    const res = await Promise.all(
      Array.from({ length: 20 }, () => applyStockMovements(ctx.deps, body, 'transfer-77')),
    );
    expect(new Set(res.map((r) => r.revision)).size).toBe(1);
    expect((await level(ctx, 'COAT-M', 'ams-01')).onHand).toBe(before.onHand + 3);
  });
});
