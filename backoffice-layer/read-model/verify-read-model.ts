import { canonicalJson } from '../../shared/index.js';
import type { SharedSection } from './store.js';
import { decodeLocations, decodeSkus, parseSection, queueSkuReads } from './redis-codec.js';
import { eachPage, type RebuildDeps } from './rebuild.js';
import { sourceIdentity } from './source.js';
import { readModelKeys } from './store.js';

export interface ReadModelDifference {
  sku: string;
  /**
   * `source`: the model in Redis is not (fully) built from this database — `expected` and `actual` are
   * identities.
   */
  section: 'product' | 'prices' | 'stock' | 'location' | 'global' | 'source';
  expected: unknown;
  actual: unknown;
}

/**
 * Compares the Redis read model with a fresh rebuild from PostgreSQL — what readers are served, not how it is
 * stored (a product with no price has no prices section; readers serve `[]`) — and lists every difference; an
 * empty list means they are equal. A model not fully built from this database is one difference (`source`).
 * Meant for a quiet moment (tests, `consistency-check`).
 */
export async function verifyReadModel(
  deps: Pick<RebuildDeps, 'db' | 'redis' | 'redisPrefix'>,
  sections: readonly SharedSection[] = [],
): Promise<ReadModelDifference[]> {
  const keys = readModelKeys(deps.redisPrefix);
  const source = await sourceIdentity(deps.db);
  const built = await deps.redis.get(keys.built);
  if (built !== source) return [{ sku: '', section: 'source', expected: source, actual: built }];
  const diffs: ReadModelDifference[] = [];
  await eachPage(deps.db, sections, async (views, locations, _rev, globals) => {
    for (const [name, expected] of globals ?? []) {
      const actual = parseSection(await deps.redis.get(keys.global(name)))?.v ?? null;
      if (canonicalJson(actual) !== canonicalJson(expected))
        diffs.push({ sku: name, section: 'global', expected, actual });
    }
    if (locations) {
      const stored = decodeLocations(await deps.redis.hgetall(keys.locations));
      for (const l of locations) {
        const actual = stored.get(l.id)?.v ?? null;
        if (canonicalJson(actual) !== canonicalJson(l))
          diffs.push({ sku: l.id, section: 'location', expected: l, actual });
      }
    }
    if (views.length === 0) return;
    const pipe = deps.redis.pipeline();
    queueSkuReads(
      pipe,
      keys,
      views.map((v) => v.sku),
    );
    const stored = decodeSkus(
      (await pipe.exec()) ?? [],
      views.map((v) => v.sku),
    );
    for (const v of views) {
      const s = stored.get(v.sku)!;
      const product = s.product?.v ?? null;
      // As the readers serve it: no prices section is no prices (SkuCache.snapshot).
      const prices = s.prices?.v ?? [];
      const stock = s.stock.map((x) => x.v);
      if (canonicalJson(product) !== canonicalJson(v.product))
        diffs.push({ sku: v.sku, section: 'product', expected: v.product, actual: product });
      if (canonicalJson(prices) !== canonicalJson(v.prices))
        diffs.push({ sku: v.sku, section: 'prices', expected: v.prices, actual: prices });
      if (canonicalJson(stock) !== canonicalJson(v.stock))
        diffs.push({ sku: v.sku, section: 'stock', expected: v.stock, actual: stock });
    }
  });
  return diffs;
}
