import {
  pointsEarnedOn,
  type BackofficeEventPayloads,
  type EventConsumer,
} from '../../backoffice-layer/index.js';
import { earnForOrder, recordCancelledOrder, recordOnlineOrder, reverseForReturn } from './ledger.js';
import { earnForFulfilments, earnOrderBonus } from './fulfilment-points.js';
import type { Transaction } from '../tables.js';

export const LOYALTY_CONSUMER = 'loyalty';

/**
 * Points follow the goods (issue 12; the rule and why: fulfilment-points.ts). Runs in the event worker's
 * transaction, which records the event as applied, so each event takes effect once however often it arrives
 * (and the ledger's unique (kind, reference) is a second guard):
 * - `sale.committed` of a store sale earns its points (handed over at the till); of an online order, earns
 *   nothing but ends her first-order offers;
 * - `order.changed` earns the points of each fulfilment that reached DELIVERED or COLLECTED, the promotions'
 *   extra points when the order becomes FULFILLED, and reopens her first-order offers when it becomes
 *   CANCELLED and was her only live order;
 * - `return.recorded` reverses the share of the order's points the refund takes.
 */
export function loyaltyConsumer(clock: { now(): Date }): EventConsumer {
  return {
    name: LOYALTY_CONSUMER,
    types: ['sale.committed', 'order.changed', 'return.recorded'],
    async apply(event, tx: Transaction) {
      if (event.type === 'sale.committed') {
        const sale = event.payload as unknown as BackofficeEventPayloads['sale.committed'];
        if (sale.kind !== 'STORE') return recordOnlineOrder(tx, clock.now(), sale);
        // Extra points its promotions promised, recorded with the order (see placeStoreSale).
        const bonus = await tx
          .selectFrom('orderBonusPoints')
          .select('points')
          .where('orderId', '=', sale.orderId)
          .executeTakeFirst();
        await earnForOrder(tx, clock.now(), sale, bonus?.points ?? 0);
      } else if (event.type === 'order.changed') {
        await followOrder(
          tx,
          clock.now(),
          event.payload as unknown as BackofficeEventPayloads['order.changed'],
        );
      } else {
        const ret = event.payload as unknown as BackofficeEventPayloads['return.recorded'];
        await reverseForReturn(tx, clock.now(), ret);
      }
    },
  };
}

async function followOrder(
  tx: Transaction,
  now: Date,
  change: BackofficeEventPayloads['order.changed'],
): Promise<void> {
  if (change.kind !== 'ONLINE') return;
  const fulfilmentIds = change.fulfilments
    .filter((f) => f.from !== f.to && pointsEarnedOn(f.to))
    .map((f) => f.fulfilmentId);
  await earnForFulfilments(tx, now, {
    orderId: change.orderId,
    customerRef: change.customerRef,
    fulfilmentIds,
  });
  if (change.status === change.previousStatus) return;
  if (change.status === 'FULFILLED') await earnOrderBonus(tx, now, change);
  if (change.status === 'CANCELLED') await recordCancelledOrder(tx, change);
}
