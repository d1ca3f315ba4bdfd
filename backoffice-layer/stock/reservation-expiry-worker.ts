import { Worker } from 'bullmq';
import { createRedis, type Logger } from '../../shared/index.js';
import type { WriteDeps } from '../tables.js';
import { startPeriodicSweep } from '../jobs/periodic-sweep.js';
import { bullPrefix, QUEUE_NAMES } from '../jobs/queues.js';
import { expireReservation, sweepExpiredReservations } from './reservations.js';

/**
 * The worker that expires reservations at their instant (delayed BullMQ jobs, job id = reservation id), plus
 * a periodic sweep for jobs lost with Redis. A job that fires a little early waits for the due instant.
 */
export async function startReservationExpiryWorker(
  deps: WriteDeps & { redisUrl: string; redisPrefix: string; logger: Logger },
  opts: { sweepEveryMs?: number } = {},
): Promise<{ stop(): Promise<void> }> {
  const connection = createRedis(deps.redisUrl, { connectionName: 'omnihub:reservation-expiry' });
  const worker = new Worker<{ reservationId: string }>(
    QUEUE_NAMES.reservations,
    async (job) => {
      const r = await deps.db
        .selectFrom('reservations')
        .select(['status', 'expiresAt'])
        .where('id', '=', job.data.reservationId)
        .executeTakeFirst();
      if (!r || r.status !== 'ACTIVE') return;
      const early = r.expiresAt.getTime() - deps.clock.now().getTime();
      if (early > 0 && early < 60_000) await new Promise((res) => setTimeout(res, early));
      await expireReservation(deps, job.data.reservationId);
    },
    { connection, prefix: bullPrefix(deps.redisPrefix), concurrency: 8 },
  );
  worker.on('error', (e) => deps.logger.warn({ err: e }, 'reservation expiry worker error'));
  const sweep = startPeriodicSweep(
    () => sweepExpiredReservations(deps),
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
