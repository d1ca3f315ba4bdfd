import { z } from 'zod';
import { defineCondition } from './define.js';

/** The line's SKU is one of these. */
export const skuCondition = defineCondition({
  kind: 'sku',
  scope: 'line',
  schema: z.strictObject({
    kind: z.literal('sku'),
    skus: z.array(z.string().min(1).max(64)).min(1).max(1000),
  }),
  test: (p, _ctx, line) => !!line && p.skus.includes(line.sku),
  describe: (p) => (p.skus.length === 1 ? `on ${p.skus[0]}` : `on ${p.skus.length} selected items`),
});
