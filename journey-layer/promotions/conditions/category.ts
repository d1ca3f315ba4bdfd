import { z } from 'zod';
import { defineCondition } from './define.js';

/** The line's product is in one of these categories. */
export const categoryCondition = defineCondition({
  kind: 'category',
  scope: 'line',
  schema: z.strictObject({
    kind: z.literal('category'),
    categories: z.array(z.string().min(1).max(100)).min(1).max(100),
  }),
  test: (p, _ctx, line) => !!line && p.categories.includes(line.category),
  describe: (p) => `on ${p.categories.join(', ')}`,
});
