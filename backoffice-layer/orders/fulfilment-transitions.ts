import { sql } from 'kysely';
import { z } from 'zod';
import { DomainError, isUuid, runWrite } from '../../shared/index.js';
import type { BackofficeDeps } from '../backoffice-deps.js';
import type { FulfilmentMethodColumn, FulfilmentStatusColumn, OrderKind, WriteContext } from '../tables.js';
import { byLockOrder, StockChange, type LedgerRow } from '../stock/levels.js';
import { applyToLevels } from '../stock/write-back-levels.js';
import {
  FulfilmentStatusSchema,
  isTerminalFulfilment,
  orderStatusOf,
  stockEffect,
  transition,
  type FulfilmentStatus,
  type OrderStatus,
} from './fulfilment-lifecycle.js';

/*
 * The fulfilment lifecycle's transactional wiring (issue 12, "Order lifecycle"): every move of a fulfilment —
 * a warehouse or carrier event, a cancellation, a collection at the store's terminal, the uncollected job —
 * is
 * one transaction that locks the order, checks the move against the pure rules (fulfilment-lifecycle.ts),
 * moves the stock (committed at shipment or collection, released at cancellation or when uncollected), writes
 * the fulfilment's new status, the order's status and history, and emits `order.changed`, all at one
 * revision.
 * Every entrance calls the functions below, so they all apply the same guards.
 */

/**
 * Who moves an order, as its history says: `actor` (`admin:<key name>`, `customer:<id>`, `system`…), and
 * `channel`.
 */
export interface OrderActor {
  actor: string;
  channel: string;
}

/** Printable text without control characters, for a reason or a tracking code. */
const printable = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .regex(/^[^\p{Cc}]+$/u, 'printable text without control characters');

/**
 * A warehouse's or carrier's fulfilment event (`POST /admin/v1/fulfilments/{id}/events`): the status reached,
 * the carrier's tracking code (DELIVERY, with `SHIPPED` or `DELIVERED` only: 1–100 characters), why (1–500).
 */
export const FulfilmentEventBodySchema = z.strictObject({
  status: FulfilmentStatusSchema,
  trackingCode: printable(100).optional(),
  reason: printable(500).optional(),
});
/** A fulfilment event as validated: see {@link FulfilmentEventBodySchema}. */
export type FulfilmentEventBody = z.infer<typeof FulfilmentEventBodySchema>;

/** A cancellation's optional reason (1–500 printable characters). */
export const CancelOrderBodySchema = z.strictObject({ reason: printable(500).optional() });
/** A cancellation as validated: see {@link CancelOrderBodySchema}. */
export type CancelOrderBody = z.infer<typeof CancelOrderBodySchema>;

/**
 * What a move answers: the order's id and status after it, each fulfilment moved (`from` → `to`), the
 * revision it committed (or the order's current revision when nothing moved), and `replayed` when the
 * idempotency key matched an earlier call (whose stored answer this is).
 */
export interface OrderMove {
  orderId: string;
  status: OrderStatus;
  moved: Array<{ fulfilmentId: string; from: FulfilmentStatus; to: FulfilmentStatus }>;
  revision: number;
  replayed: boolean;
}

interface LockedOrder {
  id: string;
  kind: OrderKind;
  status: OrderStatus;
  customerRef: string | null;
  currency: string;
  revision: number;
}
interface LockedFulfilment {
  id: string;
  locationId: string;
  /** PICKUP: the store it is collected at (null: where its units are held, `locationId`). */
  pickupLocationId: string | null;
  method: FulfilmentMethodColumn;
  status: FulfilmentStatusColumn;
  stockHeld: boolean;
}
/** One move to make: fulfilment `f` to `to`, with a tracking code to record. */
interface Move {
  f: LockedFulfilment;
  to: FulfilmentStatus;
  trackingCode?: string | undefined;
}

/** Which order a move is about: named, or the order of a fulfilment. */
type OrderRef = { orderId: string } | { fulfilmentId: string };

/**
 * Locks the order `ref` names (the order row, second in the hub's lock order; one statement, also when named
 * by a fulfilment) and reads its fulfilments.
 * @throws DomainError `NOT_FOUND` `{ orderId }` or `{ fulfilmentId }`.
 */
async function lockOrder(
  w: WriteContext,
  ref: OrderRef,
): Promise<{ order: LockedOrder; fulfilments: LockedFulfilment[] }> {
  const order = await w.tx
    .selectFrom('orders')
    .select(['id', 'kind', 'status', 'customerRef', 'currency', 'revision'])
    .where(
      'id',
      '=',
      'orderId' in ref
        ? ref.orderId
        : (eb) => eb.selectFrom('fulfilments').select('orderId').where('id', '=', ref.fulfilmentId),
    )
    .forUpdate()
    .executeTakeFirst();
  if (!order)
    throw 'orderId' in ref
      ? new DomainError('NOT_FOUND', `No order ${ref.orderId}`, { orderId: ref.orderId })
      : new DomainError('NOT_FOUND', `No fulfilment ${ref.fulfilmentId}`, { fulfilmentId: ref.fulfilmentId });
  const fulfilments = await w.tx
    .selectFrom('fulfilments')
    .select(['id', 'locationId', 'pickupLocationId', 'method', 'status', 'stockHeld'])
    .where('orderId', '=', order.id)
    .orderBy('createdAt')
    .orderBy('id')
    .execute();
  return { order, fulfilments };
}

/**
 * Makes `moves` on the locked order in this transaction: stock first (lock order: levels by (sku, location)),
 * then the fulfilments, the order's status, its history and `order.changed`. Answers the order's new status.
 */
async function applyMoves(
  w: WriteContext,
  locked: { order: LockedOrder; fulfilments: LockedFulfilment[] },
  moves: readonly Move[],
  by: OrderActor,
  reason: string | null,
): Promise<OrderStatus> {
  const { order } = locked;
  await moveStock(w, order.id, moves);
  for (const m of moves) {
    await w.tx
      .updateTable('fulfilments')
      .set({
        status: m.to,
        updatedAt: w.now,
        ...(m.trackingCode ? { trackingCode: m.trackingCode } : {}),
        ...(stockEffect(m.f.method, m.f.status, m.to) !== 'none' ? { stockHeld: false } : {}),
      })
      .where('id', '=', m.f.id)
      .execute();
  }
  const after = locked.fulfilments.map((f) => ({
    status: moves.find((m) => m.f.id === f.id)?.to ?? f.status,
  }));
  const status = orderStatusOf(after);
  const ids = moves.map((m) => m.f.id);
  w.atRevisionSql((rev) => sql`UPDATE fulfilments SET revision = ${rev} WHERE id = ANY(${ids}::uuid[])`);
  w.atRevisionSql(
    (rev) => sql`UPDATE orders SET status = ${status}, revision = ${rev} WHERE id = ${order.id}`,
  );
  const entry = { orderId: order.id, at: w.now, actor: by.actor, channel: by.channel, reason };
  const history: Array<typeof entry & { fulfilmentId: string | null; status: string }> = moves.map((m) => ({
    ...entry,
    fulfilmentId: m.f.id,
    status: m.to,
  }));
  // The order's own entry when its status changes (fulfilmentId null: the order as a whole).
  if (status !== order.status) history.push({ ...entry, fulfilmentId: null, status });
  await w.tx.insertInto('orderEvents').values(history).execute();
  const locationIds = new Set<string>();
  for (const f of locked.fulfilments) locationIds.add(f.locationId);
  w.emit({
    type: 'order.changed',
    aggregateType: 'order',
    aggregateId: order.id,
    payload: {
      orderId: order.id,
      kind: order.kind,
      customerRef: order.customerRef,
      currency: order.currency,
      status,
      previousStatus: order.status,
      fulfilments: moves.map((m) => ({
        fulfilmentId: m.f.id,
        locationId: m.f.locationId,
        method: m.f.method,
        from: m.f.status,
        to: m.to,
      })),
      locationIds: [...locationIds].sort(),
      actor: by.actor,
      channel: by.channel,
      reason,
    },
  });
  return status;
}

/**
 * The stock of `moves`: a commit (shipped, collected) takes the held units off on hand and reserved (ledger
 * SALE), a release (cancelled, uncollected) gives them back to what is available (ledger RELEASE), both at
 * the
 * fulfilment's location, referencing the order. A fulfilment that holds no stock (placed before units were
 * held until shipment: sold at placement) moves none.
 */
async function moveStock(w: WriteContext, orderId: string, moves: readonly Move[]): Promise<void> {
  const effects = moves
    .map((m) => ({ m, effect: m.f.stockHeld ? stockEffect(m.f.method, m.f.status, m.to) : 'none' }))
    .filter((x) => x.effect !== 'none');
  if (effects.length === 0) return;
  const lines = await w.tx
    .selectFrom('fulfilmentLines')
    .select(['fulfilmentId', 'sku', 'quantity'])
    .where(
      'fulfilmentId',
      'in',
      effects.map((x) => x.m.f.id),
    )
    .execute();
  const rows: LedgerRow[] = [];
  for (const { m, effect } of effects)
    for (const l of lines.filter((x) => x.fulfilmentId === m.f.id))
      rows.push({
        sku: l.sku,
        locationId: m.f.locationId,
        kind: effect === 'commit' ? 'SALE' : 'RELEASE',
        onHandDelta: effect === 'commit' ? -l.quantity : 0,
        reservedDelta: -l.quantity,
        reference: orderId,
      });
  const change = new StockChange(w, 'fulfilment');
  await applyToLevels(w, change, rows.sort(byLockOrder));
  change.announce();
}

/**
 * Runs one move of an order as a write with idempotency key `key` (scope `scope`, request `request`): locks
 * the order, asks `plan` which fulfilments move, and applies them. A plan with nothing to move writes nothing
 * and answers the order's current status and revision.
 */
async function moveOrder(
  deps: BackofficeDeps,
  ref: OrderRef,
  plan: (locked: { order: LockedOrder; fulfilments: LockedFulfilment[] }) => Move[],
  by: OrderActor,
  reason: string | null,
  idempotency: { scope: string; key: string; request: unknown },
): Promise<OrderMove> {
  const { result, revision, replayed } = await runWrite(
    deps,
    async (w) => {
      const locked = await lockOrder(w, ref);
      const moves = plan(locked);
      const status = moves.length > 0 ? await applyMoves(w, locked, moves, by, reason) : locked.order.status;
      return {
        orderId: locked.order.id,
        status,
        moved: moves.map((m) => ({ fulfilmentId: m.f.id, from: m.f.status, to: m.to })),
        unchangedRevision: moves.length > 0 ? null : locked.order.revision,
      };
    },
    { idempotency },
  );
  const { unchangedRevision, ...move } = result;
  return { ...move, revision: unchangedRevision ?? revision, replayed };
}

/**
 * Records a warehouse's or carrier's event on fulfilment `fulfilmentId` (`PICKING`, `PACKED`, `SHIPPED` with
 * a
 * tracking code, `DELIVERED`, `READY_FOR_PICKUP`, `COLLECTED`, `CANCELLED`, `UNCOLLECTED`) as one
 * transaction,
 * idempotent by `idempotencyKey` (the same key and body again answers the first call's result; the same key
 * with another body: CONFLICT).
 *
 * The same status again under a new key: a terminal one (`COLLECTED` twice, `DELIVERED` twice) is refused
 * with
 * CONFLICT — a second distinct request to do what is done is a mistake worth telling; a non-terminal one
 * (`PICKING` reported again by a scanner) answers the order unchanged, with no history entry.
 * @throws DomainError `NOT_FOUND` `{ fulfilmentId }`; `CONFLICT` for an illegal move (`{ method, from, to,
 *   allowed }`) or a terminal status repeated (`{ fulfilmentId, status }`); `BAD_USER_INPUT` for a tracking
 *   code on a pickup or on a status other than SHIPPED/DELIVERED, and for invalid input.
 */
export async function recordFulfilmentEvent(
  deps: BackofficeDeps,
  fulfilmentId: string,
  body: FulfilmentEventBody,
  idempotencyKey: string,
  by: OrderActor,
): Promise<OrderMove> {
  const event = FulfilmentEventBodySchema.parse(body);
  if (!isUuid(fulfilmentId))
    throw new DomainError('NOT_FOUND', `No fulfilment ${fulfilmentId}`, { fulfilmentId });
  return moveOrder(
    deps,
    { fulfilmentId },
    ({ fulfilments }) => {
      const f = fulfilments.find((x) => x.id === fulfilmentId)!;
      if (event.trackingCode && (f.method !== 'DELIVERY' || !['SHIPPED', 'DELIVERED'].includes(event.status)))
        throw new DomainError(
          'BAD_USER_INPUT',
          'A tracking code goes with a delivery that is SHIPPED or DELIVERED',
          { field: 'trackingCode', method: f.method, status: event.status },
        );
      const t = transition(f.method, f.status, event.status);
      if (t.changed) return [{ f, to: t.status, trackingCode: event.trackingCode }];
      if (isTerminalFulfilment(f.status))
        throw new DomainError('CONFLICT', `Fulfilment ${fulfilmentId} is already ${f.status}`, {
          fulfilmentId,
          status: f.status,
        });
      return [];
    },
    by,
    event.reason ?? null,
    { scope: 'fulfilment-event', key: idempotencyKey, request: { fulfilmentId, ...event } },
  );
}

/**
 * Cancels order `orderId`: every fulfilment that has not left the building moves to `CANCELLED` (its held
 * units released), in one transaction, idempotent by `idempotencyKey`. Fulfilments already done or on their
 * way stay as they are (a shipped parcel comes back as a return, not a cancellation), so an order partly
 * shipped is cancelled for the rest. A store sale has no fulfilment to cancel.
 * @throws DomainError `NOT_FOUND` `{ orderId }` (an id that is no UUID included); `CONFLICT` `{ orderId,
 *   status, fulfilments }` when nothing of the order can be cancelled any more (already cancelled, shipped,
 *   collected, a store sale).
 */
export async function cancelOrder(
  deps: BackofficeDeps,
  orderId: string,
  body: CancelOrderBody,
  idempotencyKey: string,
  by: OrderActor,
): Promise<OrderMove> {
  const input = CancelOrderBodySchema.parse(body);
  if (!isUuid(orderId)) throw new DomainError('NOT_FOUND', `No order ${orderId}`, { orderId });
  return moveOrder(
    deps,
    { orderId },
    ({ order, fulfilments }) => {
      const moves = fulfilments
        .filter((f) => f.status !== 'CANCELLED' && canMove(f, 'CANCELLED'))
        .map((f) => ({ f, to: 'CANCELLED' as const }));
      if (moves.length === 0)
        throw new DomainError('CONFLICT', `Order ${orderId} can no longer be cancelled`, {
          orderId,
          status: order.status,
          fulfilments: fulfilments.map((f) => ({ id: f.id, status: f.status })),
        });
      return moves;
    },
    by,
    input.reason ?? null,
    { scope: 'cancel-order', key: idempotencyKey, request: { orderId, ...input } },
  );
}

/**
 * Hands order `orderId`'s pickups over at the store's counter (the pickup store's terminal): every PICKUP
 * fulfilment not yet collected or closed moves to `COLLECTED` (held units committed), in one transaction,
 * idempotent by `idempotencyKey`. `atLocationId`, when given (a store terminal), must be the pickup store of
 * those fulfilments: a store hands over only what waits at its own counter.
 * @throws DomainError `NOT_FOUND` `{ orderId }`; `CONFLICT` `{ orderId, status }` when no pickup of the order
 *   can be collected (collected already — collecting twice —, cancelled, uncollected, or a delivery order);
 *   `FORBIDDEN` `{ orderId, locationId }` when the pickups wait at another store.
 */
export async function markCollected(
  deps: BackofficeDeps,
  orderId: string,
  idempotencyKey: string,
  by: OrderActor,
  opts: { atLocationId?: string } = {},
): Promise<OrderMove> {
  if (!isUuid(orderId)) throw new DomainError('NOT_FOUND', `No order ${orderId}`, { orderId });
  return moveOrder(
    deps,
    { orderId },
    ({ order, fulfilments }) => {
      const open = fulfilments.filter((f) => f.method === 'PICKUP' && canMove(f, 'COLLECTED'));
      if (open.length === 0)
        throw new DomainError('CONFLICT', `Order ${orderId} has nothing waiting to be collected`, {
          orderId,
          status: order.status,
        });
      const at = opts.atLocationId;
      // A transfer's units are held at the warehouse and collected at the pickup store.
      if (at !== undefined && open.some((f) => (f.pickupLocationId ?? f.locationId) !== at))
        throw new DomainError('FORBIDDEN', `Order ${orderId} is not collected at ${at}`, {
          orderId,
          locationId: at,
        });
      return open.map((f) => ({ f, to: 'COLLECTED' as const }));
    },
    by,
    null,
    { scope: 'mark-collected', key: idempotencyKey, request: { orderId, at: opts.atLocationId ?? null } },
  );
}

/** Whether fulfilment `f` may move to `to` now (a legal, changing transition). */
function canMove(f: LockedFulfilment, to: FulfilmentStatus): boolean {
  try {
    return transition(f.method, f.status, to).changed;
  } catch {
    return false;
  }
}
