import { z } from 'zod';
import { AmountSchema, formatMoney } from '../../../shared/index.js';
import { AmountCurrencySchema } from '../amount-currency.js';
import { defineAction } from './define.js';

/** Each eligible unit costs this price (never raises a price). */
export const fixedPriceAction = defineAction({
  kind: 'fixedPrice',
  schema: z.strictObject({
    kind: z.literal('fixedPrice'),
    unitAmount: AmountSchema,
    currency: AmountCurrencySchema,
  }),
  apply: (p, lines) => ({
    discounts: new Map(lines.map((l) => [l.lineId, Math.max(0, l.amount - p.unitAmount * l.quantity)])),
    extraPoints: 0,
  }),
  currencyOf: (p) => p.currency,
  describe: (p) => `now ${formatMoney({ amount: p.unitAmount, currency: p.currency })} each`,
});
