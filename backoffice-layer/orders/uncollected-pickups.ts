import { DelayedError, Worker, type Job } from 'bullmq';
import { createRedis, DomainError, isUuid } from '../../shared/index.js';
import type { BackofficeDeps } from '../backoffice-deps.js';
import { startPeriodicSweep } from '../jobs/periodic-sweep.js';
import { bullPrefix, QUEUE_NAMES } from '../jobs/queues.js';
import { recordFulfilmentEvent, type OrderActor } from './fulfilment-transitions.js';
import type { UncollectedJobData } from './pickup-hold.js';

/*
 * The uncollected job (issue 12: "an uncollected pickup returns its units after the store's holding period (a
 * scheduled job, at its instant)"): at a ready pickup's `hold_until` (pickup-hold.ts) it moves the pickup to
 * UNCOLLECTED through recordFulfilmentEvent — the same transaction every other move makes: held units
 * released (ledger RELEASE), the order's status (CANCELLED when nothing else of it was handed over), its
 * history and `order.changed`. A periodic sweep moves the due pickups whose job was lost with Redis.
 */

/** Who moves a lapsed pickup, as the order's history says: the hub itself, on its own schedule. */
export const UNCOLLECTED_BY: OrderActor = { actor: 'system', channel: 'SYSTEM' };

/**
 * What {@link releaseUncollectedPickup} did: `moved` (this call moved it to UNCOLLECTED), `not-due` (still
 * within its holding period: `holdUntil` says until when) or `nothing` (no such pickup; not waiting at the
 * counter any more — collected, cancelled, uncollected by an earlier or concurrent run — or never ready).
 */
export type UncollectedOutcome =
  { outcome: 'moved' } | { outcome: 'not-due'; holdUntil: Date } | { outcome: 'nothing' };

/** The idempotency key of a pickup's lapse: one per fulfilment, so a job delivered twice moves once. */
const lapseKey = (fulfilmentId: string) => `uncollected:${fulfilmentId}`;

/**
 * Ends the holding period of pickup `fulfilmentId` if it is due (its `hold_until` reached on the injected
 * clock) and the pickup still waits at the counter (READY_FOR_PICKUP): it moves to UNCOLLECTED, actor
 * `system`, channel `SYSTEM`, under the idempotency key `uncollected:<fulfilment id>` with a reason that
 * names the deadline — so the same lapse run twice, even at once, moves once and answers alike. A pickup
 * collected or cancelled meanwhile is left as it is: no error, no history entry.
 * @throws only what the move itself throws for reasons other than the pickup having moved on (the database
 *   unavailable…), so a job is retried.
 */
export async function releaseUncollectedPickup(
  deps: BackofficeDeps,
  fulfilmentId: string,
): Promise<UncollectedOutcome> {
  if (!isUuid(fulfilmentId)) return { outcome: 'nothing' };
  const f = await deps.db
    .selectFrom('fulfilments')
    .select(['method', 'status', 'holdUntil'])
    .where('id', '=', fulfilmentId)
    .executeTakeFirst();
  if (!f || f.method !== 'PICKUP' || f.status !== 'READY_FOR_PICKUP' || !f.holdUntil)
    return { outcome: 'nothing' };
  if (f.holdUntil > deps.clock.now()) return { outcome: 'not-due', holdUntil: f.holdUntil };
  const ended = f.holdUntil.toISOString();
  const reason = `Not collected within the store's holding period, which ended at ${ended}`;
  try {
    const move = await recordFulfilmentEvent(
      deps,
      fulfilmentId,
      { status: 'UNCOLLECTED', reason },
      lapseKey(fulfilmentId),
      UNCOLLECTED_BY,
    );
    return move.replayed ? { outcome: 'nothing' } : { outcome: 'moved' };
  } catch (e) {
    // Collected or cancelled between the read above and the move's lock: the move is refused, nothing to do.
    if (e instanceof DomainError && e.code === 'CONFLICT') {
      const now = await deps.db
        .selectFrom('fulfilments')
        .select('status')
        .where('id', '=', fulfilmentId)
        .executeTakeFirst();
      if (now?.status !== 'READY_FOR_PICKUP') return { outcome: 'nothing' };
    }
    throw e;
  }
}

/**
 * Safety net for uncollected jobs lost with Redis: ends the holding period of up to `limit` pickups that are
 * due on the injected clock and still wait at the counter, earliest deadline first. Answers how many moved.
 */
export async function sweepUncollectedPickups(deps: BackofficeDeps, limit = 200): Promise<number> {
  const due = await deps.db
    .selectFrom('fulfilments')
    .select('id')
    .where('status', '=', 'READY_FOR_PICKUP')
    .where('holdUntil', '<=', deps.clock.now())
    .orderBy('holdUntil')
    .limit(limit)
    .execute();
  let n = 0;
  for (const { id } of due) if ((await releaseUncollectedPickup(deps, id)).outcome === 'moved') n++;
  return n;
}

/**
 * The worker that ends pickups' holding periods at their instant: the delayed jobs of queue `pickup-holds`
 * (job id = fulfilment id, see schedulePickupHolds) run {@link releaseUncollectedPickup}; a job that fires
 * before the deadline on the injected clock (clock skew, a job promoted by hand) is put back to wait for the
 * rest. Plus a sweep every `sweepEveryMs` (default 30 s) for jobs lost with Redis.
 */
export async function startUncollectedPickupWorker(
  deps: BackofficeDeps,
  opts: { sweepEveryMs?: number } = {},
): Promise<{ stop(): Promise<void> }> {
  const connection = createRedis(deps.redisUrl, { connectionName: 'omnihub:pickup-holds' });
  const worker = new Worker<UncollectedJobData>(
    QUEUE_NAMES.pickupHolds,
    async (job: Job<UncollectedJobData>, token?: string) => {
      const r = await releaseUncollectedPickup(deps, job.data.fulfilmentId);
      if (r.outcome !== 'not-due') return;
      await job.moveToDelayed(Date.now() + (r.holdUntil.getTime() - deps.clock.now().getTime()), token);
      throw new DelayedError();
    },
    { connection, prefix: bullPrefix(deps.redisPrefix), concurrency: 8 },
  );
  worker.on('error', (e) => deps.logger.warn({ err: e }, 'uncollected pickup worker error'));
  const sweep = startPeriodicSweep(
    () => sweepUncollectedPickups(deps),
    opts.sweepEveryMs ?? 30_000,
    deps.logger,
    'uncollected pickup sweep',
  );
  return {
    stop: async () => {
      await worker.close();
      await sweep.stop();
      connection.disconnect();
    },
  };
}
