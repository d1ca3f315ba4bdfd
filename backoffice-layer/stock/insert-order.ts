import { sql } from 'kysely';
import type { WriteContext } from '../tables.js';
import type { BackofficeEventPayloads } from '../events/event-types.js';
import {
  placementStatus,
  stampPlacementRecords,
  writePlacementRecords,
} from '../orders/placement-records.js';

/**
 * An order as written: what `sale.committed` announces of it (kind, customer, store, currency, total, lines),
 * with its id, reservation (ONLINE) and channel. Amounts are integer minor units of `currency`.
 */
export type OrderToInsert = Omit<BackofficeEventPayloads['sale.committed'], 'orderId'> & {
  id: string;
  reservationId: string | null;
  channel: string | null;
  /** The channel client that placed it (not stored on the order: its history names it), when known. */
  placedBy?: string | null;
};

/**
 * Inserts an order with its status (ONLINE `OPEN`, STORE `FULFILLED`), its lines (numbered from 1 in the
 * order given), an online order's fulfilments (one `PENDING` delivery per location) and the first entry of
 * its history (`PLACED` or `SOLD`), at revision 0 until the stamp (see orders/placement-records.ts).
 */
export async function insertOrder(w: WriteContext, order: OrderToInsert): Promise<void> {
  const { lines, placedBy: _placedBy, ...head } = order;
  await w.tx
    .insertInto('orders')
    .values({ ...head, status: placementStatus(order.kind), revision: 0, createdAt: w.now })
    .execute();
  await w.tx
    .insertInto('orderLines')
    .values(
      lines.map((l, i) => ({
        orderId: order.id,
        lineNo: i + 1,
        sku: l.sku,
        locationId: l.locationId,
        quantity: l.quantity,
        unitAmount: l.unitAmount,
        lineAmount: l.lineAmount,
      })),
    )
    .execute();
  await writePlacementRecords(w, order);
}

/**
 * Stamps an inserted order at the revision and announces it (`sale.committed`; the journey layer earns on
 * it).
 */
export function announceSale(w: WriteContext, order: OrderToInsert): void {
  w.atRevisionSql((rev) => sql`UPDATE orders SET revision = ${rev} WHERE id = ${order.id}`);
  stampPlacementRecords(w, order);
  w.emit({
    type: 'sale.committed',
    aggregateType: 'order',
    aggregateId: order.id,
    payload: {
      orderId: order.id,
      kind: order.kind,
      customerRef: order.customerRef,
      locationId: order.locationId,
      currency: order.currency,
      totalAmount: order.totalAmount,
      lines: order.lines,
    },
  });
}
