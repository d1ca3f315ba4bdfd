import type { BackofficeEventPayloads, EventConsumer } from '../../backoffice-layer/index.js';
import { earnForOrder, reverseForReturn } from './ledger.js';
import type { Transaction } from '../tables.js';

export const LOYALTY_CONSUMER = 'loyalty';

/**
 * Earns points on every committed sale and reverses them on returns. Runs in the event worker's transaction,
 * which records the event as applied: however often `sale.committed` arrives, an order earns once (and the
 * ledger's unique (kind, reference) is a second guard).
 */
export function loyaltyConsumer(clock: { now(): Date }): EventConsumer {
  return {
    name: LOYALTY_CONSUMER,
    types: ['sale.committed', 'return.recorded'],
    async apply(event, tx: Transaction) {
      if (event.type === 'sale.committed') {
        const sale = event.payload as unknown as BackofficeEventPayloads['sale.committed'];
        // Extra points its promotions promised, recorded with the order (see placeStoreSale / placeOrder).
        const bonus = await tx
          .selectFrom('orderBonusPoints')
          .select('points')
          .where('orderId', '=', sale.orderId)
          .executeTakeFirst();
        await earnForOrder(tx, clock.now(), sale, bonus?.points ?? 0);
      } else {
        const ret = event.payload as unknown as BackofficeEventPayloads['return.recorded'];
        await reverseForReturn(tx, clock.now(), ret);
      }
    },
  };
}
