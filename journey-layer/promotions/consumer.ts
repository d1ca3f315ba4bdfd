import type { BackofficeEventPayloads, EventConsumer } from '../../backoffice-layer/index.js';
import { writeInTransaction } from '../../shared/index.js';
import type { Transaction } from '../tables.js';
import { giveBackPromotionUse } from './store.js';

export const PROMOTIONS_CONSUMER = 'promotions';

/**
 * A cancelled order gives back what it used of promotions (issue 12): when `order.changed` says the order's
 * status became CANCELLED (every fulfilment cancelled or uncollected, nothing reached the customer), its
 * coupon uses count no more (overall and per customer) and what it spent of each budget is left again, as a
 * promotion change at this write's revision, so the next quote prices with it (see `giveBackPromotionUse`).
 *
 * Decided: here, in the event worker's transaction (which records the event as applied, and the order's use
 * rows are marked given back, so it happens once however often the event arrives), not in the cancellation's
 * own transaction: the backoffice writes the cancellation and cannot call into the journey layer above it.
 * Until the worker applies the event (well under a second) the coupon still counts as used — it errs on the
 * side of the retailer, never lets a limit be exceeded.
 */
export function promotionsConsumer(clock: { now(): Date }): EventConsumer {
  return {
    name: PROMOTIONS_CONSUMER,
    types: ['order.changed'],
    async apply(event, tx: Transaction) {
      const change = event.payload as unknown as BackofficeEventPayloads['order.changed'];
      if (change.status !== 'CANCELLED' || change.previousStatus === 'CANCELLED') return;
      await writeInTransaction(tx, clock.now(), (w) => giveBackPromotionUse(w, change.orderId));
    },
  };
}
