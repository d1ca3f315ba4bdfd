import type { Executor, OrderKind, ReservationStatus } from '../tables.js';

/** A customer's order as her data export shows it; amounts in minor units of `currency`. */
export interface CustomerOrderRow {
  id: string;
  kind: OrderKind;
  locationId: string | null;
  channel: string | null;
  currency: string;
  totalAmount: number;
  createdAt: Date;
}

/** One line of a customer's order; amounts in minor units of the order's currency. */
export interface CustomerOrderLineRow {
  orderId: string;
  sku: string;
  locationId: string;
  quantity: number;
  unitAmount: number;
  lineAmount: number;
  returnedQuantity: number;
}

/** A return of one of her orders; `refundAmount` in minor units of the order's currency. */
export interface CustomerReturnRow {
  id: string;
  orderId: string;
  locationId: string;
  refundAmount: number;
  createdAt: Date;
}

/** A reservation made for her. */
export interface CustomerReservationRow {
  id: string;
  status: ReservationStatus;
  channel: string | null;
  expiresAt: Date;
  createdAt: Date;
}

/** What the backoffice holds about a customer's purchases: orders (oldest first), their lines and returns. */
export interface CustomerOrderRecords {
  orders: CustomerOrderRow[];
  /** By order id, then line number. */
  lines: CustomerOrderLineRow[];
  /** Oldest first. */
  returns: CustomerReturnRow[];
  /** Reservations made for her, oldest first. */
  reservations: CustomerReservationRow[];
}

/**
 * The orders (with lines and returns) and reservations recorded under any of `customerIds` (a person's
 * profile and those merged into it), for her data export.
 */
export async function customerOrderRecords(
  db: Executor,
  customerIds: readonly string[],
): Promise<CustomerOrderRecords> {
  if (customerIds.length === 0) return { orders: [], lines: [], returns: [], reservations: [] };
  const [orders, reservations] = await Promise.all([
    db
      .selectFrom('orders')
      .select(['id', 'kind', 'locationId', 'channel', 'currency', 'totalAmount', 'createdAt'])
      .where('customerRef', 'in', customerIds)
      .orderBy('createdAt')
      .execute(),
    db
      .selectFrom('reservations')
      .select(['id', 'status', 'channel', 'expiresAt', 'createdAt'])
      .where('customerId', 'in', customerIds)
      .orderBy('createdAt')
      .execute(),
  ]);
  const orderIds = orders.map((o) => o.id);
  if (orderIds.length === 0) return { orders, lines: [], returns: [], reservations };
  const [lines, returns] = await Promise.all([
    orderLinesOf(db, orderIds),
    db
      .selectFrom('returns')
      .select(['id', 'orderId', 'locationId', 'refundAmount', 'createdAt'])
      .where('orderId', 'in', orderIds)
      .orderBy('createdAt')
      .execute(),
  ]);
  return { orders, lines, returns, reservations };
}

/** The lines of orders `orderIds` (not empty), by order id, then line number. */
export function orderLinesOf(db: Executor, orderIds: readonly string[]): Promise<CustomerOrderLineRow[]> {
  return db
    .selectFrom('orderLines')
    .select(['orderId', 'sku', 'locationId', 'quantity', 'unitAmount', 'lineAmount', 'returnedQuantity'])
    .where('orderId', 'in', orderIds)
    .orderBy('orderId')
    .orderBy('lineNo')
    .execute();
}

/**
 * Moves the orders and reservations recorded under any of `fromIds` to `toId` (a merge's survivor, an
 * erasure's pseudonym), in the caller's transaction so that it commits with the rest of the merge or erasure;
 * the orders' history entries she caused (actor `customer:<id>`) name `toId` from then on. Amounts and
 * everything else stay. Returns how many orders and reservations were moved.
 */
export async function reassignCustomerOrders(
  tx: Executor,
  fromIds: readonly string[],
  toId: string,
): Promise<{ orders: number; reservations: number }> {
  if (fromIds.length === 0) return { orders: 0, reservations: 0 };
  const orders = await tx
    .updateTable('orders')
    .set({ customerRef: toId })
    .where('customerRef', 'in', fromIds)
    .executeTakeFirst();
  const reservations = await tx
    .updateTable('reservations')
    .set({ customerId: toId })
    .where('customerId', 'in', fromIds)
    .executeTakeFirst();
  // The orders' history names who placed them (placementActor): an erasure must not leave her id there.
  await tx
    .updateTable('orderEvents')
    .set({ actor: `customer:${toId}` })
    .where(
      'actor',
      'in',
      fromIds.map((id) => `customer:${id}`),
    )
    .execute();
  return { orders: Number(orders.numUpdatedRows), reservations: Number(reservations.numUpdatedRows) };
}

/** Order and reservation ids a move took from one customer to another. */
export interface MovedCustomerOrders {
  orderIds: string[];
  reservationIds: string[];
}

/**
 * Moves orders and reservations from customer `fromId` to `toId` — all of hers, or with `only` just those of
 * the ids given that are still hers (undoing a merge gives back exactly what it took) — in the caller's
 * transaction; the moved orders' history entries she caused (actor `customer:<fromId>`) name `toId` from
 * then on. Amounts and everything else stay. Returns the ids moved (sorted).
 */
export async function moveCustomerOrders(
  tx: Executor,
  fromId: string,
  toId: string,
  only?: { orderIds: readonly string[]; reservationIds: readonly string[] },
): Promise<MovedCustomerOrders> {
  const moveOrders = async (): Promise<string[]> => {
    if (only && only.orderIds.length === 0) return [];
    let q = tx.updateTable('orders').set({ customerRef: toId }).where('customerRef', '=', fromId);
    if (only) q = q.where('id', 'in', only.orderIds);
    return (await q.returning('id').execute()).map((r) => r.id).sort();
  };
  const moveReservations = async (): Promise<string[]> => {
    if (only && only.reservationIds.length === 0) return [];
    let q = tx.updateTable('reservations').set({ customerId: toId }).where('customerId', '=', fromId);
    if (only) q = q.where('id', 'in', only.reservationIds);
    return (await q.returning('id').execute()).map((r) => r.id).sort();
  };
  const orderIds = await moveOrders();
  const reservationIds = await moveReservations();
  if (orderIds.length > 0)
    await tx
      .updateTable('orderEvents')
      .set({ actor: `customer:${toId}` })
      .where('orderId', 'in', orderIds)
      .where('actor', '=', `customer:${fromId}`)
      .execute();
  return { orderIds, reservationIds };
}
