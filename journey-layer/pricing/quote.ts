import { z } from 'zod';
import { FulfilmentInputSchema, type ReadModel } from '../../backoffice-layer/index.js';
import { CurrencyCodeSchema, MAX_LINE_QUANTITY, parseInput, UuidSchema } from '../../shared/index.js';
import type { JourneyDeps } from '../journey-deps.js';
import { consistentInputs, type PricingInputs } from './consistent-inputs.js';
import { cartDelivery, PromiseContext, type DeliveryPromiseAnswer } from './delivery.js';
import { fingerprint } from './fingerprint.js';
import { priceLines, type PricedAnswer } from './price-lines.js';
import { budgetsOf } from './pricing-context.js';

export const QuoteInputSchema = z.strictObject({
  lines: z
    .array(
      z.strictObject({
        sku: z.string().min(1).max(64),
        quantity: z.number().int().min(1).max(MAX_LINE_QUANTITY),
      }),
    )
    .min(1)
    .max(200),
  customerId: UuidSchema.nullish(),
  couponCodes: z.array(z.string().min(1).max(40)).max(20).optional(),
  minRevision: z.number().int().min(0).optional(),
  /** The request's market (ISO 4217): the channel client's currency; absent or null: the hub's default. */
  currency: CurrencyCodeSchema.nullish(),
  /** How the cart is to reach the customer: with it the quote answers its delivery promise. */
  fulfilment: FulfilmentInputSchema.nullish(),
});
export type QuoteInput = z.infer<typeof QuoteInputSchema>;

/**
 * A priced cart with its loyalty preview, revision, instant, delivery promise and fingerprint (SHA-256 of its
 * content, the promise included).
 */
export interface Quote extends PricedAnswer {
  /** What is promised for `fulfilment` (see cartDelivery); empty without it. */
  delivery: DeliveryPromiseAnswer[];
  fingerprint: string;
}

/**
 * What this customer pays for these lines now: base prices from the backoffice snapshot, then promotions,
 * coupons and the loyalty member discount, with every adjustment explained, the VAT part, and the points the
 * order would earn; with `fulfilment`, what is promised for it (one DELIVERY promise per shipment, or the
 * PICKUP promise; none when the stock cannot serve the cart). Takes no channel: every channel of one market
 * (`currency`: the client's, else the hub's default) gets the same answer, revision and fingerprint.
 * @throws BAD_USER_INPUT for invalid input, a `minRevision` ahead of the hub, a cart above the largest
 * amount, or a fulfilment the hub cannot serve (a delivery without a country or to a postcode no shipping
 * zone serves, a pickup at a location without click & collect); NOT_FOUND for an unknown customer or a SKU
 * without a sellable product or price.
 */
export async function quote(
  deps: JourneyDeps,
  raw: QuoteInput,
  opts: { readModel?: ReadModel; preview?: QuotePreview } = {},
): Promise<Quote> {
  return (await repricableQuote(deps, raw, opts)).quote;
}

/**
 * A quote of another instant or with other promotions, changing nothing (see the promotion preview): priced
 * at `at` exactly (price and promotion windows as they stand then; the data as the hub holds it now) with the
 * promotions in force that `rules` makes of the stored ones (a draft added or put in place of its saved
 * version). Absent: the quote of now with the promotions in force.
 */
export interface QuotePreview {
  at: Date;
  rules?: (stored: PricingInputs['pricing']['rules']) => PricingInputs['pricing']['rules'];
}

/** A quote, the budgeted promotions it priced with, and the same cart priced again with other budgets. */
export interface RepricableQuote {
  quote: Quote;
  /** What was left of each budgeted promotion in force when the quote was priced (rule id → minor units). */
  budgets: ReadonlyMap<string, number>;
  /** The same cart, customer, coupons, rules and instant, priced with these budgets instead. */
  reprice(budgets: ReadonlyMap<string, number>): Quote;
}

/**
 * `quote`, keeping what it priced with so that an order can price the same cart again inside its transaction
 * with what is left of its promotions' budgets under their row locks (the same engine, the same cap).
 * @throws as `quote`.
 */
export async function repricableQuote(
  deps: JourneyDeps,
  raw: QuoteInput,
  opts: { readModel?: ReadModel; preview?: QuotePreview } = {},
): Promise<RepricableQuote> {
  const input = parseInput(QuoteInputSchema, raw, 'body');
  const { preview } = opts;
  const read = await consistentInputs(deps, {
    skus: [...new Set(input.lines.map((l) => l.sku))].sort(),
    minRevision: input.minRevision,
    readModel: opts.readModel,
    customerId: input.customerId ?? null,
    couponCodes: input.couponCodes ?? [],
    now: preview?.at ?? deps.clock.now(),
    exactInstant: preview !== undefined,
    tierPreview: true,
    currency: input.currency,
  });
  const inputs: PricingInputs = preview?.rules
    ? { ...read, pricing: { ...read.pricing, rules: preview.rules(read.pricing.rules) } }
    : read;
  const budgets = budgetsOf(inputs.pricing.rules);
  let delivery: DeliveryPromiseAnswer[] | undefined;
  const priceWith = (b: ReadonlyMap<string, number>): Quote => {
    const { priced, content } = priceLines(input.lines, inputs, b);
    // The promise depends on the cart, the stock and the instant, not on the budgets: made once, after the
    // price (a SKU that cannot be priced is refused as such first).
    delivery ??= cartDelivery(input.lines, input.fulfilment, PromiseContext.of(inputs.snapshot, inputs.at));
    return {
      ...priced,
      delivery,
      fingerprint: fingerprint({ content, delivery, revision: priced.revision }),
    };
  };
  return { quote: priceWith(budgets), budgets, reprice: priceWith };
}
