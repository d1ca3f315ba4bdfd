import { canonicalJson, type Database, type Redis } from '../../shared/index.js';
import type { LocationState } from '../events/event-types.js';
import type { ReadModelChange } from './consumer.js';
import { globalWrites, inSnapshot, loadFacets, loadGlobals, loadLocations, parseFacet, raiseWatermark, readModelKeys, viewWrites, writeFacets, type GlobalFacet, type SkuView } from './store.js';

type Deps = { db: Database; redis: Redis; redisPrefix: string };
type Facets = readonly GlobalFacet[];

/** Walks every SKU in one REPEATABLE READ snapshot, a page at a time (constant memory), with its exact revision. */
async function eachPage(db: Database, facets: Facets, fn: (views: SkuView[], locations: LocationState[] | null, revision: number, globals: Map<string, unknown> | null) => Promise<void>, pageSize = 2000): Promise<number> {
  return inSnapshot(db, async (tx, revision) => {
    await fn([], await loadLocations(tx), revision, await loadGlobals(tx, facets));
    let after = '';
    for (;;) {
      const skus = (await tx.selectFrom('products').select('sku').where('sku', '>', after).orderBy('sku').limit(pageSize).execute()).map((r) => r.sku);
      if (skus.length === 0) break;
      const views = [...(await loadFacets(tx, skus)).values()].filter((v): v is SkuView => v !== null);
      await fn(views, null, revision, null);
      after = skus.at(-1)!;
    }
    return revision;
  });
}

/**
 * Rebuilds the Redis read model from PostgreSQL at one exact revision (revision-guarded, so newer facets written
 * meanwhile by the event consumer are kept), then raises the watermark to that revision and tells every node to
 * drop its in-process cache. Used at first start, after Redis lost its data, and on demand.
 */
export async function rebuildReadModel(deps: Deps, facets: Facets = []): Promise<{ revision: number; skus: number }> {
  const keys = readModelKeys(deps.redisPrefix);
  let skus = 0;
  const revision = await eachPage(deps.db, facets, async (views, locations, rev, globals) => {
    if (locations) await writeFacets(deps.redis, locations.map((l) => ({ key: keys.locations, field: l.id, rev, value: l })));
    if (globals) await writeFacets(deps.redis, globalWrites(keys, globals, rev));
    await writeFacets(deps.redis, views.flatMap((v) => viewWrites(keys, v, rev)));
    skus += views.length;
  });
  await deps.redis.set(keys.built, String(revision));
  await raiseWatermark(deps.redis, keys, revision);
  await deps.redis.publish(keys.changes, JSON.stringify({ revision, reset: true } satisfies ReadModelChange));
  return { revision, skus };
}

/** Writes global facets from one PostgreSQL snapshot, labelled with its revision, and tells every node. */
export async function writeGlobals(deps: Deps, facets: Facets): Promise<void> {
  const keys = readModelKeys(deps.redisPrefix);
  const { revision, values } = await inSnapshot(deps.db, async (tx, rev) => ({ revision: rev, values: await loadGlobals(tx, facets) }));
  await writeFacets(deps.redis, globalWrites(keys, values, revision));
  await deps.redis.publish(keys.changes, JSON.stringify({ revision, globals: facets.map((f) => f.name) } satisfies ReadModelChange));
}

export interface ReadModelDifference {
  sku: string;
  facet: 'product' | 'prices' | 'stock' | 'location' | 'global';
  expected: unknown;
  actual: unknown;
}

/**
 * Compares the Redis read model with a fresh rebuild from PostgreSQL (content, not revision labels) and lists every
 * difference; an empty list means they are equal. Meant for a quiet moment (tests, `consistency-check`).
 */
export async function verifyReadModel(deps: Deps, facets: Facets = []): Promise<ReadModelDifference[]> {
  const keys = readModelKeys(deps.redisPrefix);
  const diffs: ReadModelDifference[] = [];
  await eachPage(deps.db, facets, async (views, locations, _rev, globals) => {
    for (const [name, expected] of globals ?? []) {
      const actual = parseFacet(await deps.redis.get(keys.global(name)))?.v ?? null;
      if (canonicalJson(actual) !== canonicalJson(expected)) diffs.push({ sku: name, facet: 'global', expected, actual });
    }
    if (locations) {
      const stored = await deps.redis.hgetall(keys.locations);
      for (const l of locations) {
        const actual = parseFacet<LocationState>(stored[l.id])?.v ?? null;
        if (canonicalJson(actual) !== canonicalJson(l)) diffs.push({ sku: l.id, facet: 'location', expected: l, actual });
      }
    }
    if (views.length === 0) return;
    const pipe = deps.redis.pipeline();
    for (const v of views) pipe.get(keys.product(v.sku)).get(keys.prices(v.sku)).hgetall(keys.stock(v.sku));
    const res = (await pipe.exec()) ?? [];
    views.forEach((v, i) => {
      const product = parseFacet(res[3 * i]?.[1] as string | null)?.v ?? null;
      const prices = parseFacet(res[3 * i + 1]?.[1] as string | null)?.v ?? null;
      const stockHash = (res[3 * i + 2]?.[1] ?? {}) as Record<string, string>;
      const stock = Object.keys(stockHash).sort().map((k) => parseFacet(stockHash[k])?.v);
      if (canonicalJson(product) !== canonicalJson(v.product)) diffs.push({ sku: v.sku, facet: 'product', expected: v.product, actual: product });
      if (canonicalJson(prices) !== canonicalJson(v.prices)) diffs.push({ sku: v.sku, facet: 'prices', expected: v.prices, actual: prices });
      if (canonicalJson(stock) !== canonicalJson(v.stock)) diffs.push({ sku: v.sku, facet: 'stock', expected: v.stock, actual: stock });
    });
  });
  return diffs;
}

/**
 * Watches for a Redis that lost the read model (flushed, or restarted without persistence: the watermark is gone) and
 * rebuilds it from PostgreSQL. Readers read through to PostgreSQL meanwhile. Also builds it at first start.
 */
export function startReadModelMaintenance(deps: Deps & { logger: import('../../shared/index.js').Logger }, opts: { everyMs?: number; facets?: Facets } = {}): { stop(): Promise<void> } {
  const keys = readModelKeys(deps.redisPrefix);
  const facets = opts.facets ?? [];
  let running: Promise<void> = Promise.resolve();
  const check = async () => {
    if ((await deps.redis.exists(keys.built)) === 1) {
      // A model built before a global facet existed: add the facets (exactly, at their revision) without a rebuild.
      if (facets.length > 0 && (await deps.redis.exists(...facets.map((f) => keys.global(f.name)))) < facets.length) await writeGlobals(deps, facets);
      return;
    }
    const started = Date.now();
    const r = await rebuildReadModel(deps, facets);
    deps.logger.info({ revision: r.revision, skus: r.skus, ms: Date.now() - started }, 'read model rebuilt from PostgreSQL');
  };
  const tick = () => { running = running.then(check).catch((e: unknown) => deps.logger.warn({ err: e }, 'read model check failed')); };
  const timer = setInterval(tick, opts.everyMs ?? 1000);
  timer.unref();
  tick();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
