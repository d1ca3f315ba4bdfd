import { isUuid } from '../../shared/index.js';
import type { Executor } from '../tables.js';
import { bonusReference } from './order-standing.js';

/**
 * The loyalty points order `orderId` has earned so far (whole points, ≥ 0 before reversals): a store sale's
 * at the till, an online order's per fulfilment delivered or collected plus its promotions' extra points once
 * fulfilled (see fulfilment-points.ts), each net of the refunds booked before it was earned. Returns booked
 * after reverse points separately and are not subtracted here: this is what the order earned, as its page
 * shows it. 0 for an order that earned nothing yet, or of nobody known, or an id that is no UUID.
 */
export async function pointsEarnedOnOrder(db: Executor, orderId: string): Promise<number> {
  if (!isUuid(orderId)) return 0;
  const row = await db
    .selectFrom('loyaltyLedger')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<string>('points'), eb.lit(0)).as('points'))
    .where('kind', '=', 'EARN')
    .where((eb) =>
      eb.or([
        eb('reference', 'in', [orderId, bonusReference(orderId)]),
        eb(
          'reference',
          'in',
          eb
            .selectFrom('fulfilmentPoints')
            .select((f) => f.cast<string>('fulfilmentId', 'text').as('reference'))
            .where('orderId', '=', orderId),
        ),
      ]),
    )
    .executeTakeFirstOrThrow();
  return Number(row.points);
}
