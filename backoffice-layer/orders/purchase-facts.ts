import { sql } from 'kysely';
import type { Executor, FulfilmentMethodColumn, OrderKind, OrderStatusColumn } from '../tables.js';

/*
 * What the journey layer reads of a customer's purchases to compute her segments (recency, frequency,
 * monetary; rules such as "bought coats in a store"), and of the products on sale to choose the items a next
 * best offer names. Reads only: the orders stay the backoffice's.
 */

/** One line of a purchase: the SKU, units sold and returned so far, and the product's category. */
export interface PurchaseFactLine {
  sku: string;
  quantity: number;
  returnedQuantity: number;
  /** The product's category now; null when the product is gone from the catalogue. */
  category: string | null;
}

/**
 * One order of a customer as a segment sees it: ONLINE or STORE (a till sale), the channel it was placed
 * through, its status (a CANCELLED order is no purchase: the caller decides), when it was placed, its total
 * and what its returns refunded (minor units of `currency`), the order's location (a till sale's store),
 * the methods of its fulfilments (DELIVERY, PICKUP; none for a till sale) and its lines.
 */
export interface PurchaseFact {
  orderId: string;
  kind: OrderKind;
  channel: string | null;
  status: OrderStatusColumn;
  placedAt: Date;
  totalAmount: number;
  refundedAmount: number;
  currency: string;
  locationId: string | null;
  fulfilmentMethods: FulfilmentMethodColumn[];
  lines: PurchaseFactLine[];
}

/**
 * The orders recorded under any of `customerIds` (a profile and those merged into it) placed in
 * [`since`, `until`), oldest first (ties by id), with their lines, fulfilment methods and refunds: four
 * queries whatever the number of orders.
 */
export async function purchaseFacts(
  db: Executor,
  customerIds: readonly string[],
  window: { since: Date; until: Date },
): Promise<PurchaseFact[]> {
  if (customerIds.length === 0) return [];
  const orders = await db
    .selectFrom('orders')
    .select(['id', 'kind', 'channel', 'status', 'createdAt', 'totalAmount', 'currency', 'locationId'])
    .where('customerRef', 'in', customerIds)
    .where('createdAt', '>=', window.since)
    .where('createdAt', '<', window.until)
    .orderBy('createdAt')
    .orderBy('id')
    .execute();
  if (orders.length === 0) return [];
  const ids = orders.map((o) => o.id);
  const [lines, methods, refunds] = await Promise.all([
    db
      .selectFrom('orderLines')
      .leftJoin('products', 'products.sku', 'orderLines.sku')
      .select([
        'orderLines.orderId',
        'orderLines.sku',
        'orderLines.quantity',
        'orderLines.returnedQuantity',
        'products.category',
      ])
      .where('orderLines.orderId', 'in', ids)
      .orderBy('orderLines.orderId')
      .orderBy('orderLines.lineNo')
      .execute(),
    db
      .selectFrom('fulfilments')
      .select(['orderId', 'method'])
      .distinct()
      .where('orderId', 'in', ids)
      .orderBy('orderId')
      .orderBy('method')
      .execute(),
    db
      .selectFrom('returns')
      .select(['orderId', (eb) => eb.fn.sum<string>('refundAmount').as('refunded')])
      .where('orderId', 'in', ids)
      .groupBy('orderId')
      .execute(),
  ]);
  const refunded = new Map(refunds.map((r) => [r.orderId, Number(r.refunded)]));
  return orders.map((o) => ({
    orderId: o.id,
    kind: o.kind,
    channel: o.channel,
    status: o.status,
    placedAt: o.createdAt,
    totalAmount: o.totalAmount,
    refundedAmount: refunded.get(o.id) ?? 0,
    currency: o.currency,
    locationId: o.locationId,
    fulfilmentMethods: methods.filter((m) => m.orderId === o.id).map((m) => m.method),
    lines: lines
      .filter((l) => l.orderId === o.id)
      .map((l) => ({
        sku: l.sku,
        quantity: l.quantity,
        returnedQuantity: l.returnedQuantity,
        category: l.category,
      })),
  }));
}

/** When the last order not CANCELLED under any of `customerIds` was placed before `until`; null: never. */
export async function lastPurchaseAt(
  db: Executor,
  customerIds: readonly string[],
  until: Date,
): Promise<Date | null> {
  if (customerIds.length === 0) return null;
  const r = await db
    .selectFrom('orders')
    .select((eb) => eb.fn.max('createdAt').as('at'))
    .where('customerRef', 'in', customerIds)
    .where('status', '!=', 'CANCELLED')
    .where('createdAt', '<', until)
    .executeTakeFirst();
  return r?.at ? new Date(r.at) : null;
}

/**
 * The customer references (profile ids) of orders placed since `since`, in byte order (as uuids sort),
 * `limit` after the id `after` (keyset paging): who a nightly recomputation of segments visits.
 */
export async function customersWithPurchasesSince(
  db: Executor,
  since: Date,
  page: { after: string | null; limit: number },
): Promise<string[]> {
  // Byte order ("C"), as uuids sort: the caller merges these pages with pages of profile ids.
  const byBytes = sql<string>`customer_ref COLLATE "C"`;
  let q = db
    .selectFrom('orders')
    .select('customerRef')
    .where('customerRef', 'is not', null)
    .where('createdAt', '>=', since)
    .groupBy('customerRef')
    .orderBy(byBytes)
    .limit(page.limit);
  if (page.after) q = q.where(byBytes, '>', page.after);
  const rows = await q.execute();
  return rows.flatMap((r) => (r.customerRef ? [r.customerRef] : []));
}

/** A product on sale as an offer's candidate: its SKU, category and attributes. */
export interface SaleableProduct {
  sku: string;
  category: string;
  attributes: Record<string, string>;
}

/**
 * Products on sale (ACTIVE, with a price in a price list of `currency`), in SKU order, at most `limit`:
 * narrowed to `skus` and/or `categories` when given.
 */
export async function saleableProducts(
  db: Executor,
  filter: { currency: string; limit: number; skus?: readonly string[]; categories?: readonly string[] },
): Promise<SaleableProduct[]> {
  if (filter.skus?.length === 0 || filter.categories?.length === 0) return [];
  let q = db
    .selectFrom('products')
    .select(['sku', 'category', 'attributes'])
    .where('status', '=', 'ACTIVE')
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('prices')
          .innerJoin('priceLists', 'priceLists.id', 'prices.priceListId')
          .select(sql`1`.as('one'))
          .whereRef('prices.sku', '=', 'products.sku')
          .where('priceLists.currency', '=', filter.currency),
      ),
    )
    .orderBy('sku')
    .limit(filter.limit);
  if (filter.skus) q = q.where('sku', 'in', filter.skus);
  if (filter.categories) q = q.where('category', 'in', filter.categories);
  const rows = await q.execute();
  return rows.map((r) => ({ sku: r.sku, category: r.category, attributes: r.attributes }));
}
