/**
 * Points follow an online order's fulfilment (issue 12, "Loyalty and coupons follow").
 *
 * The rule, decided: an online order earns nothing when it is placed. Each of its fulfilments earns when it
 * reaches DELIVERED or COLLECTED — the moment the customer has the goods (see `pointsEarnedOn`). Not at
 * SHIPPED: a parcel can still be lost or refused, and points granted then would have to be clawed back from
 * a balance she may have spent. A store sale still earns when it is committed: it is handed over at the till.
 * A fulfilment earns on what was paid for its lines (`fulfilmentAmounts`), exactly once (the event worker
 * records the event as applied, `fulfilment_points` holds one row per fulfilment and the ledger's reference
 * is the fulfilment id), net of the refunds already booked for the order: a return before the parcel arrives
 * takes the share of its points a return after it would reverse (one rule, `pointsKept` in
 * order-standing.ts), so the order of deliveries and returns does not change what she keeps. The extra
 * points the order's promotions promised are earned once, when the order becomes FULFILLED — every
 * fulfilment closed, at least one delivered or collected: they reward the order, so they wait until it is
 * settled (then what she received is known: she earns them in that share, net of refunds like the rest), and
 * a wholly cancelled order (never FULFILLED) earns none of them.
 */
import { findOrderHead, getOrder, type OrderDetail } from '../../backoffice-layer/index.js';
import { prorate, writeInTransaction } from '../../shared/index.js';
import type { Transaction } from '../tables.js';
import { heldTier, pointsForOrder } from './program.js';
import { book, getLoyaltyProgram, lockMemberIfLive } from './ledger.js';
import { bonusReference, bonusShare, orderStanding, pointsKept } from './order-standing.js';

/**
 * What was paid for each fulfilment's lines (minor units of the order's currency), by fulfilment id: for each
 * SKU it carries, the order's lines of that SKU at the fulfilment's location (where its units are held — for
 * a click & collect transfer the warehouse, not the pickup store), pro rata by units when those units are
 * split over several fulfilments (largest remainder, so the parts of a line add up to it).
 * @example lines SOCK 3 units for 10,00 at wh-1; fulfilments A (1 SOCK at wh-1), B (2 SOCK at wh-1)
 *   → A 3,33, B 6,67
 */
export function fulfilmentAmounts(order: Pick<OrderDetail, 'lines' | 'fulfilments'>): Map<string, number> {
  const out = new Map<string, number>(order.fulfilments.map((f) => [f.id, 0]));
  const carried = order.fulfilments
    .flatMap((f) => f.lines.map((l) => ({ id: f.id, key: `${l.sku} ${f.locationId}`, quantity: l.quantity })))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  for (const key of new Set(carried.map((c) => c.key))) {
    const lines = order.lines.filter((l) => `${l.sku} ${l.locationId}` === key);
    const takers = carried.filter((c) => c.key === key);
    const amount = lines.reduce((sum, l) => sum + l.lineAmount, 0);
    const units = lines.reduce((sum, l) => sum + l.quantity, 0);
    const taken = takers.reduce((sum, c) => sum + c.quantity, 0);
    const parts = prorate(amount, [...takers.map((c) => c.quantity), Math.max(0, units - taken)]);
    takers.forEach((c, i) => out.set(c.id, out.get(c.id)! + parts[i]!));
  }
  return out;
}

/** What an `order.changed` event says of the order whose fulfilments reached the customer. */
export interface DeliveredFulfilments {
  orderId: string;
  customerRef: string | null;
  /** The fulfilments of this change that reached DELIVERED or COLLECTED. */
  fulfilmentIds: readonly string[];
}

/**
 * Earns the points of fulfilments that reached the customer, inside the event consumer's transaction, once
 * per fulfilment (one already earned is skipped). Points count on the order's cumulative amount: a
 * fulfilment's points are those of everything earned on so far plus its own amount, less those of everything
 * earned on so far, at the tier she holds now — so a split order earns what the same order in one parcel
 * would (whole currency units are not lost to each parcel's rounding); `fulfilment_points` records them with
 * the amount. What it books is net of the refunds already booked for the order (`pointsKept`, the rule of
 * `reverseForReturn`): the order's points kept after it less those booked before — so a return before the
 * parcel arrives takes the same share of its points as a return after it, and returning everything before it
 * arrives leaves nothing to earn. Every rule of `pointsForOrder` holds: the programme's currency only, whole
 * units, her tier's multiplier; the tier is recomputed on each entry (the rolling window counts points from
 * when they were earned). An online order that earned at placement (before points followed fulfilment: an
 * EARN under its id) earns nothing more. Answers the points booked.
 */
export async function earnForFulfilments(
  tx: Transaction,
  now: Date,
  change: DeliveredFulfilments,
): Promise<number> {
  if (!change.customerRef || change.fulfilmentIds.length === 0) return 0;
  const id = await lockMemberIfLive(tx, change.customerRef);
  if (id === null) return 0;
  const { result } = await writeInTransaction(tx, now, async (w) => {
    const order = await getOrder(w.tx, change.orderId);
    if (!order) return 0;
    const program = await getLoyaltyProgram(w.tx);
    const standing = await orderStanding(w.tx, order, program);
    if (standing.atPlacement) return 0;
    const earned = await w.tx
      .selectFrom('fulfilmentPoints')
      .select('fulfilmentId')
      .where('orderId', '=', order.id)
      .execute();
    const amounts = fulfilmentAmounts(order);
    let tierId = (
      await w.tx.selectFrom('loyaltyAccounts').select('tier').where('customerId', '=', id).executeTakeFirst()
    )?.tier;
    let total = 0;
    const due = [...new Set(change.fulfilmentIds)].filter(
      (f) => amounts.has(f) && !earned.some((e) => e.fulfilmentId === f),
    );
    for (const fulfilmentId of due) {
      const amount = amounts.get(fulfilmentId)!;
      const tier = heldTier(program, tierId);
      const pointsOn = (a: number) => pointsForOrder(program, tier, { amount: a, currency: order.currency });
      const points = pointsOn(standing.basis + amount) - pointsOn(standing.basis);
      await w.tx
        .insertInto('fulfilmentPoints')
        .values({ fulfilmentId, orderId: order.id, amount, points, earnedAt: w.now })
        .execute();
      standing.basis += amount;
      standing.earned += points;
      const net = pointsKept(standing) - standing.booked;
      if (net <= 0) continue;
      const booked = await book(
        w,
        id,
        {
          kind: 'EARN',
          points: net,
          reference: fulfilmentId,
          reason: `order ${order.id.slice(0, 8)} received`,
        },
        program,
      );
      if (booked) {
        total += net;
        standing.booked += net;
        tierId = booked.tier;
      }
    }
    return total;
  });
  return result;
}

/**
 * Earns the extra points order `orderId`'s promotions promised (`order_bonus_points`, recorded with the
 * order), once, when the order became FULFILLED; inside the event consumer's transaction. She earns them in
 * the share of the order she received (`bonusShare`: what was paid for its delivered and collected
 * fulfilments ÷ the order's total) — so a fulfilment cancelled before it reached her takes its share with
 * it — and, like a fulfilment's points, net of the refunds already booked for the order (`pointsKept`), as
 * a return after takes its share back (`reverseForReturn`). Like every point, only in the programme's
 * currency; none for an order that earned at placement. When her share nets to nothing while part of what
 * she received is kept, the entry is booked with 0 points all the same: it records that the share was
 * settled, so later returns count it among the order's points. Answers the points booked.
 */
export async function earnOrderBonus(
  tx: Transaction,
  now: Date,
  order: { orderId: string; customerRef: string | null },
): Promise<number> {
  if (!order.customerRef) return 0;
  const bonus = await tx
    .selectFrom('orderBonusPoints')
    .select('points')
    .where('orderId', '=', order.orderId)
    .executeTakeFirst();
  if (!bonus) return 0;
  const id = await lockMemberIfLive(tx, order.customerRef);
  if (id === null) return 0;
  const { result } = await writeInTransaction(tx, now, async (w) => {
    const head = await findOrderHead(w.tx, order.orderId);
    if (!head) return 0;
    const program = await getLoyaltyProgram(w.tx);
    const standing = await orderStanding(w.tx, head, program);
    if (standing.atPlacement || standing.bonusSettled) return 0;
    const share = bonusShare(program, head, bonus.points, standing.basis);
    if (share <= 0) return 0;
    const net = Math.max(0, pointsKept({ ...standing, earned: standing.earned + share }) - standing.booked);
    // Everything she received was refunded: the order keeps no point whatever it earned, nothing to record.
    if (net === 0 && standing.refunded >= standing.basis) return 0;
    const booked = await book(
      w,
      id,
      {
        kind: 'EARN',
        points: net,
        reference: bonusReference(order.orderId),
        reason: `order ${order.orderId.slice(0, 8)} promotion`,
      },
      program,
    );
    return booked ? net : 0;
  });
  return result;
}
