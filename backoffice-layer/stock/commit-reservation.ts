import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { DomainError, runWrite } from '../../shared/index.js';
import type { WriteContext } from '../tables.js';
import { byLockOrder } from './levels.js';
import { announceSale, insertOrder, type OrderToInsert } from './insert-order.js';
import { mergeLines, type ReservationDeps } from './reservations.js';
import type { CommitReservationInput } from './stock.schema.js';

type Line = { sku: string; locationId: string; quantity: number };
type PricedLines = CommitReservationInput['lines'];

/**
 * What other layers may add to an order's transaction: `lockFirst` runs before anything else is read or
 * locked (the journey layer locks the live customer the order names there: first in the hub's lock order, see
 * shared/database/write-transaction.ts; what it throws refuses the order); `reprice` replaces the quoted line
 * amounts once the stock rows are locked (same lines, other amounts; null keeps them); `also` writes their
 * own records once the order is written.
 */
export interface OrderHooks<L> {
  lockFirst?: (w: WriteContext) => Promise<void>;
  reprice?: (w: WriteContext) => Promise<L | null>;
  also?: (w: WriteContext, orderId: string) => Promise<void>;
}

/**
 * Turns an active reservation into an online order: the order, its lines (with the prices the journey layer
 * quoted) and its fulfilments are written, and `sale.committed` announces it. The reserved units stay
 * reserved, held by the order's fulfilments until they are shipped or collected (then committed: ledger SALE)
 * or cancelled (released) — issue 12, "reserved at order, committed at shipment or collection". The priced
 * lines must be exactly the reserved ones. An expired or released reservation is a CONFLICT. `reprice` may
 * replace the line amounts inside the transaction, after the stock rows are locked (same SKUs, locations and
 * quantities; null keeps them) — for prices that depend on rows other orders change, such as promotion
 * budgets. `also` runs other layers' work in the same transaction once the order is written.
 */
export async function commitReservation(
  deps: ReservationDeps,
  input: CommitReservationInput,
  idempotencyKey: string,
  opts: OrderHooks<PricedLines> = {},
): Promise<{ orderId: string; totalAmount: number; revision: number; replayed: boolean }> {
  const { result, revision, replayed } = await runWrite(
    deps,
    async (w) => {
      if (opts.lockFirst) await opts.lockFirst(w);
      const held = await lockCommittable(w, input.reservationId);
      const quoted = [...input.lines].sort(byLockOrder);
      if (!sameUnits(quoted, held.lines))
        throw new DomainError('CONFLICT', 'The priced lines do not match the reserved lines', {
          reservationId: input.reservationId,
        });
      const orderId = input.orderId ?? randomUUID();
      // The reservation row is locked; its units stay reserved, now for the order's fulfilments, until they
      // are shipped or collected (committed) or cancelled (released): see orders/fulfilment-transitions.ts.
      const repriced = opts.reprice ? await opts.reprice(w) : null;
      const priced = repriced ? [...repriced].sort(byLockOrder) : quoted;
      if (!sameUnits(priced, held.lines)) throw new Error('repricing changed the units of an order');
      const totalAmount = priced.reduce((s, l) => s + l.lineAmount, 0);
      const order: OrderToInsert = {
        id: orderId,
        kind: 'ONLINE',
        reservationId: input.reservationId,
        locationId: null,
        customerRef: input.customerRef ?? null,
        channel: input.channel ?? held.channel,
        placedBy: held.clientId,
        currency: input.currency,
        totalAmount,
        lines: priced,
      };
      await insertOrder(w, order);
      await w.tx
        .updateTable('reservations')
        .set({ status: 'COMMITTED', updatedAt: w.now })
        .where('id', '=', input.reservationId)
        .execute();
      if (opts.also) await opts.also(w, orderId);
      w.atRevisionSql(
        (rev) => sql`UPDATE reservations SET revision = ${rev} WHERE id = ${input.reservationId}`,
      );
      w.emit({
        type: 'reservation.committed',
        aggregateType: 'reservation',
        aggregateId: input.reservationId,
        payload: { reservationId: input.reservationId, orderId },
      });
      announceSale(w, order);
      return { orderId, totalAmount };
    },
    { idempotency: { scope: 'commit-reservation', key: idempotencyKey, request: input } },
  );
  if (!replayed) await deps.queues.reservations.remove(input.reservationId).catch(() => undefined);
  return { ...result, revision, replayed };
}

/**
 * Locks reservation `id` and answers its channel and lines (merged, in lock order) if it may be committed:
 * NOT_FOUND when there is none, CONFLICT when it is not active or has expired.
 */
async function lockCommittable(
  w: WriteContext,
  id: string,
): Promise<{ channel: string | null; clientId: string | null; lines: Line[] }> {
  const r = await w.tx
    .selectFrom('reservations')
    .select(['status', 'expiresAt', 'channel', 'clientId'])
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  if (!r) throw new DomainError('NOT_FOUND', `No reservation ${id}`, { reservationId: id });
  if (r.status !== 'ACTIVE')
    throw new DomainError('CONFLICT', `Reservation ${id} is ${r.status.toLowerCase()}`, {
      reservationId: id,
      status: r.status,
    });
  if (r.expiresAt <= w.now)
    throw new DomainError('CONFLICT', `Reservation ${id} expired at ${r.expiresAt.toISOString()}`, {
      reservationId: id,
      status: 'EXPIRED',
    });
  const lines = await w.tx
    .selectFrom('reservationLines')
    .select(['sku', 'locationId', 'quantity'])
    .where('reservationId', '=', id)
    .execute();
  return { channel: r.channel, clientId: r.clientId, lines: mergeLines(lines) };
}

/** Lines in lock order with the same (sku, location, quantity) one by one. */
function sameUnits(a: readonly Line[], b: readonly Line[]): boolean {
  return (
    a.length === b.length &&
    a.every(
      (p, i) => p.sku === b[i]!.sku && p.locationId === b[i]!.locationId && p.quantity === b[i]!.quantity,
    )
  );
}
