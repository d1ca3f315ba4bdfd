import { sql } from 'kysely';
import type { Executor } from '../tables.js';
import { runQualityCheck, type QualityCheckResult, type QualityCheckSpec } from './quality-check.js';

/** What the backoffice checks read: the instant (from the clock), the default currency, the stale age. */
export interface BackofficeQualityOptions {
  /** The instant the checks judge "now" by (the injected clock's). */
  now: Date;
  /** The hub's default currency (ISO 4217), whose price lists count for `product-without-price`. */
  currency: string;
  /** A stock row with no count in this many days is stale (`stale-stock-count`). */
  staleDays: number;
  /** At most this many items per check (1–100). */
  limit: number;
}

/** SQL: the price row `pr` of list `pl` is open at `now` (both windows; from inclusive, to exclusive). */
function priceOpenAt(now: Date) {
  return sql`(pl.valid_from IS NULL OR pl.valid_from <= ${now})
    AND (pl.valid_to IS NULL OR ${now} < pl.valid_to)
    AND (pr.valid_from IS NULL OR pr.valid_from <= ${now})
    AND (pr.valid_to IS NULL OR ${now} < pr.valid_to)`;
}

/**
 * `product-without-price`: ACTIVE products with no price valid now (price and list windows) in any price
 * list of the default currency — channels cannot sell them there. Items: `{ sku }`.
 */
export function productWithoutPrice(o: BackofficeQualityOptions): QualityCheckSpec {
  return {
    id: 'product-without-price',
    title: 'Active products without a current price',
    population: sql`SELECT count(*) FROM products WHERE status = 'ACTIVE'`,
    failing: sql`SELECT jsonb_build_object('sku', p.sku) AS keys,
        ${`no price valid now in a ${o.currency} price list`}::text AS problem
      FROM products p
      WHERE p.status = 'ACTIVE' AND NOT EXISTS (
        SELECT 1 FROM prices pr JOIN price_lists pl ON pl.id = pr.price_list_id
        WHERE pr.sku = p.sku AND pl.currency = ${o.currency} AND ${priceOpenAt(o.now)})`,
  };
}

/**
 * `price-without-stock`: ACTIVE products with a price valid now (any currency) but no available units
 * (on hand − reserved − safety stock > 0) at any location. Items: `{ sku }`.
 */
export function priceWithoutStock(o: BackofficeQualityOptions): QualityCheckSpec {
  const priced = sql`SELECT p.sku FROM products p
    WHERE p.status = 'ACTIVE' AND EXISTS (
      SELECT 1 FROM prices pr JOIN price_lists pl ON pl.id = pr.price_list_id
      WHERE pr.sku = p.sku AND ${priceOpenAt(o.now)})`;
  return {
    id: 'price-without-stock',
    title: 'Priced products with no available stock anywhere',
    population: sql`SELECT count(*) FROM (${priced}) priced`,
    failing: sql`SELECT jsonb_build_object('sku', priced.sku) AS keys,
        'a current price but no available stock at any location'::text AS problem
      FROM (${priced}) priced
      WHERE NOT EXISTS (
        SELECT 1 FROM stock_levels l
        WHERE l.sku = priced.sku AND l.on_hand - l.reserved - l.safety_stock > 0)`,
  };
}

/**
 * `negative-stock`: stock rows with on hand < 0. The schema forbids them (`stock_levels.on_hand >= 0`,
 * migration 20261122T1500), so the count is 0 unless that constraint is ever dropped; the check stays so a
 * report keeps the same checks. Population: every stock row. Items: `{ sku, locationId }`.
 */
export function negativeStock(): QualityCheckSpec {
  return {
    id: 'negative-stock',
    title: 'Stock rows with negative on hand',
    population: sql`SELECT count(*) FROM stock_levels`,
    failing: sql`SELECT jsonb_build_object('sku', sku, 'locationId', location_id) AS keys,
        'on hand is ' || on_hand AS problem
      FROM stock_levels WHERE on_hand < 0`,
  };
}

/**
 * `stale-stock-count`: stock rows with no count (a COUNT movement in the stock ledger: a set on-hand through
 * the API or a stock import) in the last `staleDays` days. Items: `{ sku, locationId }`, the problem names
 * the last count or says there was none.
 */
export function staleStockCount(o: BackofficeQualityOptions): QualityCheckSpec {
  const since = new Date(o.now.getTime() - o.staleDays * 86_400_000);
  return {
    id: 'stale-stock-count',
    title: `Stock rows not counted in ${o.staleDays} days`,
    population: sql`SELECT count(*) FROM stock_levels`,
    failing: sql`SELECT jsonb_build_object('sku', l.sku, 'locationId', l.location_id) AS keys,
        coalesce('last counted ' || to_char(c.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                 'never counted') AS problem
      FROM stock_levels l
      LEFT JOIN LATERAL (
        SELECT max(m.created_at) AS at FROM stock_movements m
        WHERE m.sku = l.sku AND m.location_id = l.location_id AND m.kind = 'COUNT') c ON true
      WHERE c.at IS NULL OR c.at < ${since}`,
  };
}

/**
 * `reserved-above-on-hand`: stock rows with more units reserved than on hand. The schema forbids them
 * (`CHECK (reserved <= on_hand)`, migration 20261122T1500), so the count is 0 unless that constraint is ever
 * dropped. Population: every stock row. Items: `{ sku, locationId }`.
 */
export function reservedAboveOnHand(): QualityCheckSpec {
  return {
    id: 'reserved-above-on-hand',
    title: 'Stock rows with more reserved than on hand',
    population: sql`SELECT count(*) FROM stock_levels`,
    failing: sql`SELECT jsonb_build_object('sku', sku, 'locationId', location_id) AS keys,
        reserved || ' reserved, ' || on_hand || ' on hand' AS problem
      FROM stock_levels WHERE reserved > on_hand`,
  };
}

/**
 * `price-schedule-gap`: prices whose `validTo` lies in the future with no price for the same list, SKU and
 * minimum quantity that starts at or before that instant and is still open then — after it the SKU has no
 * price at that tier in that list. Prices whose list itself closes by then are not counted (the whole list
 * ends). Population: prices with a future `validTo`. Items: `{ priceListId, sku, minQuantity }`.
 */
export function priceScheduleGap(o: BackofficeQualityOptions): QualityCheckSpec {
  const ending = sql`SELECT pr.* FROM prices pr JOIN price_lists pl ON pl.id = pr.price_list_id
    WHERE pr.valid_to > ${o.now} AND (pl.valid_to IS NULL OR pl.valid_to > pr.valid_to)`;
  return {
    id: 'price-schedule-gap',
    title: 'Scheduled prices that end with nothing after them',
    population: sql`SELECT count(*) FROM (${ending}) ending`,
    failing: sql`SELECT jsonb_build_object('priceListId', e.price_list_id, 'sku', e.sku,
          'minQuantity', e.min_quantity::text) AS keys,
        'ends ' || to_char(e.valid_to AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
          || ' with no price after it' AS problem
      FROM (${ending}) e
      WHERE NOT EXISTS (
        SELECT 1 FROM prices n
        WHERE n.price_list_id = e.price_list_id AND n.sku = e.sku AND n.min_quantity = e.min_quantity
          AND (n.valid_from IS NULL OR n.valid_from <= e.valid_to)
          AND (n.valid_to IS NULL OR n.valid_to > e.valid_to))`,
  };
}

/**
 * Runs the backoffice's data-quality checks, in this order: product-without-price, price-without-stock,
 * negative-stock, stale-stock-count, reserved-above-on-hand, price-schedule-gap. One SQL statement each.
 */
export async function backofficeQualityChecks(
  db: Executor,
  o: BackofficeQualityOptions,
): Promise<QualityCheckResult[]> {
  const specs = [
    productWithoutPrice(o),
    priceWithoutStock(o),
    negativeStock(),
    staleStockCount(o),
    reservedAboveOnHand(),
    priceScheduleGap(o),
  ];
  const out: QualityCheckResult[] = [];
  for (const spec of specs) out.push(await runQualityCheck(db, spec, o.limit));
  return out;
}
