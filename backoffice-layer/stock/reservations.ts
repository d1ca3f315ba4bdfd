import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { DomainError, isUuid, runWrite, type Logger, type PendingEvent } from '../../shared/index.js';
import type { Executor, ReservationStatus, WriteContext, WriteDeps } from '../tables.js';
import type { BackofficeQueues } from '../jobs/queues.js';
import { byLockOrder, levelKey, StockChange } from './levels.js';
import { applyToLevels } from './write-back-levels.js';
import { DEFAULT_RESERVATION_TTL_SECONDS, type ReserveBody, type ReserveRequest } from './stock.schema.js';

export type { ReservationStatus } from '../tables.js';

/**
 * A reservation as every interface answers it. `clientId`: the channel client that made it (null through the
 * admin API, or for one made before owners were recorded); `customerId`: the customer it was made for, if
 * any.
 */
export interface ReservationView {
  id: string;
  status: ReservationStatus;
  channel: string | null;
  clientId: string | null;
  customerId: string | null;
  lines: Array<{ sku: string; locationId: string; quantity: number }>;
  expiresAt: string;
  revision: number;
}

/** What the reservation services need: the database and clock, the expiry job queue, a logger. */
export interface ReservationDeps extends WriteDeps {
  queues: Pick<BackofficeQueues, 'reservations'>;
  logger: Logger;
}

export const RESERVE_SCOPE = 'reserve-stock';

/**
 * What reserving answers: the reservation, the revision that committed it, whether an earlier execution was
 * replayed.
 */
export interface ReserveResult {
  reservation: ReservationView;
  revision: number;
  replayed: boolean;
}

type Line = { sku: string; locationId: string; quantity: number };

/** A new reservation as it is stored with its idempotency key and answered (the answer adds the revision). */
export interface NewReservation {
  id: string;
  status: ReservationStatus;
  channel: string | null;
  clientId: string | null;
  customerId: string | null;
  lines: Line[];
  expiresAt: string;
}

/**
 * The reservation a request makes at `now`: a new id, ACTIVE, expiring after its TTL
 * (`DEFAULT_RESERVATION_TTL_SECONDS` unless asked).
 */
export function newReservation(body: ReserveRequest, lines: Line[], now: Date): NewReservation {
  const ttl = body.ttlSeconds ?? DEFAULT_RESERVATION_TTL_SECONDS;
  return {
    id: randomUUID(),
    status: 'ACTIVE',
    channel: body.channel ?? null,
    clientId: body.clientId ?? null,
    customerId: body.customerId ?? null,
    lines,
    expiresAt: new Date(now.getTime() + ttl * 1000).toISOString(),
  };
}

/**
 * What a reservation's idempotency key remembers of its request: the body without the client that makes it
 * (the channel API's keys are already the client's own, and a key used before owners were recorded still
 * replays).
 */
export function reserveRequestOf(body: ReserveRequest): ReserveBody {
  const { clientId: _client, ...request } = body;
  return request;
}

export function reservationCreated(r: NewReservation): PendingEvent {
  return {
    type: 'reservation.created',
    aggregateType: 'reservation',
    aggregateId: r.id,
    payload: { reservationId: r.id, expiresAt: r.expiresAt, lines: r.lines },
  };
}

/** Lines hitting the same (sku, location) are one demand on one row; merged and sorted in lock order. */
export function mergeLines(lines: readonly Line[]): Line[] {
  const merged = new Map<string, Line>();
  for (const l of lines) {
    const k = levelKey(l.sku, l.locationId);
    const m = merged.get(k);
    if (m) m.quantity += l.quantity;
    else merged.set(k, { ...l });
  }
  return [...merged.values()].sort(byLockOrder);
}

export function insufficientStock(
  line: { sku: string; locationId: string; quantity: number },
  available: number,
): DomainError {
  return new DomainError(
    'INSUFFICIENT_STOCK',
    `Only ${available} of ${line.quantity} units of ${line.sku} available at ${line.locationId}`,
    { sku: line.sku, locationId: line.locationId, requested: line.quantity, available },
  );
}

/**
 * The data of a reservation expiry job: one reservation (job id = its id, removed when it is released or
 * committed), or the reservations one transaction made that expire at the same instant (job id
 * `group-<first id>`; it stays when some of them are released or committed, and passes over those when it
 * runs).
 */
export type ExpiryJobData = { reservationId: string } | { reservationIds: string[] };

/**
 * Adds the delayed expiry jobs of new reservations, one per instant they expire at (one Redis round trip for
 * all).
 */
export async function scheduleExpiries(
  deps: ReservationDeps,
  reservations: ReadonlyArray<{ id: string; expiresAt: string }>,
): Promise<void> {
  if (reservations.length === 0) return;
  const now = deps.clock.now().getTime();
  const byInstant = new Map<string, string[]>();
  for (const r of reservations) {
    const ids = byInstant.get(r.expiresAt);
    if (ids) ids.push(r.id);
    else byInstant.set(r.expiresAt, [r.id]);
  }
  try {
    await deps.queues.reservations.addBulk(
      [...byInstant].map(([expiresAt, ids]) => {
        const data: ExpiryJobData = ids.length === 1 ? { reservationId: ids[0]! } : { reservationIds: ids };
        return {
          name: 'expire',
          data,
          opts: {
            jobId: ids.length === 1 ? ids[0]! : `group-${ids[0]!}`,
            delay: Math.max(0, new Date(expiresAt).getTime() - now),
          },
        };
      }),
    );
  } catch (e) {
    // Redis unavailable: the periodic sweep expires them instead. The reservations themselves are committed.
    deps.logger.warn(
      { err: e, reservationIds: reservations.map((r) => r.id) },
      'could not schedule reservation expiry; the sweep will expire them',
    );
  }
}

/**
 * Reservation `id` with its owners and lines, or null when there is none (an id that is not a UUID included).
 */
export async function getReservation(db: Executor, id: string): Promise<ReservationView | null> {
  if (!isUuid(id)) return null;
  const r = await db.selectFrom('reservations').selectAll().where('id', '=', id).executeTakeFirst();
  if (!r) return null;
  const lines = await db
    .selectFrom('reservationLines')
    .select(['sku', 'locationId', 'quantity'])
    .where('reservationId', '=', id)
    .orderBy('lineNo')
    .execute();
  return {
    id: r.id,
    status: r.status,
    channel: r.channel,
    clientId: r.clientId,
    customerId: r.customerId,
    lines,
    expiresAt: r.expiresAt.toISOString(),
    revision: r.revision,
  };
}

/**
 * The reservation a reservation idempotency key made (`reserveStock`'s key, scope RESERVE_SCOPE), or null
 * when the key was never used, or was freed (its reservation refused, or released with `forgetReserveKey`).
 * For a caller that reserves on another request's behalf and must find that reservation again on a replay,
 * though what it would reserve now differs.
 */
export async function reservationMadeWith(db: Executor, key: string): Promise<ReservationView | null> {
  const row = await db
    .selectFrom('idempotencyKeys')
    .select('response')
    .where('scope', '=', RESERVE_SCOPE)
    .where('key', '=', key)
    .executeTakeFirst();
  const id = (row?.response as { result?: { id?: unknown } } | undefined)?.result?.id;
  return typeof id === 'string' ? getReservation(db, id) : null;
}

/**
 * Gives a reservation's units back (ledger RELEASE) and sets its final status. Expects the row locked and
 * ACTIVE.
 */
async function giveBack(w: WriteContext, id: string, status: 'RELEASED' | 'EXPIRED'): Promise<void> {
  const lines = mergeLines(
    await w.tx
      .selectFrom('reservationLines')
      .select(['sku', 'locationId', 'quantity'])
      .where('reservationId', '=', id)
      .execute(),
  );
  const change = new StockChange(w, status === 'EXPIRED' ? 'reservation-expired' : 'reservation-released');
  await applyToLevels(
    w,
    change,
    lines.map((l) => ({
      sku: l.sku,
      locationId: l.locationId,
      kind: 'RELEASE',
      reservedDelta: -l.quantity,
      reference: id,
      reason: status.toLowerCase(),
    })),
  );
  await w.tx.updateTable('reservations').set({ status, updatedAt: w.now }).where('id', '=', id).execute();
  w.atRevisionSql((rev) => sql`UPDATE reservations SET revision = ${rev} WHERE id = ${id}`);
  w.emit({
    type: 'reservation.released',
    aggregateType: 'reservation',
    aggregateId: id,
    payload: { reservationId: id, status },
  });
  change.announce();
}

/**
 * Releases a reservation's units. Releasing one that is already released or expired returns it unchanged; a
 * committed one cannot be released (CONFLICT): its units were sold.
 * `forgetReserveKey`: the idempotency key the reservation was made with, forgotten in the same transaction
 * when the release happens — for a reservation made on a caller's behalf by a request that then failed, so
 * that the failed request leaves nothing behind and its key can be used again (it then reserves afresh).
 */
export async function releaseReservation(
  deps: ReservationDeps,
  id: string,
  opts: { forgetReserveKey?: string } = {},
): Promise<{ reservation: ReservationView; revision: number }> {
  const { revision } = await runWrite(deps, async (w) => {
    const r = isUuid(id)
      ? await w.tx
          .selectFrom('reservations')
          .select(['status'])
          .where('id', '=', id)
          .forUpdate()
          .executeTakeFirst()
      : undefined;
    if (!r) throw new DomainError('NOT_FOUND', `No reservation ${id}`, { reservationId: id });
    if (r.status === 'COMMITTED')
      throw new DomainError(
        'CONFLICT',
        `Reservation ${id} was committed to an order; return the items instead`,
        { reservationId: id, status: r.status },
      );
    if (r.status !== 'ACTIVE') return;
    await giveBack(w, id, 'RELEASED');
    if (opts.forgetReserveKey) {
      await w.tx
        .deleteFrom('idempotencyKeys')
        .where('scope', '=', RESERVE_SCOPE)
        .where('key', '=', opts.forgetReserveKey)
        .where(sql<boolean>`response -> 'result' ->> 'id' = ${id}`)
        .execute();
    }
  });
  await deps.queues.reservations.remove(id).catch(() => undefined);
  return { reservation: (await getReservation(deps.db, id))!, revision };
}

/** Expires a reservation if it is still active and due; a no-op otherwise (safe to run twice). */
export async function expireReservation(deps: WriteDeps, id: string): Promise<boolean> {
  const { result } = await runWrite(deps, async (w) => {
    const r = await w.tx
      .selectFrom('reservations')
      .select(['status', 'expiresAt'])
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!r || r.status !== 'ACTIVE' || r.expiresAt > w.now) return false;
    await giveBack(w, id, 'EXPIRED');
    return true;
  });
  return result;
}

/** Safety net for expiry jobs lost with Redis: expires up to `limit` overdue reservations. */
export async function sweepExpiredReservations(deps: WriteDeps, limit = 200): Promise<number> {
  const due = await deps.db
    .selectFrom('reservations')
    .select('id')
    .where('status', '=', 'ACTIVE')
    .where('expiresAt', '<=', deps.clock.now())
    .orderBy('expiresAt')
    .limit(limit)
    .execute();
  let n = 0;
  for (const { id } of due) if (await expireReservation(deps, id)) n++;
  return n;
}

/**
 * The units a channel client holds now: those of its active, unexpired reservations (0 for none). Reads the
 * client's running total (`client_held_units`, kept by triggers as lines and statuses change: a few rows
 * whatever the client holds) less its reservations past their expiry that the expiry job has not ended yet
 * (found by index; few) — the database function `client_units_held`, which a reservation's own check uses.
 */
export async function unitsHeldBy(db: Executor, clientId: string, now: Date): Promise<number> {
  const r = await sql<{ units: string }>`
    SELECT client_units_held(${clientId}::uuid, ${now}::timestamptz) AS units`.execute(db);
  return Number(r.rows[0]!.units);
}

/**
 * Folds the held-units rows of database backends that have ended into each client's row 0 (see the
 * migration 20261201T0400_client_held_units), so a client's total stays a handful of rows however many
 * connections came and went. Safe beside running reservations: a live backend's row is never folded, and
 * a row whose backend id was reused meanwhile is folded with whatever it holds by then. Returns the rows
 * folded.
 */
export async function foldHeldUnits(db: Executor): Promise<number> {
  const r = await sql<{ folded: string }>`
    WITH gone AS (
      DELETE FROM client_held_units h
       WHERE h.backend_pid <> 0
         AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = h.backend_pid)
      RETURNING h.client_id, h.units
    ), folded AS (
      INSERT INTO client_held_units (client_id, backend_pid, units)
      SELECT client_id, 0, sum(units) FROM gone GROUP BY client_id
      ON CONFLICT (client_id, backend_pid) DO UPDATE SET units = client_held_units.units + excluded.units
    )
    SELECT count(*)::text AS folded FROM gone`.execute(db);
  return Number(r.rows[0]!.folded);
}
