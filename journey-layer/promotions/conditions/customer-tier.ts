import { z } from 'zod';
import { defineCondition } from './define.js';

/** The customer holds one of these loyalty tiers. */
export const customerTierCondition = defineCondition({
  kind: 'customerTier',
  scope: 'cart',
  schema: z.strictObject({
    kind: z.literal('customerTier'),
    tiers: z.array(z.string().min(1).max(32)).min(1).max(20),
  }),
  test: (p, ctx) => !!ctx.customer?.tier && p.tiers.includes(ctx.customer.tier),
  describe: (p) => `for ${p.tiers.join('/')} members`,
});
