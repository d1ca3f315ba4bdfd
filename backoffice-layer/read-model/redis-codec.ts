import type { Redis } from '../../shared/index.js';
import type { LocationState, PriceCandidate, ProductState, StockLevelState } from '../events/event-types.js';

/** A stored section: a value and the revision it reflects. */
export interface Stamped<T> {
  rev: number;
  v: T;
}

/** One SKU's sections as stored in Redis: none (null) when absent; stock by location, in location order. */
export interface StoredSku {
  product: Stamped<ProductState> | null;
  prices: Stamped<PriceCandidate[]> | null;
  stock: Array<Stamped<StockLevelState>>;
}

type Pipeline = ReturnType<Redis['pipeline']>;
/** The keys of one SKU's sections (see `readModelKeys`). */
type SkuKeys = Record<'product' | 'prices' | 'stock', (sku: string) => string>;
/** A pipeline's replies, as ioredis answers them: [error, value] per command. */
type Replies = ReadonlyArray<[Error | null, unknown]>;

/**
 * Encodes a section: the revision it reflects, then the value; the revision leads so Lua can read it cheaply.
 */
export function encodeSection(rev: number, value: unknown): string {
  return `{"rev":${rev},"v":${JSON.stringify(value)}}`;
}

/** Decodes a stored section (see `section`); null for none. */
export function parseSection<T>(raw: string | null | undefined): Stamped<T> | null {
  return raw ? (JSON.parse(raw) as Stamped<T>) : null;
}

/** How many pipeline replies `queueSkuReads` adds per SKU. */
export const REPLIES_PER_SKU = 3;

/** Queues the reads of these SKUs' sections (product, prices, stock), in order; decode with `decodeSkus`. */
export function queueSkuReads(pipe: Pipeline, keys: SkuKeys, skus: readonly string[]): void {
  for (const s of skus) pipe.get(keys.product(s)).get(keys.prices(s)).hgetall(keys.stock(s));
}

/** Decodes the replies of `queueSkuReads` for the same SKUs (the replies start at the first SKU's). */
export function decodeSkus(replies: Replies, skus: readonly string[]): Map<string, StoredSku> {
  return new Map(
    skus.map((s, i) => {
      const at = REPLIES_PER_SKU * i;
      return [
        s,
        {
          product: parseSection<ProductState>(replies[at]?.[1] as string | null),
          prices: parseSection<PriceCandidate[]>(replies[at + 1]?.[1] as string | null),
          stock: decodeHash<StockLevelState>(replies[at + 2]?.[1]).map(([, v]) => v),
        },
      ];
    }),
  );
}

/** Decodes the locations hash (`keys.locations`), by location id. */
export function decodeLocations(reply: unknown): Map<string, Stamped<LocationState>> {
  return new Map(decodeHash<LocationState>(reply));
}

/** A hash of sections (HGETALL reply; an absent key is `{}`), field by field in field order. */
function decodeHash<T>(reply: unknown): Array<[string, Stamped<T>]> {
  const hash = (reply ?? {}) as Record<string, string>;
  return Object.keys(hash)
    .sort()
    .map((k) => [k, parseSection<T>(hash[k])!]);
}
