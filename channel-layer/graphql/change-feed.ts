import type { ReadModel } from '../../backoffice-layer/index.js';
import { journeyChangesChannel, type JourneyChange } from '../../journey-layer/index.js';
import { createRedis, type Redis } from '../../shared/index.js';

/**
 * One change notice: at `revision`, these `skus`, `all` offers, one customer's data (her `loyalty`) or one
 * order changed.
 */
export interface Notice {
  revision: number;
  skus?: string[];
  all?: boolean;
  customerId?: string;
  loyalty?: boolean;
  /** An order placed or moved. */
  orderId?: string;
}

/**
 * Journey changes that may change every offer: the rules in force, the programme, a scheduled switch, the
 * delivery promise's zones and sourcing rules.
 */
const EVERY_OFFER: ReadonlySet<string> = new Set([
  'promotion.changed',
  'loyalty-program.changed',
  'price.schedule-switched',
  'shipping-zone.changed',
  'sourcing.changed',
]);

/**
 * This node's stream of change notices: read-model notices (SKUs, locations, resets, watermarks) and journey
 * notices (loyalty, customers, promotions), for the subscriptions of its connected clients.
 */
export class ChangeFeed {
  private readonly listeners = new Set<(n: Notice) => void>();
  private readonly sub: Redis;
  private readonly unsubscribeReadModel: () => void;

  constructor(readModel: ReadModel, redisUrl: string, redisPrefix: string) {
    this.unsubscribeReadModel = readModel.onChange((c) =>
      this.emit({
        revision: c.revision,
        ...(c.skus ? { skus: c.skus } : {}),
        all: !!(c.reset || c.locations),
      }),
    );
    this.sub = createRedis(redisUrl, { connectionName: 'omnihub:subscriptions' });
    this.sub.on('message', (_ch: string, msg: string) => {
      let j: JourneyChange;
      try {
        j = JSON.parse(msg) as JourneyChange;
      } catch {
        return;
      }
      this.emit({
        revision: j.revision,
        all: EVERY_OFFER.has(j.type),
        ...(j.customerId ? { customerId: j.customerId, loyalty: j.type === 'loyalty.changed' } : {}),
        ...(j.orderId ? { orderId: j.orderId } : {}),
      });
    });
    void this.sub.subscribe(journeyChangesChannel(redisPrefix)).catch(() => undefined);
  }

  private emit(n: Notice): void {
    for (const l of this.listeners) l(n);
  }

  /** Calls `listener` with every notice until the returned function is called. */
  listen(listener: (n: Notice) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    this.unsubscribeReadModel();
    this.listeners.clear();
    this.sub.disconnect();
  }
}
