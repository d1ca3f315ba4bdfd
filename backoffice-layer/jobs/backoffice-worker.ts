import type { BackofficeDeps } from '../backoffice-deps.js';
import { startEventWorker, type EventConsumer } from '../events/event-worker.js';
import { startOutboxRelay } from '../events/outbox-relay.js';
import { startRetention } from '../events/retention.js';
import { READ_MODEL_CONSUMER, readModelConsumer } from '../read-model/consumer.js';
import { startReadModelMaintenance } from '../read-model/read-model-maintenance.js';
import type { SharedSection } from '../read-model/store.js';
import { startReservationExpiryWorker } from '../stock/reservation-expiry-worker.js';
import { startUncollectedPickupWorker } from '../orders/uncollected-pickups.js';
import { startPriceScheduler, type BoundarySource } from './price-schedule.js';

export interface BackofficeWorker {
  /**
   * Stops taking work, finishes what is in hand, then closes (relay last, so nothing committed waits unsent).
   */
  stop(): Promise<void>;
}

export interface BackofficeWorkerOptions {
  /** Consumers of other layers (e.g. loyalty points on `sale.committed`), applied after the read model. */
  consumers?: readonly EventConsumer[];
  /**
   * Events the event worker applies at once, in one transaction (default 500; events of one SKU stay
   * correct: state writes are revision-guarded).
   */
  batchSize?: number;
  relayPollMs?: number;
  redeliverAfterMs?: number;
  /**
   * Other layers' scheduled instants (promotion windows) that commit a switch revision like price windows do.
   */
  scheduleSources?: readonly BoundarySource[];
  /** Event types after which the next scheduled instant may have moved. */
  scheduleEventTypes?: readonly string[];
  /** Other layers' shared sections to keep in the read model (the API nodes must be given the same). */
  readModelSections?: readonly SharedSection[];
  /**
   * Other layers' periodic work (the journey's segment recompute, consent expiry, retention of behavioural
   * data): each is started after the event worker and stopped before it.
   */
  services?: readonly WorkerService[];
}

/**
 * A piece of periodic work another layer runs in the worker: started with the worker's deps, stopped first.
 */
export type WorkerService = (deps: BackofficeDeps) => { stop(): Promise<void> };

/**
 * Everything a worker process runs for the backoffice: the outbox relay, the event worker (read model first,
 * then other layers' consumers), the read-model guardian (rebuilds after Redis lost it), reservation expiry,
 * the end of ready pickups' holding periods (uncollected) and the price scheduler.
 */
export async function startBackofficeWorker(
  deps: BackofficeDeps,
  opts: BackofficeWorkerOptions = {},
): Promise<BackofficeWorker> {
  const scheduler = await startPriceScheduler(deps, { sources: opts.scheduleSources });
  // A new or changed window may be the next instant to switch at: reschedule after such events.
  const rescheduler: EventConsumer = {
    name: 'schedule',
    types: [
      'price.changed',
      'price-list.changed',
      'catalogue.bulk-changed',
      ...(opts.scheduleEventTypes ?? []),
    ],
    apply: async () => undefined,
    afterCommit: async () => {
      await scheduler.reschedule();
    },
  };
  const consumers = [readModelConsumer(deps, opts.readModelSections), ...(opts.consumers ?? []), rescheduler];
  const maintenance = startReadModelMaintenance(deps, { sections: opts.readModelSections });
  const events = await startEventWorker(deps, consumers, { batchSize: opts.batchSize });
  const relay = await startOutboxRelay(deps, {
    consumers: consumers.map((c) => c.name),
    pollMs: opts.relayPollMs,
    redeliverAfterMs: opts.redeliverAfterMs,
    handoff: events,
  });
  const expiry = await startReservationExpiryWorker(deps);
  const uncollected = await startUncollectedPickupWorker(deps);
  const retention = startRetention(
    deps,
    consumers.map((c) => c.name),
    { retentionMs: deps.config.retentionDays * 86_400_000 },
  );
  const services = (opts.services ?? []).map((start) => start(deps));
  deps.logger.info(
    { consumers: consumers.map((c) => c.name), readModel: READ_MODEL_CONSUMER },
    'backoffice worker started',
  );
  return {
    stop: async () => {
      for (const service of services) await service.stop();
      await retention.stop();
      await scheduler.stop();
      await expiry.stop();
      await uncollected.stop();
      await events.stop();
      await maintenance.stop();
      await relay.stop();
    },
  };
}
