import { z } from 'zod';
import { defineCondition } from './define.js';

/** The line's product has this attribute with one of these values (e.g. colour navy). */
export const attributeCondition = defineCondition({
  kind: 'attribute',
  scope: 'line',
  schema: z.strictObject({
    kind: z.literal('attribute'),
    name: z.string().min(1).max(40),
    values: z.array(z.string().min(1).max(200)).min(1).max(100),
  }),
  test: (p, _ctx, line) =>
    !!line && line.attributes[p.name] !== undefined && p.values.includes(line.attributes[p.name]!),
  describe: (p) => `on ${p.name} ${p.values.join('/')}`,
});
