import { z } from 'zod';
import { defineCondition } from './define.js';

/** The customer is in one of these segments. */
export const segmentCondition = defineCondition({
  kind: 'segment',
  scope: 'cart',
  schema: z.strictObject({
    kind: z.literal('segment'),
    segments: z.array(z.string().min(1).max(40)).min(1).max(50),
  }),
  test: (p, ctx) => !!ctx.customer && ctx.customer.segments.some((s) => p.segments.includes(s)),
  describe: (p) => `for ${p.segments.join('/')} customers`,
});
