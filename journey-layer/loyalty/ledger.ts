import { sql } from 'kysely';
import { DomainError, runWrite, writeInTransaction } from '../../shared/index.js';
import type { Executor, LoyaltyLedgerKind, Transaction, WriteContext } from '../tables.js';
import type { JourneyDeps } from '../journey-deps.js';
import { findOrderHead, listOrders } from '../../backoffice-layer/index.js';
import { lockLiveCustomer, resolveCustomerId } from '../customers/customer-reads.js';
import {
  DEFAULT_PROGRAM,
  describeBenefits,
  heldTier,
  LoyaltyProgramSchema,
  nextTier,
  pointsForOrder,
  tierAfterEarning,
  type LoyaltyProgram,
} from './program.js';
import { orderStanding, pointsKept } from './order-standing.js';

export const PROGRAM_ID = 'default';

export interface LoyaltyStatusView {
  customerId: string;
  tier: string;
  tierName: string;
  points: number;
  nextTier: string | null;
  pointsToNextTier: number | null;
  benefits: string[];
  revision: number;
}

export async function getLoyaltyProgram(db: Executor): Promise<LoyaltyProgram> {
  const row = await db
    .selectFrom('loyaltyPrograms')
    .select('definition')
    .where('id', '=', PROGRAM_ID)
    .executeTakeFirst();
  return row ? LoyaltyProgramSchema.parse(row.definition) : DEFAULT_PROGRAM;
}

/**
 * Replaces the programme (tiers, thresholds, benefits) and recomputes nothing eagerly: tiers follow on each
 * change.
 */
export async function setLoyaltyProgram(
  deps: JourneyDeps,
  program: LoyaltyProgram,
): Promise<{ program: LoyaltyProgram; revision: number }> {
  const { revision } = await runWrite(deps, async (w) => {
    w.atRevision(async (tx, rev) => {
      await tx
        .insertInto('loyaltyPrograms')
        .values({ id: PROGRAM_ID, definition: JSON.stringify(program), revision: rev, updatedAt: w.now })
        .onConflict((oc) =>
          oc
            .column('id')
            .doUpdateSet({ definition: JSON.stringify(program), revision: rev, updatedAt: w.now }),
        )
        .execute();
    });
    w.emit({
      type: 'loyalty-program.changed',
      aggregateType: 'loyalty-program',
      aggregateId: PROGRAM_ID,
      payload: { tiers: program.tiers.map((t) => t.id) },
    });
  });
  return { program, revision };
}

/**
 * Points earned (net of reversals, never below 0) in the rolling window ending at `now`: what the tier is
 * computed from.
 */
export async function earnedInWindow(
  tx: Executor,
  customerId: string,
  program: LoyaltyProgram,
  now: Date,
): Promise<number> {
  const since = new Date(now.getTime() - program.rollingWindowDays * 86_400_000);
  const r = await tx
    .selectFrom('loyaltyLedger')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('points'), sql<number>`0`).as('n'))
    .where('customerId', '=', customerId)
    .where('kind', 'in', ['EARN', 'REVERSE'])
    .where('earnedAt', '>=', since)
    .executeTakeFirstOrThrow();
  return Math.max(0, Number(r.n));
}

/**
 * Appends one ledger entry and moves the balance with it (a conditional update: the balance never goes below
 * zero under any concurrency), recomputes the tier and announces `loyalty.changed`. Returns null when the
 * entry was already booked (its kind and reference are unique for earn, reverse and expire) or would overdraw
 * the balance. `entry.points`: whole points, negative to debit.
 */
export async function book(
  w: WriteContext,
  customerId: string,
  entry: { kind: LoyaltyLedgerKind; points: number; reference: string | null; reason: string | null },
  program: LoyaltyProgram,
): Promise<{ balance: number; tier: string } | null> {
  const first = program.tiers[0]!.id;
  await w.tx
    .insertInto('loyaltyAccounts')
    .values({ customerId, balance: 0, tier: first, revision: 0, updatedAt: w.now })
    .onConflict((oc) => oc.column('customerId').doNothing())
    .execute();
  if (entry.reference && ['EARN', 'REVERSE', 'EXPIRE'].includes(entry.kind)) {
    const dup = await w.tx
      .selectFrom('loyaltyLedger')
      .select('id')
      .where('kind', '=', entry.kind)
      .where('reference', '=', entry.reference)
      .executeTakeFirst();
    if (dup) return null;
  }
  const moved = await w.tx
    .updateTable('loyaltyAccounts')
    .set((eb) => ({ balance: eb('balance', '+', entry.points), updatedAt: w.now }))
    .where('customerId', '=', customerId)
    .where(sql<boolean>`balance + ${entry.points} >= 0`)
    .returning(['balance'])
    .executeTakeFirst();
  if (!moved) return null; // would go below zero
  const tier = tierAfterEarning(
    program,
    await earnedInWindow(w.tx, customerId, program, w.now),
    entry.kind === 'EARN' || entry.kind === 'REVERSE' ? entry.points : 0,
  );
  await w.tx
    .updateTable('loyaltyAccounts')
    .set({ tier: tier.id })
    .where('customerId', '=', customerId)
    .execute();
  const expiresAt =
    entry.kind === 'EARN' && program.pointsExpireAfterDays
      ? new Date(w.now.getTime() + program.pointsExpireAfterDays * 86_400_000)
      : null;
  w.atRevision(async (tx, rev) => {
    await tx
      .insertInto('loyaltyLedger')
      .values({
        customerId,
        kind: entry.kind,
        points: entry.points,
        reference: entry.reference,
        reason: entry.reason,
        earnedAt: w.now,
        expiresAt,
        revision: rev,
      })
      .execute();
    await tx
      .updateTable('loyaltyAccounts')
      .set({ revision: rev })
      .where('customerId', '=', customerId)
      .execute();
  });
  w.emit({
    type: 'loyalty.changed',
    aggregateType: 'customer',
    aggregateId: customerId,
    payload: { customerId, tier: tier.id, balance: moved.balance },
  });
  return { balance: moved.balance, tier: tier.id };
}

async function requireMember(tx: Executor, customerId: string): Promise<string> {
  return resolveCustomerId(tx, customerId);
}

/**
 * The member an event's ledger write is about, her live profile locked first (the hub's lock order, see
 * shared/database/write-transaction.ts), or null when she is no longer there (an event about an erased person
 * books nothing).
 */
export async function lockMemberIfLive(tx: Executor, customerId: string): Promise<string | null> {
  try {
    return await lockLiveCustomer(tx, customerId);
  } catch (e) {
    if (e instanceof DomainError && e.code === 'NOT_FOUND') return null;
    throw e;
  }
}

/** The member's tier, balance and what it takes to reach the next tier. */
export async function getLoyaltyStatus(
  db: Executor,
  customerId: string,
  now: Date,
): Promise<LoyaltyStatusView> {
  const id = await requireMember(db, customerId);
  const program = await getLoyaltyProgram(db);
  const account = await db
    .selectFrom('loyaltyAccounts')
    .select(['balance', 'tier', 'revision'])
    .where('customerId', '=', id)
    .executeTakeFirst();
  const tier = heldTier(program, account?.tier);
  const next = nextTier(program, tier);
  const earned = account ? await earnedInWindow(db, id, program, now) : 0;
  return {
    customerId: id,
    tier: tier.id,
    tierName: tier.name,
    points: account?.balance ?? 0,
    nextTier: next?.id ?? null,
    pointsToNextTier: next ? Math.max(0, next.threshold - earned) : null,
    benefits: describeBenefits(tier),
    revision: account?.revision ?? 0,
  };
}

/**
 * Spends points. Fifty concurrent redemptions against one balance cannot overdraw it: the balance moves by a
 * conditional update, and a redemption that does not fit fails with CONFLICT. Idempotent per key. The
 * member's profile is locked first, so a redemption racing her erasure either commits before it or finds
 * nobody.
 * @throws BAD_USER_INPUT for a points value out of range; NOT_FOUND for an unknown or erased member (also one
 * erased while the redemption waited); CONFLICT when the balance does not cover it.
 */
export async function redeemPoints(
  deps: JourneyDeps,
  customerId: string,
  points: number,
  idempotencyKey: string,
): Promise<{ status: LoyaltyStatusView; revision: number; replayed: boolean }> {
  if (!Number.isInteger(points) || points <= 0 || points > 10_000_000)
    throw new DomainError('BAD_USER_INPUT', 'points must be a whole number from 1 to 10,000,000', { points });
  const { result, revision, replayed } = await runWrite(
    deps,
    async (w) => {
      const id = await lockLiveCustomer(w.tx, customerId);
      const program = await getLoyaltyProgram(w.tx);
      const booked = await book(
        w,
        id,
        { kind: 'REDEEM', points: -points, reference: idempotencyKey, reason: 'redeemed' },
        program,
      );
      if (!booked) {
        const balance =
          (
            await w.tx
              .selectFrom('loyaltyAccounts')
              .select('balance')
              .where('customerId', '=', id)
              .executeTakeFirst()
          )?.balance ?? 0;
        throw new DomainError('CONFLICT', `Not enough points: ${balance} available, ${points} asked`, {
          balance,
          points,
        });
      }
      return id;
    },
    { idempotency: { scope: 'redeem-points', key: idempotencyKey, request: { customerId, points } } },
  );
  return { status: await getLoyaltyStatus(deps.db, result, deps.clock.now()), revision, replayed };
}

/**
 * A manual correction by staff, with its reason (kept in the ledger). Cannot take the balance below zero.
 * `adjustment.points`: whole points, positive to credit, negative to debit, at most 10,000,000 either way;
 * `adjustment.reason`: 1–200 characters. Idempotent per `idempotencyKey` (scope `adjust-points`).
 * @throws BAD_USER_INPUT for a zero or out-of-range value or a missing reason; NOT_FOUND for an unknown or
 * erased member; CONFLICT when it would take the balance below zero, or for a key used before with another
 * adjustment.
 */
export async function adjustPoints(
  deps: JourneyDeps,
  adjustment: { customerId: string; points: number; reason: string },
  idempotencyKey: string,
): Promise<{ status: LoyaltyStatusView; revision: number }> {
  const { customerId, points, reason } = adjustment;
  if (!Number.isInteger(points) || points === 0 || Math.abs(points) > 10_000_000)
    throw new DomainError('BAD_USER_INPUT', 'points must be a non-zero whole number', { points });
  if (reason.trim().length === 0 || reason.length > 200)
    throw new DomainError('BAD_USER_INPUT', 'a reason of 1–200 characters is required', {});
  const { result, revision } = await runWrite(
    deps,
    async (w) => {
      const id = await lockLiveCustomer(w.tx, customerId);
      const booked = await book(
        w,
        id,
        { kind: 'ADJUST', points, reference: idempotencyKey, reason },
        await getLoyaltyProgram(w.tx),
      );
      if (!booked)
        throw new DomainError('CONFLICT', 'The adjustment would take the balance below zero', { points });
      return id;
    },
    { idempotency: { scope: 'adjust-points', key: idempotencyKey, request: { customerId, points, reason } } },
  );
  return { status: await getLoyaltyStatus(deps.db, result, deps.clock.now()), revision };
}

/**
 * Expires the points a member earned more than the programme's expiry period ago and has not spent (spending
 * uses the oldest points first). Booked once per member and day.
 */
export async function expirePoints(deps: JourneyDeps, customerId: string): Promise<number> {
  const { result } = await runWrite(deps, async (w) => {
    const id = await lockLiveCustomer(w.tx, customerId);
    const program = await getLoyaltyProgram(w.tx);
    if (!program.pointsExpireAfterDays) return 0;
    await w.tx
      .selectFrom('loyaltyAccounts')
      .select('balance')
      .where('customerId', '=', id)
      .forUpdate()
      .executeTakeFirst();
    const r = await sql<{ old: number; spent: number }>`
      SELECT coalesce(sum(points) FILTER (WHERE kind IN ('EARN', 'ADJUST', 'MERGE') AND points > 0
                      AND expires_at IS NOT NULL AND expires_at <= ${w.now}), 0)::int AS old,
             coalesce(-sum(points) FILTER (WHERE points < 0), 0)::int AS spent
      FROM loyalty_ledger WHERE customer_id = ${id}`.execute(w.tx);
    const due = Math.max(0, (r.rows[0]?.old ?? 0) - (r.rows[0]?.spent ?? 0));
    if (due === 0) return 0;
    const booked = await book(
      w,
      id,
      {
        kind: 'EXPIRE',
        points: -due,
        reference: `expire:${id}:${w.now.toISOString().slice(0, 10)}`,
        reason: 'points expired',
      },
      program,
    );
    return booked ? due : 0;
  });
  return result;
}

/**
 * Records that member `customerId` (locked by the caller) has ordered, if she had not before: every
 * first-order offer ends with her first order, whatever its currency and whether or not it earns points.
 */
async function markFirstOrder(tx: Transaction, customerId: string, now: Date): Promise<void> {
  await tx
    .updateTable('customers')
    .set({ firstOrderAt: now })
    .where('id', '=', customerId)
    .where('firstOrderAt', 'is', null)
    .execute();
}

/**
 * An online order was placed (`sale.committed`): it earns nothing yet — its points follow its fulfilments,
 * see fulfilment-points.ts — but it is her order from now on, so it ends every first-order offer at once (a
 * second order placed before the first is delivered must not be priced as a first order again). Inside the
 * event consumer's transaction.
 */
export async function recordOnlineOrder(
  tx: Transaction,
  now: Date,
  order: { customerRef: string | null },
): Promise<void> {
  if (!order.customerRef) return;
  const id = await lockMemberIfLive(tx, order.customerRef);
  if (id !== null) await markFirstOrder(tx, id, now);
}

/**
 * An online order was cancelled (`order.changed` to CANCELLED: every fulfilment cancelled or uncollected): it
 * earned nothing (no fulfilment reached her), and if it was her only order that is not cancelled, her
 * first-order offers are open again — the offer it used is given back, like its coupons and budget (see
 * `giveBackPromotionUse`). Inside the event consumer's transaction, her profile locked first, so an order she
 * places meanwhile is either seen here or marks her first order after this.
 */
export async function recordCancelledOrder(
  tx: Transaction,
  order: { orderId: string; customerRef: string | null },
): Promise<void> {
  if (!order.customerRef) return;
  const id = await lockMemberIfLive(tx, order.customerRef);
  if (id === null) return;
  let after: string | null = null;
  do {
    const page = await listOrders(tx, { customerId: id, limit: 50, ...(after ? { after } : {}) });
    if (page.orders.some((o) => o.id !== order.orderId && o.status !== 'CANCELLED')) return;
    after = page.next;
  } while (after !== null);
  await tx.updateTable('customers').set({ firstOrderAt: null }).where('id', '=', id).execute();
}

/**
 * Earns on a committed store sale (handed over at the till), inside the event consumer's transaction (so it
 * happens once per order): the sale's total at the tier she holds, plus `extraPoints` its promotions
 * promised, under the order id. Also the order that ends her first-order offers. Answers the points booked.
 */
export async function earnForOrder(
  tx: Transaction,
  now: Date,
  sale: { orderId: string; customerRef: string | null; totalAmount: number; currency: string },
  extraPoints = 0,
): Promise<number> {
  if (!sale.customerRef) return 0;
  const id = await lockMemberIfLive(tx, sale.customerRef);
  if (id === null) return 0;
  const { result } = await writeInTransaction(tx, now, async (w) => {
    const program = await getLoyaltyProgram(w.tx);
    // An order in another currency than the programme's earns no points (pointsForOrder), but it is an order:
    // her first one ends every first-order offer, whatever its currency.
    const account = await w.tx
      .selectFrom('loyaltyAccounts')
      .select('tier')
      .where('customerId', '=', id)
      .executeTakeFirst();
    const tier = heldTier(program, account?.tier);
    const points = pointsForOrder(
      program,
      tier,
      { amount: sale.totalAmount, currency: sale.currency },
      extraPoints,
    );
    await markFirstOrder(w.tx, id, now);
    if (points === 0) return 0;
    const booked = await book(
      w,
      id,
      { kind: 'EARN', points, reference: sale.orderId, reason: `order ${sale.orderId.slice(0, 8)}` },
      program,
    );
    return booked ? points : 0;
  });
  return result;
}

/**
 * Reverses the points of returned goods once per return, as the cumulative share of the points the order
 * earned: after any returns, the order keeps `pointsKept` — the points reversed for it are ⌊points earned ×
 * refunded so far ÷ amount earned on⌋ (refunds counted up to and including this return, at most the amount
 * earned on), those a fulfilment did not earn because of a refund booked before it reached her included. The
 * amount earned on is a store sale's total, or what was paid for an online order's fulfilments delivered or
 * collected so far (see `orderStanding`): returning everything reverses every point however the return is
 * split, and a fulfilment delivered after a return earns its own points net of the same share (see
 * `earnForFulfilments`), so the order of deliveries and returns does not change the total. Never takes the
 * balance below zero; what could not be taken then is taken by a later return of the order.
 * @example 10 × 1,99 earned 19 points; ten returns of one unit reverse 1, then 2 each (⌊1.9 k⌋ after k) → 19
 *   in all.
 */
export async function reverseForReturn(
  tx: Transaction,
  now: Date,
  ret: { returnId: string; orderId: string; customerRef: string | null; refundAmount: number },
): Promise<number> {
  if (!ret.customerRef) return 0;
  const id = await lockMemberIfLive(tx, ret.customerRef);
  if (id === null) return 0;
  const { result } = await writeInTransaction(tx, now, async (w) => {
    const order = await findOrderHead(w.tx, ret.orderId);
    if (!order) return 0;
    const program = await getLoyaltyProgram(w.tx);
    // Locked first: the returns of one order are reversed one after the other, each seeing what the others
    // took.
    const account = await w.tx
      .selectFrom('loyaltyAccounts')
      .select('balance')
      .where('customerId', '=', id)
      .forUpdate()
      .executeTakeFirst();
    const standing = await orderStanding(w.tx, order, program, ret.returnId);
    const due = Math.min(standing.booked - pointsKept(standing), account?.balance ?? 0);
    if (due <= 0) return 0;
    const booked = await book(
      w,
      id,
      {
        kind: 'REVERSE',
        points: -due,
        reference: ret.returnId,
        reason: `return ${ret.returnId.slice(0, 8)}`,
      },
      program,
    );
    return booked ? due : 0;
  });
  return result;
}
