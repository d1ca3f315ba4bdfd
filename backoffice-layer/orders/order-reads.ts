import { instantAndId, isUuid, pageCursor } from '../../shared/index.js';
import type { Executor, FulfilmentMethodColumn, FulfilmentStatusColumn, OrderKind } from '../tables.js';
import { orderLinesOf, type CustomerOrderLineRow } from './customer-orders.js';
import type { OrderStatus } from './fulfilment-lifecycle.js';
import type { DeliveryPromise, StoredPromise } from './delivery-promise.js';
import type { SourcingReason } from './sourcing.js';

/**
 * An order's head as lists show it. Amounts in minor units of `currency`; `customerRef` the customer's id as
 * the order was placed (null: nobody known); `locationId` the store of a store sale (null online: the lines
 * and fulfilments carry locations); `placedAt` the placement's clock instant.
 */
export interface OrderSummary {
  id: string;
  kind: OrderKind;
  status: OrderStatus;
  channel: string | null;
  customerRef: string | null;
  locationId: string | null;
  reservationId: string | null;
  currency: string;
  totalAmount: number;
  revision: number;
  placedAt: Date;
}

/** One line of an order (see CustomerOrderLineRow), in line-number order. */
export type OrderLineView = Omit<CustomerOrderLineRow, 'orderId'>;

/**
 * One shipment (DELIVERY) or pickup (PICKUP) of an order from `locationId` (where its units are held), with
 * the units it carries. `pickupLocationId`: PICKUP, the store the customer collects at (another than
 * `locationId` for a transfer from a warehouse); null for a DELIVERY. `readyBy` (PICKUP) and `deliverBy`
 * (DELIVERY): what checkout promised, null when nothing was.
 */
export interface FulfilmentView {
  id: string;
  method: FulfilmentMethodColumn;
  locationId: string;
  pickupLocationId: string | null;
  status: FulfilmentStatusColumn;
  trackingCode: string | null;
  readyBy: Date | null;
  deliverBy: Date | null;
  /** PICKUP, once ready: when its holding period ends and its units return to stock (pickup-hold.ts). */
  holdUntil: Date | null;
  lines: Array<{ sku: string; quantity: number }>;
  revision: number;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * One entry of an order's history (contract `OrderEvent`, with `at` as a Date): the status the order or
 * fulfilment `fulfilmentId` (null: the order as a whole) reached, who caused it, through which channel, why.
 */
export interface OrderHistoryEntry {
  at: Date;
  status: string;
  actor: string;
  channel: string;
  reason: string | null;
  fulfilmentId: string | null;
}

/**
 * An order with its lines (by line number), fulfilments (oldest first, then by id) and history (oldest
 * first); `promised`, what checkout promised (API.md `Order.promised`: empty when nothing was); `sourcing`,
 * why the hub took each SKU where it did (null when the order named its locations).
 */
export interface OrderDetail extends OrderSummary {
  lines: OrderLineView[];
  fulfilments: FulfilmentView[];
  history: OrderHistoryEntry[];
  promised: DeliveryPromise[];
  sourcing: SourcingReason[] | null;
}

/** A stored promise with its instants as Dates again. */
const promiseOf = (p: StoredPromise): DeliveryPromise => ({
  ...p,
  orderBefore: new Date(p.orderBefore),
  deliverBy: p.deliverBy === null ? null : new Date(p.deliverBy),
  readyBy: p.readyBy === null ? null : new Date(p.readyBy),
});

const SUMMARY_COLUMNS = [
  'id',
  'kind',
  'status',
  'channel',
  'customerRef',
  'locationId',
  'reservationId',
  'currency',
  'totalAmount',
  'revision',
  'createdAt',
] as const;

const FULFILMENT_COLUMNS = [
  'id',
  'method',
  'locationId',
  'pickupLocationId',
  'status',
  'trackingCode',
  'readyBy',
  'deliverBy',
  'holdUntil',
  'revision',
  'createdAt',
  'updatedAt',
] as const;

/** A fulfilment row with its lines (those of `lines` that are its own, by SKU). */
const fulfilmentOf = (
  f: Omit<FulfilmentView, 'lines'>,
  lines: ReadonlyArray<{ fulfilmentId: string; sku: string; quantity: number }>,
): FulfilmentView => ({
  ...f,
  // A PICKUP written without its store is collected where its units are held.
  pickupLocationId: f.pickupLocationId ?? (f.method === 'PICKUP' ? f.locationId : null),
  lines: lines.filter((l) => l.fulfilmentId === f.id).map((l) => ({ sku: l.sku, quantity: l.quantity })),
});

const summaryOf = ({ createdAt, ...head }: Omit<OrderSummary, 'placedAt'> & { createdAt: Date }) => ({
  ...head,
  placedAt: createdAt,
});

/**
 * Order `id` with its lines, fulfilments (with their lines) and history; null when there is none, an id that
 * is not a UUID included (so the admin API answers NOT_FOUND, not a bad request, for a malformed id).
 */
export async function getOrder(db: Executor, id: string): Promise<OrderDetail | null> {
  if (!isUuid(id)) return null;
  const [head, lines, fulfilments, fulfilmentLines, history] = await Promise.all([
    db
      .selectFrom('orders')
      .select([...SUMMARY_COLUMNS, 'promised', 'sourcing'])
      .where('id', '=', id)
      .executeTakeFirst(),
    orderLinesOf(db, [id]),
    db
      .selectFrom('fulfilments')
      .select(FULFILMENT_COLUMNS)
      .where('orderId', '=', id)
      .orderBy('createdAt')
      .orderBy('id')
      .execute(),
    db
      .selectFrom('fulfilmentLines')
      .innerJoin('fulfilments', 'fulfilments.id', 'fulfilmentLines.fulfilmentId')
      .select(['fulfilmentLines.fulfilmentId', 'fulfilmentLines.sku', 'fulfilmentLines.quantity'])
      .where('fulfilments.orderId', '=', id)
      .orderBy('fulfilmentLines.sku')
      .execute(),
    db
      .selectFrom('orderEvents')
      .select(['at', 'status', 'actor', 'channel', 'reason', 'fulfilmentId'])
      .where('orderId', '=', id)
      .orderBy('id')
      .execute(),
  ]);
  if (!head) return null;
  const { promised, sourcing, ...summary } = head;
  return {
    ...summaryOf(summary),
    promised: promised.map(promiseOf),
    sourcing,
    lines: lines.map(({ orderId: _, ...line }) => line),
    fulfilments: fulfilments.map((f) => fulfilmentOf(f, fulfilmentLines)),
    history,
  };
}

/**
 * Filters and page of {@link listOrders}: `status` the order's; `locationId` a location the order involves (a
 * fulfilment there, or a line from there — a store sale's store included); `customerId` the order's customer
 * reference; `after` the `next` cursor of the previous page; `limit` the page size (1–200 at the API).
 */
export interface OrderListQuery {
  status?: OrderStatus;
  /** Orders that involve this location: its sources, its pickup store, a till sale's store. */
  locationId?: string;
  /** Orders that involve any of these locations (as `locationId`; none: no order). */
  anyOfLocations?: readonly string[];
  customerId?: string;
  after?: string;
  limit: number;
}

/** A cursor: the last order's placement instant and id, so pages stay stable while new orders arrive. */
const cursors = pageCursor(
  'orders',
  (k: { at: Date; id: string }) => [k.at.toISOString(), k.id],
  ([at, id, ...rest]) => (rest.length === 0 ? instantAndId(at, id) : null),
);

/** The list cursor of order `o` (as {@link listOrders} answers it): pass as `after` for the orders after. */
export const orderCursor = (o: { placedAt: Date; id: string }): string =>
  cursors.encode({ at: o.placedAt, id: o.id });

/**
 * Orders newest first (placement instant, then id, both descending), filtered by {@link OrderListQuery}, at
 * most `limit`; `next` is the cursor for the following page (pass as `after`), null on the last page.
 * @throws DomainError `BAD_USER_INPUT` when `after` is not a cursor this function answered.
 */
export async function listOrders(
  db: Executor,
  query: OrderListQuery,
): Promise<{ orders: OrderSummary[]; next: string | null }> {
  let q = db
    .selectFrom('orders')
    .select(SUMMARY_COLUMNS)
    .orderBy('createdAt', 'desc')
    .orderBy('id', 'desc')
    .limit(query.limit + 1);
  if (query.status) q = q.where('status', '=', query.status);
  if (query.customerId) q = q.where('customerRef', '=', query.customerId);
  const locations = query.locationId ? [query.locationId] : query.anyOfLocations;
  if (locations && locations.length === 0) return { orders: [], next: null };
  if (locations)
    q = q.where((eb) =>
      eb.or([
        eb.exists(
          eb
            .selectFrom('fulfilments')
            .select('fulfilments.id')
            .whereRef('fulfilments.orderId', '=', 'orders.id')
            .where((f) =>
              f.or([
                f('fulfilments.locationId', 'in', locations),
                f('fulfilments.pickupLocationId', 'in', locations),
              ]),
            ),
        ),
        eb.exists(
          eb
            .selectFrom('orderLines')
            .select('orderLines.lineNo')
            .whereRef('orderLines.orderId', '=', 'orders.id')
            .where('orderLines.locationId', 'in', locations),
        ),
      ]),
    );
  if (query.after) {
    const { at, id } = cursors.decode(query.after);
    q = q.where((eb) => eb(eb.refTuple('orders.createdAt', 'orders.id'), '<', eb.tuple(at, id)));
  }
  const rows = await q.execute();
  const page = rows.slice(0, query.limit).map(summaryOf);
  return { orders: page, next: rows.length > query.limit ? orderCursor(page.at(-1)!) : null };
}

/**
 * Filters and page of {@link listFulfilments}: `locationId` where the units are held or the store the
 * customer collects at (either matches: a store's list holds its own pickups and the transfers on their way
 * to it); `statuses` any of these (none: every status); `method` DELIVERY or PICKUP; `after` the `next`
 * cursor of the previous page; `limit` the page size (1–200 at the API).
 */
export interface FulfilmentListQuery {
  locationId?: string;
  statuses?: readonly FulfilmentStatusColumn[];
  method?: FulfilmentMethodColumn;
  after?: string;
  limit: number;
}

/** A fulfilment as {@link listFulfilments} answers it: with its order's id. */
export interface FulfilmentListItem extends FulfilmentView {
  orderId: string;
}

const fulfilmentCursors = pageCursor(
  'fulfilments',
  (k: { at: Date; id: string }) => [k.at.toISOString(), k.id],
  ([at, id, ...rest]) => (rest.length === 0 ? instantAndId(at, id) : null),
);

/**
 * Fulfilments oldest first (creation instant, then id: a work queue's order), filtered by
 * {@link FulfilmentListQuery}, at most `limit`, each with its lines and order id; `next` the cursor of the
 * following page (pass as `after`), null on the last page. What a store's pickup counter and a warehouse's
 * picking list read.
 * @throws DomainError `BAD_USER_INPUT` when `after` is not a cursor this function answered.
 */
export async function listFulfilments(
  db: Executor,
  query: FulfilmentListQuery,
): Promise<{ fulfilments: FulfilmentListItem[]; next: string | null }> {
  let q = db
    .selectFrom('fulfilments')
    .select([...FULFILMENT_COLUMNS, 'orderId'])
    .orderBy('createdAt')
    .orderBy('id')
    .limit(query.limit + 1);
  const locationId = query.locationId;
  if (locationId)
    q = q.where((eb) => eb.or([eb('locationId', '=', locationId), eb('pickupLocationId', '=', locationId)]));
  if (query.statuses && query.statuses.length > 0) q = q.where('status', 'in', query.statuses);
  if (query.method) q = q.where('method', '=', query.method);
  if (query.after) {
    const { at, id } = fulfilmentCursors.decode(query.after);
    q = q.where((eb) => eb(eb.refTuple('fulfilments.createdAt', 'fulfilments.id'), '>', eb.tuple(at, id)));
  }
  const rows = await q.execute();
  const page = rows.slice(0, query.limit);
  const lines =
    page.length === 0
      ? []
      : await db
          .selectFrom('fulfilmentLines')
          .select(['fulfilmentId', 'sku', 'quantity'])
          .where(
            'fulfilmentId',
            'in',
            page.map((f) => f.id),
          )
          .orderBy('sku')
          .execute();
  const last = page.at(-1);
  return {
    fulfilments: page.map(({ orderId, ...f }) => ({ ...fulfilmentOf(f, lines), orderId })),
    next:
      rows.length > query.limit && last
        ? fulfilmentCursors.encode({ at: last.createdAt, id: last.id })
        : null,
  };
}
