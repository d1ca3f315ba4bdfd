import { z } from 'zod';
import { defineAction } from './define.js';

/** Extra loyalty points for buying the eligible items (no price change). */
export const extraPointsAction = defineAction({
  kind: 'extraPoints',
  schema: z.strictObject({
    kind: z.literal('extraPoints'),
    points: z.number().int().min(1).max(1_000_000),
    perUnit: z.boolean().default(false),
  }),
  apply: (p, lines) => ({
    discounts: new Map(),
    extraPoints: p.perUnit
      ? p.points * lines.reduce((n, l) => n + l.quantity, 0)
      : lines.length > 0
        ? p.points
        : 0,
  }),
  describe: (p) => `${p.points} extra points${p.perUnit ? ' per item' : ''}`,
});
