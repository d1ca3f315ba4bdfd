export type * from './event-types.js';
export { startOutboxRelay, publishPending, redeliverUnapplied, toEnvelope, type OutboxRelay, type OutboxRelayOptions } from './outbox-relay.js';
export { startEventWorker, applyEvent, applyEvents, advanceWatermark, type BatchOutcome, type EventConsumer, type EventWorker } from './event-worker.js';
export { pruneDelivered, startRetention, type PruneResult } from './retention.js';
