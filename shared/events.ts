/**
 * The envelope of every event the hub announces: written to the outbox in the transaction of the change,
 * handed by the outbox relay to the event worker of its process (or queued in BullMQ, one job per claim of
 * event ids, while that worker is busy), applied by consumers at most once in effect.
 */
export interface EventEnvelope<P extends Record<string, unknown> = Record<string, unknown>> {
  /** UUID; the dedupe key of every consumer (and what an event job carries). */
  id: string;
  /** Dotted name, e.g. `stock.changed`, `price.changed`, `reservation.created`. */
  type: string;
  aggregateType: string;
  aggregateId: string;
  /** The global revision committed with this event. */
  revision: number;
  /** ISO 8601 instant of the commit, from the hub's clock. */
  occurredAt: string;
  payload: P;
}

/** An event as emitted by domain code, before the transaction gives it an id and a revision. */
export interface PendingEvent<P extends Record<string, unknown> = Record<string, unknown>> {
  type: string;
  aggregateType: string;
  aggregateId: string;
  payload: P;
}

/** The PostgreSQL NOTIFY channel that wakes the outbox relay. */
export const OUTBOX_CHANNEL = 'omnihub_outbox';
