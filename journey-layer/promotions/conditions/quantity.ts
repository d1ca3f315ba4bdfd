import { z } from 'zod';
import { defineCondition } from './define.js';

/** At least this many eligible units in the cart. */
export const quantityCondition = defineCondition({
  kind: 'quantity',
  scope: 'cart',
  schema: z.strictObject({ kind: z.literal('quantity'), min: z.number().int().min(1).max(10_000) }),
  test: (p, _ctx, _line, eligible) => eligible.reduce((n, l) => n + l.quantity, 0) >= p.min,
  describe: (p) => `when you buy ${p.min} or more`,
});
