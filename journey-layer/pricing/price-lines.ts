import { selectPrice } from '../../backoffice-layer/index.js';
import { DomainError, formatMoney, MAX_MONEY_AMOUNT } from '../../shared/index.js';
import {
  describeBenefits,
  pointsForOrder,
  tierAfterEarning,
  type LoyaltyProgram,
  type Tier,
} from '../loyalty/program.js';
import { priceCart, type PricedCart } from '../promotions/engine.js';
import type { PricingInputs } from './consistent-inputs.js';

/** The points an order would earn the customer, and the tier recording them would give her. */
export interface LoyaltyPreview {
  pointsEarned: number;
  tierAfter: string | null;
}

/** A priced cart as an answer carries it, all but its fingerprint. */
export interface PricedAnswer extends PricedCart {
  /** Null for an anonymous customer. */
  loyalty: LoyaltyPreview | null;
  revision: number;
  /** The instant it was priced at (ISO 8601). */
  asOf: string;
}

/**
 * Prices lines (SKU and quantity, a SKU's lines merged) from inputs already read: base prices from the
 * snapshot, then promotions, coupons and the member discount; with the content its fingerprint covers (the
 * priced cart, the loyalty preview and the tier's benefits). `budgets`: what is left of each budgeted
 * promotion (minor units).
 * @throws NOT_FOUND for a SKU without a sellable product or a price; BAD_USER_INPUT for a cart above
 * `MAX_MONEY_AMOUNT`.
 */
export function priceLines(
  inputLines: ReadonlyArray<{ sku: string; quantity: number }>,
  inputs: PricingInputs,
  budgets: ReadonlyMap<string, number>,
): { priced: PricedAnswer; content: unknown } {
  const merged = new Map<string, number>();
  for (const l of inputLines) merged.set(l.sku, (merged.get(l.sku) ?? 0) + l.quantity);
  const skus = [...merged.keys()].sort();
  const { snapshot, at } = inputs;
  const currency = inputs.pricing.currency;
  const lines = skus.map((sku) => {
    const view = snapshot.skus.get(sku);
    if (!view || view.product.status !== 'ACTIVE')
      throw new DomainError('NOT_FOUND', `No sellable product ${sku}`, { sku });
    const quantity = merged.get(sku)!;
    const price = selectPrice(view.prices, { at, quantity, currency });
    // The market is named: a client whose currency has no price list would otherwise read this as a SKU
    // that does not exist.
    if (!price)
      throw new DomainError('NOT_FOUND', `${sku} has no price in ${currency} at ${at.toISOString()}`, {
        sku,
        currency,
      });
    return {
      lineId: sku,
      sku,
      quantity,
      unitAmount: price.amount,
      category: view.product.category,
      attributes: view.product.attributes,
      vatRateBp: view.product.vatRateBp,
    };
  });

  const { facts, program, rules, coupons, tier } = inputs.pricing;
  const priced = priceCart({
    currency,
    at,
    lines,
    rules,
    coupons,
    budgets,
    customer: facts
      ? {
          id: facts.id,
          tier: tier?.id ?? null,
          segments: facts.segments,
          firstOrder: facts.firstOrder,
          personalisationConsent: facts.consents.PERSONALISATION,
        }
      : null,
    member:
      tier && tier.benefits.memberDiscountBp > 0
        ? {
            tier: tier.id,
            tierName: tier.name,
            discountBp: tier.benefits.memberDiscountBp,
            categories: tier.benefits.discountCategories,
          }
        : null,
  });
  // The subtotal is the largest amount of the answer (every line's base and final, the total, are at most
  // it).
  if (priced.subtotal > MAX_MONEY_AMOUNT) {
    const cart = formatMoney({ amount: priced.subtotal, currency: priced.currency });
    const max = formatMoney({ amount: MAX_MONEY_AMOUNT, currency: priced.currency });
    throw new DomainError(
      'BAD_USER_INPUT',
      `This cart comes to ${cart}, more than the largest amount an order may have (${max})`,
      { subtotal: priced.subtotal, max: MAX_MONEY_AMOUNT },
    );
  }
  const loyalty = tier ? loyaltyPreview(program, tier, inputs.pricing.earnedInWindow, priced) : null;
  const content = { ...priced, loyalty, benefits: tier ? describeBenefits(tier) : [] };
  return { priced: { ...priced, loyalty, revision: snapshot.revision, asOf: at.toISOString() }, content };
}

/**
 * The points this order earns her, and the tier recording it gives her: her points earned in the window plus
 * these.
 */
function loyaltyPreview(
  program: LoyaltyProgram,
  tier: Tier,
  earned: number,
  priced: PricedCart,
): LoyaltyPreview {
  const points = pointsForOrder(
    program,
    tier,
    { amount: priced.total, currency: priced.currency },
    priced.extraPoints,
  );
  return { pointsEarned: points, tierAfter: tierAfterEarning(program, earned, points).id };
}
