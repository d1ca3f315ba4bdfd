import type { Database, Redis } from '../../shared/index.js';
import type { LocationState } from '../events/event-types.js';
import type { ReadModelChange } from './consumer.js';
import {
  decodeLocations,
  decodeSkus,
  parseSection,
  queueSkuReads,
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

/** The cache's settings: where it reads, and how many SKUs it keeps (the oldest loaded is dropped first). */
export interface SkuCacheOptions {
  db: Database;
  redis: Redis;
  keys: ReadModelKeys;
  sections: readonly SharedSection[];
  cacheSize: number;
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
      this.skus.delete(sku);
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
    this.locations = null;
    this.globals.clear();
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
    for (const [sku, stored] of decodeSkus(res, missing)) {
      if ((this.touchedAt.get(sku) ?? 0) > start) {
        raced = true;
        continue;
      }
      if (this.skus.size >= this.o.cacheSize) this.skus.delete(this.skus.keys().next().value as string);
      this.skus.set(sku, stored);
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
