import { z } from 'zod';
import { AmountSchema, KnownCurrencySchema, formatMoney } from '../../../shared/index.js';
import { defineAction } from './define.js';

/** Each eligible unit costs this price (never raises a price). */
export const fixedPriceAction = defineAction({
  kind: 'fixedPrice',
  schema: z.strictObject({
    kind: z.literal('fixedPrice'),
    unitAmount: AmountSchema,
    /** The currency of its amounts (ISO 4217): it applies only to carts priced in that currency. */
    currency: KnownCurrencySchema.default('EUR'),
  }),
  apply: (p, lines) => ({
    discounts: new Map(lines.map((l) => [l.lineId, Math.max(0, l.amount - p.unitAmount * l.quantity)])),
    extraPoints: 0,
  }),
  describe: (p) => `now ${formatMoney({ amount: p.unitAmount, currency: p.currency })} each`,
});
