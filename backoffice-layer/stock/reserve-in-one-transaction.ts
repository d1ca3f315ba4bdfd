import { sql, type RawBuilder } from 'kysely';
import { DomainError, requestHash, runWrite } from '../../shared/index.js';
import type { Executor, WriteContext } from '../tables.js';
import type { StockLevelState } from '../events/event-types.js';
import { assertKnown, availableOf, levelKey, StockChange } from './levels.js';
import {
  insufficientStock,
  mergeLines,
  newReservation,
  RESERVE_SCOPE,
  reservationCreated,
  reserveRequestOf,
  scheduleExpiries,
  type NewReservation,
  type ReservationDeps,
  type ReserveResult,
} from './reservations.js';
import type { ReserveRequest } from './stock.schema.js';

/** One reservation asked for: the request and its idempotency key. */
export interface ReservationRequest {
  body: ReserveRequest;
  key: string;
}

type Line = { sku: string; locationId: string; quantity: number };
/** A request with its lines merged per (sku, location) and sorted in lock order. */
type Ask = ReservationRequest & { lines: Line[] };
type Granted = { ask: Ask; reservation: NewReservation };
type Refused = { ask: Ask; error: Error };
type Answer = PromiseSettledResult<ReserveResult>;

/**
 * What one transaction decided: granted and refused requests, and those whose key was used before it began.
 */
interface Decision {
  granted: Granted[];
  refused: Refused[];
  keyUsedBefore: Ask[];
}

/**
 * Reserves every line of each request or none of it — one request, or many in one transaction (a single
 * request is a group of one). Answers one settled result per request, in order: a `ReserveResult`, or the
 * error that request alone would have met (INSUFFICIENT_STOCK, NOT_FOUND for an unknown SKU or location,
 * CONFLICT for a key used with another request).
 *
 * The keys are claimed first, in key order; then every stock level the owners need is locked in (sku,
 * location) order and the requests are decided in arrival order on a copy; then one conditional UPDATE per
 * level (`… WHERE on_hand - reserved - safety_stock >= granted`) has the database re-check every total, so no
 * unit is promised twice and nothing is decided on a value read earlier. The reservations, their lines, the
 * ledger rows, the outbox events and each key's stored answer commit together, at one revision. A key used
 * before replays its first answer (or is a CONFLICT); a key asked twice in one group is answered after the
 * first commits. When the transaction fails as a whole, each request of a larger group is tried again as a
 * group of one.
 * @example const [answer] = await reserveInOneTransaction(deps, [{ body, key: 'cart-42' }]);
 */
export async function reserveInOneTransaction(
  deps: ReservationDeps,
  requests: readonly ReservationRequest[],
): Promise<Answer[]> {
  const asks = requests.map((r) => ({ body: r.body, key: r.key, lines: mergeLines(r.body.lines) }));
  const keys = new Set<string>();
  const first = asks.filter((a) => !keys.has(a.key) && keys.add(a.key));
  let decision: Decision;
  let revision: number;
  try {
    ({ result: decision, revision } = await runWrite(deps, (w) => decide(w, first)));
  } catch (e) {
    if (asks.length === 1) return [{ status: 'rejected', reason: e }];
    // The group failed as a whole: each reservation takes its own transaction (a committed one replays by
    // key).
    deps.logger.warn(
      { err: e, size: asks.length },
      'reservation batch failed; each reservation is retried on its own',
    );
    return Promise.all(asks.map(async (a) => (await reserveInOneTransaction(deps, [a]))[0]!));
  }
  await scheduleExpiries(
    deps,
    decision.granted.map((g) => g.reservation),
  );
  const answers = new Map<Ask, Answer>();
  for (const g of decision.granted)
    answers.set(g.ask, {
      status: 'fulfilled',
      value: { reservation: { ...g.reservation, revision }, revision, replayed: false },
    });
  for (const r of decision.refused) answers.set(r.ask, { status: 'rejected', reason: r.error });
  await Promise.all(decision.keyUsedBefore.map(async (a) => answers.set(a, await answerFromKey(deps, a))));
  const again = asks.filter((a) => !answers.has(a));
  if (again.length > 0) {
    const later = await reserveInOneTransaction(deps, again);
    again.forEach((a, i) => answers.set(a, later[i]!));
  }
  return asks.map((a) => answers.get(a)!);
}

/** Thrown inside `answerFromKey` when the key it expected to find was freed meanwhile. */
class KeyFreed extends Error {}

/**
 * The answer of a key claimed before: the stored reservation (a replay) or a CONFLICT, by the idempotency
 * rule of `runWrite`. A key freed meanwhile (its reservation was refused, or released with
 * `forgetReserveKey`) reserves afresh.
 */
async function answerFromKey(deps: ReservationDeps, a: Ask): Promise<Answer> {
  try {
    const { result, revision } = await runWrite<NewReservation>(deps, () => Promise.reject(new KeyFreed()), {
      idempotency: { scope: RESERVE_SCOPE, key: a.key, request: reserveRequestOf(a.body) },
    });
    return { status: 'fulfilled', value: { reservation: { ...result, revision }, revision, replayed: true } };
  } catch (e) {
    if (e instanceof KeyFreed) return (await reserveInOneTransaction(deps, [a]))[0]!;
    return { status: 'rejected', reason: e };
  }
}

/** Claims the keys, locks the levels, decides each request in arrival order and writes what was granted. */
async function decide(w: WriteContext, asks: readonly Ask[]): Promise<Decision> {
  const claimed = await claimKeys(w, asks);
  const owners = asks.filter((a) => claimed.has(a.key));
  const keyUsedBefore = asks.filter((a) => !claimed.has(a.key));
  const locked = await lockLevels(w.tx, owners);
  const levels = new Map(locked.map((l) => [levelKey(l.sku, l.locationId), { ...l }]));
  const granted: Granted[] = [];
  const refused: Refused[] = [];
  for (const ask of owners) {
    const error = await refusalOf(w.tx, ask.lines, levels);
    if (error) {
      refused.push({ ask, error });
      continue;
    }
    for (const l of ask.lines) levels.get(levelKey(l.sku, l.locationId))!.reserved += l.quantity;
    granted.push({ ask, reservation: newReservation(ask.body, ask.lines, w.now) });
  }
  await writeGranted(w, {
    granted,
    unclaim: refused.map((r) => r.ask.key),
    reserved: locked
      .map((l) => ({ ...l, quantity: levels.get(levelKey(l.sku, l.locationId))!.reserved - l.reserved }))
      .filter((l) => l.quantity > 0),
  });
  return { granted, refused, keyUsedBefore };
}

/**
 * Claims every key at once, in key order (the lock order of keys); answers the keys this transaction claimed.
 */
async function claimKeys(w: WriteContext, asks: readonly Ask[]): Promise<Set<string>> {
  const claimed = await sql<{ key: string }>`
    INSERT INTO idempotency_keys (scope, key, request_hash, response, created_at)
    SELECT ${RESERVE_SCOPE}, t.key, t.hash, '{}'::jsonb, ${w.now}
    FROM unnest(${asks.map((a) => a.key)}::text[],
                ${asks.map((a) => requestHash(reserveRequestOf(a.body)))}::text[]) AS t(key, hash)
    ORDER BY t.key
    ON CONFLICT (scope, key) DO NOTHING RETURNING key`.execute(w.tx);
  return new Set(claimed.rows.map((r) => r.key));
}

/** Locks every level these requests need, in (sku, location) order, and answers their state. */
async function lockLevels(tx: Executor, asks: readonly Ask[]): Promise<StockLevelState[]> {
  const wanted = [
    ...new Map(asks.flatMap((a) => a.lines).map((l) => [levelKey(l.sku, l.locationId), l])).values(),
  ];
  if (wanted.length === 0) return [];
  const rows = await sql<StockLevelState>`
    SELECT s.sku, s.location_id, s.on_hand, s.reserved, s.safety_stock FROM stock_levels s
    JOIN unnest(${wanted.map((l) => l.sku)}::text[], ${wanted.map((l) => l.locationId)}::text[])
      AS t(sku, location_id) ON s.sku = t.sku AND s.location_id = t.location_id
    ORDER BY s.sku, s.location_id FOR UPDATE OF s`.execute(tx);
  return rows.rows;
}

/**
 * Why a request cannot be served from these levels, or null: its first line in lock order without the units,
 * as INSUFFICIENT_STOCK — or NOT_FOUND when that line names an unknown SKU or location.
 */
async function refusalOf(
  tx: Executor,
  lines: readonly Line[],
  levels: ReadonlyMap<string, StockLevelState>,
): Promise<Error | null> {
  for (const line of lines) {
    const level = levels.get(levelKey(line.sku, line.locationId));
    if (level && availableOf(level) >= line.quantity) continue;
    if (!level) {
      const unknown = await assertKnown(tx, [line.sku], [line.locationId]).then(
        () => null,
        (e: unknown) => e,
      );
      if (unknown instanceof DomainError) return unknown;
      if (unknown) throw unknown;
    }
    return insufficientStock(line, level ? availableOf(level) : 0);
  }
  return null;
}

/**
 * Writes the granted reservations, their lines and the reserved units in one statement, frees the keys of the
 * refused ones, and stamps the ledger, the events and each key's answer at the revision.
 */
async function writeGranted(
  w: WriteContext,
  o: { granted: readonly Granted[]; unclaim: readonly string[]; reserved: ReadonlyArray<Line> },
): Promise<void> {
  const steps: RawBuilder<unknown>[] = [];
  if (o.unclaim.length > 0)
    steps.push(sql`DELETE FROM idempotency_keys
      WHERE scope = ${RESERVE_SCOPE} AND key = ANY(${[...o.unclaim]}::text[])`);
  if (o.granted.length === 0) {
    for (const s of steps) await s.execute(w.tx);
    return;
  }
  const g = o.granted.map((x) => x.reservation);
  const lines = g.flatMap((x) => x.lines.map((l, i) => ({ id: x.id, n: i + 1, ...l })));
  steps.push(
    sql`INSERT INTO reservations
        (id, status, channel, client_id, customer_id, expires_at, revision, created_at, updated_at)
      SELECT t.id, 'ACTIVE', t.channel, t.client_id, t.customer_id, t.expires_at, 0, ${w.now}, ${w.now}
      FROM unnest(${g.map((x) => x.id)}::uuid[], ${g.map((x) => x.channel)}::text[],
                  ${g.map((x) => x.clientId)}::uuid[], ${g.map((x) => x.customerId)}::uuid[],
                  ${g.map((x) => x.expiresAt)}::timestamptz[])
        AS t(id, channel, client_id, customer_id, expires_at)`,
    sql`INSERT INTO reservation_lines (reservation_id, line_no, sku, location_id, quantity)
      SELECT * FROM unnest(${lines.map((l) => l.id)}::uuid[], ${lines.map((l) => l.n)}::int[],
                           ${lines.map((l) => l.sku)}::text[], ${lines.map((l) => l.locationId)}::text[],
                           ${lines.map((l) => l.quantity)}::int[])`,
  );
  const r = o.reserved;
  // The conditional UPDATE: the database re-checks every level for what the group was granted on it.
  const updated = await sql<StockLevelState>`
    WITH ${sql.join(steps.map((s, i) => sql`${sql.raw(`w${i}`)} AS (${s})`))}
    UPDATE stock_levels s SET reserved = s.reserved + t.quantity
    FROM unnest(${r.map((x) => x.sku)}::text[], ${r.map((x) => x.locationId)}::text[],
                ${r.map((x) => x.quantity)}::int[]) AS t(sku, location_id, quantity)
    WHERE s.sku = t.sku AND s.location_id = t.location_id
      AND s.on_hand - s.reserved - s.safety_stock >= t.quantity
    RETURNING s.sku, s.location_id, s.on_hand, s.reserved, s.safety_stock`.execute(w.tx);
  if (updated.rows.length !== r.length)
    throw new Error('a locked stock level no longer had the units the batch was granted');

  const change = new StockChange(w, 'reservation');
  for (const row of updated.rows) change.touched(row);
  for (const l of lines)
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
  // Each key answers a replay with its own reservation, at the group's revision.
  const answers = JSON.stringify(o.granted.map((x) => ({ key: x.ask.key, result: x.reservation })));
  w.atRevisionSql(
    (rev) => sql`UPDATE idempotency_keys k
      SET response = jsonb_build_object('result', a.result, 'revision', ${rev})
      FROM jsonb_to_recordset(${answers}::jsonb) AS a(key text, result jsonb)
      WHERE k.scope = ${RESERVE_SCOPE} AND k.key = a.key`,
  );
}
