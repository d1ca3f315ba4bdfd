import { sql } from 'kysely';
import { z } from 'zod';
import { DomainError, displayName, isUuid, parseInput, runWrite } from '../../shared/index.js';
import type { BackofficeDeps } from '../backoffice-deps.js';
import type { FulfilmentMethodColumn, FulfilmentStatusColumn, OrderKind, WriteContext } from '../tables.js';
import { byLockOrder, lockLevels, StockChange, type LedgerRow } from '../stock/levels.js';
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
import { pickupHoldUntilAt, schedulePickupHolds, type PickupHoldDeadline } from './pickup-hold.js';

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

/**
 * A warehouse's or carrier's fulfilment event (`POST /admin/v1/fulfilments/{id}/events`): the status reached,
 * the carrier's tracking code (DELIVERY, with `SHIPPED` or `DELIVERED` only: 1–100 characters), why (1–500);
 * text without control or bidirectional formatting characters, as names (shared/text.ts), since both are
 * shown in the order's history. `PENDING` is no event.
 */
export const FulfilmentEventBodySchema = z.strictObject({
  // Every status a fulfilment can reach; PENDING is where it starts, never an event.
  status: FulfilmentStatusSchema.exclude(['PENDING']),
  trackingCode: displayName(100).optional(),
  reason: displayName(500).optional(),
});
/**
 * A fulfilment event as a caller sends it (checked by {@link FulfilmentEventBodySchema} inside: `PENDING` or
 * bad text is a BAD_USER_INPUT).
 */
export type FulfilmentEventBody = { status: FulfilmentStatus; trackingCode?: string; reason?: string };

/** A cancellation's optional reason: 1–500 characters, as a name (no control or bidi formatting). */
export const CancelOrderBodySchema = z.strictObject({ reason: displayName(500).optional() });
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
  heldAt: string | null;
  trackingCode: string | null;
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
    .select([
      'id',
      'locationId',
      'pickupLocationId',
      'heldAt',
      'method',
      'status',
      'stockHeld',
      'trackingCode',
    ])
    .where('orderId', '=', order.id)
    .orderBy('createdAt')
    .orderBy('id')
    .execute();
  return { order, fulfilments };
}

/**
 * Makes `moves` on the locked order in this transaction: stock first (lock order: levels by (sku, location)),
 * then the fulfilments, the order's status, its history and `order.changed`. Answers the order's new status
 * and the holding deadlines of the pickups that became ready (to schedule once committed).
 */
async function applyMoves(
  w: WriteContext,
  locked: { order: LockedOrder; fulfilments: LockedFulfilment[] },
  moves: readonly Move[],
  by: OrderActor,
  reason: string | null,
): Promise<{ status: OrderStatus; holds: PickupHoldDeadline[] }> {
  const { order } = locked;
  await moveStock(w, order.id, moves);
  const holds: PickupHoldDeadline[] = [];
  for (const m of moves) {
    // A pickup ready at the counter: its holding period runs from now, by the settings of the store it is
    // collected at (a transfer's, not the warehouse's its units are held at).
    const store = m.f.pickupLocationId ?? m.f.locationId;
    const holdUntil = m.to === 'READY_FOR_PICKUP' ? await pickupHoldUntilAt(w.tx, store, w.now) : undefined;
    if (holdUntil) holds.push({ fulfilmentId: m.f.id, holdUntil: holdUntil.toISOString() });
    await w.tx
      .updateTable('fulfilments')
      .set({
        status: m.to,
        updatedAt: w.now,
        ...(m.trackingCode ? { trackingCode: m.trackingCode } : {}),
        ...(stockEffect(m.f.method, m.f.status, m.to) !== 'none' ? { stockHeld: false } : {}),
        ...(holdUntil ? { holdUntil } : {}),
        ...(arrives(m) ? { heldAt: m.f.pickupLocationId } : {}),
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
  for (const f of locked.fulfilments) {
    locationIds.add(f.locationId);
    if (f.pickupLocationId) locationIds.add(f.pickupLocationId);
  }
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
  return { status, holds };
}

/** Where fulfilment `f`'s held units are now: an arrived transfer's store, else its own location. */
const heldAtOf = (f: LockedFulfilment): string => f.heldAt ?? f.locationId;

/**
 * Whether move `m` brings a transfer's units into its pickup store: a pickup held elsewhere (a warehouse)
 * becoming READY_FOR_PICKUP at the store, its units still held.
 */
function arrives(m: Move): boolean {
  const f = m.f;
  return (
    f.method === 'PICKUP' &&
    f.stockHeld &&
    m.to === 'READY_FOR_PICKUP' &&
    f.pickupLocationId !== null &&
    heldAtOf(f) !== f.pickupLocationId
  );
}

/**
 * The stock of `moves`, at the location where each fulfilment's units are held, referencing the order:
 * - a commit (shipped, collected) takes the held units off on hand and reserved (ledger SALE);
 * - a release (cancelled, uncollected) gives them back to what is available there (ledger RELEASE);
 * - a transfer arriving at its pickup store (READY_FOR_PICKUP) moves them, still held, from the warehouse to
 *   the store (TRANSFER_OUT / TRANSFER_IN of on hand and reserved alike), so a lapsed pickup goes back on the
 *   store's shelf where it physically is.
 * A fulfilment that holds no stock (placed before units were held until shipment: sold at placement) moves
 * none.
 */
async function moveStock(w: WriteContext, orderId: string, moves: readonly Move[]): Promise<void> {
  const effects = moves
    .map((m) => ({
      m,
      effect: !m.f.stockHeld ? 'none' : arrives(m) ? 'transfer' : stockEffect(m.f.method, m.f.status, m.to),
    }))
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
    for (const l of lines.filter((x) => x.fulfilmentId === m.f.id)) {
      const at = { sku: l.sku, locationId: heldAtOf(m.f), reference: orderId };
      if (effect === 'transfer') {
        const q = l.quantity;
        rows.push({ ...at, kind: 'TRANSFER_OUT', onHandDelta: -q, reservedDelta: -q });
        rows.push({
          ...at,
          locationId: m.f.pickupLocationId!,
          kind: 'TRANSFER_IN',
          onHandDelta: q,
          reservedDelta: q,
        });
      } else
        rows.push({
          ...at,
          kind: effect === 'commit' ? 'SALE' : 'RELEASE',
          onHandDelta: effect === 'commit' ? -l.quantity : 0,
          reservedDelta: -l.quantity,
        });
    }
  rows.sort(byLockOrder);
  // A transfer's store may never have held the SKU: its level is made (and every level locked) in lock order.
  if (effects.some((x) => x.effect === 'transfer')) await lockLevels(w, rows);
  const change = new StockChange(w, 'fulfilment');
  await applyToLevels(w, change, rows);
  change.announce();
}

/**
 * Runs one move of an order as a write with idempotency key `key` (scope `scope`, request `request`): locks
 * the order, asks `plan` which fulfilments move, and applies them. A plan with nothing to move writes nothing
 * and answers the order's current status and revision. Once committed (and on a replay), the uncollected jobs
 * of the pickups it made ready are scheduled.
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
      const { status, holds } =
        moves.length > 0
          ? await applyMoves(w, locked, moves, by, reason)
          : { status: locked.order.status, holds: [] };
      return {
        orderId: locked.order.id,
        status,
        moved: moves.map((m) => ({ fulfilmentId: m.f.id, from: m.f.status, to: m.to })),
        unchangedRevision: moves.length > 0 ? null : locked.order.revision,
        holds,
      };
    },
    { idempotency },
  );
  const { unchangedRevision, holds, ...move } = result;
  // `?? []`: an answer stored before moves carried their holds, replayed.
  await schedulePickupHolds(deps, (holds as PickupHoldDeadline[] | undefined) ?? []);
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
  rawId: string,
  body: FulfilmentEventBody,
  idempotencyKey: string,
  by: OrderActor,
): Promise<OrderMove> {
  const event = parseInput(FulfilmentEventBodySchema, body, 'body');
  const fulfilmentId = uuidNamed(rawId, 'fulfilment');
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
      // A transfer still on its way cannot be handed over at its store: it is READY_FOR_PICKUP first.
      if (t.changed && t.status === 'COLLECTED' && !waitsAtCounter(f))
        throw new DomainError(
          'CONFLICT',
          `Fulfilment ${fulfilmentId} is a transfer to ${f.pickupLocationId} not arrived yet`,
          { fulfilmentId, status: f.status, heldAt: heldAtOf(f) },
        );
      if (t.changed) return [{ f, to: t.status, trackingCode: event.trackingCode }];
      if (isTerminalFulfilment(f.status))
        throw new DomainError('CONFLICT', `Fulfilment ${fulfilmentId} is already ${f.status}`, {
          fulfilmentId,
          status: f.status,
        });
      // The same step again answers unchanged — but not with another tracking code, which it would not keep.
      if (event.trackingCode !== undefined && event.trackingCode !== f.trackingCode)
        throw new DomainError(
          'CONFLICT',
          `Fulfilment ${fulfilmentId} is ${f.status} with tracking code ${f.trackingCode ?? '(none)'}`,
          { fulfilmentId, status: f.status, trackingCode: f.trackingCode },
        );
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
  rawId: string,
  body: CancelOrderBody,
  idempotencyKey: string,
  by: OrderActor,
): Promise<OrderMove> {
  const input = parseInput(CancelOrderBodySchema, body, 'body');
  const orderId = uuidNamed(rawId, 'order');
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
 * fulfilment waiting there — READY_FOR_PICKUP, or held on that store's own shelf and not yet closed — moves
 * to
 * `COLLECTED` (held units committed), in one transaction,
 * idempotent by `idempotencyKey`. `atLocationId`, when given (a store terminal), must be the pickup store of
 * those fulfilments: a store hands over only what waits at its own counter.
 * @throws DomainError `NOT_FOUND` `{ orderId }`; `CONFLICT` `{ orderId, status }` when no pickup of the order
 *   can be collected (collected already — collecting twice —, cancelled, uncollected, a transfer not yet
 *   arrived, or a delivery order);
 *   `FORBIDDEN` `{ orderId, locationId }` when the pickups wait at another store.
 */
export async function markCollected(
  deps: BackofficeDeps,
  rawId: string,
  idempotencyKey: string,
  by: OrderActor,
  opts: { atLocationId?: string } = {},
): Promise<OrderMove> {
  const orderId = uuidNamed(rawId, 'order');
  return moveOrder(
    deps,
    { orderId },
    ({ order, fulfilments }) => {
      const open = fulfilments.filter(
        (f) => f.method === 'PICKUP' && canMove(f, 'COLLECTED') && waitsAtCounter(f),
      );
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

/**
 * Whether a pickup waits at its store's counter: READY_FOR_PICKUP, or held on that store's own shelf (handed
 * over straight from it). A transfer still on its way does not.
 */
function waitsAtCounter(f: LockedFulfilment): boolean {
  return f.status === 'READY_FOR_PICKUP' || heldAtOf(f) === (f.pickupLocationId ?? f.locationId);
}

/**
 * The id of an order or fulfilment as PostgreSQL answers it (lower case: a UUID names the same row in any
 * case, and ids are compared as text after the lock).
 * @throws DomainError `NOT_FOUND` `{ orderId }` or `{ fulfilmentId }` for an id that is no UUID.
 */
function uuidNamed(raw: string, what: 'order' | 'fulfilment'): string {
  if (!isUuid(raw)) throw new DomainError('NOT_FOUND', `No ${what} ${raw}`, { [`${what}Id`]: raw });
  return raw.toLowerCase();
}

/** Whether fulfilment `f` may move to `to` now (a legal, changing transition). */
function canMove(f: LockedFulfilment, to: FulfilmentStatus): boolean {
  try {
    return transition(f.method, f.status, to).changed;
  } catch {
    return false;
  }
}
