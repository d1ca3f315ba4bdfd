import { z } from 'zod';
import { AmountSchema, formatMoney, prorate } from '../../../shared/index.js';
import { AmountCurrencySchema } from '../amount-currency.js';
import { defineAction } from './define.js';
import { unitsByPrice } from './spread.js';

/** Every N eligible units (most expensive first) together cost a bundle price. */
export const bundlePriceAction = defineAction({
  kind: 'bundlePrice',
  schema: z.strictObject({
    kind: z.literal('bundlePrice'),
    quantity: z.number().int().min(2).max(100),
    price: AmountSchema,
    currency: AmountCurrencySchema,
  }),
  apply: (p, lines) => {
    const units = unitsByPrice(lines);
    const discounts = new Map(lines.map((l) => [l.lineId, 0]));
    for (let g = 0; g + p.quantity <= units.length; g += p.quantity) {
      const bundle = units.slice(g, g + p.quantity);
      const full = bundle.reduce((s, u) => s + u.price, 0);
      const saving = Math.max(0, full - p.price);
      // The saving goes to the units of the bundle pro rata, largest remainder first; exact in total, and
      // never more than a unit costs (the saving is at most the bundle's full price).
      const shares = prorate(
        saving,
        bundle.map((u) => u.price),
      );
      bundle.forEach((u, i) => discounts.set(u.lineId, discounts.get(u.lineId)! + shares[i]!));
    }
    return { discounts, extraPoints: 0 };
  },
  currencyOf: (p) => p.currency,
  describe: (p) => `${p.quantity} for ${formatMoney({ amount: p.price, currency: p.currency })}`,
});
