import { Queue } from 'bullmq';
import type { Redis } from '../../shared/index.js';

/** Queue names of the backoffice layer. */
export const QUEUE_NAMES = {
  /** Outbox events, one job per event, job id = event id. */
  events: 'events',
  /** Delayed jobs that expire reservations at their instant. */
  reservations: 'reservations',
  /** Delayed jobs that commit a price switch at the instant a price window opens or closes. */
  priceSchedule: 'price-schedule',
} as const;

/** BullMQ key prefix for a hub instance: every queue key lives under `<redisPrefix>:bull:`. */
export function bullPrefix(redisPrefix: string): string {
  return `${redisPrefix}:bull`;
}

export interface BackofficeQueues {
  events: Queue;
  reservations: Queue;
  priceSchedule: Queue;
  close(): Promise<void>;
}

/**
 * Producer-side queues sharing the process' Redis connection. Workers open their own blocking connections.
 * @example const queues = createBackofficeQueues(redis, 'omnihub');
 */
export function createBackofficeQueues(redis: Redis, redisPrefix: string): BackofficeQueues {
  const prefix = bullPrefix(redisPrefix);
  const events = new Queue(QUEUE_NAMES.events, {
    connection: redis,
    prefix,
    defaultJobOptions: {
      attempts: 25,
      backoff: { type: 'exponential', delay: 200 },
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 5000 },
    },
  });
  const reservations = new Queue(QUEUE_NAMES.reservations, {
    connection: redis,
    prefix,
    defaultJobOptions: {
      attempts: 10,
      backoff: { type: 'exponential', delay: 500 },
      removeOnComplete: true,
      removeOnFail: { count: 1000 },
    },
  });
  const priceSchedule = new Queue(QUEUE_NAMES.priceSchedule, {
    connection: redis,
    prefix,
    defaultJobOptions: {
      attempts: 20,
      backoff: { type: 'exponential', delay: 500 },
      removeOnComplete: true,
      removeOnFail: { count: 1000 },
    },
  });
  for (const q of [events, reservations, priceSchedule]) q.on('error', () => undefined);
  return {
    events,
    reservations,
    priceSchedule,
    close: async () => {
      await Promise.allSettled([events.close(), reservations.close(), priceSchedule.close()]);
    },
  };
}
