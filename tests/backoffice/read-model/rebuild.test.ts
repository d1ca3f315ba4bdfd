import { afterEach, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import {
  createReadModel,
  readModelKeys,
  rebuildReadModel,
  ReadModelRebuildInterrupted,
  setStockCount,
  verifyReadModel,
} from '../../../backoffice-layer/index.js';
import { createBackofficeTestContext, until, type BackofficeTestContext } from '../../support/backoffice.js';

// The rebuild streams the catalogue from PostgreSQL (two COPY streams in one snapshot, merged by SKU) and
// writes it to Redis in batches; what readers are served must be what PostgreSQL holds.

const contexts: BackofficeTestContext[] = [];
afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close();
});

async function hub(): Promise<BackofficeTestContext> {
  const ctx = await createBackofficeTestContext();
  contexts.push(ctx);
  return ctx;
}

/** `n` products `<prefix>-<i>` with a base price and stock at every location, written in bulk. */
async function bulk(ctx: BackofficeTestContext, prefix: string, n: number): Promise<void> {
  await sql`INSERT INTO products
      (sku, name, category, attributes, vat_rate_bp, status, revision, created_at, updated_at)
    SELECT ${prefix} || '-' || i, 'Bulk ' || i, 'coats', '{}', 2100, 'ACTIVE', 1, now(), now()
    FROM generate_series(1, ${n}::int) i`.execute(ctx.deps.db);
  await sql`INSERT INTO prices (price_list_id, sku, min_quantity, amount, revision)
    SELECT 'base', ${prefix} || '-' || i, 1, 1000 + i, 1 FROM generate_series(1, ${n}::int) i`.execute(
    ctx.deps.db,
  );
  await sql`INSERT INTO stock_levels (sku, location_id, on_hand, reserved, safety_stock, revision, updated_at)
    SELECT ${prefix} || '-' || i, l.id, i % 7, 0, 1, 1, now()
      FROM generate_series(1, ${n}::int) i, locations l`.execute(ctx.deps.db);
}

async function locationsAndLists(ctx: BackofficeTestContext): Promise<void> {
  await sql`INSERT INTO locations (id, name, kind, fulfils_online, revision, created_at, updated_at) VALUES
      ('wh-1', 'Warehouse', 'WAREHOUSE', true, 1, now(), now()),
      ('ams-01', 'Amsterdam', 'STORE', false, 1, now(), now()),
      ('utr.02', 'Utrecht', 'STORE', false, 1, now(), now())`.execute(ctx.deps.db);
  await sql`INSERT INTO price_lists (id, name, currency, priority, valid_from, valid_to, revision, created_at,
      updated_at) VALUES
      ('base', 'Base', 'EUR', 0, NULL, NULL, 1, now(), now()),
      ('winter', 'Winter', 'EUR', 10, '2026-12-01 00:00:00.123456+00', '2027-01-31 23:59:59.999999+00', 1,
       now(), now())`.execute(ctx.deps.db);
}

describe('read model rebuild: streamed from PostgreSQL', () => {
  it(
    'serves every SKU as PostgreSQL holds it: odd names and attributes, price tiers and windows, no ' +
      'price, no stock; stock levels stored compactly',
    async () => {
      const ctx = await hub();
      await locationsAndLists(ctx);
      // Text that COPY escapes (tab, newline, backslash), quotes, and characters beyond ASCII.
      await sql`INSERT INTO products
          (sku, name, category, attributes, vat_rate_bp, status, revision, created_at, updated_at) VALUES
          ('ODD-1', ${'Jas\t"Noord"\nkust \\ 100%'}, ${'jassen\\winter'},
           ${JSON.stringify({ maat: 'M\t"L"', noot: 'a\\b', kleur: 'zeeblauw ✓' })}::jsonb, 2100, 'ACTIVE',
           1, now(), now()),
          ('ODD-2', 'Geen prijs', 'sjaals', '{}', 900, 'INACTIVE', 1, now(), now()),
          ('ODD-3', 'Geen voorraad', 'sjaals', '{}', 0, 'DISCONTINUED', 1, now(), now())`.execute(
        ctx.deps.db,
      );
      await sql`INSERT INTO prices (price_list_id, sku, min_quantity, amount, valid_from, valid_to, revision)
        VALUES ('base', 'ODD-1', 1, 8995, NULL, NULL, 1),
               ('base', 'ODD-1', 3, 7995, NULL, NULL, 1),
               ('winter', 'ODD-1', 1, 6995, '2026-12-05 08:30:00.987654+00', NULL, 1),
               ('base', 'ODD-3', 1, 1995, NULL, '2027-06-01 00:00:00+00', 1)`.execute(ctx.deps.db);
      await sql`INSERT INTO stock_levels (sku, location_id, on_hand, reserved, safety_stock, revision,
          updated_at) VALUES ('ODD-1', 'wh-1', 12, 2, 1, 1, now()), ('ODD-1', 'utr.02', 0, 0, 0, 1, now()),
          ('ODD-2', 'ams-01', 5, 5, 0, 1, now())`.execute(ctx.deps.db);
      await bulk(ctx, 'BULK', 450);

      const built = await rebuildReadModel(ctx.deps, [], { pageSize: 7 });
      expect(built.skus).toBe(453);
      expect(await verifyReadModel(ctx.deps)).toEqual([]);

      const rm = await createReadModel(ctx.deps);
      try {
        const snap = await rm.getSnapshot(['ODD-1', 'ODD-2', 'ODD-3']);
        expect(snap.source).toBe('read-model');
        const odd = snap.skus.get('ODD-1')!;
        expect(odd.product).toEqual({
          sku: 'ODD-1',
          name: 'Jas\t"Noord"\nkust \\ 100%',
          category: 'jassen\\winter',
          attributes: { maat: 'M\t"L"', noot: 'a\\b', kleur: 'zeeblauw ✓' },
          vatRateBp: 2100,
          status: 'ACTIVE',
        });
        expect(odd.prices.map((p) => [p.priceListId, p.minQuantity, p.amount, p.validFrom])).toEqual([
          ['base', 1, 8995, null],
          ['base', 3, 7995, null],
          ['winter', 1, 6995, '2026-12-05T08:30:00.987Z'],
        ]);
        expect(odd.prices[2]).toMatchObject({
          priority: 10,
          listValidFrom: '2026-12-01T00:00:00.123Z',
          listValidTo: '2027-01-31T23:59:59.999Z',
        });
        expect(odd.stock).toEqual([
          { sku: 'ODD-1', locationId: 'utr.02', onHand: 0, reserved: 0, safetyStock: 0 },
          { sku: 'ODD-1', locationId: 'wh-1', onHand: 12, reserved: 2, safetyStock: 1 },
        ]);
        expect(snap.skus.get('ODD-2')?.prices).toEqual([]);
        expect(snap.skus.get('ODD-3')?.stock).toEqual([]);
      } finally {
        await rm.close();
      }
      // One short value per level, so a SKU's stock stays a compact hash in Redis.
      const keys = readModelKeys(ctx.redisPrefix);
      expect(await ctx.deps.redis.hget(keys.stock('ODD-1'), 'wh-1')).toBe(
        `{"rev":${built.revision},"v":[12,2,1]}`,
      );
      expect(await ctx.deps.redis.object('ENCODING', keys.stock('BULK-1'))).toBe('listpack');
    },
  );

  it('keeps what the event consumer wrote at a newer revision, and writes over what is older', async () => {
    const ctx = await hub();
    await locationsAndLists(ctx);
    await bulk(ctx, 'NEW', 30);
    const first = await rebuildReadModel(ctx.deps, [], { pageSize: 4 });
    const keys = readModelKeys(ctx.redisPrefix);
    // As the consumer stores them, at a revision past every one the rebuild will read.
    const ahead = first.revision + 1000;
    const newerLevel = { sku: 'NEW-2', locationId: 'wh-1', onHand: 99, reserved: 0, safetyStock: 0 };
    await ctx.deps.redis.hset(keys.stock('NEW-2'), 'wh-1', JSON.stringify({ rev: ahead, v: newerLevel }));
    const newerProduct = {
      sku: 'NEW-3',
      name: 'Newer',
      category: 'coats',
      attributes: {},
      vatRateBp: 2100,
      status: 'ACTIVE',
    };
    await ctx.deps.redis.set(keys.product('NEW-3'), JSON.stringify({ rev: ahead, v: newerProduct }));
    const { revision } = await setStockCount(ctx.deps, 'NEW-2', 'ams-01', { onHand: 40 });

    const second = await rebuildReadModel(ctx.deps, [], { pageSize: 4 });
    expect(second.revision).toBe(revision);
    expect(JSON.parse((await ctx.deps.redis.hget(keys.stock('NEW-2'), 'wh-1'))!)).toEqual({
      rev: ahead,
      v: newerLevel,
    });
    expect(await ctx.deps.redis.hget(keys.stock('NEW-2'), 'ams-01')).toBe(`{"rev":${revision},"v":[40,0,1]}`);
    expect(JSON.parse((await ctx.deps.redis.get(keys.product('NEW-3')))!)).toEqual({
      rev: ahead,
      v: newerProduct,
    });
    expect(JSON.parse((await ctx.deps.redis.get(keys.product('NEW-4')))!)).toMatchObject({ rev: revision });
  });

  it(
    'the lease: a second rebuild is refused while one runs, and a rebuild that lost its lease stops ' +
      'without claiming a complete model',
    async () => {
      const ctx = await hub();
      await locationsAndLists(ctx);
      await bulk(ctx, 'LEASE', 3000);
      const keys = readModelKeys(ctx.redisPrefix);
      const running = rebuildReadModel(ctx.deps, [], { pageSize: 1 });
      await until(
        async () => (await ctx.deps.redis.exists(keys.product('LEASE-1'))) === 1,
        10_000,
        'the rebuild under way',
      );
      await expect(rebuildReadModel(ctx.deps)).rejects.toThrow(/another rebuild/);
      // Its lease expired and another rebuild took the model over.
      await ctx.deps.redis.set(keys.building, 'another-rebuild', 'PX', 10_000);
      await expect(running).rejects.toBeInstanceOf(ReadModelRebuildInterrupted);
      expect(await ctx.deps.redis.get(keys.built)).toBeNull();
      expect(await ctx.deps.redis.get(keys.building)).toBe('another-rebuild');
    },
  );
});
