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
  return encodeSectionJson(rev, JSON.stringify(value));
}

/** `encodeSection` of a value already written as JSON (`json`). */
export function encodeSectionJson(rev: number, json: string): string {
  return `{"rev":${rev},"v":${json}}`;
}

/**
 * Encodes one stock level compactly, `{"rev":<rev>,"v":[onHand,reserved,safetyStock]}`: the SKU is in the
 * key and the location is the hash field, so neither is repeated. About 30 bytes instead of about 110,
 * which keeps a SKU's stock hash in Redis's compact (listpack) encoding — values of at most 64 bytes — and a
 * catalogue of 20 million levels a few times smaller. The revision leads, as in `encodeSection`, so the
 * revision guard reads both forms; `decodeSkus` reads both. Counts are integers, given as numbers or their
 * decimal text.
 */
export function encodeStockLevel(
  rev: number | string,
  onHand: number | string,
  reserved: number | string,
  safetyStock: number | string,
): string {
  return `{"rev":${rev},"v":[${onHand},${reserved},${safetyStock}]}`;
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
          stock: decodeHash<StockLevelState | CompactLevel>(replies[at + 2]?.[1]).map(([location, v]) =>
            stockLevel(s, location, v),
          ),
        },
      ];
    }),
  );
}

/** Decodes the locations hash (`keys.locations`), by location id. */
export function decodeLocations(reply: unknown): Map<string, Stamped<LocationState>> {
  return new Map(decodeHash<LocationState>(reply));
}

/** A stock level as `encodeStockLevel` stores it: [onHand, reserved, safetyStock]. */
type CompactLevel = [number, number, number];

/** A stored stock level in either form, as the full state of that SKU at that location. */
function stockLevel(
  sku: string,
  locationId: string,
  stored: Stamped<StockLevelState | CompactLevel>,
): Stamped<StockLevelState> {
  const v = stored.v;
  if (!Array.isArray(v)) return { rev: stored.rev, v };
  return { rev: stored.rev, v: { sku, locationId, onHand: v[0], reserved: v[1], safetyStock: v[2] } };
}

/** A hash of sections (HGETALL reply; an absent key is `{}`), field by field in field order. */
function decodeHash<T>(reply: unknown): Array<[string, Stamped<T>]> {
  const hash = (reply ?? {}) as Record<string, string>;
  return Object.keys(hash)
    .sort()
    .map((k) => [k, parseSection<T>(hash[k])!]);
}
