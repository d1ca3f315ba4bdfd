import { z } from 'zod';
import { AmountSchema, formatMoney } from '../../../shared/index.js';
import { AmountCurrencySchema } from '../amount-currency.js';
import { defineAction } from './define.js';
import { spread } from './spread.js';

/** A fixed amount off the eligible lines together (or per eligible unit), spread over them pro rata. */
export const amountOffAction = defineAction({
  kind: 'amountOff',
  schema: z.strictObject({
    kind: z.literal('amountOff'),
    amount: AmountSchema.min(1),
    perUnit: z.boolean().default(false),
    currency: AmountCurrencySchema,
  }),
  apply: (p, lines) => {
    if (!p.perUnit) return { discounts: spread(p.amount, lines), extraPoints: 0 };
    return {
      discounts: new Map(lines.map((l) => [l.lineId, Math.min(l.amount, p.amount * l.quantity)])),
      extraPoints: 0,
    };
  },
  currencyOf: (p) => p.currency,
  describe: (p) =>
    `${formatMoney({ amount: p.amount, currency: p.currency })} off${p.perUnit ? ' each' : ''}`,
});
