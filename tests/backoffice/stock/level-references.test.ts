/**
 * A stock level names an existing product and location, checked once per statement by triggers
 * (migrations/20261201T0500_stock_level_references.sql) where foreign keys checked each row: the same
 * refusals, SQLSTATE 23503 with the foreign keys' constraint names, on either side, also against a
 * concurrent delete; TRUNCATE of products or locations is refused while stock levels remain.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createBackofficeTestContext, type BackofficeTestContext } from '../../support/backoffice.js';
import { givenCatalogue } from './fixtures.js';

let ctx: BackofficeTestContext;
beforeAll(async () => {
  ctx = await createBackofficeTestContext();
  await givenCatalogue(ctx, ['SKU-1', 'SKU-2', 'SKU-3', 'SKU-9'], ['LOC-1', 'LOC-2', 'LOC-9'], {
    'SKU-1@LOC-1': 5,
    'SKU-2@LOC-2': 3,
  });
});
afterAll(async () => {
  await ctx.close();
});

const insertLevels = (client: { query: pg.Pool['query'] }, levels: Array<[string, string]>) =>
  client.query(
    `INSERT INTO stock_levels (sku, location_id, on_hand, reserved, safety_stock, revision, updated_at)
     SELECT sku, loc, 1, 0, 0, 1, now() FROM unnest($1::text[], $2::text[]) AS l(sku, loc)`,
    [levels.map((l) => l[0]), levels.map((l) => l[1])],
  );

/** The database's refusal of `run`: its SQLSTATE, constraint and detail. */
async function refusal(run: () => Promise<unknown>): Promise<Record<string, unknown>> {
  const e = (await run().then(
    () => undefined,
    (err: unknown) => err,
  )) as pg.DatabaseError | undefined;
  if (!e) throw new Error('expected the database to refuse the statement');
  return { code: e.code, constraint: e.constraint, detail: e.detail };
}

describe('stock levels reference products and locations', () => {
  it('refuses a level naming an unknown SKU or location, and lands nothing of its statement', async () => {
    expect(
      await refusal(() =>
        insertLevels(ctx.deps.pool, [
          ['SKU-3', 'LOC-1'],
          ['NOPE', 'LOC-1'],
        ]),
      ),
    ).toEqual({
      code: '23503',
      constraint: 'stock_levels_sku_fkey',
      detail: 'Key (sku)=(NOPE) is not present in table "products".',
    });
    expect(await refusal(() => insertLevels(ctx.deps.pool, [['SKU-3', 'NOWHERE']]))).toEqual({
      code: '23503',
      constraint: 'stock_levels_location_id_fkey',
      detail: 'Key (location_id)=(NOWHERE) is not present in table "locations".',
    });
    expect(
      await refusal(() =>
        ctx.deps.pool.query(
          `UPDATE stock_levels SET sku = 'NOPE' WHERE sku = 'SKU-1' AND location_id = 'LOC-1'`,
        ),
      ),
    ).toMatchObject({ code: '23503', constraint: 'stock_levels_sku_fkey' });
    const { rows } = await ctx.deps.pool.query(`SELECT sku FROM stock_levels WHERE sku IN ('SKU-3', 'NOPE')`);
    expect(rows).toEqual([]);
    // an update that leaves the key alone is not checked at all, and known keys land
    await ctx.deps.pool.query(`UPDATE stock_levels SET on_hand = 6 WHERE sku = 'SKU-1'`);
    await insertLevels(ctx.deps.pool, [['SKU-3', 'LOC-2']]);
  });

  it('refuses deleting a product or location a level names, or changing its key, with 23503', async () => {
    expect(await refusal(() => ctx.deps.pool.query(`DELETE FROM products WHERE sku = 'SKU-2'`))).toEqual({
      code: '23503',
      constraint: 'stock_levels_sku_fkey',
      detail: 'Key (sku)=(SKU-2) is still referenced from table "stock_levels".',
    });
    expect(await refusal(() => ctx.deps.pool.query(`DELETE FROM locations WHERE id = 'LOC-2'`))).toEqual({
      code: '23503',
      constraint: 'stock_levels_location_id_fkey',
      detail: 'Key (id)=(LOC-2) is still referenced from table "stock_levels".',
    });
    expect(
      await refusal(() => ctx.deps.pool.query(`UPDATE products SET sku = 'SKU-22' WHERE sku = 'SKU-2'`)),
    ).toMatchObject({ code: '23503', constraint: 'stock_levels_sku_fkey' });
    // prices still reference the product by a foreign key of their own; a product nothing names can go
    await ctx.deps.pool.query(`DELETE FROM products WHERE sku = 'SKU-9'`);
    await ctx.deps.pool.query(`DELETE FROM locations WHERE id = 'LOC-9'`);
    const { rows } = await ctx.deps.pool.query(`SELECT sku FROM products WHERE sku IN ('SKU-2', 'SKU-9')`);
    expect(rows).toEqual([{ sku: 'SKU-2' }]);
  });

  it('refuses a level whose product a concurrent transaction deletes, whichever commits first', async () => {
    await givenCatalogue(ctx, ['SKU-A', 'SKU-B'], []);
    const a = await ctx.deps.pool.connect();
    const b = await ctx.deps.pool.connect();
    try {
      // the delete first: the level's statement waits for it, then finds the product gone
      await a.query('BEGIN');
      await a.query(`DELETE FROM products WHERE sku = 'SKU-A'`);
      const inserting = refusal(() => insertLevels(b, [['SKU-A', 'LOC-1']]));
      await new Promise((r) => setTimeout(r, 200));
      await a.query('COMMIT');
      expect(await inserting).toMatchObject({ code: '23503', constraint: 'stock_levels_sku_fkey' });
      // the level first: the delete waits for it, then finds the product named
      await b.query('BEGIN');
      await insertLevels(b, [['SKU-B', 'LOC-1']]);
      const deleting = refusal(() => a.query(`DELETE FROM products WHERE sku = 'SKU-B'`));
      await new Promise((r) => setTimeout(r, 200));
      await b.query('COMMIT');
      expect(await deleting).toMatchObject({ code: '23503', constraint: 'stock_levels_sku_fkey' });
    } finally {
      a.release();
      b.release();
    }
  });

  it('refuses TRUNCATE of products or locations while levels remain; along with them it goes', async () => {
    const truncate = (tables: string) => ctx.deps.pool.query(`TRUNCATE ${tables} CASCADE`);
    expect(await refusal(() => truncate('products'))).toMatchObject({ code: '23503' });
    expect(await refusal(() => truncate('locations'))).toMatchObject({ code: '23503' });
    const count = async (table: string) =>
      Number((await ctx.deps.pool.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
    expect(await count('products')).toBeGreaterThan(0);
    await truncate('stock_levels, products, locations');
    expect([await count('products'), await count('stock_levels'), await count('locations')]).toEqual([
      0, 0, 0,
    ]);
  });
});
