import { isUuid } from '../../shared/index.js';
import type { Executor } from '../tables.js';

/**
 * Who an order concerns, for access decisions: its customer reference (null: nobody known) and every location
 * it involves — where its lines' units come from, its fulfilments' locations and pickup stores, a store
 * sale's store — sorted.
 */
export interface OrderParties {
  orderId: string;
  customerRef: string | null;
  locationIds: string[];
  /** The channel client whose reservation the order was placed from (null: the admin API, a till sale). */
  placedByClientId: string | null;
}

/** The parties of order `orderId`; null when there is none (an id that is no UUID included). */
export async function orderParties(db: Executor, orderId: string): Promise<OrderParties | null> {
  if (!isUuid(orderId)) return null;
  const head = await db
    .selectFrom('orders')
    .select(['id', 'customerRef', 'locationId', 'reservationId'])
    .where('id', '=', orderId)
    .executeTakeFirst();
  if (!head) return null;
  const [lines, fulfilments, reservation] = await Promise.all([
    db.selectFrom('orderLines').select('locationId').where('orderId', '=', orderId).execute(),
    db
      .selectFrom('fulfilments')
      .select(['locationId', 'pickupLocationId'])
      .where('orderId', '=', orderId)
      .execute(),
    head.reservationId
      ? db
          .selectFrom('reservations')
          .select('clientId')
          .where('id', '=', head.reservationId)
          .executeTakeFirst()
      : undefined,
  ]);
  const ids = new Set([...lines, ...fulfilments].map((r) => r.locationId));
  for (const f of fulfilments) if (f.pickupLocationId) ids.add(f.pickupLocationId);
  if (head.locationId) ids.add(head.locationId);
  return {
    orderId: head.id,
    customerRef: head.customerRef,
    locationIds: [...ids].sort(),
    placedByClientId: reservation?.clientId ?? null,
  };
}
