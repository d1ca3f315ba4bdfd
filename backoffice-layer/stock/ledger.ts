import { sql } from 'kysely';
import { pageCursor } from '../../shared/index.js';
import type { Executor, StockMovementKind } from '../tables.js';

/**
 * One entry of a SKU's movement ledger (`stock_movements`) as staff read it. Units are whole numbers; a delta
 * is signed (a sale's `onHandDelta` is negative, a reservation's `reservedDelta` positive). The `…After`
 * values are the running sum of the ledger's deltas at the location up to and including this entry: the level
 * right after it, as the books balance (verifyStockLedger checks that they do).
 */
export interface StockMovementEntry {
  /** The entry's id: ascending in the order entries were written. */
  id: number;
  at: Date;
  locationId: string;
  /** RECEIPT, ADJUSTMENT, TRANSFER_OUT/IN, RESERVATION, RELEASE, SALE, RETURN, COUNT, DISCREPANCY. */
  kind: StockMovementKind;
  /** Why, where the write said: an adjustment's reason, `import`, a discrepancy's cause. */
  reason: string | null;
  onHandDelta: number;
  reservedDelta: number;
  safetyStockDelta: number;
  onHandAfter: number;
  reservedAfter: number;
  safetyStockAfter: number;
  /**
   * What the entry belongs to: the order id (sale, return, discrepancy), the reservation id (reservation,
   * release), a receipt's or transfer's reference or else the request's Idempotency-Key, `count` for a count
   * from the admin API, the source of an import.
   */
  reference: string | null;
  /**
   * Who made the change, when the admin API's audit trail recorded the write (`admin:<key name>`,
   * `client:<id>`); null for changes through the channels, imports and the hub's own work.
   */
  actor: string | null;
  revision: number;
}

/**
 * Filter and page of {@link listStockMovements}: `locationId` one location (absent: every location); `after`
 * the `next` cursor of the previous page; `limit` the page size (1–200 at the API).
 */
export interface StockMovementQuery {
  locationId?: string | undefined;
  after?: string | undefined;
  limit: number;
}

/** A cursor: the last entry's id (entries are listed newest id first). */
const cursors = pageCursor(
  'stock movements',
  (id: number) => [`m${id}`],
  ([text, ...rest]) =>
    rest.length === 0 &&
    text &&
    /^m[1-9][0-9]{0,17}$/.test(text) &&
    Number.isSafeInteger(Number(text.slice(1)))
      ? Number(text.slice(1))
      : null,
);

/**
 * The movement ledger of `sku`, newest first (entry id descending), at one location or all, at most `limit`
 * entries; `next` is the cursor of the following page (pass as `after`), null on the last. An unknown SKU or
 * location has no entries (an empty page), as its stock levels are an empty list.
 * @throws DomainError `BAD_USER_INPUT` when `after` is not a cursor this function answered.
 */
export async function listStockMovements(
  db: Executor,
  sku: string,
  query: StockMovementQuery,
): Promise<{ movements: StockMovementEntry[]; next: string | null }> {
  const after = query.after ? cursors.decode(query.after) : null;
  const locationId = query.locationId ?? null;
  // The running sums span the whole (sku, location) history, so the page is cut after they are taken. The
  // actor is the audit entry of the admin write that committed at the entry's revision (one revision, one
  // write; a replayed request's entry comes later, so the first is taken).
  const rows = await sql<StockMovementEntry>`
    SELECT m.id, m.created_at AS at, m.location_id, m.kind, m.reason, m.on_hand_delta, m.reserved_delta,
           m.safety_stock_delta, m.on_hand_after, m.reserved_after, m.safety_stock_after, m.reference,
           m.revision,
           (SELECT a.actor FROM audit_log a
             WHERE a.revision = m.revision
               AND (a.action LIKE 'POST /%' OR a.action LIKE 'PUT /%' OR a.action LIKE 'DELETE /%')
             ORDER BY a.id LIMIT 1) AS actor
    FROM (
      SELECT s.*,
             (sum(s.on_hand_delta) OVER w)::int AS on_hand_after,
             (sum(s.reserved_delta) OVER w)::int AS reserved_after,
             (sum(s.safety_stock_delta) OVER w)::int AS safety_stock_after
      FROM stock_movements s
      WHERE s.sku = ${sku} AND (${locationId}::text IS NULL OR s.location_id = ${locationId})
      WINDOW w AS (PARTITION BY s.location_id ORDER BY s.id)
    ) m
    WHERE (${after}::bigint IS NULL OR m.id < ${after})
    ORDER BY m.id DESC
    LIMIT ${query.limit + 1}`.execute(db);
  const page = rows.rows.slice(0, query.limit);
  return { movements: page, next: rows.rows.length > query.limit ? cursors.encode(page.at(-1)!.id) : null };
}
