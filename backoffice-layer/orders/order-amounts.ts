import type { Executor } from '../tables.js';

/**
 * What was refunded of order `orderId` up to and including return `throughReturnId` (returns counted in
 * revision order, so each return sees the ones committed before it), in minor units of the order's currency,
 * and the ids of every return of the order.
 */
export async function refundsOfOrder(
  db: Executor,
  orderId: string,
  throughReturnId: string,
): Promise<{ refunded: number; returnIds: string[] }> {
  const rows = await db
    .selectFrom('returns')
    .select(['id', 'refundAmount', 'revision'])
    .where('orderId', '=', orderId)
    .execute();
  const through = rows.find((r) => r.id === throughReturnId)?.revision;
  const refunded = rows
    .filter((r) => through !== undefined && r.revision <= through)
    .reduce((sum, r) => sum + r.refundAmount, 0);
  return { refunded, returnIds: rows.map((r) => r.id) };
}
