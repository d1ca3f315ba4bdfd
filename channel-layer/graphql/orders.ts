/**
 * Orders in the channel API (issue 12, API.md "Orders, fulfilment, delivery promise"): `order(id)`,
 * `Customer.orders`, `cancelOrder`, `markCollected`, `orderChanged(id)` and the `Order` type's fields. Every
 * channel sees one order the same way: the view is built from the stored order alone, and its fingerprint is
 * that view's at its revision.
 */
import {
  CancelOrderBodySchema,
  cancelOrder,
  getOrder,
  getProduct,
  listLocations,
  listOrders,
  markCollected,
  orderCursor,
  type OrderDetail,
} from '../../backoffice-layer/index.js';
import { fingerprint, pointsEarnedOnOrder } from '../../journey-layer/index.js';
import { DomainError, grantsArea, parseInput, vatPart } from '../../shared/index.js';
import { callerOf, requireAccess, withAccess } from '../access/require-access.js';
import type { GraphqlContext } from './context.js';
import { clientActor } from '../clients/clients.js';
import { clientKey } from './keys.js';
import { money, type MoneyView } from './views.js';

type LocationRow = Awaited<ReturnType<typeof listLocations>>[number];

/** GraphQL `Location` as the order's fulfilments name it. */
interface LocationView {
  id: string;
  name: string;
  kind: string;
  fulfilsOnline: boolean;
}

/** GraphQL `Order`, whole: what `order(id)`, `Customer.orders` and `orderChanged` answer. */
export interface OrderView {
  id: string;
  kind: string;
  status: string;
  channel: string;
  lines: Array<{
    sku: string;
    quantity: number;
    base: MoneyView;
    final: MoneyView;
    savings: MoneyView;
    vat: MoneyView;
    adjustments: never[];
  }>;
  total: MoneyView;
  pointsEarned: number;
  fulfilments: Array<{
    id: string;
    method: string;
    location: LocationView;
    stockLocation: LocationView;
    status: string;
    lines: Array<{ sku: string; quantity: number }>;
    trackingCode: string | null;
    readyBy: Date | null;
    deliverBy: Date | null;
    holdUntil: Date | null;
  }>;
  promised: Array<{
    method: string;
    from: LocationView;
    orderBefore: Date;
    deliverBy: Date | null;
    readyBy: Date | null;
    reason: string;
  }>;
  history: Array<{ at: Date; status: string; actor: string; channel: string; reason: string | null }>;
  placedAt: Date;
  revision: number;
  fingerprint: string;
}

/**
 * The view of a stored order. Lines are merged per SKU (an order may take one SKU from several locations):
 * `base` is the unit price before discounts times the units, `final` what was charged, `savings` the
 * difference, `vat` the VAT included in `final` at the product's rate (minor units of the order's currency);
 * `pointsEarned` what the loyalty ledger booked for it so far (an online order earns when received);
 * the adjustments of the quote it was placed at are not stored with it, so a stored order lists none.
 */
async function viewOf(
  ctx: GraphqlContext,
  o: OrderDetail,
  around: { locations: Map<string, LocationRow>; pointsEarned: number },
): Promise<OrderView> {
  const { locations, pointsEarned } = around;
  const c = o.currency;
  const bySku = new Map<string, { quantity: number; base: number; final: number }>();
  for (const l of o.lines) {
    const line = bySku.get(l.sku) ?? { quantity: 0, base: 0, final: 0 };
    line.quantity += l.quantity;
    line.base += l.unitAmount * l.quantity;
    line.final += l.lineAmount;
    bySku.set(l.sku, line);
  }
  const rates = new Map(
    await Promise.all(
      [...bySku.keys()].map(
        async (sku) => [sku, (await getProduct(ctx.deps.db, sku))?.vatRateBp ?? 0] as const,
      ),
    ),
  );
  const locationOf = (id: string): LocationView => {
    const l = locations.get(id);
    return l
      ? { id: l.id, name: l.name, kind: l.kind, fulfilsOnline: l.fulfilsOnline }
      : { id, name: id, kind: 'STORE', fulfilsOnline: false };
  };
  const view: Omit<OrderView, 'fingerprint'> = {
    id: o.id,
    kind: o.kind,
    status: o.status,
    channel: o.channel ?? 'ADMIN',
    lines: [...bySku].map(([sku, l]) => ({
      sku,
      quantity: l.quantity,
      base: money(l.base, c),
      final: money(l.final, c),
      savings: money(l.base - l.final, c),
      vat: money(vatPart(l.final, rates.get(sku) ?? 0), c),
      adjustments: [],
    })),
    total: money(o.totalAmount, c),
    pointsEarned,
    fulfilments: o.fulfilments.map((f) => ({
      id: f.id,
      method: f.method,
      // Where the customer gets it: the pickup store of a pickup (a transfer's too), else the shipper.
      location: locationOf(f.pickupLocationId ?? f.locationId),
      stockLocation: locationOf(f.locationId),
      status: f.status,
      lines: f.lines,
      trackingCode: f.trackingCode,
      readyBy: f.readyBy,
      deliverBy: f.deliverBy,
      holdUntil: f.holdUntil,
    })),
    promised: o.promised.map((p) => ({ ...p, from: locationOf(p.from.id) })),
    history: o.history.map((e) => ({
      at: e.at,
      status: e.status,
      actor: e.actor,
      channel: e.channel,
      reason: e.reason,
    })),
    placedAt: o.placedAt,
    revision: o.revision,
  };
  return { ...view, fingerprint: fingerprint({ content: view, revision: o.revision }) };
}

/** The stored order `id` as a view; NOT_FOUND when there is none. */
async function loadView(ctx: GraphqlContext, id: string): Promise<OrderView> {
  // What does not depend on the order is read beside it: two round trips in all (then the products' rates).
  const [o, locations, pointsEarned] = await Promise.all([
    getOrder(ctx.deps.db, id),
    listLocations(ctx.deps.db).then((all) => new Map(all.map((l) => [l.id, l]))),
    pointsEarnedOnOrder(ctx.deps.db, id),
  ]);
  if (!o) throw new DomainError('NOT_FOUND', `No order ${id}`, { orderId: id });
  return viewOf(ctx, o, { locations, pointsEarned });
}

/** Views loaded in one request, by order id: each field of one order reads it once. */
const loaded = new WeakMap<GraphqlContext, Map<string, Promise<OrderView>>>();
function viewFor(ctx: GraphqlContext, id: string): Promise<OrderView> {
  let mine = loaded.get(ctx);
  if (!mine) loaded.set(ctx, (mine = new Map()));
  let v = mine.get(id);
  if (!v) mine.set(id, (v = loadView(ctx, id)));
  return v;
}

/** An `Order` as a resolver may return it: its id and any fields already known (a placement's answer). */
export type OrderSource = { id: string } & Partial<OrderView>;

/**
 * The `Order` type's fields: each one the source carries (a placement answers its lines as priced, with their
 * adjustments) or, else, the stored order's (read once per request).
 */
export const orderFieldResolvers = Object.fromEntries(
  (
    [
      'kind',
      'status',
      'channel',
      'lines',
      'total',
      'pointsEarned',
      'fulfilments',
      'promised',
      'history',
      'placedAt',
      'revision',
    ] as const
  ).map((field) => [
    field,
    async (o: OrderSource, _a: unknown, ctx: GraphqlContext) =>
      o[field] !== undefined ? o[field] : (await viewFor(ctx, o.id))[field],
  ]),
);
/** An order's fingerprint is always the stored order's: the same in every channel. */
orderFieldResolvers.fingerprint = async (o: OrderSource, _a: unknown, ctx: GraphqlContext) =>
  (await viewFor(ctx, o.id)).fingerprint;

/** The history's actor and channel of a channel client's act (`client:<id>` through its channel). */
const actorOf = (ctx: GraphqlContext) => ({
  actor: ctx.customerId ? `customer:${ctx.customerId}` : clientActor(ctx.client),
  channel: ctx.client.channel,
});

/** `order(id)`: the order, to the customer herself, staff at its locations, the call center (on record). */
export async function orderQuery(_: unknown, a: { id: string }, ctx: GraphqlContext): Promise<OrderView> {
  await requireAccess(ctx, { act: 'order.read', on: { kind: 'placed-order', orderId: a.id } });
  return viewFor(ctx, a.id.toLowerCase());
}

/**
 * `Customer.orders(first, after)`: her orders, newest first, as a connection (cursor: the admin list's).
 * Reached through `customer(id)`, whose access check (customer.read) covers them; a store terminal is shown
 * only those that involve its store, as `order(id)` would answer it; a scoped console key needs the orders
 * area too and is shown only those that involve its locations.
 * @throws BAD_USER_INPUT when `first` is not 1–100 or `after` is no cursor this API answered; FORBIDDEN for a
 *   scoped console key without `console:orders`.
 */
export async function customerOrders(
  c: { id: string },
  a: { first: number; after?: string | null },
  ctx: GraphqlContext,
) {
  if (a.first < 1 || a.first > 100) throw new DomainError('BAD_USER_INPUT', 'first must be 1–100', {});
  // A store terminal sees the orders of hers that involve its store (as order(id) answers it), not all; a
  // scoped console key those at its locations, and only with the orders area.
  const atStore = ctx.client.channel === 'STORE' && ctx.client.locationId ? ctx.client.locationId : null;
  const grants = callerOf(ctx).console;
  if (grants && !grantsArea(grants, 'orders', false))
    throw new DomainError('FORBIDDEN', 'This console key does not open orders (scope console:orders)', {
      area: 'orders',
    });
  const page = await listOrders(ctx.deps.db, {
    customerId: c.id,
    ...(atStore ? { locationId: atStore } : {}),
    ...(!atStore && grants?.locations ? { anyOfLocations: grants.locations } : {}),
    limit: a.first,
    ...(a.after ? { after: a.after } : {}),
  });
  const edges = page.orders.map((o) => ({ node: { id: o.id }, cursor: orderCursor(o) }));
  return { edges, pageInfo: { hasNextPage: page.next !== null, endCursor: edges.at(-1)?.cursor ?? null } };
}

/**
 * `cancelOrder(id, reason, idempotencyKey)`: cancels what of the order has not left the building (see the
 * backoffice's cancelOrder), for the customer herself, staff at its locations, the call center.
 * @throws NOT_FOUND, FORBIDDEN, CONFLICT (nothing left to cancel), BAD_USER_INPUT.
 */
export async function cancelOrderMutation(
  _: unknown,
  a: { id: string; reason?: string | null; idempotencyKey: string },
  ctx: GraphqlContext,
  checkedKey: (k: string) => string,
): Promise<OrderSource> {
  const body = parseInput(CancelOrderBodySchema, a.reason != null ? { reason: a.reason } : {}, 'input');
  const move = await withAccess(
    ctx,
    [{ act: 'order.cancel', on: { kind: 'placed-order', orderId: a.id } }],
    () => cancelOrder(ctx.deps, a.id, body, clientKey(ctx, checkedKey(a.idempotencyKey)), actorOf(ctx)),
  );
  return { id: move.orderId };
}

/**
 * `markCollected(orderId, idempotencyKey)`: the pickup store's terminal hands the order over (a terminal only
 * at its own store; the console anywhere).
 * @throws NOT_FOUND, FORBIDDEN, CONFLICT (nothing waiting, or collected already).
 */
export async function markCollectedMutation(
  _: unknown,
  a: { orderId: string; idempotencyKey: string },
  ctx: GraphqlContext,
  checkedKey: (k: string) => string,
): Promise<OrderSource> {
  const move = await withAccess(
    ctx,
    [{ act: 'order.collect', on: { kind: 'placed-order', orderId: a.orderId } }],
    () =>
      markCollected(
        ctx.deps,
        a.orderId,
        clientKey(ctx, checkedKey(a.idempotencyKey)),
        actorOf(ctx),
        ctx.client.locationId ? { atLocationId: ctx.client.locationId } : {},
      ),
  );
  return { id: move.orderId };
}

/**
 * `orderChanged(id)`: the order now, then again whenever it moves (placed, a fulfilment event, cancelled,
 * collected) — one computation per change on this node, shared by its subscribers.
 * @throws NOT_FOUND, FORBIDDEN (as `order(id)`); BAD_USER_INPUT over HTTP.
 */
export async function subscribeOrderChanged(_: unknown, a: { id: string }, ctx: GraphqlContext) {
  if (!ctx.snapshots)
    throw new DomainError('BAD_USER_INPUT', 'Subscriptions are served over WebSocket at /graphql', {});
  await requireAccess(ctx, { act: 'subscription.order', on: { kind: 'placed-order', orderId: a.id } });
  // A UUID names the same order in any case; notices carry the form PostgreSQL answers.
  const id = a.id.toLowerCase();
  return ctx.snapshots.subscribe(
    `order:${id}`,
    {
      initial: true,
      relevant: (n) => n.orderId === id,
      compute: async () => {
        const view = await loadView(ctx, id);
        return { content: view.fingerprint, value: { orderChanged: view } };
      },
    },
    ctx.signal,
  );
}
