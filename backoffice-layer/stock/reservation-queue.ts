import type { Clock, Database } from '../../shared/index.js';
import { levelKey } from './levels.js';
import { mergeLines, type ReservationDeps, type ReserveResult } from './reservations.js';
import { reserveInOneTransaction, type ReservationRequest } from './reserve-in-one-transaction.js';
import type { ReserveRequest } from './stock.schema.js';

/**
 * What reserving needs: the reservation services' deps, and the group-commit queue (made on first use if
 * absent).
 */
export type ReserveDeps = ReservationDeps & { reservationQueue?: ReservationQueue };

interface Waiting {
  deps: ReservationDeps;
  request: ReservationRequest;
  resolve(r: ReserveResult): void;
  reject(e: unknown): void;
}

interface Lane {
  waiting: Waiting[];
  busy: boolean;
}

/**
 * Group commit for reservations (PostgreSQL's group commit, done for row locks): reservations that arrive
 * while an earlier one of the same lane is committing wait for it and then go together, in one transaction
 * (`reserveInOneTransaction`), so a hot SKU is not limited to one reservation per commit. A lane is chosen by
 * the request's first (sku, location) in lock order; a lone reservation takes its transaction at once. One
 * queue per process and database: it is carried in the deps (`reservationQueue`).
 * @example const deps = { ...backofficeDeps, reservationQueue: new ReservationQueue() };
 */
export class ReservationQueue {
  private readonly lanes: Lane[];
  private readonly maxGroup: number;

  /** `lanes`: how many groups may commit at once (8); `maxGroup`: at most this many per transaction (100). */
  constructor(opts: { lanes?: number; maxGroup?: number } = {}) {
    this.lanes = Array.from({ length: opts.lanes ?? 8 }, () => ({ waiting: [], busy: false }));
    this.maxGroup = opts.maxGroup ?? 100;
  }

  /**
   * Reserves as `reserveInOneTransaction` does for this one request, sharing a transaction with its lane;
   * `opts.maxHeldUnits` as in `reserveStock`.
   */
  reserve(
    deps: ReservationDeps,
    body: ReserveRequest,
    idempotencyKey: string,
    opts: ReserveOptions = {},
  ): Promise<ReserveResult> {
    const first = mergeLines(body.lines)[0];
    const lane = this.lanes[first ? hash(levelKey(first.sku, first.locationId)) % this.lanes.length : 0]!;
    const request: ReservationRequest = { body, key: idempotencyKey, ...opts };
    return new Promise<ReserveResult>((resolve, reject) => {
      lane.waiting.push({ deps, request, resolve, reject });
      this.commitNext(lane);
    });
  }

  /**
   * Commits the lane's next group (those waiting on the same database and clock) unless one is committing.
   */
  private commitNext(lane: Lane): void {
    if (lane.busy || lane.waiting.length === 0) return;
    lane.busy = true;
    const { db, clock } = lane.waiting[0]!.deps;
    const size = lane.waiting.findIndex((x, i) => i >= this.maxGroup || !sameTarget(x.deps, db, clock));
    const group = lane.waiting.splice(0, size < 0 ? lane.waiting.length : size);
    const done = reserveInOneTransaction(
      group[0]!.deps,
      group.map((x) => x.request),
    ).then(
      (answers) =>
        answers.forEach((a, i) =>
          a.status === 'fulfilled' ? group[i]!.resolve(a.value) : group[i]!.reject(a.reason),
        ),
      (e: unknown) => group.forEach((x) => x.reject(e)), // not expected: every request is answered
    );
    void done.finally(() => {
      // The lane stays busy until the callers just answered have run: one that reserves again at once joins
      // the next group instead of taking the lane alone.
      setImmediate(() => {
        lane.busy = false;
        this.commitNext(lane);
      });
    });
  }
}

function sameTarget(deps: ReservationDeps, db: Database, clock: Clock): boolean {
  return deps.db === db && deps.clock === clock;
}

function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) >>> 0;
  return h;
}

/**
 * How a reservation is limited: `maxHeldUnits`, the most units the request's channel client
 * (`body.clientId`) may hold in active reservations once this one is granted, however many of its
 * reservations commit at the same time (none when absent).
 */
export interface ReserveOptions {
  maxHeldUnits?: number;
}

/**
 * Reserves every line or none, idempotently per key (a replay returns the first execution's answer, whatever
 * the client holds; another request under the same key is a CONFLICT; INSUFFICIENT_STOCK when a line cannot
 * be served; NOT_FOUND for an unknown SKU or location; RATE_LIMITED, details `heldUnits` and `maxHeldUnits`,
 * when the client would hold more than `opts.maxHeldUnits`). Goes through the deps' `reservationQueue` (made
 * and kept on `deps` on first use), so concurrent reservations share commits.
 * @example
 * const lines = [{ sku: 'COAT-M', locationId: 'wh-tilburg', quantity: 1 }];
 * await reserveStock(deps, { lines }, 'cart-42');
 */
export function reserveStock(
  deps: ReserveDeps,
  body: ReserveRequest,
  idempotencyKey: string,
  opts: ReserveOptions = {},
): Promise<ReserveResult> {
  deps.reservationQueue ??= new ReservationQueue();
  return deps.reservationQueue.reserve(deps, body, idempotencyKey, opts);
}
