import { Worker } from 'bullmq';
import { createRedis, type Logger } from '../../shared/index.js';
import type { WriteDeps } from '../tables.js';
import { startPeriodicSweep } from '../jobs/periodic-sweep.js';
import { bullPrefix, QUEUE_NAMES } from '../jobs/queues.js';
import {
  expireReservation,
  foldHeldUnits,
  sweepExpiredReservations,
  type ExpiryJobData,
} from './reservations.js';

/**
 * The worker that expires reservations at their instant (delayed BullMQ jobs: one per reservation, or one per
 * group committed together; see `ExpiryJobData`), plus a periodic sweep for jobs lost with Redis. A job that
 * fires a little early waits for the due instant; reservations no longer active are passed over. The sweep
 * also folds the held-units rows of ended database backends (`foldHeldUnits`).
 */
export async function startReservationExpiryWorker(
  deps: WriteDeps & { redisUrl: string; redisPrefix: string; logger: Logger },
  opts: { sweepEveryMs?: number } = {},
): Promise<{ stop(): Promise<void> }> {
  const connection = createRedis(deps.redisUrl, { connectionName: 'omnihub:reservation-expiry' });
  const worker = new Worker<ExpiryJobData>(
    QUEUE_NAMES.reservations,
    async (job) => {
      const ids = 'reservationIds' in job.data ? job.data.reservationIds : [job.data.reservationId];
      const active = await deps.db
        .selectFrom('reservations')
        .select(['id', 'expiresAt'])
        .where('id', 'in', ids)
        .where('status', '=', 'ACTIVE')
        .execute();
      if (active.length === 0) return;
      const due = Math.max(...active.map((r) => r.expiresAt.getTime()));
      const early = due - deps.clock.now().getTime();
      if (early > 0 && early < 60_000) await new Promise((res) => setTimeout(res, early));
      for (const r of active) await expireReservation(deps, r.id);
    },
    { connection, prefix: bullPrefix(deps.redisPrefix), concurrency: 8 },
  );
  worker.on('error', (e) => deps.logger.warn({ err: e }, 'reservation expiry worker error'));
  const sweep = startPeriodicSweep(
    async () => {
      await sweepExpiredReservations(deps);
      await foldHeldUnits(deps.db);
    },
    opts.sweepEveryMs ?? 30_000,
    deps.logger,
    'reservation sweep',
  );
  return {
    stop: async () => {
      await worker.close();
      await sweep.stop();
      connection.disconnect();
    },
  };
}
