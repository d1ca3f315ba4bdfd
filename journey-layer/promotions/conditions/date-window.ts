import { z } from 'zod';
import { defineCondition } from './define.js';

/**
 * The answer's instant lies in [from, to): `from` inclusive, `to` exclusive, ISO 8601 instants with an
 * offset; either may be left out (open-ended). A window whose `from` is not before its `to` could never apply
 * and is refused.
 */
export const dateWindowCondition = defineCondition({
  kind: 'dateWindow',
  scope: 'cart',
  schema: z
    .strictObject({
      kind: z.literal('dateWindow'),
      from: z.iso.datetime({ offset: true }).optional(),
      to: z.iso.datetime({ offset: true }).optional(),
    })
    .refine((p) => p.from === undefined || p.to === undefined || Date.parse(p.from) < Date.parse(p.to), {
      message: 'from must be before to',
      path: ['to'],
    }),
  test: (p, ctx) =>
    (!p.from || Date.parse(p.from) <= ctx.at.getTime()) && (!p.to || ctx.at.getTime() < Date.parse(p.to)),
  describe: (p) => (p.to ? `until ${p.to.slice(0, 10)}` : 'for a limited time'),
  nextEdge: (p, after) => {
    const edges = [p.from, p.to]
      .filter((e): e is string => e !== undefined)
      .map(Date.parse)
      .filter((t) => t > after.getTime());
    return edges.length ? new Date(Math.min(...edges)) : null;
  },
});
