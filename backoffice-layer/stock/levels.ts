import { sql } from 'kysely';
import { DomainError } from '../../shared/index.js';
import type { Executor, WriteContext } from '../tables.js';
import type { StockLevelState } from '../events/event-types.js';
import type { StockMovementKind } from '../tables.js';

export interface StockLevelView extends StockLevelState {
  /** What may still be promised: on hand − reserved − safety stock, never below 0. */
  available: number;
  revision: number;
}

export interface LedgerRow {
  sku: string;
  locationId: string;
  kind: StockMovementKind;
  onHandDelta?: number;
  reservedDelta?: number;
  safetyStockDelta?: number;
  reference?: string | null;
  reason?: string | null;
}

export const levelKey = (sku: string, locationId: string): string => `${sku}\u0000${locationId}`;

/** Sorts keys in the one lock order of the hub: (sku, location). */
export function byLockOrder<T extends { sku: string; locationId: string }>(a: T, b: T): number {
  return a.sku < b.sku
    ? -1
    : a.sku > b.sku
      ? 1
      : a.locationId < b.locationId
        ? -1
        : a.locationId > b.locationId
          ? 1
          : 0;
}

/** Units that may still be promised: on hand − reserved − safety stock, never below 0. */
export function availableOf(l: { onHand: number; reserved: number; safetyStock: number }): number {
  return Math.max(0, l.onHand - l.reserved - l.safetyStock);
}

/** How a number of available units is shown to shoppers and staff. */
export type StockStatus = 'IN_STOCK' | 'LOW_STOCK' | 'OUT_OF_STOCK';

/** Available units at or below which a location (or the online sum) shows LOW_STOCK. */
export const LOW_STOCK_UNITS = 3;

/**
 * The status of a number of available units (what `availableOf` gives): OUT_OF_STOCK at 0 or below,
 * LOW_STOCK up to `LOW_STOCK_UNITS`, else IN_STOCK.
 * @example stockStatus(3) // 'LOW_STOCK'
 */
export function stockStatus(available: number): StockStatus {
  return available <= 0 ? 'OUT_OF_STOCK' : available <= LOW_STOCK_UNITS ? 'LOW_STOCK' : 'IN_STOCK';
}

/**
 * Collects ledger rows and the levels a write touched; at the revision it stamps both (ledger rows and the
 * levels' `revision`) and emits one `stock.changed` with the new levels.
 */
export class StockChange {
  private readonly ledger: LedgerRow[] = [];
  private readonly levels = new Map<string, StockLevelState>();
  private readonly stampedElsewhere = new Map<string, StockLevelState>();
  constructor(
    private readonly w: WriteContext,
    private readonly cause: string,
  ) {
    // Both stamps run inside the statement that draws the revision: no round trip while the revision lock is
    // held.
    w.atRevisionSql((revision) => {
      const l = this.ledger;
      return l.length === 0
        ? null
        : sql`INSERT INTO stock_movements (sku, location_id, kind, on_hand_delta, reserved_delta,
                                     safety_stock_delta, reference, reason, revision, created_at)
        SELECT t.sku, t.location_id, t.kind, t.on_hand_delta, t.reserved_delta, t.safety_stock_delta,
               t.reference, t.reason, ${revision}, ${w.now}
        FROM unnest(${l.map((x) => x.sku)}::text[], ${l.map((x) => x.locationId)}::text[],
                    ${l.map((x) => x.kind)}::text[], ${l.map((x) => x.onHandDelta ?? 0)}::int[],
                    ${l.map((x) => x.reservedDelta ?? 0)}::int[],
                    ${l.map((x) => x.safetyStockDelta ?? 0)}::int[],
                    ${l.map((x) => x.reference ?? null)}::text[], ${l.map((x) => x.reason ?? null)}::text[])
          WITH ORDINALITY AS t(sku, location_id, kind, on_hand_delta, reserved_delta, safety_stock_delta,
                               reference, reason, n)
        ORDER BY t.n`;
    });
    w.atRevisionSql((revision) => {
      const touched = [...this.levels.values()];
      return touched.length === 0
        ? null
        : sql`UPDATE stock_levels s SET revision = ${revision}, updated_at = ${w.now}
        FROM unnest(${touched.map((l) => l.sku)}::text[], ${touched.map((l) => l.locationId)}::text[])
               AS t(sku, location_id)
        WHERE s.sku = t.sku AND s.location_id = t.location_id`;
    });
  }
  record(row: LedgerRow): void {
    this.ledger.push(row);
  }
  /** A level this write changed: stamped with the revision, and announced as it is given here. */
  touched(level: StockLevelState): void {
    this.levels.set(levelKey(level.sku, level.locationId), level);
  }
  /**
   * A level this write changed and stamps with the revision itself (in its own revision statement): only
   * announced, as it is given here.
   */
  announced(level: StockLevelState): void {
    this.stampedElsewhere.set(levelKey(level.sku, level.locationId), level);
  }
  get changed(): boolean {
    return this.levels.size > 0 || this.stampedElsewhere.size > 0;
  }
  /** Emits `stock.changed` with the final state of every changed level (call once, after the last change). */
  announce(): void {
    if (!this.changed) return;
    const levels = [...new Map([...this.stampedElsewhere, ...this.levels]).values()].sort(byLockOrder);
    this.w.emit({
      type: 'stock.changed',
      aggregateType: 'stock',
      aggregateId: levels[0]!.sku,
      payload: { levels, cause: this.cause },
    });
  }
}

/** Throws NOT_FOUND naming the unknown SKUs and locations among these. */
export async function assertKnown(
  db: Executor,
  skus: readonly string[],
  locationIds: readonly string[],
): Promise<void> {
  const s = [...new Set(skus)];
  const l = [...new Set(locationIds)];
  const [ps, ls] = await Promise.all([
    s.length ? db.selectFrom('products').select('sku').where('sku', 'in', s).execute() : [],
    l.length ? db.selectFrom('locations').select('id').where('id', 'in', l).execute() : [],
  ]);
  const missingSkus = s.filter((x) => !ps.some((p) => p.sku === x));
  const missingLocations = l.filter((x) => !ls.some((p) => p.id === x));
  if (missingSkus.length || missingLocations.length) {
    const parts = [
      missingSkus.length ? `unknown SKU ${missingSkus.slice(0, 10).join(', ')}` : '',
      missingLocations.length ? `unknown location ${missingLocations.slice(0, 10).join(', ')}` : '',
    ].filter(Boolean);
    throw new DomainError('NOT_FOUND', parts.join('; '), {
      skus: missingSkus.slice(0, 50),
      locationIds: missingLocations.slice(0, 50),
    });
  }
}

/**
 * Makes sure a level row exists for each key (zeros when new), then locks them all in (sku, location) order
 * and returns their current state.
 */
export async function lockLevels(
  w: WriteContext,
  keys: ReadonlyArray<{ sku: string; locationId: string }>,
): Promise<Map<string, StockLevelState & { revision: number }>> {
  const unique = [
    ...new Map(
      keys.map((k) => [levelKey(k.sku, k.locationId), { sku: k.sku, locationId: k.locationId }]),
    ).values(),
  ].sort(byLockOrder);
  if (unique.length === 0) return new Map();
  await sql`INSERT INTO stock_levels (sku, location_id, on_hand, reserved, safety_stock, revision, updated_at)
            SELECT t.sku, t.location_id, 0, 0, 0, 0, ${w.now}
            FROM unnest(${unique.map((k) => k.sku)}::text[], ${unique.map((k) => k.locationId)}::text[])
                 AS t(sku, location_id)
            ORDER BY t.sku, t.location_id
            ON CONFLICT (sku, location_id) DO NOTHING`.execute(w.tx);
  const rows = await sql<{
    sku: string;
    locationId: string;
    onHand: number;
    reserved: number;
    safetyStock: number;
    revision: number;
  }>`
    SELECT s.sku, s.location_id, s.on_hand, s.reserved, s.safety_stock, s.revision FROM stock_levels s
    JOIN unnest(${unique.map((k) => k.sku)}::text[], ${unique.map((k) => k.locationId)}::text[])
      AS t(sku, location_id)
      ON s.sku = t.sku AND s.location_id = t.location_id
    ORDER BY s.sku, s.location_id FOR UPDATE OF s`.execute(w.tx);
  return new Map(rows.rows.map((r) => [levelKey(r.sku, r.locationId), r]));
}

/** Writes a level's new values (already checked by the caller, and by the table's CHECKs). */
export async function writeLevel(w: WriteContext, l: StockLevelState): Promise<void> {
  await w.tx
    .updateTable('stockLevels')
    .set({ onHand: l.onHand, reserved: l.reserved, safetyStock: l.safetyStock })
    .where('sku', '=', l.sku)
    .where('locationId', '=', l.locationId)
    .execute();
}

/** Current levels of these SKUs at every location (with what is available), for reads and the read model. */
export async function getStockLevels(
  db: Executor,
  skus: readonly string[],
): Promise<Map<string, StockLevelView[]>> {
  const out = new Map<string, StockLevelView[]>(skus.map((s) => [s, []]));
  if (skus.length === 0) return out;
  const rows = await db
    .selectFrom('stockLevels')
    .select(['sku', 'locationId', 'onHand', 'reserved', 'safetyStock', 'revision'])
    .where('sku', 'in', [...new Set(skus)])
    .orderBy('sku')
    .orderBy('locationId')
    .execute();
  for (const r of rows) out.get(r.sku)?.push({ ...r, available: availableOf(r) });
  return out;
}
