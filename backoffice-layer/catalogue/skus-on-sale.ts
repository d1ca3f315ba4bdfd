import type { Executor } from '../tables.js';

/** The first `limit` SKUs on sale (active, with a price in some price list), in SKU order. */
export async function skusOnSale(db: Executor, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('products')
    .select('sku')
    .where('status', '=', 'ACTIVE')
    .where((eb) =>
      eb.exists(eb.selectFrom('prices').select('prices.sku').whereRef('prices.sku', '=', 'products.sku')),
    )
    .orderBy('sku')
    .limit(limit)
    .execute();
  return rows.map((r) => r.sku);
}
