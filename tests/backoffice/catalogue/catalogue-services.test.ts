import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  assertProductsExist,
  getLocation,
  getProduct,
  listLocations,
  listProducts,
  upsertLocation,
  upsertProduct,
  ProductBodySchema,
  LocationBodySchema,
} from '../../../backoffice-layer/index.js';
import { DomainError, ManualClock } from '../../../shared/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../../support/backoffice.js';

const product = (over: Record<string, unknown> = {}) =>
  ProductBodySchema.parse({
    name: 'Merino trui',
    category: 'knitwear',
    vatRate: 21,
    attributes: { size: 'M', colour: 'grey' },
    ...over,
  });

describe('catalogue services against PostgreSQL', () => {
  let ctx: BackofficeTestContext;
  const clock = new ManualClock('2026-11-22T09:00:00Z');
  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
  });
  afterAll(async () => {
    await ctx.close();
  });

  const outboxFor = (id: string) =>
    ctx.deps.db
      .selectFrom('outbox')
      .select(['revision', 'type', 'aggregateType', 'payload'])
      .where('aggregateId', '=', id)
      .orderBy('position')
      .execute();

  it('creates a product, stamps revision and times, and announces the full state', async () => {
    const r = await upsertProduct(ctx.deps, 'TRUI-M', product({ vatRate: 5.5 }));
    expect(r.changed).toBe(true);
    expect(r.product).toEqual({
      sku: 'TRUI-M',
      name: 'Merino trui',
      category: 'knitwear',
      attributes: { size: 'M', colour: 'grey' },
      vatRateBp: 550,
      vatRate: 5.5,
      status: 'ACTIVE',
      revision: r.revision,
      updatedAt: '2026-11-22T09:00:00.000Z',
    });
    expect(await outboxFor('TRUI-M')).toEqual([
      {
        revision: r.revision,
        type: 'product.changed',
        aggregateType: 'product',
        payload: {
          product: {
            sku: 'TRUI-M',
            name: 'Merino trui',
            category: 'knitwear',
            attributes: { size: 'M', colour: 'grey' },
            vatRateBp: 550,
            status: 'ACTIVE',
          },
        },
      },
    ]);
  });

  it(
    'keeps createdAt on update, and a no-op update commits nothing (even with attributes in ' +
      'another order)',
    async () => {
      const before = await ctx.deps.db
        .selectFrom('products')
        .select(['revision', 'createdAt', 'updatedAt'])
        .where('sku', '=', 'TRUI-M')
        .executeTakeFirstOrThrow();
      clock.advance(60_000);
      const same = await upsertProduct(
        ctx.deps,
        'TRUI-M',
        product({ vatRate: 5.5, attributes: { colour: 'grey', size: 'M' } }),
      );
      expect(same).toMatchObject({ changed: false, revision: before.revision });
      expect(await outboxFor('TRUI-M')).toHaveLength(1);
      expect(
        (
          await ctx.deps.db
            .selectFrom('products')
            .select('updatedAt')
            .where('sku', '=', 'TRUI-M')
            .executeTakeFirstOrThrow()
        ).updatedAt,
      ).toEqual(before.updatedAt);

      const changed = await upsertProduct(
        ctx.deps,
        'TRUI-M',
        product({ vatRate: 5.5, status: 'DISCONTINUED' }),
      );
      expect(changed.changed).toBe(true);
      expect(changed.revision).toBeGreaterThan(before.revision);
      const after = await ctx.deps.db
        .selectFrom('products')
        .select(['revision', 'createdAt', 'updatedAt'])
        .where('sku', '=', 'TRUI-M')
        .executeTakeFirstOrThrow();
      expect(after).toEqual({
        revision: changed.revision,
        createdAt: before.createdAt,
        updatedAt: new Date('2026-11-22T09:01:00Z'),
      });
      const events = await outboxFor('TRUI-M');
      expect(events).toHaveLength(2);
      expect(events[1]).toMatchObject({
        revision: changed.revision,
        payload: { product: { status: 'DISCONTINUED' } },
      });
      // Dropping an attribute is a change too.
      expect(
        (
          await upsertProduct(
            ctx.deps,
            'TRUI-M',
            product({ vatRate: 5.5, status: 'DISCONTINUED', attributes: { size: 'M' } }),
          )
        ).changed,
      ).toBe(true);
    },
  );

  it('walks every product exactly once through keyset pages, with and without a category', async () => {
    const skus = Array.from({ length: 23 }, (_, i) => `PAGE-${String(i).padStart(2, '0')}`);
    for (const [i, sku] of skus.entries())
      await upsertProduct(ctx.deps, sku, product({ category: i % 3 === 0 ? 'socks' : 'knitwear' }));
    const walk = async (category?: string) => {
      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await listProducts(ctx.deps.db, {
          limit: 4,
          ...(after ? { after } : {}),
          ...(category ? { category } : {}),
        });
        expect(page.products.length).toBeLessThanOrEqual(4);
        seen.push(...page.products.map((p) => p.sku));
        if (!page.next) return seen;
        after = page.next;
      }
    };
    expect(await walk()).toEqual(['TRUI-M', ...skus].sort());
    expect(await walk('socks')).toEqual(skus.filter((_, i) => i % 3 === 0));
    expect((await listProducts(ctx.deps.db, { limit: 5, search: '100%_' })).products).toEqual([]);
    expect(await getProduct(ctx.deps.db, 'NOPE')).toBeNull();
  });

  it('creates, keeps and updates locations with location.changed events', async () => {
    const created = await upsertLocation(
      ctx.deps,
      'wh-utrecht',
      LocationBodySchema.parse({ name: 'DC Utrecht', kind: 'WAREHOUSE', fulfilsOnline: true }),
    );
    expect(created.location).toEqual({
      id: 'wh-utrecht',
      name: 'DC Utrecht',
      kind: 'WAREHOUSE',
      fulfilsOnline: true,
      revision: created.revision,
      updatedAt: clock.now().toISOString(),
    });
    expect(
      await upsertLocation(
        ctx.deps,
        'wh-utrecht',
        LocationBodySchema.parse({ name: 'DC Utrecht', kind: 'WAREHOUSE', fulfilsOnline: true }),
      ),
    ).toMatchObject({ changed: false, revision: created.revision });
    const updated = await upsertLocation(
      ctx.deps,
      'wh-utrecht',
      LocationBodySchema.parse({ name: 'DC Utrecht', kind: 'WAREHOUSE' }),
    );
    expect(updated).toMatchObject({ changed: true, location: { fulfilsOnline: false } });
    expect(await outboxFor('wh-utrecht')).toEqual([
      {
        revision: created.revision,
        type: 'location.changed',
        aggregateType: 'location',
        payload: {
          location: { id: 'wh-utrecht', name: 'DC Utrecht', kind: 'WAREHOUSE', fulfilsOnline: true },
        },
      },
      {
        revision: updated.revision,
        type: 'location.changed',
        aggregateType: 'location',
        payload: {
          location: { id: 'wh-utrecht', name: 'DC Utrecht', kind: 'WAREHOUSE', fulfilsOnline: false },
        },
      },
    ]);
    expect(await getLocation(ctx.deps.db, 'wh-utrecht')).toMatchObject({
      fulfilsOnline: false,
      revision: updated.revision,
    });
    expect(await getLocation(ctx.deps.db, 'nope')).toBeNull();
    expect((await listLocations(ctx.deps.db)).map((l) => l.id)).toEqual(['wh-utrecht']);
  });

  it('tells which SKUs are unknown', async () => {
    await expect(assertProductsExist(ctx.deps.db, ['TRUI-M', 'PAGE-01', 'TRUI-M'])).resolves.toBeUndefined();
    const err = await assertProductsExist(ctx.deps.db, ['TRUI-M', 'GHOST-1', 'GHOST-2']).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ code: 'NOT_FOUND', details: { skus: ['GHOST-1', 'GHOST-2'] } });
  });

  it('gives concurrent first writes of one SKU one row and a revision each that changed it', async () => {
    const results = await Promise.all(
      [1, 2, 3, 4].map((n) => upsertProduct(ctx.deps, 'RACE-1', product({ name: `Race ${n}` }))),
    );
    const row = await ctx.deps.db
      .selectFrom('products')
      .select(['name', 'revision'])
      .where('sku', '=', 'RACE-1')
      .executeTakeFirstOrThrow();
    const lastWriter = results.reduce((a, b) => (a.revision > b.revision ? a : b));
    expect(row).toEqual({
      name: `Race ${[1, 2, 3, 4][results.indexOf(lastWriter)]}`,
      revision: lastWriter.revision,
    });
    expect(new Set(results.map((r) => r.revision)).size).toBe(results.filter((r) => r.changed).length);
  });
});
