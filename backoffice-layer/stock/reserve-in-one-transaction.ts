import { sql } from 'kysely';
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

/**
 * One reservation asked for: the request and its idempotency key; `maxHeldUnits`: the most units the
 * request's client (`body.clientId`) may hold in active reservations once it is granted (no limit when
 * absent, or without a client).
 */
export interface ReservationRequest {
  body: ReserveRequest;
  key: string;
  maxHeldUnits?: number;
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
 * Three round trips: `BEGIN`; one statement that claims the keys (in key order) and then locks every stock
 * level the owners need (in (sku, location) order); and the revision statement with `COMMIT`. Between the
 * last two the requests are decided in arrival order on a copy of the locked levels. The revision statement
 * writes everything the group was granted: each level's `reserved` by one conditional UPDATE that has the
 * database re-check every total (a level without the units fails the `CHECK` on `reserved`, and the
 * transaction with it, so no unit is promised twice and nothing is decided on a value read earlier), the
 * reservations and their lines at the revision, the ledger rows, the outbox events and each key's stored
 * answer. A key used before replays its first answer (or is a CONFLICT); a key asked twice in one group is
 * answered after the first commits. When the transaction fails as a whole, each request of a larger group is
 * tried again as a group of one. A request with `maxHeldUnits` is refused (RATE_LIMITED) when its client
 * would hold more: decided with the rest, from the client's units read by the claiming statement, and checked
 * again after the revision statement in the same message (under the revision lock, so reservations of the
 * client committing at the same time cannot together pass the limit). The expiry jobs of the new
 * reservations are scheduled once the answers are out (one Redis call for the group; the periodic sweep
 * expires any that Redis loses).
 * @example const [answer] = await reserveInOneTransaction(deps, [{ body, key: 'cart-42' }]);
 */
export async function reserveInOneTransaction(
  deps: ReservationDeps,
  requests: readonly ReservationRequest[],
): Promise<Answer[]> {
  const asks = requests.map((r) => ({ ...r, lines: mergeLines(r.body.lines) }));
  const keys = new Set<string>();
  const first = asks.filter((a) => !keys.has(a.key) && keys.add(a.key));
  let decision: Decision;
  let revision: number;
  try {
    ({ result: decision, revision } = await runWrite(deps, (w) => decide(w, first)));
  } catch (e) {
    if (asks.length === 1) return [{ status: 'rejected', reason: e }];
    // The group failed as a whole: each reservation takes its own transaction (a committed one replays by
    // key). A refusal (a client past its units, by the check no concurrent reservation slips past) is
    // expected when one client's reservations race; anything else is worth a warning.
    deps.logger[e instanceof DomainError ? 'info' : 'warn'](
      { err: e, size: asks.length },
      'reservation batch failed; each reservation is retried on its own',
    );
    return Promise.all(asks.map(async (a) => (await reserveInOneTransaction(deps, [a]))[0]!));
  }
  // Not awaited: the answers (and the lane, for the next group) need not wait for Redis.
  void scheduleExpiries(
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

/** The client whose held units limit this request, with the limit; null when none applies. */
function heldLimitOf(ask: Ask): { clientId: string; max: number } | null {
  const clientId = ask.body.clientId;
  return clientId && ask.maxHeldUnits !== undefined ? { clientId, max: ask.maxHeldUnits } : null;
}

/** The units a request asks for, all lines together. */
const unitsOf = (ask: Ask) => ask.lines.reduce((n, l) => n + l.quantity, 0);

/**
 * Claims the keys, locks the levels, decides each request in arrival order and writes what was granted.
 * A request whose client would hold more than its `maxHeldUnits` is refused (RATE_LIMITED, details
 * `heldUnits`, `maxHeldUnits`), counting what the client held when the transaction looked and what the group
 * granted before it; the check before commit (`beforeCommitSql`) then counts the reservations of that client
 * that committed meanwhile, and fails the transaction if together they pass the limit.
 */
async function decide(w: WriteContext, asks: readonly Ask[]): Promise<Decision> {
  const { claimed, locked, held } = await claimAndLock(w, asks);
  const owners = asks.filter((a) => claimed.has(a.key));
  const keyUsedBefore = asks.filter((a) => !claimed.has(a.key));
  const levels = new Map(locked.map((l) => [levelKey(l.sku, l.locationId), { ...l }]));
  const granted: Granted[] = [];
  const refused: Refused[] = [];
  // Per limited client: the strictest limit among its granted requests, and the units granted to it.
  const limited = new Map<string, { max: number; asked: number }>();
  for (const ask of owners) {
    const limit = heldLimitOf(ask);
    const units = unitsOf(ask);
    const holds = limit ? (held.get(limit.clientId) ?? 0) + (limited.get(limit.clientId)?.asked ?? 0) : 0;
    const error =
      limit && holds + units > limit.max
        ? new DomainError(
            'RATE_LIMITED',
            `This client holds ${holds} units in active reservations and may hold at most ${limit.max}; ` +
              'release or commit some first',
            { heldUnits: holds, maxHeldUnits: limit.max },
          )
        : await refusalOf(w.tx, ask.lines, levels);
    if (error) {
      refused.push({ ask, error });
      continue;
    }
    for (const l of ask.lines) levels.get(levelKey(l.sku, l.locationId))!.reserved += l.quantity;
    granted.push({ ask, reservation: newReservation(ask.body, ask.lines, w.now) });
    if (limit) {
      const sum = limited.get(limit.clientId);
      limited.set(limit.clientId, {
        max: Math.min(sum?.max ?? limit.max, limit.max),
        asked: (sum?.asked ?? 0) + units,
      });
    }
  }
  if (limited.size > 0) {
    const ids = [...limited.keys()].sort();
    w.beforeCommitSql(
      sql`SELECT FROM unnest(${ids}::uuid[], ${ids.map((c) => limited.get(c)!.max)}::bigint[],
                             ${ids.map((c) => limited.get(c)!.asked)}::bigint[])
                        AS t(client, max_units, asked),
        LATERAL client_units_held_at_most(t.client, t.max_units, t.asked, ${w.now}::timestamptz)`,
    );
  }
  // A refused request's key is freed: with the revision statement when there is one, else at once.
  const free = refused.map((r) => r.ask.key);
  const unclaim = sql`DELETE FROM idempotency_keys
    WHERE scope = ${RESERVE_SCOPE} AND key = ANY(${free}::text[])`;
  if (free.length > 0 && granted.length === 0) await unclaim.execute(w.tx);
  else if (free.length > 0) w.atRevisionSql(() => unclaim);
  if (granted.length > 0)
    writeGranted(w, {
      granted,
      rows: granted.map((g) => claimed.get(g.ask.key)!),
      levels: locked.flatMap((l) => {
        const after = levels.get(levelKey(l.sku, l.locationId))!;
        return after.reserved > l.reserved ? [{ after, quantity: after.reserved - l.reserved }] : [];
      }),
    });
  return { granted, refused, keyUsedBefore };
}

/**
 * One statement: claims every key, in key order (the lock order of keys), and only once they are claimed
 * locks every level the owners may need, in (sku, location) order. Answers the keys this transaction claimed
 * (each with the address of its row, where its answer is stored at the revision: nothing else can move a
 * row this transaction inserted) and the levels' state. The levels of a request whose key was used before
 * are locked too, for nothing (replays are rare).
 */
async function claimAndLock(
  w: WriteContext,
  asks: readonly Ask[],
): Promise<{ claimed: Map<string, string>; locked: StockLevelState[]; held: Map<string, number> }> {
  const clients = [...new Set(asks.flatMap((a) => heldLimitOf(a)?.clientId ?? []))];
  const wanted = [
    ...new Map(asks.flatMap((a) => a.lines).map((l) => [levelKey(l.sku, l.locationId), l])).values(),
  ];
  // The lock query waits for the claims through its one-time filter (evaluated before its first row is
  // read): keys are always taken before levels, as in every write with an idempotency key.
  const rows = await sql<
    StockLevelState & { claimed: string[] | null; tids: string[] | null; held: Record<string, string> | null }
  >`
    WITH c AS (
      INSERT INTO idempotency_keys (scope, key, request_hash, response, created_at)
      SELECT ${RESERVE_SCOPE}, t.key, t.hash, '{}'::jsonb, ${w.now}
      FROM unnest(${asks.map((a) => a.key)}::text[],
                  ${asks.map((a) => requestHash(reserveRequestOf(a.body)))}::text[]) AS t(key, hash)
      ORDER BY t.key
      ON CONFLICT (scope, key) DO NOTHING RETURNING key, ctid),
    l AS (
      SELECT s.sku, s.location_id, s.on_hand, s.reserved, s.safety_stock FROM stock_levels s
      JOIN unnest(${wanted.map((l) => l.sku)}::text[], ${wanted.map((l) => l.locationId)}::text[])
        AS t(sku, location_id) ON s.sku = t.sku AND s.location_id = t.location_id
      WHERE (SELECT count(*) FROM c) >= 0
      ORDER BY s.sku, s.location_id FOR UPDATE OF s)
    SELECT (SELECT array_agg(key ORDER BY key) FROM c) AS claimed,
           (SELECT array_agg(ctid::text ORDER BY key) FROM c) AS tids,
           (SELECT json_object_agg(t.client, client_units_held(t.client, ${w.now}::timestamptz)::text)
              FROM unnest(${clients}::uuid[]) AS t(client)) AS held, l.*
    FROM (SELECT) AS one LEFT JOIN l ON true`.execute(w.tx);
  const head = rows.rows[0];
  const keys = head?.claimed ?? [];
  const locked = rows.rows.flatMap(({ claimed: _, tids: __, held: ___, ...l }) =>
    l.sku === null ? [] : [l],
  );
  const held = new Map(Object.entries(head?.held ?? {}).map(([c, n]) => [c, Number(n)]));
  return { claimed: new Map(keys.map((k, i) => [k, head!.tids![i]!])), locked, held };
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
 * Writes, inside the revision statement (one round trip with `COMMIT`), what the group was granted: the
 * levels' new `reserved` by a conditional UPDATE that re-checks every total (a level that no longer has the
 * units would get `reserved = -1` and fail its `CHECK`, so the transaction fails), the reservations and their
 * lines at the revision, the ledger rows, one `reservation.created` per reservation, one `stock.changed` with
 * the levels after the group, and each key's answer.
 */
function writeGranted(
  w: WriteContext,
  o: {
    granted: readonly Granted[];
    /** The `ctid` of each granted request's key row. */
    rows: readonly string[];
    levels: ReadonlyArray<{ after: StockLevelState; quantity: number }>;
  },
): void {
  const g = o.granted.map((x) => x.reservation);
  const lines = g.flatMap((x) => x.lines.map((l, i) => ({ id: x.id, n: i + 1, ...l })));
  const r = o.levels;
  w.atRevisionSql(
    (rev) => sql`UPDATE stock_levels s
      SET reserved = CASE WHEN s.on_hand - s.reserved - s.safety_stock >= t.quantity
                          THEN s.reserved + t.quantity ELSE -1 END,
          revision = ${rev}, updated_at = ${w.now}
      FROM unnest(${r.map((x) => x.after.sku)}::text[], ${r.map((x) => x.after.locationId)}::text[],
                  ${r.map((x) => x.quantity)}::int[]) AS t(sku, location_id, quantity)
      WHERE s.sku = t.sku AND s.location_id = t.location_id`,
  );
  w.atRevisionSql(
    (rev) => sql`INSERT INTO reservations
        (id, status, channel, client_id, customer_id, expires_at, revision, created_at, updated_at)
      SELECT t.id, 'ACTIVE', t.channel, t.client_id, t.customer_id, t.expires_at, ${rev}, ${w.now}, ${w.now}
      FROM unnest(${g.map((x) => x.id)}::uuid[], ${g.map((x) => x.channel)}::text[],
                  ${g.map((x) => x.clientId)}::uuid[], ${g.map((x) => x.customerId)}::uuid[],
                  ${g.map((x) => x.expiresAt)}::timestamptz[])
        AS t(id, channel, client_id, customer_id, expires_at)`,
  );
  // The lines reference the reservations inserted by the statement's other part: foreign keys are checked
  // at the end of the statement, which sees both.
  w.atRevisionSql(
    () => sql`INSERT INTO reservation_lines (reservation_id, line_no, sku, location_id, quantity)
      SELECT * FROM unnest(${lines.map((l) => l.id)}::uuid[], ${lines.map((l) => l.n)}::int[],
                           ${lines.map((l) => l.sku)}::text[], ${lines.map((l) => l.locationId)}::text[],
                           ${lines.map((l) => l.quantity)}::int[])`,
  );
  const change = new StockChange(w, 'reservation');
  // The UPDATE above stamps these levels' revision itself.
  for (const l of r) change.announced(l.after);
  for (const l of lines)
    change.record({
      sku: l.sku,
      locationId: l.locationId,
      kind: 'RESERVATION',
      reservedDelta: l.quantity,
      reference: l.id,
    });
  for (const x of g) w.emit(reservationCreated(x));
  change.announce();
  // Each key answers a replay with its own reservation, at the group's revision. The rows are found by
  // their address (a TID scan), not by a plan that depends on what the planner believes of the table's size.
  const answers = JSON.stringify(Object.fromEntries(o.granted.map((x) => [x.ask.key, x.reservation])));
  w.atRevisionSql(
    (rev) => sql`UPDATE idempotency_keys
      SET response = jsonb_build_object('result', ${answers}::jsonb -> key, 'revision', ${rev})
      WHERE ctid = ANY(${o.rows}::tid[])`,
  );
}
