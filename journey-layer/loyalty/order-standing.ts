/**
 * Where an order stands in points, and the one rule for what it keeps of them (issue 12): whatever comes
 * first — a fulfilment reaching her, the order being fulfilled, a return — each of these events books the
 * difference between what the order keeps then (`pointsKept`) and what its ledger entries add up to so far.
 * So a return booked before a fulfilment earns reduces what that fulfilment earns in the same proportion as
 * a return after it reverses, and the order of events does not change the total.
 */
import { refundsOfOrder } from '../../backoffice-layer/index.js';
import type { Executor } from '../tables.js';
import { pointsForOrder, type LoyaltyProgram } from './program.js';

/**
 * The ledger reference of the extra points an online order's promotions promised (`order_bonus_points`),
 * earned once when the order is fulfilled. A store sale books them with its own points, under the order id.
 */
export const bonusReference = (orderId: string): string => `${orderId}:bonus`;

/** What an order earned on, was refunded and has booked: the inputs of {@link pointsKept}. */
export interface OrderStanding {
  /**
   * The points the order earned before any refund (whole points): a store sale's (or an online order's that
   * earned when placed) EARN under the order id; else the points of each fulfilment delivered or collected
   * (`fulfilment_points.points`, on the order's cumulative amount) plus, once the order was fulfilled, its
   * promotions' extra points in the share she received (`bonusShare`).
   */
  earned: number;
  /**
   * The amount those points were earned on (minor units of the order's currency): a store sale's total, or
   * what was paid for an online order's fulfilments delivered or collected so far.
   */
  basis: number;
  /** What was refunded of the order (minor units): every return so far, or up to one return. */
  refunded: number;
  /** The points booked for the order so far, net: its EARN entries less its returns' REVERSE entries. */
  booked: number;
  /** Whether its points were earned at the till or at placement (an EARN under the order id). */
  atPlacement: boolean;
  /**
   * Whether the promotions' extra points of an online order were settled: an EARN under its bonus reference
   * (of 0 points when they netted to nothing).
   */
  bonusSettled: boolean;
}

/**
 * The points an order keeps of those it earned (whole points): ⌊earned × refunded ÷ basis⌋ are taken back
 * (refunds counted up to the amount earned on), so returning everything returns every point however the
 * returns are split, and a refund booked before a fulfilment earns takes the same share as one booked after.
 * An order that earned on nothing (basis 0) keeps what it earned.
 * @example pointsKept({ earned: 259, basis: 25990, refunded: 12995 }) // 259 − 129 = 130
 */
export function pointsKept(s: Pick<OrderStanding, 'earned' | 'basis' | 'refunded'>): number {
  if (s.earned <= 0 || s.basis <= 0) return Math.max(0, s.earned);
  const refunded = Math.max(0, Math.min(s.refunded, s.basis));
  return s.earned - Number((BigInt(s.earned) * BigInt(refunded)) / BigInt(s.basis));
}

/**
 * The extra points `promised` (whole points) an online order's promotions earn once it is fulfilled, in the
 * share of the order she received: ⌊promised × `received` ÷ the order's total⌋ (all of them for an order of
 * total 0), so a fulfilment cancelled before it reached her takes its share with it. Added as they are (no
 * tier multiplier), in the programme's currency only (`pointsForOrder`).
 */
export function bonusShare(
  program: LoyaltyProgram,
  order: { totalAmount: number; currency: string },
  promised: number,
  received: number,
): number {
  const share =
    order.totalAmount > 0
      ? Number(
          (BigInt(promised) * BigInt(Math.max(0, Math.min(received, order.totalAmount)))) /
            BigInt(order.totalAmount),
        )
      : promised;
  return pointsForOrder(program, program.tiers[0]!, { amount: 0, currency: order.currency }, share);
}

/**
 * What was refunded of order `orderId` (minor units): up to and including return `throughReturnId` when given
 * (what that return's reversal counts, in the order the returns were committed), else every return so far
 * (what a fulfilment reaching her now counts); with the ids of every return of the order.
 */
async function refundsSoFar(
  db: Executor,
  orderId: string,
  throughReturnId?: string,
): Promise<{ refunded: number; returnIds: string[] }> {
  if (throughReturnId !== undefined) return refundsOfOrder(db, orderId, throughReturnId);
  const { returnIds } = await refundsOfOrder(db, orderId, '');
  let refunded = 0;
  // Refunds add up in revision order: what was refunded through the latest return is the most of them.
  for (const id of returnIds) refunded = Math.max(refunded, (await refundsOfOrder(db, orderId, id)).refunded);
  return { refunded, returnIds };
}

/**
 * Where order `order` stands in points now (see {@link OrderStanding}), refunds counted through return
 * `throughReturnId` when given, else all of them. Reads the ledger and `fulfilment_points`; inside the
 * caller's transaction, her account locked by it.
 */
export async function orderStanding(
  db: Executor,
  order: { id: string; totalAmount: number; currency: string },
  program: LoyaltyProgram,
  throughReturnId?: string,
): Promise<OrderStanding> {
  const parts = await db
    .selectFrom('fulfilmentPoints')
    .select(['fulfilmentId', 'amount', 'points'])
    .where('orderId', '=', order.id)
    .execute();
  const refunds = await refundsSoFar(db, order.id, throughReturnId);
  const references = [order.id, bonusReference(order.id), ...parts.map((p) => p.fulfilmentId)];
  const entries = await db
    .selectFrom('loyaltyLedger')
    .select(['kind', 'reference', 'points'])
    .where((eb) =>
      eb.or([
        eb.and([eb('kind', '=', 'EARN'), eb('reference', 'in', references)]),
        ...(refunds.returnIds.length > 0
          ? [eb.and([eb('kind', '=', 'REVERSE'), eb('reference', 'in', refunds.returnIds)])]
          : []),
      ]),
    )
    .execute();
  const booked = entries.reduce((sum, e) => sum + e.points, 0);
  const atTill = entries.find((e) => e.kind === 'EARN' && e.reference === order.id);
  if (atTill)
    return {
      earned: atTill.points,
      basis: order.totalAmount,
      refunded: refunds.refunded,
      booked,
      atPlacement: true,
      bonusSettled: false,
    };
  const basis = parts.reduce((sum, p) => sum + p.amount, 0);
  const bonusSettled = entries.some((e) => e.kind === 'EARN' && e.reference === bonusReference(order.id));
  const bonus = bonusSettled
    ? await db
        .selectFrom('orderBonusPoints')
        .select('points')
        .where('orderId', '=', order.id)
        .executeTakeFirst()
    : undefined;
  const extra = bonus ? bonusShare(program, order, bonus.points, basis) : 0;
  return {
    earned: parts.reduce((sum, p) => sum + p.points, 0) + extra,
    basis,
    refunded: refunds.refunded,
    booked,
    atPlacement: false,
    bonusSettled,
  };
}
