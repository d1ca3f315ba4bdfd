export type * from './event-types.js';
export {
  startOutboxRelay,
  publishPending,
  redeliverUnapplied,
  type OutboxRelay,
  type OutboxRelayOptions,
} from './outbox-relay.js';
export { toEnvelope, type OutboxRow } from './outbox-events.js';
export {
  startEventWorker,
  claimJobName,
  applyEvent,
  applyEvents,
  advanceWatermark,
  type BatchOutcome,
  type EventConsumer,
  type EventWorker,
  type EventWorkerOptions,
  type EventHandoff,
  type EventJobData,
  type BatchContext,
} from './event-worker.js';
export { pruneDelivered, startRetention, type PruneResult } from './retention.js';
