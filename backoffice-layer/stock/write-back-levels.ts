import type { WriteContext } from '../../shared/index.js';
import type { StockLevelState } from '../events/event-types.js';
import { writeLevel, type StockChange } from './levels.js';

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
