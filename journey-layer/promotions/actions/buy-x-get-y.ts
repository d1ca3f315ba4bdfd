import { z } from 'zod';
import { percentOf } from '../../../shared/index.js';
import { defineAction } from './define.js';
import { unitsByPrice } from './spread.js';

/** Buy X, get Y (the cheapest units of each group) free or at a percentage off: "3 for 2". */
export const buyXGetYAction = defineAction({
  kind: 'buyXGetY',
  schema: z.strictObject({
    kind: z.literal('buyXGetY'),
    buy: z.number().int().min(1).max(100),
    get: z.number().int().min(1).max(100),
    percentBp: z.number().int().min(1).max(10_000).default(10_000),
  }),
  apply: (p, lines) => {
    const units = unitsByPrice(lines);
    const group = p.buy + p.get;
    const discounts = new Map(lines.map((l) => [l.lineId, 0]));
    for (let g = 0; g + group <= units.length; g += group) {
      for (const u of units.slice(g + p.buy, g + group))
        discounts.set(u.lineId, discounts.get(u.lineId)! + percentOf(u.price, p.percentBp));
    }
    return { discounts, extraPoints: 0 };
  },
  describe: (p) =>
    p.percentBp === 10_000
      ? `${p.buy + p.get} for ${p.buy}`
      : `buy ${p.buy}, get ${p.get} at ${p.percentBp / 100}% off`,
});
