import { rest } from '../../api/client';

/*
 * The admin REST the orders page reads and acts through (docs/API.md "Orders, fulfilment, delivery
 * promise"): shapes as the hub answers them, amounts in minor units, instants ISO 8601.
 */

export const ORDER_STATUSES = ['OPEN', 'PARTIALLY_FULFILLED', 'FULFILLED', 'CANCELLED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export type FulfilmentStatus =
  | 'PENDING'
  | 'PICKING'
  | 'PACKED'
  | 'SHIPPED'
  | 'DELIVERED'
  | 'READY_FOR_PICKUP'
  | 'COLLECTED'
  | 'UNCOLLECTED'
  | 'CANCELLED';
export type FulfilmentMethod = 'DELIVERY' | 'PICKUP';

/** An order's head, as `GET /admin/v1/orders` lists it. */
export interface OrderSummary {
  id: string;
  kind: 'ONLINE' | 'STORE';
  status: OrderStatus;
  channel: string | null;
  customerRef: string | null;
  locationId: string | null;
  currency: string;
  totalAmount: number;
  revision: number;
  placedAt: string;
}

/** One shipment or pickup of an order: `locationId` holds its units, `pickupLocationId` is the store. */
export interface Fulfilment {
  id: string;
  method: FulfilmentMethod;
  locationId: string;
  pickupLocationId: string | null;
  status: FulfilmentStatus;
  trackingCode: string | null;
  readyBy: string | null;
  deliverBy: string | null;
  holdUntil: string | null;
  lines: Array<{ sku: string; quantity: number }>;
  revision: number;
  createdAt: string;
  updatedAt: string;
}

/** A fulfilment as `GET /admin/v1/fulfilments` lists it: with its order's id. */
export interface ListedFulfilment extends Fulfilment {
  orderId: string;
}

/** One entry of an order's history. */
export interface OrderEvent {
  at: string;
  status: string;
  actor: string;
  channel: string;
  reason: string | null;
  fulfilmentId: string | null;
}

/** What checkout promised for one part of an order. */
export interface DeliveryPromise {
  method: FulfilmentMethod;
  from: { id: string; name: string };
  orderBefore: string;
  deliverBy: string | null;
  readyBy: string | null;
  reason: string;
}

/** One order with everything `GET /admin/v1/orders/{id}` answers. */
export interface OrderDetail extends OrderSummary {
  lines: Array<{
    sku: string;
    locationId: string;
    quantity: number;
    unitAmount: number;
    lineAmount: number;
    returnedQuantity: number;
  }>;
  fulfilments: Fulfilment[];
  history: OrderEvent[];
  promised: DeliveryPromise[];
}

/** A location as `GET /admin/v1/locations` lists it (the fields this page uses). */
export interface Location {
  id: string;
  name: string;
  kind: string;
}

/** A page of a list: its items and the cursor of the next page (null on the last). */
export interface Page<T> {
  items: T[];
  next: string | null;
}

const query = (params: Record<string, string | undefined>): string => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
};

/** Every location. */
export async function fetchLocations(): Promise<Location[]> {
  return (await rest<{ locations: Location[] }>('GET', '/locations')).locations;
}

/** A page of orders, newest first: `locationId` where units are held or collected, `status` the order's. */
export async function fetchOrders(filter: {
  locationId?: string;
  status?: string;
  after?: string;
}): Promise<Page<OrderSummary>> {
  const answer = await rest<{ orders: OrderSummary[]; next: string | null }>(
    'GET',
    `/orders${query({ ...filter, limit: '25' })}`,
  );
  return { items: answer.orders, next: answer.next };
}

/** A page of fulfilments, oldest first, at `locationId` with any of `statuses`, of `method` when given. */
export async function fetchFulfilments(filter: {
  locationId: string;
  statuses: FulfilmentStatus[];
  method?: FulfilmentMethod;
  after?: string;
}): Promise<Page<ListedFulfilment>> {
  const answer = await rest<{ fulfilments: ListedFulfilment[]; next: string | null }>(
    'GET',
    `/fulfilments${query({
      locationId: filter.locationId,
      status: filter.statuses.join(','),
      method: filter.method,
      after: filter.after,
      limit: '200',
    })}`,
  );
  return { items: answer.fulfilments, next: answer.next };
}

/** One order, or throws ApiError (404 NOT_FOUND, 403 FORBIDDEN…). */
export async function fetchOrder(id: string): Promise<OrderDetail> {
  return (await rest<{ order: OrderDetail }>('GET', `/orders/${encodeURIComponent(id)}`)).order;
}

/** Moves fulfilment `id` to `status` (an illegal move: ApiError 409 CONFLICT). */
export async function postFulfilmentEvent(
  id: string,
  status: FulfilmentStatus,
  idempotencyKey: string,
): Promise<OrderDetail> {
  return (
    await rest<{ order: OrderDetail }>(
      'POST',
      `/fulfilments/${encodeURIComponent(id)}/events`,
      { status },
      { idempotencyKey },
    )
  ).order;
}

/** Cancels what of order `id` has not left the building, with `reason` (nothing left: ApiError 409). */
export async function cancelOrder(id: string, reason: string, idempotencyKey: string): Promise<OrderDetail> {
  return (
    await rest<{ order: OrderDetail }>(
      'POST',
      `/orders/${encodeURIComponent(id)}/cancel`,
      { reason },
      { idempotencyKey },
    )
  ).order;
}

/**
 * The steps staff may report next on a fulfilment from the console: a delivery is picked and packed (the
 * carrier reports the rest), a pickup picked, made ready and handed over. The hub checks every move
 * (409 for one no longer legal); this only chooses which buttons to offer.
 */
export function nextSteps(f: Pick<Fulfilment, 'method' | 'status'>): FulfilmentStatus[] {
  if (f.method === 'DELIVERY') {
    if (f.status === 'PENDING') return ['PICKING', 'PACKED'];
    if (f.status === 'PICKING') return ['PACKED'];
    return [];
  }
  if (f.status === 'PENDING') return ['PICKING', 'READY_FOR_PICKUP'];
  if (f.status === 'PICKING') return ['READY_FOR_PICKUP'];
  if (f.status === 'READY_FOR_PICKUP') return ['COLLECTED'];
  return [];
}

/** The locations a fulfilment concerns: where its units are held and where it is collected. */
export function fulfilmentLocations(f: Pick<Fulfilment, 'locationId' | 'pickupLocationId'>): string[] {
  return f.pickupLocationId && f.pickupLocationId !== f.locationId
    ? [f.locationId, f.pickupLocationId]
    : [f.locationId];
}
