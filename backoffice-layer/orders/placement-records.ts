import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { OrderKind, OrderStatusColumn, WriteContext } from '../tables.js';
import { storedPromise, type DeliveryPromise } from './delivery-promise.js';
import type { SourcingReason } from './sourcing.js';

/**
 * What placement records of an order besides its head and lines: its fulfilments and the first entry of its
 * history. `lines` are the order's lines (units, and the location each comes from).
 */
export interface PlacedOrder {
  id: string;
  kind: OrderKind;
  customerRef: string | null;
  channel: string | null;
  /** The channel client that placed it (its reservation's maker), when known. */
  placedBy?: string | null;
  lines: ReadonlyArray<{ sku: string; locationId: string; quantity: number }>;
}

/** The channels through which staff, not the customer herself, act. */
const STAFF_CHANNELS: ReadonlySet<string> = new Set(['STORE', 'CALL_CENTER', 'CONSOLE']);

/**
 * The channel an order's history names when the order carries none (a reservation made before reservations
 * recorded their channel, committed through the admin REST API): `ADMIN`, the admin API's write origin.
 */
export const ADMIN_CHANNEL = 'ADMIN';

/**
 * The status an order is placed with: an online order is `OPEN` (its fulfilments are all `PENDING`, see
 * orderStatusOf); a store sale is `FULFILLED`, since a till sale is handed over at once and has no
 * fulfilment.
 */
export function placementStatus(kind: OrderKind): OrderStatusColumn {
  return kind === 'STORE' ? 'FULFILLED' : 'OPEN';
}

/**
 * Who placed an order, as its history says: staff (a store terminal, the call center, the console) as
 * `client:<id>` when the placing client is known, else as `channel:<channel>` — even for a customer's order,
 * since she did not act herself; through her own channel (web, app), `customer:<ref>` when it names her; else
 * `channel:<channel>` (`channel:ADMIN` without one). A till sale is the store's act.
 */
export function placementActor(
  order: Pick<PlacedOrder, 'customerRef' | 'channel' | 'placedBy' | 'kind'>,
): string {
  const channel = order.channel ?? ADMIN_CHANNEL;
  if (order.kind === 'STORE' || STAFF_CHANNELS.has(channel))
    return order.placedBy ? `client:${order.placedBy}` : `channel:${channel}`;
  return order.customerRef ? `customer:${order.customerRef}` : `channel:${channel}`;
}

/**
 * Writes, in the order's transaction and in one statement, what placement adds to an order already inserted:
 * - ONLINE: one `DELIVERY` fulfilment per location its lines come from (status `PENDING`, its lines summed
 *   per SKU, at revision 0 until {@link stampPlacementRecords}), and the history entry `PLACED`;
 * - STORE: the history entry `SOLD` only (no fulfilment: the customer took the goods at the till).
 * The entry's actor is {@link placementActor}, its channel the order's (ADMIN_CHANNEL when none), `at`
 * the write's clock instant. Answers the fulfilments' ids by location.
 */
export async function writePlacementRecords(
  w: WriteContext,
  order: PlacedOrder,
): Promise<Map<string, string>> {
  const online = order.kind === 'ONLINE';
  const fulfilmentIds = new Map<string, string>();
  if (online)
    for (const l of order.lines)
      if (!fulfilmentIds.has(l.locationId)) fulfilmentIds.set(l.locationId, randomUUID());
  const units = new Map<string, { fulfilmentId: string; sku: string; quantity: number }>();
  for (const l of online ? order.lines : []) {
    const fulfilmentId = fulfilmentIds.get(l.locationId)!;
    const key = `${fulfilmentId} ${l.sku}`;
    const unit = units.get(key) ?? { fulfilmentId, sku: l.sku, quantity: 0 };
    unit.quantity += l.quantity;
    units.set(key, unit);
  }
  const event = {
    orderId: order.id,
    fulfilmentId: null,
    at: w.now,
    status: online ? 'PLACED' : 'SOLD',
    actor: placementActor(order),
    channel: order.channel ?? ADMIN_CHANNEL,
    reason: null,
  };
  const fulfilments = [...fulfilmentIds].map(([locationId, id]) => ({
    id,
    orderId: order.id,
    locationId,
    method: 'DELIVERY' as const,
    status: 'PENDING' as const,
    trackingCode: null,
    readyBy: null,
    deliverBy: null,
    revision: 0,
    createdAt: w.now,
    updatedAt: w.now,
  }));
  if (fulfilments.length === 0) {
    await w.tx.insertInto('orderEvents').values(event).execute();
    return fulfilmentIds;
  }
  // Data-modifying CTEs: one round trip for all three tables; the lines' foreign keys are checked at the end
  // of the statement, when the fulfilments exist.
  await w.tx
    .with('f', (db) => db.insertInto('fulfilments').values(fulfilments).returning('id'))
    .with('fl', (db) =>
      db
        .insertInto('fulfilmentLines')
        .values([...units.values()])
        .returning('fulfilmentId'),
    )
    .insertInto('orderEvents')
    .values(event)
    .execute();
  return fulfilmentIds;
}

/** Stamps an online order's fulfilments at the write's revision (folded into the commit's statement). */
export function stampPlacementRecords(w: WriteContext, order: Pick<PlacedOrder, 'id' | 'kind'>): void {
  if (order.kind !== 'ONLINE') return;
  w.atRevisionSql((rev) => sql`UPDATE fulfilments SET revision = ${rev} WHERE order_id = ${order.id}`);
}

/**
 * How an online order is fulfilled, as placement decided it: `method`; `pickupLocationId` the store a PICKUP
 * is collected at (null for a DELIVERY); `promised` what checkout promised (promiseCart / promiseAllocations:
 * one DELIVERY promise per shipping location that could promise, or the one PICKUP promise; empty when
 * nothing was promised); `sourcing` the hub's reasons when it chose the locations (null when the order named
 * them).
 */
export interface FulfilmentPlan {
  method: 'DELIVERY' | 'PICKUP';
  pickupLocationId: string | null;
  promised: readonly DeliveryPromise[];
  sourcing: readonly SourcingReason[] | null;
}

/**
 * Records an online order's fulfilment plan in the order's transaction, after writePlacementRecords wrote
 * its fulfilments (one per location its units are held at), in one statement: the order keeps `promised`
 * and `sourcing`; each fulfilment gets the plan's method and pickup store (`location_id` stays where the
 * units are held: a transfer's is the warehouse), `ready_by` the pickup promise's `readyBy` (the customer
 * collects the whole order once, so every part of a pickup is due then) and `deliver_by` the `deliverBy` of
 * the promise from its location (null when that location promised nothing). A DELIVERY plan without
 * promises nor sourcing is what placement writes already: nothing is written.
 */
export async function recordFulfilmentPlan(
  w: WriteContext,
  orderId: string,
  plan: FulfilmentPlan,
): Promise<void> {
  if (plan.method === 'DELIVERY' && plan.promised.length === 0 && plan.sourcing === null) return;
  const pickup = plan.method === 'PICKUP';
  const readyBy = pickup ? (plan.promised[0]?.readyBy ?? null) : null;
  const deliveries = pickup ? [] : plan.promised;
  const promised = JSON.stringify(plan.promised.map(storedPromise));
  const sourcing = plan.sourcing === null ? null : JSON.stringify(plan.sourcing);
  await sql`
    WITH o AS (UPDATE orders SET promised = ${promised}::jsonb, sourcing = ${sourcing}::jsonb
               WHERE id = ${orderId} RETURNING id)
    UPDATE fulfilments f
    SET method = ${plan.method}, pickup_location_id = ${pickup ? plan.pickupLocationId : null},
        ready_by = ${readyBy}::timestamptz,
        deliver_by = (SELECT t.deliver_by
                      FROM unnest(${deliveries.map((p) => p.from.id)}::text[],
                                  ${deliveries.map((p) => p.deliverBy)}::timestamptz[])
                           AS t(location_id, deliver_by)
                      WHERE t.location_id = f.location_id)
    WHERE f.order_id = ${orderId}`.execute(w.tx);
}
