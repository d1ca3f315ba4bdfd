import { z } from 'zod';
import { AmountSchema, formatMoney } from '../../../shared/index.js';
import { AmountCurrencySchema } from '../amount-currency.js';
import { defineCondition } from './define.js';

/** The whole cart's base subtotal reaches a minimum. */
export const cartSubtotalCondition = defineCondition({
  kind: 'cartSubtotal',
  scope: 'cart',
  schema: z.strictObject({
    kind: z.literal('cartSubtotal'),
    min: AmountSchema,
    currency: AmountCurrencySchema,
  }),
  test: (p, ctx) => ctx.currency === p.currency && ctx.subtotal >= p.min,
  describe: (p) => `when you spend ${formatMoney({ amount: p.min, currency: p.currency })} or more`,
});
