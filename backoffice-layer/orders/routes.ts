import { z } from 'zod';
import { DomainError, LocationIdSchema } from '../../shared/index.js';
import { defineRoute, type AdminActor, type AdminRoute } from '../admin-api/admin-route.js';
import { IsoDateTime, limitQuery, Revision } from '../admin-api/responses.js';
import {
  FULFILMENT_METHODS,
  FULFILMENT_STATUSES,
  FulfilmentMethodSchema,
  FulfilmentStatusSchema,
  OrderStatusSchema,
} from './fulfilment-lifecycle.js';
import {
  getOrder,
  listFulfilments,
  listOrders,
  type FulfilmentListItem,
  type OrderDetail,
  type OrderSummary,
} from './order-reads.js';
import { storedPromise } from './delivery-promise.js';
import { idempotencyKey } from '../admin-api/idempotency-header.js';
import {
  CancelOrderBodySchema,
  cancelOrder,
  FulfilmentEventBodySchema,
  recordFulfilmentEvent,
  type OrderMove,
} from './fulfilment-transitions.js';
import { ADMIN_CHANNEL } from './placement-records.js';

/*
 * Admin REST for warehouse systems, carriers and the back office (API.md "Orders, fulfilment, delivery
 * promise"): list orders with filters, read one with its fulfilments and history, post fulfilment events and
 * cancel (orders/fulfilment-transitions.ts, the same wiring every other entrance uses).
 */

// An order id is looked up as given: one that is no UUID is not found (404); one over 100 characters or with
// a control character is refused as bad input (400), as every path id is.
const OrderParams = z.strictObject({ id: z.string().min(1).max(100) });
const OrderListQuery = z.strictObject({
  status: OrderStatusSchema.optional(),
  locationId: LocationIdSchema.optional(),
  customerId: z.string().min(1).max(200).optional().describe("The order's customer reference"),
  after: z.string().min(1).max(200).optional().describe('The `next` cursor of the previous page'),
  limit: limitQuery(200, 50),
});

const FulfilmentListQuery = z.strictObject({
  locationId: LocationIdSchema.optional().describe(
    'Where the units are held or the store the customer collects at (either matches)',
  ),
  status: z
    .string()
    .max(200)
    .transform((s) => s.split(','))
    .pipe(z.array(FulfilmentStatusSchema).min(1))
    .optional()
    .describe('One status or several, comma-separated (`PENDING,PICKING`): any of them'),
  method: FulfilmentMethodSchema.optional(),
  after: z.string().min(1).max(200).optional().describe('The `next` cursor of the previous page'),
  limit: limitQuery(200, 50),
});

const orderSummaryShape = {
  id: z.string(),
  kind: z.enum(['ONLINE', 'STORE']),
  status: OrderStatusSchema,
  channel: z.string().nullable(),
  customerRef: z.string().nullable(),
  locationId: z.string().nullable().describe('The store of a store sale; null online'),
  reservationId: z.string().nullable(),
  currency: z.string().describe('ISO 4217'),
  totalAmount: z.int().describe('Minor units of `currency`'),
  revision: Revision,
  placedAt: IsoDateTime,
};
const OrderSummaryView = z.object(orderSummaryShape).meta({ id: 'OrderSummary' });
const FulfilmentView = z
  .object({
    id: z.string(),
    method: z.enum(FULFILMENT_METHODS),
    locationId: z.string().describe('Where its units are held (and committed)'),
    pickupLocationId: z
      .string()
      .nullable()
      .describe('PICKUP: the store the customer collects at (another for a transfer); null for a DELIVERY'),
    status: z.enum(FULFILMENT_STATUSES),
    trackingCode: z.string().nullable(),
    readyBy: IsoDateTime.nullable().describe('PICKUP: when it is ready at the store'),
    deliverBy: IsoDateTime.nullable().describe('DELIVERY: the end of the promised delivery day'),
    holdUntil: IsoDateTime.nullable().describe(
      'PICKUP, once ready: when the store stops holding it and its units return to stock (UNCOLLECTED)',
    ),
    lines: z.array(z.object({ sku: z.string(), quantity: z.int() })),
    revision: Revision,
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
  })
  .meta({ id: 'Fulfilment' });
const OrderEventView = z
  .object({
    at: IsoDateTime,
    status: z.string().describe('The order or fulfilment status reached (PLACED, SOLD, SHIPPED…)'),
    actor: z.string().describe('`customer:<id>`, `channel:WEB`, `admin:<key name>`…'),
    channel: z.string(),
    reason: z.string().nullable(),
    fulfilmentId: z.string().nullable().describe('Null for an event of the order as a whole'),
  })
  .meta({ id: 'OrderEvent' });
const DeliveryPromiseView = z
  .object({
    method: z.enum(FULFILMENT_METHODS),
    from: z
      .object({ id: z.string(), name: z.string() })
      .describe('The shipping location or the pickup store'),
    orderBefore: IsoDateTime.describe('The cut-off this promise held until'),
    deliverBy: IsoDateTime.nullable().describe('DELIVERY: the end of the promised delivery day'),
    readyBy: IsoDateTime.nullable().describe('PICKUP: when it is ready at the store'),
    reason: z.string().describe('The promise in words'),
  })
  .meta({ id: 'DeliveryPromise' });
const SourcingReasonView = z
  .object({ sku: z.string(), locationId: z.string(), reason: z.string() })
  .meta({ id: 'SourcingReason' });
const OrderView = z
  .object({
    ...orderSummaryShape,
    lines: z.array(
      z.object({
        sku: z.string(),
        locationId: z.string(),
        quantity: z.int(),
        unitAmount: z.int(),
        lineAmount: z.int(),
        returnedQuantity: z.int(),
      }),
    ),
    fulfilments: z.array(FulfilmentView),
    history: z.array(OrderEventView),
    promised: z.array(DeliveryPromiseView).describe('What checkout promised; empty when nothing was'),
    sourcing: z
      .array(SourcingReasonView)
      .nullable()
      .describe('Why the hub took each SKU where it did; null when the order named its locations'),
  })
  .meta({ id: 'Order' });

const summaryJson = (o: OrderSummary) => ({ ...o, placedAt: o.placedAt.toISOString() });
const iso = (d: Date | null) => d?.toISOString() ?? null;
const fulfilmentJson = <F extends OrderDetail['fulfilments'][number]>(f: F) => ({
  ...f,
  readyBy: iso(f.readyBy),
  deliverBy: iso(f.deliverBy),
  holdUntil: iso(f.holdUntil),
  createdAt: f.createdAt.toISOString(),
  updatedAt: f.updatedAt.toISOString(),
});
const orderJson = (o: OrderDetail) => ({
  ...summaryJson(o),
  fulfilments: o.fulfilments.map(fulfilmentJson),
  history: o.history.map((e) => ({ ...e, at: e.at.toISOString() })),
  promised: o.promised.map(storedPromise),
});

const MoveView = z.object({
  order: OrderView,
  moved: z
    .array(
      z.object({
        fulfilmentId: z.string(),
        from: z.enum(FULFILMENT_STATUSES),
        to: z.enum(FULFILMENT_STATUSES),
      }),
    )
    .describe('The fulfilments this request moved (empty: a status reported again, nothing changed)'),
  revision: Revision,
  replayed: z.boolean().describe('true: the answer to an earlier request with this Idempotency-Key'),
});

/** A move's answer: the order as it stands now (read after the move), what moved, the move's revision. */
async function moveJson(db: Parameters<typeof getOrder>[0], move: OrderMove) {
  const order = await getOrder(db, move.orderId);
  if (!order) throw new DomainError('NOT_FOUND', `No order ${move.orderId}`, { orderId: move.orderId });
  return { order: orderJson(order), moved: move.moved, revision: move.revision, replayed: move.replayed };
}

/**
 * The history's actor and channel of an admin request: `admin:<name>` and ADMIN for an admin key, the console
 * client (`client:<id>`) and CONSOLE for a console key.
 */
const adminActor = (actor: AdminActor) => ({
  actor: actor.audit,
  channel: actor.kind === 'CONSOLE' ? 'CONSOLE' : ADMIN_CHANNEL,
});

const FulfilmentListItemView = FulfilmentView.extend({ orderId: z.string() }).meta({
  id: 'FulfilmentListItem',
});

/**
 * `GET /admin/v1/orders`, `GET /admin/v1/orders/{id}`, `GET /admin/v1/fulfilments` (a store's pickups, a
 * warehouse's picking list), fulfilment events and cancellation.
 */
export const orderRoutes: readonly AdminRoute[] = [
  defineRoute({
    method: 'get',
    path: '/orders',
    tag: 'orders',
    operationId: 'listOrders',
    response: z.object({
      orders: z.array(OrderSummaryView),
      next: z.string().nullable().describe('Pass as `after` for the next page; null on the last'),
    }),
    summary: 'Orders newest first, paginated with `after`; filter by status, location or customer',
    query: OrderListQuery,
    handle: async ({ deps, query }) => {
      const page = await listOrders(deps.db, query);
      return { orders: page.orders.map(summaryJson), next: page.next };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/orders/:id',
    tag: 'orders',
    operationId: 'getOrder',
    response: z.object({ order: OrderView }),
    summary: 'One order with its lines, fulfilments and history',
    params: OrderParams,
    errors: ['NOT_FOUND'],
    handle: async ({ deps, params }) => {
      const order = await getOrder(deps.db, params.id);
      if (!order) throw new DomainError('NOT_FOUND', `No order ${params.id}`, { orderId: params.id });
      return { order: orderJson(order) };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/fulfilments',
    tag: 'orders',
    operationId: 'listFulfilments',
    response: z.object({
      fulfilments: z.array(FulfilmentListItemView),
      next: z.string().nullable().describe('Pass as `after` for the next page; null on the last'),
    }),
    summary:
      'Fulfilments oldest first with their lines and order, paginated with `after`; filter by location, ' +
      'status (several, comma-separated) or method: a store\u2019s pickups, a warehouse\u2019s picking list',
    query: FulfilmentListQuery,
    handle: async ({ deps, query }) => {
      const page = await listFulfilments(deps.db, { ...query, statuses: query.status });
      return {
        fulfilments: page.fulfilments.map((f: FulfilmentListItem) => fulfilmentJson(f)),
        next: page.next,
      };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/fulfilments/:id/events',
    tag: 'orders',
    operationId: 'postFulfilmentEvent',
    idempotencyKey: 'required',
    errors: ['NOT_FOUND', 'CONFLICT'],
    response: MoveView,
    summary:
      'A warehouse or carrier event (PICKING, PACKED, SHIPPED with trackingCode, DELIVERED, ' +
      'READY_FOR_PICKUP, ' +
      'COLLECTED, CANCELLED); illegal moves 409 (Idempotency-Key header)',
    params: z.strictObject({ id: z.string().min(1).max(100) }),
    body: FulfilmentEventBodySchema,
    handle: async ({ deps, params, body, raw, actor }) =>
      moveJson(
        deps.db,
        await recordFulfilmentEvent(deps, params.id, body, idempotencyKey(raw), adminActor(actor)),
      ),
  }),
  defineRoute({
    method: 'post',
    path: '/orders/:id/cancel',
    tag: 'orders',
    operationId: 'cancelOrder',
    idempotencyKey: 'required',
    errors: ['NOT_FOUND', 'CONFLICT'],
    response: MoveView,
    summary:
      'Cancel what of an order has not left the building; its held units are released (Idempotency-Key)',
    params: OrderParams,
    body: CancelOrderBodySchema,
    handle: async ({ deps, params, body, raw, actor }) =>
      moveJson(deps.db, await cancelOrder(deps, params.id, body, idempotencyKey(raw), adminActor(actor))),
  }),
];
