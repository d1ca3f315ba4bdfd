import { rest } from '../../api/client';
import type { Money } from '../../ui/format';

/**
 * What the stock and prices page reads and writes through the admin REST: stock levels and counts, price
 * lists and their prices, a SKU's price history, and a priced preview of one unit at an instant.
 */

/** One location's stock of a SKU (`GET /admin/v1/stock/{sku}`); units are whole numbers. */
export interface StockLevel {
  sku: string;
  locationId: string;
  onHand: number;
  reserved: number;
  safetyStock: number;
  available: number;
  revision: number;
}

/** Every location's stock level of `sku`. */
export async function fetchStock(sku: string): Promise<StockLevel[]> {
  return (await rest<{ levels: StockLevel[] }>('GET', `/stock/${encodeURIComponent(sku)}`)).levels;
}

/**
 * Sets a stock count (`PUT /admin/v1/stock/{sku}/{locationId}`), refused with CONFLICT when the level moved
 * past `expectedRevision`. Answers the new level and the committed revision.
 */
export async function putStockCount(
  sku: string,
  locationId: string,
  body: { onHand: number; safetyStock?: number; expectedRevision: number },
): Promise<{ level: StockLevel; revision: number; changed: boolean }> {
  return rest('PUT', `/stock/${encodeURIComponent(sku)}/${encodeURIComponent(locationId)}`, body);
}

/** What a ledger entry records (`kind` of `GET /admin/v1/stock/{sku}/movements`). */
export const MOVEMENT_KINDS = [
  'RECEIPT',
  'ADJUSTMENT',
  'TRANSFER_OUT',
  'TRANSFER_IN',
  'RESERVATION',
  'RELEASE',
  'SALE',
  'RETURN',
  'COUNT',
  'DISCREPANCY',
] as const;

/**
 * One entry of a SKU's movement ledger: signed deltas, the level right after it at its location, what it
 * belongs to (`reference`: order or reservation id, a receipt's reference, `count`…) and who made it when the
 * hub recorded that (`actor`).
 */
export interface StockMovement {
  id: number;
  at: string;
  locationId: string;
  kind: (typeof MOVEMENT_KINDS)[number];
  reason: string | null;
  onHandDelta: number;
  reservedDelta: number;
  safetyStockDelta: number;
  onHandAfter: number;
  reservedAfter: number;
  safetyStockAfter: number;
  reference: string | null;
  actor: string | null;
  revision: number;
}

/**
 * One page (newest first) of `sku`'s movement ledger at `locationId` (empty: every location), after the
 * cursor `after`; `next` is the cursor of the following page, null on the last.
 */
export async function fetchStockMovements(
  sku: string,
  locationId: string,
  after: string | undefined,
): Promise<{ movements: StockMovement[]; next: string | null }> {
  const q = new URLSearchParams({ limit: '20' });
  if (locationId) q.set('locationId', locationId);
  if (after) q.set('after', after);
  return rest('GET', `/stock/${encodeURIComponent(sku)}/movements?${q.toString()}`);
}

/** A price list in the list of them, with its status now. */
export interface PriceListSummary {
  id: string;
  name: string;
  currency: string;
  priority: number;
  validFrom: string | null;
  validTo: string | null;
  revision: number;
  status: 'ACTIVE' | 'SCHEDULED' | 'ENDED';
}

/** One price of a list: minor units, from a quantity, in an optional window. */
export interface PriceRow {
  priceListId: string;
  sku: string;
  minQuantity: number;
  amount: number;
  validFrom: string | null;
  validTo: string | null;
  revision: number;
}

/** A price list with the prices of one SKU in it (none when it does not price the SKU). */
export interface PriceListWithSku {
  list: PriceListSummary;
  prices: PriceRow[];
}

async function allPriceLists(): Promise<PriceListSummary[]> {
  const out: PriceListSummary[] = [];
  let after: string | null = null;
  do {
    const q = new URLSearchParams({ limit: '500' });
    if (after) q.set('after', after);
    const page: { priceLists: PriceListSummary[]; next: string | null } = await rest(
      'GET',
      `/price-lists?${q.toString()}`,
    );
    out.push(...page.priceLists);
    after = page.next;
  } while (after);
  return out;
}

async function pricesOf(listId: string, sku: string): Promise<PriceRow[]> {
  const out: PriceRow[] = [];
  let after: string | null = null;
  do {
    const q = new URLSearchParams({ limit: '1000' });
    if (after) q.set('after', after);
    const page: { prices: PriceRow[]; next: string | null } = await rest(
      'GET',
      `/price-lists/${encodeURIComponent(listId)}?${q.toString()}`,
    );
    out.push(...page.prices.filter((p) => p.sku === sku));
    // Prices come in SKU order: past the SKU, nothing more of it follows.
    after = page.prices.some((p) => p.sku > sku) ? null : page.next;
  } while (after);
  return out;
}

/** Every price list, each with the prices of `sku` (its tiers and windows). */
export async function fetchPriceLists(sku: string): Promise<PriceListWithSku[]> {
  const lists = await allPriceLists();
  return Promise.all(lists.map(async (list) => ({ list, prices: await pricesOf(list.id, sku) })));
}

/** The body of `PUT /admin/v1/price-lists/{id}/prices/{sku}`. */
export interface PriceBody {
  amount: number;
  minQuantity: number;
  validFrom?: string | null;
  validTo?: string | null;
}

/**
 * Sets a price; answers it and the committed revision.
 * @throws ApiError with field issues (`body.amount`, `body.validTo`, …).
 */
export async function putPrice(
  listId: string,
  sku: string,
  body: PriceBody,
): Promise<{ price: PriceRow; revision: number; changed: boolean }> {
  return rest('PUT', `/price-lists/${encodeURIComponent(listId)}/prices/${encodeURIComponent(sku)}`, body);
}

/** One change in a SKU's price history (amount null: the price was removed). */
export interface PriceChange {
  id: number;
  priceListId: string;
  minQuantity: number;
  amount: number | null;
  validFrom: string | null;
  validTo: string | null;
  revision: number;
  changedAt: string;
  source: string;
}

/** The SKU's last 50 price changes, newest first. */
export async function fetchPriceHistory(sku: string): Promise<PriceChange[]> {
  return (
    await rest<{ changes: PriceChange[] }>(
      'GET',
      `/products/${encodeURIComponent(sku)}/price-history?limit=50`,
    )
  ).changes;
}

/** One line of a priced preview. */
export interface PreviewLine {
  sku: string;
  quantity: number;
  unitPrice: Money;
  base: Money;
  final: Money;
  savings: Money;
  adjustments: Array<{ source: string; id: string; label: string; reason: string; amount: Money }>;
}

/** A priced preview (`POST /admin/v1/promotions/preview`): changes nothing. */
export interface Preview {
  channel: string;
  at: string;
  currency: string;
  lines: PreviewLine[];
  total: Money;
}

/** Prices one unit of `sku` through `channel` at `at` (ISO; absent: now), as the hub would. */
export async function previewAt(
  sku: string,
  channel: string,
  at: string | undefined,
  locationId: string | undefined,
): Promise<Preview> {
  return rest('POST', '/promotions/preview', {
    channel,
    lines: [{ sku, quantity: 1 }],
    ...(at ? { at } : {}),
    ...(locationId ? { locationId } : {}),
  });
}

/** A `datetime-local` value (local time) → ISO 8601 UTC, or null when empty. */
export function localToIso(local: string): string | null {
  if (!local) return null;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
