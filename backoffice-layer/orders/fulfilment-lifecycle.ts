/**
 * The fulfilment lifecycle as pure rules (issue 12, "Orders, fulfilment and the delivery promise", bullet
 * "Order lifecycle"): which fulfilment transitions are legal per method, what stock does on each, how an
 * order's status follows from its fulfilments, and when the order's loyalty points are earned. No database:
 * the transactional wiring (outbox event, idempotency key, history) calls these and stores the answer, so
 * every interface — GraphQL, admin REST, the pickup store's terminal, the scheduled uncollected job — applies
 * one table. Names are the contract's (docs/API.md, "Orders, fulfilment, delivery promise").
 */
import { z } from 'zod';
import { DomainError } from '../../shared/index.js';

/** How a fulfilment reaches the customer: shipped to an address or collected in a store (click & collect). */
export const FULFILMENT_METHODS = ['DELIVERY', 'PICKUP'] as const;
/** Input schema of a {@link FulfilmentMethod}. */
export const FulfilmentMethodSchema = z.enum(FULFILMENT_METHODS);
/** `DELIVERY` or `PICKUP` (contract enum `FulfilmentMethod`). */
export type FulfilmentMethod = z.infer<typeof FulfilmentMethodSchema>;

/** Every fulfilment status of either method, in the contract's order. */
export const FULFILMENT_STATUSES = [
  'PENDING',
  'PICKING',
  'PACKED',
  'SHIPPED',
  'DELIVERED',
  'READY_FOR_PICKUP',
  'COLLECTED',
  'UNCOLLECTED',
  'CANCELLED',
] as const;
/** Input schema of a {@link FulfilmentStatus} (a warehouse or carrier event's `status`). */
export const FulfilmentStatusSchema = z.enum(FULFILMENT_STATUSES);
/** Where one fulfilment stands (contract enum `FulfilmentStatus`). */
export type FulfilmentStatus = z.infer<typeof FulfilmentStatusSchema>;

/** An order's statuses, derived from its fulfilments by {@link orderStatusOf}. */
export const ORDER_STATUSES = ['OPEN', 'PARTIALLY_FULFILLED', 'FULFILLED', 'CANCELLED'] as const;
/** Schema of an {@link OrderStatus} (the admin list's `?status=` filter). */
export const OrderStatusSchema = z.enum(ORDER_STATUSES);
/** Where an order stands as a whole (contract enum `OrderStatus`). */
export type OrderStatus = z.infer<typeof OrderStatusSchema>;

/**
 * One entry of an order's history (contract type `OrderEvent`): `at` an ISO-8601 instant from the injected
 * clock, `status` the fulfilment or order status reached, `actor` who caused it (a customer, staff member,
 * admin key or `system` for a scheduled job), `channel` through which, `reason` in words when one was given.
 */
export const OrderEventSchema = z.object({
  at: z.iso.datetime({ offset: true }),
  status: z.string().min(1),
  actor: z.string().min(1),
  channel: z.string().min(1),
  reason: z.string().nullable(),
});
/** One entry of an order's history: see {@link OrderEventSchema}. */
export type OrderEvent = z.infer<typeof OrderEventSchema>;

/**
 * The legal transitions, as data: for each method, each status it uses and the statuses it may move to.
 * A status absent from a method's table is not one of that method's states (a delivery is never
 * `READY_FOR_PICKUP`); an empty list marks a terminal status.
 *
 * Decisions (the issue names the paths, not these details):
 * - **Forward skips are allowed** along the method's path (`PENDING → PACKED`, `PICKING → SHIPPED`,
 *   `PENDING → DELIVERED`, `PENDING → COLLECTED`). Warehouse systems pick and pack in one scan and report
 *   only `SHIPPED`; carriers' `DELIVERED` can arrive before the warehouse's `SHIPPED`; a store may hand over
 *   an item straight from the shelf. Refusing those would strand real orders and make operators replay
 *   fictitious steps. Going back is never allowed, and the stock effect of a skip is that of every step it
 *   crosses (see {@link stockEffect}).
 * - **`UNCOLLECTED` only from `READY_FOR_PICKUP`**: it means the store's holding period ran out, which starts
 *   only once the goods wait at the counter.
 * - **`CANCELLED` from every state before the goods leave the building**: a delivery up to and including
 *   `PACKED` (once `SHIPPED` the parcel is with the carrier: a return, not a cancellation); a pickup up to
 *   and including `READY_FOR_PICKUP`, because the goods are still on the store's premises, in the holding
 *   area, and the customer must be able to decline without travelling to the store. `UNCOLLECTED` remains
 *   the holding period's own outcome, so the history tells a decision from a lapse.
 */
export const FULFILMENT_TRANSITIONS: {
  readonly [M in FulfilmentMethod]: Readonly<Partial<Record<FulfilmentStatus, readonly FulfilmentStatus[]>>>;
} = {
  DELIVERY: {
    PENDING: ['PICKING', 'PACKED', 'SHIPPED', 'DELIVERED', 'CANCELLED'],
    PICKING: ['PACKED', 'SHIPPED', 'DELIVERED', 'CANCELLED'],
    PACKED: ['SHIPPED', 'DELIVERED', 'CANCELLED'],
    SHIPPED: ['DELIVERED'],
    DELIVERED: [],
    CANCELLED: [],
  },
  PICKUP: {
    PENDING: ['PICKING', 'READY_FOR_PICKUP', 'COLLECTED', 'CANCELLED'],
    PICKING: ['READY_FOR_PICKUP', 'COLLECTED', 'CANCELLED'],
    READY_FOR_PICKUP: ['COLLECTED', 'UNCOLLECTED', 'CANCELLED'],
    COLLECTED: [],
    UNCOLLECTED: [],
    CANCELLED: [],
  },
};

/** The statuses a fulfilment of `method` can ever be in, in the contract's order. */
export function fulfilmentStatusesOf(method: FulfilmentMethod): FulfilmentStatus[] {
  return FULFILMENT_STATUSES.filter((s) => FULFILMENT_TRANSITIONS[method][s] !== undefined);
}

/** The statuses a fulfilment of `method` may move to from `from` (empty when terminal or not its state). */
export function allowedTransitions(
  method: FulfilmentMethod,
  from: FulfilmentStatus,
): readonly FulfilmentStatus[] {
  return FULFILMENT_TRANSITIONS[method][from] ?? [];
}

/** Whether `status` ends a fulfilment: nothing may follow it (`DELIVERED`, `COLLECTED`, `UNCOLLECTED`…). */
export function isTerminalFulfilment(status: FulfilmentStatus): boolean {
  return TERMINAL.has(status);
}
const TERMINAL: ReadonlySet<FulfilmentStatus> = new Set([
  'DELIVERED',
  'COLLECTED',
  'UNCOLLECTED',
  'CANCELLED',
]);
/** The statuses in which the customer has the goods. */
const DONE: ReadonlySet<FulfilmentStatus> = new Set(['DELIVERED', 'COLLECTED']);

/**
 * The answer of {@link transition}: `changed: true` with the new `status`, or `changed: false` when `to` is
 * the status it already has — a replayed warehouse or carrier event, to answer as a success without a new
 * history entry, outbox event or stock move.
 */
export type TransitionResult =
  { changed: true; status: FulfilmentStatus } | { changed: false; status: FulfilmentStatus };

/**
 * Checks the move of a fulfilment of `method` from `from` to `to` against {@link FULFILMENT_TRANSITIONS}.
 *
 * The same status again is an idempotent no-op (`{ changed: false }`), terminal ones included, so a carrier
 * that replays `DELIVERED` does not fail. "Collecting twice", which the issue refuses, is a second *distinct*
 * request (a new idempotency key) on a `COLLECTED` fulfilment: the wiring that knows the key refuses it when
 * it gets `changed: false`; a replay of the same key is answered from the idempotency store before this runs.
 * @throws DomainError `CONFLICT` when the move is illegal (shipping a cancelled fulfilment, a status of the
 *   other method, going back), details `{ method, from, to, allowed }` (`allowed`: the legal targets from
 *   `from`, empty when terminal).
 * @example
 * transition('DELIVERY', 'PACKED', 'SHIPPED') // { changed: true, status: 'SHIPPED' }
 * transition('DELIVERY', 'SHIPPED', 'SHIPPED') // { changed: false, status: 'SHIPPED' }
 * transition('DELIVERY', 'CANCELLED', 'SHIPPED') // throws CONFLICT, allowed: []
 */
export function transition(
  method: FulfilmentMethod,
  from: FulfilmentStatus,
  to: FulfilmentStatus,
): TransitionResult {
  const allowed = allowedTransitions(method, from);
  if (from === to && FULFILMENT_TRANSITIONS[method][from] !== undefined)
    return { changed: false, status: from };
  if (!allowed.includes(to)) {
    throw new DomainError(
      'CONFLICT',
      `A ${method.toLowerCase()} fulfilment cannot go from ${from} to ${to}`,
      { method, from, to, allowed: [...allowed] },
    );
  }
  return { changed: true, status: to };
}

/**
 * What stock does on a transition: `commit` (the held units leave the location: on-hand and reservation both
 * drop), `release` (the reservation ends and the units are sellable again) or `none`.
 *
 * The issue: "reserved at order, committed at shipment or collection, released at cancellation; an
 * uncollected pickup returns its units". So `commit` when a delivery reaches `SHIPPED` or skips past it
 * to `DELIVERED` (and not again on `SHIPPED → DELIVERED`), and when a pickup reaches `COLLECTED`; `release`
 * on `CANCELLED` and `UNCOLLECTED`; `none` otherwise and on a same-status repeat. Call it only on a
 * transition that {@link transition} accepted: it does not check legality.
 */
export type StockEffect = 'commit' | 'release' | 'none';

/** The {@link StockEffect} of moving a fulfilment of `method` from `from` to `to` (see that type). */
export function stockEffect(
  method: FulfilmentMethod,
  from: FulfilmentStatus,
  to: FulfilmentStatus,
): StockEffect {
  if (from === to) return 'none';
  if (to === 'CANCELLED' || to === 'UNCOLLECTED') return 'release';
  if (method === 'PICKUP') return to === 'COLLECTED' ? 'commit' : 'none';
  const left = (s: FulfilmentStatus): boolean => s === 'SHIPPED' || s === 'DELIVERED';
  return left(to) && !left(from) ? 'commit' : 'none';
}

/**
 * An order's status from its fulfilments' statuses (`fulfilments`: at least `{ status }` each):
 * - every one `CANCELLED` or `UNCOLLECTED` → `CANCELLED`;
 * - every one done (`DELIVERED`, `COLLECTED`) or closed unfulfilled, at least one done → `FULFILLED`;
 * - some done, others still moving → `PARTIALLY_FULFILLED`;
 * - otherwise (none done yet, or no fulfilment yet: sourcing pending) → `OPEN`.
 *
 * `UNCOLLECTED` is not fulfilled: the goods went back to stock and the customer has nothing, so it counts
 * like `CANCELLED` (an order whose only pickup lapsed is `CANCELLED`, earns no points and gives its coupon
 * back); the fulfilment keeps `UNCOLLECTED`, so the order's page still says why.
 */
export function orderStatusOf(fulfilments: ReadonlyArray<{ status: FulfilmentStatus }>): OrderStatus {
  if (fulfilments.length === 0) return 'OPEN';
  const done = fulfilments.filter((f) => DONE.has(f.status)).length;
  const closedUnfulfilled = fulfilments.filter((f) => f.status === 'CANCELLED' || f.status === 'UNCOLLECTED');
  if (closedUnfulfilled.length === fulfilments.length) return 'CANCELLED';
  if (done === 0) return 'OPEN';
  return done + closedUnfulfilled.length === fulfilments.length ? 'FULFILLED' : 'PARTIALLY_FULFILLED';
}

/**
 * Whether a fulfilment reaching `to` earns the loyalty points of its lines: on `DELIVERED` and `COLLECTED`,
 * the moment the customer has the goods — not at `SHIPPED`, since a parcel can still be lost or refused and
 * points granted then would have to be clawed back from a balance the customer may have spent. Points follow
 * each fulfilment, so a split order earns for what arrived without waiting for the rest; a cancelled or
 * uncollected fulfilment earns none (the issue: "points are earned when the goods are delivered or
 * collected"). Call it only when {@link transition} answered `changed: true`, so a replay earns nothing.
 */
export function pointsEarnedOn(to: FulfilmentStatus): boolean {
  return DONE.has(to);
}
