import { DomainError } from '../../shared/index.js';
import type { WriteContext } from '../tables.js';
import { lockLiveCustomer } from '../customers/customer-reads.js';
import type { PricedCart } from '../promotions/engine.js';
import { COUPON_USED_BY_CUSTOMER, COUPON_USED_UP, lockBudgets, redeemAtCommit } from '../promotions/store.js';
import type { JourneyDeps } from '../journey-deps.js';
import { repricableQuote, type Quote, type RepricableQuote } from '../pricing/quote.js';
import { recordDataUse } from '../customers/data-use.js';
import { z } from 'zod';

/**
 * A coupon code the customer gave is part of what she asked: an order never goes through without a code she
 * gave. Used up (by others or by her): CONFLICT; unknown, not valid now or not applicable to this cart:
 * BAD_USER_INPUT.
 */
function refuseUnusedCoupons(q: Quote): void {
  if (q.rejectedCoupons.length === 0) return;
  const usedUp = q.rejectedCoupons.every(
    (c) => c.reason === COUPON_USED_UP || c.reason === COUPON_USED_BY_CUSTOMER,
  );
  throw new DomainError(
    usedUp ? 'CONFLICT' : 'BAD_USER_INPUT',
    `Coupon ${q.rejectedCoupons.map((c) => `${c.code}: ${c.reason}`).join('; ')}`,
    { rejectedCoupons: q.rejectedCoupons },
  );
}

/**
 * An order's price: the quote of its cart for her (lines: SKU and units), kept repricable for the order's
 * transaction, with every coupon code she gave applied.
 * @throws as `quote`; CONFLICT when a code she gave is used up; BAD_USER_INPUT when one is unknown, not valid
 * now or not applicable to this cart.
 */
export async function priceOrder(
  deps: JourneyDeps,
  order: {
    lines: ReadonlyArray<{ sku: string; quantity: number }>;
    customerId: string | null;
    couponCodes?: readonly string[] | null | undefined;
    /** The market's currency (ISO 4217); absent or null: the hub's default. */
    currency?: string | null | undefined;
  },
): Promise<RepricableQuote> {
  const priced = await repricableQuote(deps, {
    lines: [...order.lines],
    customerId: order.customerId,
    ...(order.couponCodes ? { couponCodes: [...order.couponCodes] } : {}),
    currency: order.currency,
  });
  refuseUnusedCoupons(priced.quote);
  return priced;
}

/** What an order used of each promotion (for coupon counts and budgets), from its priced lines. */
function usage(priced: PricedCart): Array<{ code: string | null; promotionId: string; amount: number }> {
  const couponOf = new Map(priced.couponUse.map((c) => [c.ruleId, c.code]));
  const by = new Map<string, number>();
  for (const l of priced.lines)
    for (const a of l.adjustments) if (a.source !== 'LOYALTY') by.set(a.id, (by.get(a.id) ?? 0) + a.amount);
  return [...by].map(([promotionId, amount]) => ({
    code: couponOf.get(promotionId) ?? null,
    promotionId,
    amount,
  }));
}

/** What of a stored promotion rule says whether it uses her data: its target and its segment conditions. */
const PersonalisingRuleSchema = z.object({
  label: z.string(),
  target: z.unknown().optional(),
  conditions: z.array(z.object({ kind: z.string(), segments: z.array(z.string()).optional() })).default([]),
});

/**
 * Puts on her record (`Customer.dataUse`, purpose PERSONALISATION) each promotion of the order's price that
 * used her data: a personal offer (`target`: segments or customers) or one for a segment she is in. One entry
 * per such promotion, in the order's transaction, so it is on record exactly when the order is.
 */
async function recordPersonalOffersApplied(
  w: WriteContext,
  customerId: string,
  orderId: string,
  final: Quote,
  origin: { channel: string; actor: string },
): Promise<void> {
  const ids = [...new Set(final.lines.flatMap((l) => l.adjustments.map((a) => a.id)))];
  if (ids.length === 0) return;
  const rows = await w.tx
    .selectFrom('promotions')
    .select(['id', 'definition'])
    .where('id', 'in', ids)
    .execute();
  const liveId = await lockLiveCustomer(w.tx, customerId);
  for (const row of rows.sort((a, b) => a.id.localeCompare(b.id))) {
    const rule = PersonalisingRuleSchema.safeParse(row.definition);
    if (!rule.success) continue;
    const segments = rule.data.conditions.flatMap((c) => (c.kind === 'segment' ? (c.segments ?? []) : []));
    if (!rule.data.target && segments.length === 0) continue;
    const why = rule.data.target ? 'the personal offer' : `the offer for the segment ${segments.join(', ')}:`;
    await recordDataUse(w.tx, w.now, {
      customerId: liveId,
      actor: origin.actor,
      channel: origin.channel,
      purpose: 'PERSONALISATION',
      what: `applied ${why} "${rule.data.label}" to order ${orderId}`,
    });
  }
}

/**
 * What an order's transaction does for the journey, whichever way the order was placed. `reprice`: the rows
 * of the budgeted promotions the price uses are locked; a price that would give more than is left of a budget
 * (another order spent it meanwhile) is priced again with what is left — a budget caps a discount, it never
 * refuses a sale — and any budgeted promotion the new price uses is locked and checked in turn. `lockFirst`:
 * the customer's live profile is locked before anything else (NOT_FOUND when she was erased meanwhile).
 * `also`: counts the coupon use and budgets of the final price, records the extra points its promotions
 * promised a member, and puts the personal offers it applied on her data-use record (as `origin`: the channel
 * and actor placing it). `final()` is the quote the order was written with. Only the budgets a cart uses are
 * locked, so orders that use none never wait for each other here.
 */
export function orderTransaction<L>(
  priced: RepricableQuote,
  customerId: string | null,
  linesOf: (q: Quote) => L,
  origin: { channel: string; actor: string },
) {
  let final = priced.quote;
  const budgeted = (q: Quote) => usage(q).filter((u) => priced.budgets.has(u.promotionId));
  return {
    final: () => final,
    hooks: {
      // First in the hub's lock order (shared/database/write-transaction.ts): the order serialises with her
      // erasure and merges. After an erasure it finds nobody and is refused (NOT_FOUND) — never written under
      // her old id.
      lockFirst: async (w: WriteContext): Promise<void> => {
        if (customerId !== null) await lockLiveCustomer(w.tx, customerId);
      },
      reprice: async (w: WriteContext): Promise<L | null> => {
        const left = new Map<string, number>();
        // Each round locks the budgets the price newly uses; there are only so many budgeted promotions.
        for (let round = 0; round <= priced.budgets.size + 1; round++) {
          const unlocked = budgeted(final)
            .map((u) => u.promotionId)
            .filter((id) => !left.has(id));
          const locked = await lockBudgets(w, unlocked);
          for (const id of unlocked) left.set(id, locked.get(id) ?? Infinity); // no longer budgeted: no cap
          if (budgeted(final).every((u) => u.amount <= left.get(u.promotionId)!))
            return final === priced.quote ? null : linesOf(final);
          final = priced.reprice(new Map([...priced.budgets, ...left]));
        }
        throw new Error('repricing within promotion budgets did not settle');
      },
      also: async (w: WriteContext, orderId: string): Promise<void> => {
        await redeemAtCommit(w, orderId, customerId, usage(final));
        if (customerId !== null) await recordPersonalOffersApplied(w, customerId, orderId, final, origin);
        if (final.loyalty && final.extraPoints > 0) {
          await w.tx
            .insertInto('orderBonusPoints')
            .values({ orderId, points: final.extraPoints, createdAt: w.now })
            .onConflict((oc) => oc.column('orderId').doNothing())
            .execute();
        }
      },
    },
  };
}
