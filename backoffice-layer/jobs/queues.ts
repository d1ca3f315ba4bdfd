import { Queue } from 'bullmq';
import type { Redis } from '../../shared/index.js';

/** Queue names of the backoffice layer. */
export const QUEUE_NAMES = {
  /**
   * Outbox events the relay could not hand to a worker in its process (busy) and failed events' retries: one
   * job per claim, carrying event ids (`outbox-<first id>-<last id>-<random>`). Older jobs: one per event.
   */
  events: 'events',
  /** Delayed jobs that expire reservations at their instant. */
  reservations: 'reservations',
  /** Delayed jobs that commit a price switch at the instant a price window opens or closes. */
  priceSchedule: 'price-schedule',
  /** Delayed jobs that end a ready pickup's holding period at its instant (job id = fulfilment id). */
  pickupHolds: 'pickup-holds',
} as const;

/** BullMQ key prefix for a hub instance: every queue key lives under `<redisPrefix>:bull:`. */
export function bullPrefix(redisPrefix: string): string {
  return `${redisPrefix}:bull`;
}

export interface BackofficeQueues {
  events: Queue;
  reservations: Queue;
  priceSchedule: Queue;
  pickupHolds: Queue;
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
  // Delayed jobs at an instant: retried on failure, forgotten once done (the job id may be used again).
  const delayed = (name: string, attempts: number) =>
    new Queue(name, {
      connection: redis,
      prefix,
      defaultJobOptions: {
        attempts,
        backoff: { type: 'exponential', delay: 500 },
        removeOnComplete: true,
        removeOnFail: { count: 1000 },
      },
    });
  const reservations = delayed(QUEUE_NAMES.reservations, 10);
  const priceSchedule = delayed(QUEUE_NAMES.priceSchedule, 20);
  const pickupHolds = delayed(QUEUE_NAMES.pickupHolds, 10);
  const all = [events, reservations, priceSchedule, pickupHolds];
  for (const q of all) q.on('error', () => undefined);
  return {
    events,
    reservations,
    priceSchedule,
    pickupHolds,
    close: async () => {
      await Promise.allSettled(all.map((q) => q.close()));
    },
  };
}
