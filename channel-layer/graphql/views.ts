/**
 * The channel API's views: how the domain's answers (offers, quotes, orders, products, returns) are shaped
 * for the GraphQL schema. Pure; every amount is integer minor units, shown with the currency of the answer it
 * comes from.
 */
import type { Adjustment, Offer, Quote } from '../../journey-layer/index.js';
import { formatMoney } from '../../shared/index.js';

/** GraphQL `Money`: `amount` in minor units of `currency` (ISO 4217), `formatted` as the shops show it. */
export interface MoneyView {
  amount: number;
  currency: string;
  formatted: string;
}

/**
 * `amount` (minor units) in `currency`, as GraphQL `Money`. The currency always comes from the answer shown.
 */
export function money(amount: number, currency: string): MoneyView {
  return { amount, currency, formatted: formatMoney({ amount, currency }) };
}

/** A price adjustment (promotion, coupon, loyalty) with its discount (minor units) as `Money`. */
export function adjustmentView(a: Adjustment, currency: string) {
  return { ...a, amount: money(a.amount, currency) };
}

/** A product's attributes as GraphQL's `[Attribute!]!`, by name. */
export function attributesView(attributes: Record<string, string>): Array<{ name: string; value: string }> {
  return Object.entries(attributes)
    .sort()
    .map(([name, value]) => ({ name, value }));
}

/** A product with its attributes as a list (see attributesView); every other field as stored. */
export function productView<P extends { attributes: Record<string, string> }>(p: P) {
  return { ...p, attributes: attributesView(p.attributes) };
}

/**
 * One priced line of a quote or order: base, final, savings and VAT (minor units) as `Money` in `currency`.
 */
export function lineView(l: Quote['lines'][number], currency: string) {
  return {
    sku: l.sku,
    quantity: l.quantity,
    base: money(l.base, currency),
    final: money(l.final, currency),
    savings: money(l.savings, currency),
    vat: money(l.vat, currency),
    adjustments: l.adjustments.map((a) => adjustmentView(a, currency)),
  };
}

/**
 * GraphQL `Offer`: price, availability and delivery promise of one SKU; availability lines name their
 * location, promises carry theirs (instants as ISO 8601 strings, what `DateTime` serves).
 */
export function offerView(o: Offer) {
  const locations = new Map(o.locationDetails.map((l) => [l.id, l]));
  const level = (l: { locationId: string | null; available: number; status: string }) => ({
    location: l.locationId ? (locations.get(l.locationId) ?? null) : null,
    available: l.available,
    status: l.status,
  });
  const c = o.price.currency;
  return {
    sku: o.sku,
    product: { ...productView(o.product), status: 'ACTIVE' },
    price: {
      base: money(o.price.base, c),
      final: money(o.price.final, c),
      savings: money(o.price.savings, c),
      adjustments: o.price.adjustments.map((a) => adjustmentView(a, c)),
    },
    availability: {
      online: level(o.availability.online),
      atLocation: o.availability.atLocation ? level(o.availability.atLocation) : null,
      locations: o.availability.locations.map(level),
    },
    delivery: o.delivery,
    revision: o.revision,
    fingerprint: o.fingerprint,
  };
}

/**
 * GraphQL `Quote`: its lines and totals in the quote's currency, the loyalty it earns, the coupons refused
 * and the delivery promise for its fulfilment.
 */
export function quoteView(q: Quote) {
  const c = q.currency;
  return {
    lines: q.lines.map((l) => lineView(l, c)),
    subtotal: money(q.subtotal, c),
    discountTotal: money(q.discountTotal, c),
    total: money(q.total, c),
    vatTotal: money(q.vatTotal, c),
    loyalty: q.loyalty,
    rejectedCoupons: q.rejectedCoupons,
    delivery: q.delivery,
    revision: q.revision,
    fingerprint: q.fingerprint,
  };
}

/**
 * GraphQL `Order`: an order placed or a store sale recorded, its lines priced as the quote it was placed at
 * (with their adjustments); every other field is the stored order's (see orders.ts), `pointsEarned` included:
 * what is booked, not the quote's preview.
 */
export function orderView(o: { orderId: string; quote: Quote; revision: number }) {
  const c = o.quote.currency;
  return {
    id: o.orderId,
    lines: o.quote.lines.map((l) => lineView(l, c)),
    total: money(o.quote.total, c),
    revision: o.revision,
  };
}

/** GraphQL `Return`: the items taken back and the refund (minor units) in `currency`, the order's. */
export function returnView(
  r: { returnId: string; refundAmount: number; revision: number },
  currency: string,
) {
  return { id: r.returnId, refund: money(r.refundAmount, currency), revision: r.revision };
}
