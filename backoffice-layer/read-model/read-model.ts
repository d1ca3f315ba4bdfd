import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { DomainError, currentRevision, type Logger, type Redis as RedisClient } from '../../shared/index.js';
import type { Database } from '../tables.js';
import type { LocationState, PriceCandidate, ProductState, StockLevelState } from '../events/event-types.js';
import type { ReadModelChange } from './consumer.js';
import { anchorHeld, sourceIdentity } from './source.js';
import {
  loadSnapshotFromDatabase,
  parseFacet,
  readModelKeys,
  type GlobalFacet,
  type SkuView,
} from './store.js';

/** What a reader gets: SKU views (null = unknown SKU) and locations, exactly as of `revision`. */
export interface Snapshot {
  revision: number;
  /** Where it came from: this node's memory/Redis (the read model) or PostgreSQL (read-through). */
  source: 'read-model' | 'database';
  skus: Map<string, SkuView | null>;
  locations: LocationState[];
  /** The global facets this read model was given (by name), as of the same revision. */
  globals: Map<string, unknown>;
}

export interface ReadModel {
  /**
   * A snapshot of these SKUs at a revision ≥ `minRevision`. Served from memory and Redis when the read model has
   * reached the revision, after waiting briefly for it, else read through to PostgreSQL. Never older than asked,
   * never an error because Redis is behind, flushed or down.
   */
  getSnapshot(skus: readonly string[], opts?: { minRevision?: number }): Promise<Snapshot>;
  /** The revision the read model has fully reached (every event at or below it is reflected), or null when unknown. */
  watermark(): number | null;
  /** Calls `listener` for every change notice (revision and SKUs), for live subscriptions. Returns an unsubscribe. */
  onChange(listener: (change: ReadModelChange) => void): () => void;
  close(): Promise<void>;
}

interface Cached {
  product: { rev: number; v: ProductState } | null;
  prices: { rev: number; v: PriceCandidate[] } | null;
  stock: Array<{ rev: number; v: StockLevelState }>;
}

export interface ReadModelOptions {
  /** How long a reader waits for the read model to reach a revision before reading PostgreSQL. */
  waitMs?: number;
  /** SKUs kept in process memory. */
  cacheSize?: number;
  /** Global facets (other layers' data every answer may need) to include in every snapshot. */
  facets?: readonly GlobalFacet[];
}

/**
 * The backoffice read model as an API node sees it: an in-process cache over the Redis facets, invalidated by the
 * change notices every consumer publishes, with PostgreSQL behind it. A snapshot is exact: its revision is a
 * watermark every used facet has reached, so equal revisions give equal content on every node. It serves the Redis
 * model only while that model is fully built from its own database (the built marker names this database's
 * identity; checked with every fetch from Redis) and, when first trusted, neither ahead of that database's revision
 * nor reflecting an event it does not hold (a restored older copy): anything else is read through PostgreSQL until
 * the worker has rebuilt it.
 * @example const rm = await createReadModel(deps); const snap = await rm.getSnapshot(['COAT-M'], { minRevision: 42 });
 */
export async function createReadModel(
  deps: { db: Database; redis: RedisClient; redisUrl: string; redisPrefix: string; logger: Logger },
  opts: ReadModelOptions = {},
): Promise<ReadModel> {
  const keys = readModelKeys(deps.redisPrefix);
  const waitMs = opts.waitMs ?? 250;
  const cacheSize = opts.cacheSize ?? 50_000;
  const cache = new Map<string, Cached>();
  let locations: Map<string, { rev: number; v: LocationState }> | null = null;
  const facets = opts.facets ?? [];
  const globals = new Map<string, { rev: number; v: unknown }>();
  const globalSeq = new Map<string, number>();
  let mark: number | null = null;
  const listeners = new Set<(c: ReadModelChange) => void>();
  const waiters = new Set<() => void>();
  // Notice sequence numbers: a fetch that raced with a notice about one of its SKUs must not be cached or used.
  let seq = 0;
  let resetSeq = 0;
  let locationsSeq = 0;
  const touchedAt = new Map<string, number>();

  // A watermark read with GET may run ahead of the change notices still on their way to this node (they were
  // published before the watermark was raised): trusting it at once could serve a cached entry those notices drop,
  // at a revision that claims to include them. So the new value counts only after a marker, published on a channel
  // of this node's own after the GET, came back through the same subscription — behind every earlier notice.
  const syncChannel = `${keys.changes}:sync:${randomUUID()}`;
  const markers = new Map<string, () => void>();
  let refreshing: Promise<void> | null = null;
  const forget = () => {
    mark = null;
    cache.clear();
    locations = null;
    globals.clear();
  };
  const refreshWatermark = (): Promise<void> => {
    refreshing ??= (async () => {
      const [raw, built, anchor] = await deps.redis.mget(keys.watermark, keys.built, keys.anchor);
      const source = await sourceIdentity(deps.db);
      if (raw === null || built !== source) {
        forget();
        return;
      }
      const seen = Number(raw);
      // Trusting the model again (first start, after a loss): never one ahead of this database, nor one that
      // reflects an event it does not hold (a restored older copy, written again since).
      if (
        mark === null &&
        (seen > (await currentRevision(deps.db)) || !(await anchorHeld(deps.db, anchor)))
      ) {
        forget();
        return;
      }
      if (mark !== null && seen <= mark) return;
      const id = randomUUID();
      const back = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          markers.delete(id);
          resolve(false);
        }, 1000);
        timer.unref();
        markers.set(id, () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      await deps.redis.publish(syncChannel, id);
      if (await back) mark = Math.max(mark ?? 0, seen);
    })().finally(() => {
      refreshing = null;
    });
    return refreshing;
  };
  const wake = () => {
    for (const w of waiters) w();
  };

  const sub = new Redis(deps.redisUrl, { maxRetriesPerRequest: null, lazyConnect: true });
  sub.on('error', () => undefined);
  sub.on('message', (channel: string, message: string) => {
    if (channel === syncChannel) {
      markers.get(message)?.();
      markers.delete(message);
      return;
    }
    let change: ReadModelChange;
    try {
      change = JSON.parse(message) as ReadModelChange;
    } catch {
      return;
    }
    seq++;
    if (change.lost) mark = null; // read PostgreSQL until the rebuild's reset notice
    if (change.reset || change.lost || touchedAt.size > 100_000) {
      cache.clear();
      locations = null;
      globals.clear();
      touchedAt.clear();
      resetSeq = seq;
    }
    for (const g of change.globals ?? []) {
      globals.delete(g);
      globalSeq.set(g, seq);
    }
    for (const sku of change.skus ?? []) {
      cache.delete(sku);
      touchedAt.set(sku, seq);
    }
    if (change.locations) {
      locations = null;
      locationsSeq = seq;
    }
    if (change.watermark || change.reset) mark = Math.max(mark ?? 0, change.revision);
    for (const l of listeners) l(change);
    wake();
  });
  // A subscriber that was disconnected may have missed notices: forget everything cached and re-read the watermark.
  sub.on('ready', () => {
    seq++;
    resetSeq = seq;
    cache.clear();
    locations = null;
    globals.clear();
    void refreshWatermark().catch(() => undefined);
  });
  await sub.connect().catch(() => undefined);
  await sub
    .subscribe(keys.changes, syncChannel)
    .catch((e: unknown) => deps.logger.warn({ err: e }, 'read model: no change notices; reading through'));
  await refreshWatermark().catch(() => undefined);

  /**
   * Loads missing SKUs, locations and global facets into the cache: 'retry' when a notice raced with the fetch (then
   * fetch again), 'absent' when the model is not built from this database or a global facet is not in Redis (then
   * read PostgreSQL).
   */
  const fromRedis = async (skus: string[]): Promise<'ok' | 'retry' | 'absent'> => {
    const missing = skus.filter((s) => !cache.has(s));
    const needLocations = !locations;
    const needGlobals = facets.filter((f) => !globals.has(f.name));
    if (missing.length === 0 && !needLocations && needGlobals.length === 0) return 'ok';
    const start = seq;
    const pipe = deps.redis.pipeline();
    for (const f of needGlobals) pipe.get(keys.global(f.name));
    for (const s of missing) pipe.get(keys.product(s)).get(keys.prices(s)).hgetall(keys.stock(s));
    if (needLocations) pipe.hgetall(keys.locations);
    pipe.get(keys.built);
    const [source, replies] = await Promise.all([sourceIdentity(deps.db), pipe.exec()]);
    const all = replies ?? [];
    // Lost (flushed, restarted) or not this database's: nothing of it may be served.
    if (all.pop()?.[1] !== source) {
      forget();
      return 'absent';
    }
    if (resetSeq > start) return 'retry';
    let absent = false;
    let raced = false;
    needGlobals.forEach((f, i) => {
      const v = parseFacet<unknown>(all[i]?.[1] as string | null);
      if (!v) {
        absent = true;
        return;
      }
      if ((globalSeq.get(f.name) ?? 0) > start) {
        raced = true;
        return;
      }
      globals.set(f.name, v);
    });
    if (absent) return 'absent';
    const res = all.slice(needGlobals.length);
    let clean = true;
    missing.forEach((s, i) => {
      if ((touchedAt.get(s) ?? 0) > start) {
        clean = false;
        return;
      }
      const stockHash = (res[3 * i + 2]?.[1] ?? {}) as Record<string, string>;
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value as string);
      cache.set(s, {
        product: parseFacet<ProductState>(res[3 * i]?.[1] as string | null),
        prices: parseFacet<PriceCandidate[]>(res[3 * i + 1]?.[1] as string | null),
        stock: Object.keys(stockHash)
          .sort()
          .map((k) => parseFacet<StockLevelState>(stockHash[k])!),
      });
    });
    if (needLocations) {
      if (locationsSeq > start) return 'retry';
      const hash = (res[res.length - 1]?.[1] ?? {}) as Record<string, string>;
      locations = new Map(
        Object.keys(hash)
          .sort()
          .map((k) => [k, parseFacet<LocationState>(hash[k])!]),
      );
    }
    return clean && !raced ? 'ok' : 'retry';
  };

  const assemble = (skus: readonly string[]): { maxRev: number; snapshot: Omit<Snapshot, 'revision'> } => {
    let maxRev = 0;
    const out = new Map<string, SkuView | null>();
    for (const s of skus) {
      const c = cache.get(s);
      if (!c) {
        out.set(s, null);
        continue;
      }
      for (const r of [c.product?.rev ?? 0, c.prices?.rev ?? 0, ...c.stock.map((x) => x.rev)])
        maxRev = Math.max(maxRev, r);
      out.set(
        s,
        c.product
          ? { sku: s, product: c.product.v, prices: c.prices?.v ?? [], stock: c.stock.map((x) => x.v) }
          : null,
      );
      // A SKU the read model does not know: its absence is only as fresh as the watermark itself.
    }
    const locs = [...(locations?.values() ?? [])];
    for (const l of locs) maxRev = Math.max(maxRev, l.rev);
    const g = new Map<string, unknown>();
    for (const f of facets) {
      const c = globals.get(f.name)!;
      maxRev = Math.max(maxRev, c.rev);
      g.set(f.name, c.v);
    }
    return {
      maxRev,
      snapshot: { source: 'read-model', skus: out, locations: locs.map((l) => l.v), globals: g },
    };
  };

  const waitFor = (revision: number, deadline: number): Promise<void> =>
    new Promise((resolve) => {
      const check = () => {
        if ((mark ?? -1) >= revision || Date.now() >= deadline) {
          clearInterval(poll);
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        }
      };
      // Notices can be missed (reconnects); poll the watermark too.
      const poll = setInterval(() => void refreshWatermark().then(check, check), 25);
      const timer = setTimeout(check, Math.max(0, deadline - Date.now()));
      waiters.add(check);
      check();
    });

  const fromDatabase = async (skus: readonly string[], minRevision: number): Promise<Snapshot> => {
    const s = await loadSnapshotFromDatabase(deps.db, skus, facets);
    if (s.revision < minRevision)
      throw new DomainError(
        'BAD_USER_INPUT',
        `minRevision ${minRevision} is ahead of the hub (latest revision ${s.revision})`,
        { minRevision, revision: s.revision },
      );
    return {
      revision: s.revision,
      source: 'database',
      skus: s.views,
      locations: s.locations,
      globals: s.globals,
    };
  };

  return {
    async getSnapshot(skus, o = {}) {
      const minRevision = o.minRevision ?? 0;
      const deadline = Date.now() + waitMs;
      try {
        if (mark === null) await refreshWatermark();
        for (let attempt = 0; mark !== null && attempt < 6; attempt++) {
          const loaded = await fromRedis([...skus]);
          if (loaded === 'absent') break;
          if (loaded === 'retry') continue;
          if (skus.some((s) => !cache.has(s)) || !locations || facets.some((f) => !globals.has(f.name)))
            continue;
          const { maxRev, snapshot } = assemble(skus);
          const required = Math.max(minRevision, maxRev);
          const at = mark;
          if (at >= required) return { revision: at, ...snapshot };
          if (Date.now() >= deadline) break;
          await waitFor(required, deadline);
        }
      } catch (e) {
        deps.logger.debug({ err: e }, 'read model unavailable; reading PostgreSQL');
      }
      return fromDatabase(skus, minRevision);
    },
    watermark: () => mark,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
      wake();
      sub.disconnect();
    },
  };
}
