import { z } from 'zod';
import { defineCondition } from './define.js';

/** The customer has never ordered before. */
export const firstOrderCondition = defineCondition({
  kind: 'firstOrder',
  scope: 'cart',
  schema: z.strictObject({ kind: z.literal('firstOrder') }),
  test: (_p, ctx) => !!ctx.customer && ctx.customer.firstOrder,
  describe: () => 'on your first order',
});
