import { sql } from 'kysely';
import type { WriteContext } from '../tables.js';
import type { StockLevelState } from '../events/event-types.js';
import { writeLevel, type LedgerRow, type StockChange } from './levels.js';

/**
 * Writes the new values of levels a write locked and changed (see `lockLevels`) and marks each touched on
 * `change`, so its revision stamp and `stock.changed` carry them. Answers the states written (sku, location,
 * on hand, reserved and safety stock, in units), in the order given.
 */
export async function writeBackLevels(
  w: WriteContext,
  change: StockChange,
  levels: Iterable<StockLevelState>,
): Promise<StockLevelState[]> {
  const written: StockLevelState[] = [];
  for (const l of levels) {
    const state = {
      sku: l.sku,
      locationId: l.locationId,
      onHand: l.onHand,
      reserved: l.reserved,
      safetyStock: l.safetyStock,
    };
    await writeLevel(w, state);
    change.touched(state);
    written.push(state);
  }
  return written;
}

/**
 * Applies ledger rows to their levels one by one, in the order given (lock order), each with one UPDATE that
 * adds its deltas (units), and records them on `change` (the ledger row and the level after it). For units
 * already held or checked (a release, the sale of reserved units): the table's CHECKs are the only guard.
 */
export async function applyToLevels(
  w: WriteContext,
  change: StockChange,
  rows: readonly LedgerRow[],
): Promise<void> {
  for (const r of rows) {
    const level = await sql<{ onHand: number; reserved: number; safetyStock: number }>`
      UPDATE stock_levels
      SET on_hand = on_hand + ${r.onHandDelta ?? 0}, reserved = reserved + ${r.reservedDelta ?? 0}
      WHERE sku = ${r.sku} AND location_id = ${r.locationId}
      RETURNING on_hand, reserved, safety_stock`.execute(w.tx);
    change.touched({ sku: r.sku, locationId: r.locationId, ...level.rows[0]! });
    change.record(r);
  }
}
