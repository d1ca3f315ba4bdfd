import type { EventConsumer } from '../backoffice-layer/index.js';
import type { Redis } from '../shared/index.js';

/** A journey change notice on `<prefix>:journey:changes`, for live subscriptions on every API node. */
export interface JourneyChange {
  type: string;
  customerId?: string;
  promotionId?: string;
  /** An order placed (`sale.committed`) or moved (`order.changed`): its id. */
  orderId?: string;
  revision: number;
}

export const journeyChangesChannel = (redisPrefix: string): string => `${redisPrefix}:journey:changes`;

/**
 * Publishes loyalty, customer, promotion, schedule, fulfilment-configuration and order changes once they are
 * committed, so subscribers hear of them at once.
 */
export function journeyNotifier(deps: { redis: Redis; redisPrefix: string }): EventConsumer {
  return {
    name: 'journey-notify',
    types: [
      'loyalty.changed',
      'customer.changed',
      'consent.changed',
      'segments.changed',
      'promotion.changed',
      'loyalty-program.changed',
      'price.schedule-switched',
      'sale.committed',
      'order.changed',
      // The delivery promise's zones and sourcing rules (a location's settings come with its notice).
      'shipping-zone.changed',
      'sourcing.changed',
    ],
    apply: async () => undefined,
    afterCommit: async (events) => {
      const pipe = deps.redis.pipeline();
      for (const event of events) {
        const p = event.payload as { customerId?: string; promotionId?: string; orderId?: string };
        const notice: JourneyChange = {
          type: event.type,
          revision: event.revision,
          ...(p.customerId ? { customerId: p.customerId } : {}),
          ...(p.promotionId ? { promotionId: p.promotionId } : {}),
          ...(p.orderId ? { orderId: p.orderId } : {}),
        };
        pipe.publish(journeyChangesChannel(deps.redisPrefix), JSON.stringify(notice));
      }
      await pipe.exec();
    },
  };
}
