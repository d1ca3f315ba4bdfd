import type { BackofficeEventPayloads, EventConsumer } from '../../backoffice-layer/index.js';
import { writeInTransaction, type EventEnvelope } from '../../shared/index.js';
import type { JourneyDB, Transaction } from '../tables.js';
import { computeSegmentsIn, loadSegmentComputation } from './compute.js';

/** The segments consumer's name in the event worker (its applied-event records are kept under it). */
export const SEGMENTS_CONSUMER = 'segments';

/** The profiles an event may have moved in or out of segments (none for events that change no purchase). */
function profilesOf(event: EventEnvelope): string[] {
  const p = event.payload as Record<string, unknown>;
  const ids = (...values: unknown[]) => values.filter((v): v is string => typeof v === 'string');
  switch (event.type) {
    case 'sale.committed':
    case 'return.recorded':
      return ids(p.customerRef);
    case 'order.changed': {
      const change = p as unknown as BackofficeEventPayloads['order.changed'];
      return change.status === change.previousStatus ? [] : ids(change.customerRef);
    }
    case 'consent.changed':
      return p.purpose === 'PROFILING' ? ids(p.customerId) : [];
    case 'customer.merged':
    case 'customer.unmerged':
      return ids(p.survivorId, p.mergedId);
    default:
      return [];
  }
}

/**
 * Keeps memberships current as purchases and consents change, in the event worker's transaction (each event
 * takes effect once): a sale (`sale.committed`), an order's status change (`order.changed`: a cancelled order
 * is no purchase), a return (`return.recorded`), the PROFILING consent given or withdrawn (`consent.changed`:
 * a withdrawal removes her memberships), a merge or its undoing (`customer.merged`/`customer.unmerged`: the
 * survivor is computed with both profiles' orders, the merged profile keeps none). Each profile is computed
 * at the clock's instant by `computeSegmentsIn`, as `recomputeSegments` does.
 */
export function segmentsConsumer(clock: { now(): Date }): EventConsumer {
  return {
    name: SEGMENTS_CONSUMER,
    types: [
      'sale.committed',
      'order.changed',
      'return.recorded',
      'consent.changed',
      'customer.merged',
      'customer.unmerged',
    ],
    async apply(event, tx: Transaction) {
      const ids = [...new Set(profilesOf(event))];
      if (ids.length === 0) return;
      const c = await loadSegmentComputation(tx);
      for (const id of ids)
        await writeInTransaction<boolean, JourneyDB>(tx, clock.now(), (w) => computeSegmentsIn(w, id, c));
    },
  };
}
