import { sql } from 'kysely';
import { requestHash, runWrite, type Clock } from '../../shared/index.js';
import type { Database } from '../tables.js';
import type { StockLevelState } from '../events/event-types.js';
import { availableOf, levelKey, StockChange } from './levels.js';
import {
  insufficientStock,
  mergeLines,
  newReservation,
  RESERVE_SCOPE,
  reservationCreated,
  reserveAlone,
  reserveRequestOf,
  scheduleExpiries,
  type NewReservation,
  type ReservationDeps,
  type ReserveResult,
} from './reservations.js';
import type { ReserveRequest } from './stock.schema.js';

/** Reservations of one process go through this many lanes, chosen by their first (sku, location). */
const LANES = 8;
/** At most this many reservations share one transaction. */
const MAX_BATCH = 100;

type Line = { sku: string; locationId: string; quantity: number };

interface Request {
  body: ReserveRequest;
  key: string;
  lines: Line[];
  resolve(r: ReserveResult): void;
  reject(e: unknown): void;
}

interface Lane {
  queue: Request[];
  busy: boolean;
}

const lanesOf = new WeakMap<Database, WeakMap<Clock, Lane[]>>();

/**
 * Reserves every line or none, idempotently per key (a replay returns the first execution's answer; another
 * request under the same key is a CONFLICT).
 *
 * Reservations that arrive while an earlier one of the same lane (same first SKU and location, or a SKU that shares
 * its lane) is committing wait for it and then go together, in one transaction: one commit serves them all, so a
 * hot SKU is not limited to one reservation per commit (PostgreSQL's group commit, done for row locks). A lone
 * reservation takes its own transaction at once. Together, they are decided in arrival order on rows locked in
 * (sku, location) order, and the conditional UPDATE re-checks every total in the database: no unit is promised
 * twice. They share the batch's revision. Anything unusual (a key already used, a level row that does not exist,
 * a failed batch) is handed to the one-reservation path, which answers exactly as it always does.
 * @example await reserveStock(deps, { lines: [{ sku: 'COAT-M', locationId: 'wh-tilburg', quantity: 1 }] }, 'cart-42');
 */
export function reserveStock(
  deps: ReservationDeps,
  body: ReserveRequest,
  idempotencyKey: string,
): Promise<ReserveResult> {
  const lines = mergeLines(body.lines);
  return new Promise<ReserveResult>((resolve, reject) => {
    const lanes = lanesFor(deps);
    const first = lines[0];
    const lane = lanes[first ? hash(levelKey(first.sku, first.locationId)) % LANES : 0]!;
    lane.queue.push({ body, key: idempotencyKey, lines, resolve, reject });
    pump(deps, lane);
  });
}

function lanesFor(deps: ReservationDeps): Lane[] {
  let byClock = lanesOf.get(deps.db);
  if (!byClock) lanesOf.set(deps.db, (byClock = new WeakMap()));
  let lanes = byClock.get(deps.clock);
  if (!lanes)
    byClock.set(deps.clock, (lanes = Array.from({ length: LANES }, () => ({ queue: [], busy: false }))));
  return lanes;
}

function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) >>> 0;
  return h;
}

function pump(deps: ReservationDeps, lane: Lane): void {
  if (lane.busy || lane.queue.length === 0) return;
  lane.busy = true;
  const batch = lane.queue.splice(0, MAX_BATCH);
  const done = (batch.length === 1 ? alone(deps, batch) : together(deps, batch)).catch((e: unknown) => {
    // Not expected (every path settles its requests); settling twice is harmless, leaving one unsettled is not.
    for (const r of batch) r.reject(e);
  });
  void done.finally(() => {
    lane.busy = false;
    pump(deps, lane);
  });
}

async function alone(deps: ReservationDeps, requests: readonly Request[]): Promise<void> {
  await Promise.all(
    requests.map(async (r) => {
      try {
        r.resolve(await reserveAlone(deps, r.body, r.key));
      } catch (e) {
        r.reject(e);
      }
    }),
  );
}

/** Several reservations in one transaction (see `reserveStock`). */
async function together(deps: ReservationDeps, batch: readonly Request[]): Promise<void> {
  let outcome: {
    granted: Array<{ request: Request; reservation: NewReservation }>;
    refused: Array<{ request: Request; error: Error }>;
    handOver: Request[];
  };
  let revision: number;
  try {
    ({ result: outcome, revision } = await runWrite(deps, async (w) => {
      // Claim every key at once, in key order. A key claimed before (replay or conflict), or twice in this batch,
      // goes to the one-reservation path after this commit.
      const claimed = await sql<{ key: string }>`
        INSERT INTO idempotency_keys (scope, key, request_hash, response, created_at)
        SELECT ${RESERVE_SCOPE}, t.key, t.hash, '{}'::jsonb, ${w.now} FROM unnest(${batch.map((r) => r.key)}::text[], ${batch.map((r) => requestHash(reserveRequestOf(r.body)))}::text[]) AS t(key, hash)
        ORDER BY t.key
        ON CONFLICT (scope, key) DO NOTHING RETURNING key`.execute(w.tx);
      const mine = new Set(claimed.rows.map((r) => r.key));
      const owners = batch.filter((r) => mine.delete(r.key));
      const handOver = batch.filter((r) => !owners.includes(r));

      // Lock every level the batch needs, in the one lock order, and decide in arrival order on a copy.
      const wanted = [
        ...new Map(owners.flatMap((r) => r.lines).map((l) => [levelKey(l.sku, l.locationId), l])).values(),
      ];
      const locked =
        wanted.length === 0
          ? []
          : (
              await sql<StockLevelState>`
        SELECT s.sku, s.location_id, s.on_hand, s.reserved, s.safety_stock FROM stock_levels s
        JOIN unnest(${wanted.map((l) => l.sku)}::text[], ${wanted.map((l) => l.locationId)}::text[]) AS t(sku, location_id)
          ON s.sku = t.sku AND s.location_id = t.location_id
        ORDER BY s.sku, s.location_id FOR UPDATE OF s`.execute(w.tx)
            ).rows;
      const levels = new Map(locked.map((l) => [levelKey(l.sku, l.locationId), { ...l }]));
      const granted: Array<{ request: Request; reservation: NewReservation }> = [];
      const refused: Array<{ request: Request; error: Error }> = [];
      const unclaim: string[] = [];
      for (const r of owners) {
        const rows = r.lines.map((l) => levels.get(levelKey(l.sku, l.locationId)));
        if (rows.some((x) => x === undefined)) {
          handOver.push(r); // no level row: the one-reservation path says why (unknown SKU or location, or none in stock)
          unclaim.push(r.key);
          continue;
        }
        const short = r.lines.findIndex((l, i) => availableOf(rows[i]!) < l.quantity);
        if (short >= 0) {
          refused.push({ request: r, error: insufficientStock(r.lines[short]!, availableOf(rows[short]!)) });
          unclaim.push(r.key);
          continue;
        }
        r.lines.forEach((l, i) => {
          rows[i]!.reserved += l.quantity;
        });
        granted.push({ request: r, reservation: newReservation(r.body, r.lines, w.now) });
      }
      if (unclaim.length > 0)
        await sql`DELETE FROM idempotency_keys WHERE scope = ${RESERVE_SCOPE} AND key = ANY(${unclaim}::text[])`.execute(
          w.tx,
        );
      if (granted.length === 0) return { granted, refused, handOver };

      const g = granted.map((x) => x.reservation);
      await sql`INSERT INTO reservations (id, status, channel, client_id, customer_id, expires_at, revision, created_at, updated_at)
        SELECT t.id, 'ACTIVE', t.channel, t.client_id, t.customer_id, t.expires_at, 0, ${w.now}, ${w.now}
        FROM unnest(${g.map((x) => x.id)}::uuid[], ${g.map((x) => x.channel)}::text[], ${g.map((x) => x.clientId)}::uuid[], ${g.map((x) => x.customerId)}::uuid[],
                    ${g.map((x) => x.expiresAt)}::timestamptz[]) AS t(id, channel, client_id, customer_id, expires_at)`.execute(
        w.tx,
      );
      const lineRows = g.flatMap((x) => x.lines.map((l, i) => ({ id: x.id, n: i + 1, ...l })));
      await sql`INSERT INTO reservation_lines (reservation_id, line_no, sku, location_id, quantity)
        SELECT * FROM unnest(${lineRows.map((l) => l.id)}::uuid[], ${lineRows.map((l) => l.n)}::int[], ${lineRows.map((l) => l.sku)}::text[],
                             ${lineRows.map((l) => l.locationId)}::text[], ${lineRows.map((l) => l.quantity)}::int[])`.execute(
        w.tx,
      );

      // One conditional UPDATE per level for what the batch granted on it: the database re-checks every promise.
      const t = locked
        .map((l) => ({ ...l, quantity: levels.get(levelKey(l.sku, l.locationId))!.reserved - l.reserved }))
        .filter((x) => x.quantity > 0);
      const updated = await sql<StockLevelState>`
        UPDATE stock_levels s SET reserved = s.reserved + t.quantity
        FROM unnest(${t.map((x) => x.sku)}::text[], ${t.map((x) => x.locationId)}::text[], ${t.map((x) => x.quantity)}::int[]) AS t(sku, location_id, quantity)
        WHERE s.sku = t.sku AND s.location_id = t.location_id AND s.on_hand - s.reserved - s.safety_stock >= t.quantity
        RETURNING s.sku, s.location_id, s.on_hand, s.reserved, s.safety_stock`.execute(w.tx);
      if (updated.rows.length !== t.length)
        throw new Error('a locked stock level no longer had the units the batch was granted');

      const change = new StockChange(w, 'reservation');
      for (const row of updated.rows) change.touched(row);
      for (const l of lineRows)
        change.record({
          sku: l.sku,
          locationId: l.locationId,
          kind: 'RESERVATION',
          reservedDelta: l.quantity,
          reference: l.id,
        });
      w.atRevisionSql(
        (rev) => sql`UPDATE reservations SET revision = ${rev} WHERE id = ANY(${g.map((x) => x.id)}::uuid[])`,
      );
      for (const x of g) w.emit(reservationCreated(x));
      change.announce();
      // Each key answers a replay with its own reservation, at the batch's revision.
      const answers = JSON.stringify(granted.map((x) => ({ key: x.request.key, result: x.reservation })));
      w.atRevisionSql(
        (
          rev,
        ) => sql`UPDATE idempotency_keys k SET response = jsonb_build_object('result', a.result, 'revision', ${rev})
        FROM jsonb_to_recordset(${answers}::jsonb) AS a(key text, result jsonb)
        WHERE k.scope = ${RESERVE_SCOPE} AND k.key = a.key`,
      );
      return { granted, refused, handOver };
    }));
  } catch (e) {
    // The batch failed as a whole: each reservation takes its own path (a committed one replays by its key).
    deps.logger.warn(
      { err: e, size: batch.length },
      'reservation batch failed; each reservation is retried on its own',
    );
    await alone(deps, batch);
    return;
  }
  await scheduleExpiries(
    deps,
    outcome.granted.map((x) => x.reservation),
  );
  for (const x of outcome.granted)
    x.request.resolve({ reservation: { ...x.reservation, revision }, revision, replayed: false });
  for (const x of outcome.refused) x.request.reject(x.error);
  await alone(deps, outcome.handOver);
}
