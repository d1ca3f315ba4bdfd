import type { Database, Redis } from '../../shared/index.js';
import type { LocationState } from '../events/event-types.js';
import type { ReadModelChange } from './consumer.js';
import {
  decodeLocations,
  decodeSkus,
  parseSection,
  queueSkuReads,
  REPLIES_PER_SKU,
  type Stamped,
  type StoredSku,
} from './redis-codec.js';
import { sourceIdentity } from './source.js';
import type { SharedSection, ReadModelKeys, SkuView } from './store.js';

/**
 * What loading from Redis found: `ok`; `retry` when a change notice raced with the fetch (fetch again);
 * `absent` when a shared section is not in Redis; `not-built` when the model in Redis is not fully built from
 * this database (lost, flushed, or another database's): then nothing cached may be served, and the cache was
 * emptied.
 */
export type LoadOutcome = 'ok' | 'retry' | 'absent' | 'not-built';

/** What a snapshot holds, before the revision it is served at. */
export interface CachedSnapshot {
  /** The newest revision of any section used: the snapshot can be served at any watermark at or above it. */
  newest: number;
  skus: Map<string, SkuView | null>;
  locations: LocationState[];
  globals: Map<string, unknown>;
}

/**
 * The cache's settings: where it reads, and how many SKUs and how many bytes of them it keeps (the oldest
 * loaded is dropped first, whichever bound is reached).
 */
export interface SkuCacheOptions {
  db: Database;
  redis: Redis;
  keys: ReadModelKeys;
  sections: readonly SharedSection[];
  cacheSize: number;
  /** Bytes of decoded SKUs kept, as `estimatedBytes` counts them. */
  cacheBytes: number;
}

/**
 * What a decoded SKU costs in the heap, estimated from what Redis sent for it: its JSON and hash text (two
 * bytes a character as V8 may hold it, and as much again in the objects parsed from it) plus a fixed cost per
 * stock level (an object and its map entry) and per SKU. An estimate for bounding memory, not an exact count.
 */
function estimatedBytes(replies: ReadonlyArray<[Error | null, unknown]>): number {
  let chars = 0;
  let levels = 0;
  for (const [, v] of replies) {
    if (typeof v === 'string') chars += v.length;
    else if (Array.isArray(v)) {
      levels += v.length / 2;
      for (const x of v) if (typeof x === 'string') chars += x.length;
    } else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        levels++;
        chars += k.length + (typeof x === 'string' ? x.length : 0);
      }
  }
  return 4 * chars + 200 * levels + 400;
}

/**
 * An API node's in-process copy of the Redis read model's sections (SKUs, locations, shared sections),
 * invalidated by the change notices. Each notice takes a sequence number; a fetch that raced with a notice
 * about what it fetched (a notice numbered after the fetch began) is neither cached nor used.
 */
export class SkuCache {
  private readonly skus = new Map<string, StoredSku>();
  private locations: Map<string, Stamped<LocationState>> | null = null;
  private readonly globals = new Map<string, Stamped<unknown>>();
  /**
   * The sequence number of the last notice; and of the last notice that touched everything, locations, a SKU.
   */
  private seq = 0;
  private resetSeq = 0;
  private locationsSeq = 0;
  private readonly globalSeq = new Map<string, number>();
  private readonly touchedAt = new Map<string, number>();
  /** Each cached SKU's estimated bytes, and their sum. */
  private readonly sizes = new Map<string, number>();
  private bytes = 0;

  constructor(private readonly o: SkuCacheOptions) {}

  /**
   * Drops what a change notice says changed (everything on a reset, a loss, or when the notice log grows
   * large).
   */
  noticed(change: ReadModelChange): void {
    this.seq++;
    if (change.reset || change.lost || this.touchedAt.size > 100_000) {
      this.drop();
      this.touchedAt.clear();
      this.resetSeq = this.seq;
    }
    for (const g of change.globals ?? []) {
      this.globals.delete(g);
      this.globalSeq.set(g, this.seq);
    }
    for (const sku of change.skus ?? []) {
      this.forget(sku);
      this.touchedAt.set(sku, this.seq);
    }
    if (change.locations) {
      this.locations = null;
      this.locationsSeq = this.seq;
    }
  }

  /**
   * Notices may have been missed (the subscriber reconnected): drop everything, and every fetch under way.
   */
  missedNotices(): void {
    this.seq++;
    this.resetSeq = this.seq;
    this.drop();
  }

  /** Drops every cached entry. */
  drop(): void {
    this.skus.clear();
    this.sizes.clear();
    this.bytes = 0;
    this.locations = null;
    this.globals.clear();
  }

  /** What the cache holds now: SKUs and their estimated bytes. */
  held(): { skus: number; bytes: number } {
    return { skus: this.skus.size, bytes: this.bytes };
  }

  private forget(sku: string): void {
    this.skus.delete(sku);
    this.bytes -= this.sizes.get(sku) ?? 0;
    this.sizes.delete(sku);
  }

  /** True when these SKUs, the locations and every shared section are cached. */
  holds(skus: readonly string[]): boolean {
    return (
      skus.every((s) => this.skus.has(s)) &&
      this.locations !== null &&
      this.o.sections.every((f) => this.globals.has(f.name))
    );
  }

  /**
   * Loads the missing SKUs, locations and shared sections from Redis in one round trip (see `LoadOutcome`).
   */
  async load(skus: readonly string[]): Promise<LoadOutcome> {
    const { keys, sections } = this.o;
    const missing = skus.filter((s) => !this.skus.has(s));
    const needLocations = !this.locations;
    const needGlobals = sections.filter((f) => !this.globals.has(f.name));
    if (missing.length === 0 && !needLocations && needGlobals.length === 0) return 'ok';
    const start = this.seq;
    const pipe = this.o.redis.pipeline();
    for (const f of needGlobals) pipe.get(keys.global(f.name));
    queueSkuReads(pipe, keys, missing);
    if (needLocations) pipe.hgetall(keys.locations);
    pipe.get(keys.built);
    const [source, replies] = await Promise.all([sourceIdentity(this.o.db), pipe.exec()]);
    const all = replies ?? [];
    // Lost (flushed, restarted) or not this database's: nothing of it may be served.
    if (all.pop()?.[1] !== source) {
      this.drop();
      return 'not-built';
    }
    if (this.resetSeq > start) return 'retry';
    let raced = false;
    for (const [i, f] of needGlobals.entries()) {
      const v = parseSection<unknown>(all[i]?.[1] as string | null);
      if (!v) return 'absent';
      if ((this.globalSeq.get(f.name) ?? 0) > start) raced = true;
      else this.globals.set(f.name, v);
    }
    const res = all.slice(needGlobals.length);
    for (const [i, [sku, stored]] of [...decodeSkus(res, missing)].entries()) {
      const size = estimatedBytes(res.slice(REPLIES_PER_SKU * i, REPLIES_PER_SKU * (i + 1)));
      if ((this.touchedAt.get(sku) ?? 0) > start) {
        raced = true;
        continue;
      }
      this.forget(sku);
      while (
        this.skus.size > 0 &&
        (this.skus.size >= this.o.cacheSize || this.bytes + size > this.o.cacheBytes)
      )
        this.forget(this.skus.keys().next().value as string);
      this.skus.set(sku, stored);
      this.sizes.set(sku, size);
      this.bytes += size;
    }
    if (needLocations) {
      if (this.locationsSeq > start) return 'retry';
      this.locations = decodeLocations(res[res.length - 1]?.[1]);
    }
    return raced ? 'retry' : 'ok';
  }

  /**
   * The cached snapshot of these SKUs (call when `holds` them): a SKU without a product is unknown (null).
   */
  snapshot(skus: readonly string[]): CachedSnapshot {
    let newest = 0;
    const out = new Map<string, SkuView | null>();
    for (const s of skus) {
      const c = this.skus.get(s);
      if (!c) {
        out.set(s, null);
        continue;
      }
      for (const r of [c.product?.rev ?? 0, c.prices?.rev ?? 0, ...c.stock.map((x) => x.rev)])
        newest = Math.max(newest, r);
      // A SKU the read model does not know: its absence is only as fresh as the watermark itself.
      out.set(
        s,
        c.product
          ? { sku: s, product: c.product.v, prices: c.prices?.v ?? [], stock: c.stock.map((x) => x.v) }
          : null,
      );
    }
    const locations = [...(this.locations?.values() ?? [])];
    for (const l of locations) newest = Math.max(newest, l.rev);
    const globals = new Map<string, unknown>();
    for (const f of this.o.sections) {
      const c = this.globals.get(f.name)!;
      newest = Math.max(newest, c.rev);
      globals.set(f.name, c.v);
    }
    return { newest, skus: out, locations: locations.map((l) => l.v), globals };
  }
}
