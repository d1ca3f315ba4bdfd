import { sql } from 'kysely';
import { DomainError, runWrite } from '../../shared/index.js';
import type { Executor, WriteDeps } from '../tables.js';
import type { StockLevelState } from '../events/event-types.js';
import {
  assertKnown,
  availableOf,
  levelKey,
  lockLevels,
  StockChange,
  writeLevel,
  type StockLevelView,
} from './levels.js';
import { writeBackLevels } from './write-back-levels.js';
import type { StockCountBody, StockMovementsBody } from './stock.schema.js';

/**
 * A stock count: sets on-hand (and optionally safety stock) of one SKU at one location, creating the level
 * when new. With `expectedRevision` it is refused (CONFLICT) unless the level is still at that revision, so a
 * count made from a stale screen cannot overwrite a newer movement. On-hand below the reserved units is
 * refused: those units are promised to customers; release or commit them first. A count that changes nothing
 * commits nothing. Its ledger row and `stock.changed` name the cause `count`.
 * @example await setStockCount(deps, 'COAT-M', 'ams-01', { onHand: 12 });
 */
export async function setStockCount(
  deps: WriteDeps,
  sku: string,
  locationId: string,
  body: StockCountBody,
): Promise<{ level: StockLevelView; revision: number; changed: boolean }> {
  const { result, revision } = await runWrite(deps, async (w) => {
    await assertKnown(w.tx, [sku], [locationId]);
    const current = (await lockLevels(w, [{ sku, locationId }])).get(levelKey(sku, locationId))!;
    if (body.expectedRevision !== undefined && current.revision !== body.expectedRevision) {
      throw new DomainError(
        'CONFLICT',
        `The stock level changed since revision ${body.expectedRevision} ` +
          `(now at ${current.revision}); count again`,
        { sku, locationId, expectedRevision: body.expectedRevision, revision: current.revision },
      );
    }
    if (body.onHand < current.reserved) {
      throw new DomainError(
        'CONFLICT',
        `${current.reserved} units of ${sku} at ${locationId} are reserved; on-hand cannot go below that`,
        { sku, locationId, reserved: current.reserved },
      );
    }
    const next: StockLevelState = {
      sku,
      locationId,
      onHand: body.onHand,
      reserved: current.reserved,
      safetyStock: body.safetyStock ?? current.safetyStock,
    };
    // A level created just now (revision 0) is a change even at zero units; otherwise equal values commit
    // nothing.
    if (next.onHand === current.onHand && next.safetyStock === current.safetyStock && current.revision !== 0)
      return { level: next, changed: false, levelRevision: current.revision };
    const change = new StockChange(w, 'count');
    await writeLevel(w, next);
    change.record({
      sku,
      locationId,
      kind: 'COUNT',
      onHandDelta: next.onHand - current.onHand,
      safetyStockDelta: next.safetyStock - current.safetyStock,
      reference: 'count',
    });
    change.touched(next);
    change.announce();
    return { level: next, changed: true, levelRevision: null };
  });
  const level = { ...result.level, revision: result.levelRevision ?? revision };
  return { level: { ...level, available: availableOf(level) }, revision, changed: result.changed };
}

/**
 * A batch of receipts, adjustments and transfers, all or nothing: every touched level is locked in (sku,
 * location) order, each movement is applied in turn, and a movement that would take more units than are free
 * (on hand minus reserved) refuses the whole batch with INSUFFICIENT_STOCK. Idempotent per key.
 */
export async function applyStockMovements(
  deps: WriteDeps,
  body: StockMovementsBody,
  idempotencyKey: string,
): Promise<{ levels: StockLevelView[]; revision: number; replayed: boolean }> {
  const { result, revision, replayed } = await runWrite(
    deps,
    async (w) => {
      const keys = body.movements.flatMap((m) =>
        m.kind === 'TRANSFER'
          ? [
              { sku: m.sku, locationId: m.from },
              { sku: m.sku, locationId: m.to },
            ]
          : [{ sku: m.sku, locationId: m.locationId }],
      );
      await assertKnown(
        w.tx,
        keys.map((k) => k.sku),
        keys.map((k) => k.locationId),
      );
      const levels = await lockLevels(w, keys);
      const change = new StockChange(w, 'movements');
      const take = (sku: string, locationId: string, quantity: number, what: string) => {
        const l = levels.get(levelKey(sku, locationId))!;
        const free = l.onHand - l.reserved;
        if (free < quantity)
          throw new DomainError(
            'INSUFFICIENT_STOCK',
            `${what}: only ${free} unreserved units of ${sku} at ${locationId}`,
            { sku, locationId, requested: quantity, available: free },
          );
        l.onHand -= quantity;
      };
      for (const m of body.movements) {
        if (m.kind === 'RECEIPT') {
          levels.get(levelKey(m.sku, m.locationId))!.onHand += m.quantity;
          change.record({
            sku: m.sku,
            locationId: m.locationId,
            kind: 'RECEIPT',
            onHandDelta: m.quantity,
            reference: m.reference ?? idempotencyKey,
          });
        } else if (m.kind === 'ADJUSTMENT') {
          if (m.delta < 0) take(m.sku, m.locationId, -m.delta, 'Adjustment');
          else levels.get(levelKey(m.sku, m.locationId))!.onHand += m.delta;
          change.record({
            sku: m.sku,
            locationId: m.locationId,
            kind: 'ADJUSTMENT',
            onHandDelta: m.delta,
            reason: m.reason,
            reference: idempotencyKey,
          });
        } else {
          take(m.sku, m.from, m.quantity, 'Transfer');
          levels.get(levelKey(m.sku, m.to))!.onHand += m.quantity;
          const reference = m.reference ?? idempotencyKey;
          change.record({
            sku: m.sku,
            locationId: m.from,
            kind: 'TRANSFER_OUT',
            onHandDelta: -m.quantity,
            reference,
          });
          change.record({
            sku: m.sku,
            locationId: m.to,
            kind: 'TRANSFER_IN',
            onHandDelta: m.quantity,
            reference,
          });
        }
      }
      const written = await writeBackLevels(w, change, levels.values());
      change.announce();
      return written;
    },
    { idempotency: { scope: 'stock-movements', key: idempotencyKey, request: body } },
  );
  return { levels: result.map((l) => ({ ...l, available: availableOf(l), revision })), revision, replayed };
}

export interface LedgerDifference {
  sku: string;
  locationId: string;
  level: { onHand: number; reserved: number; safetyStock: number };
  ledger: { onHand: number; reserved: number; safetyStock: number };
}

/**
 * Re-derives levels from the movement ledger and lists every level that differs from its ledger sum (an empty
 * list means the books balance). Optionally limited to one SKU and/or location.
 */
export async function verifyStockLedger(
  db: Executor,
  opts: { sku?: string; locationId?: string } = {},
): Promise<LedgerDifference[]> {
  const r = await sql<{
    sku: string;
    locationId: string;
    onHand: number;
    reserved: number;
    safetyStock: number;
    lOnHand: number;
    lReserved: number;
    lSafetyStock: number;
  }>`
    WITH ledger AS (
      SELECT sku, location_id, sum(on_hand_delta)::int AS l_on_hand, sum(reserved_delta)::int AS l_reserved,
             sum(safety_stock_delta)::int AS l_safety_stock
      FROM stock_movements
      WHERE (${opts.sku ?? null}::text IS NULL OR sku = ${opts.sku ?? null})
        AND (${opts.locationId ?? null}::text IS NULL OR location_id = ${opts.locationId ?? null})
      GROUP BY sku, location_id
    )
    SELECT coalesce(s.sku, l.sku) AS sku, coalesce(s.location_id, l.location_id) AS location_id,
           coalesce(s.on_hand, 0) AS on_hand, coalesce(s.reserved, 0) AS reserved,
           coalesce(s.safety_stock, 0) AS safety_stock,
           coalesce(l.l_on_hand, 0) AS l_on_hand, coalesce(l.l_reserved, 0) AS l_reserved,
           coalesce(l.l_safety_stock, 0) AS l_safety_stock
    FROM (SELECT * FROM stock_levels WHERE (${opts.sku ?? null}::text IS NULL OR sku = ${opts.sku ?? null})
            AND (${opts.locationId ?? null}::text IS NULL OR location_id = ${opts.locationId ?? null})) s
    FULL JOIN ledger l ON l.sku = s.sku AND l.location_id = s.location_id
    WHERE coalesce(s.on_hand, 0) <> coalesce(l.l_on_hand, 0)
       OR coalesce(s.reserved, 0) <> coalesce(l.l_reserved, 0)
       OR coalesce(s.safety_stock, 0) <> coalesce(l.l_safety_stock, 0)
    ORDER BY 1, 2`.execute(db);
  return r.rows.map((x) => ({
    sku: x.sku,
    locationId: x.locationId,
    level: { onHand: x.onHand, reserved: x.reserved, safetyStock: x.safetyStock },
    ledger: { onHand: x.lOnHand, reserved: x.lReserved, safetyStock: x.lSafetyStock },
  }));
}
