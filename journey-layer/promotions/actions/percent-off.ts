import { z } from 'zod';
import { defineAction } from './define.js';
import { percentOffLines } from './percent-off-line.js';

/** A percentage off each eligible line, rounded half-up per line. */
export const percentOffAction = defineAction({
  kind: 'percentOff',
  schema: z.strictObject({ kind: z.literal('percentOff'), percentBp: z.number().int().min(1).max(10_000) }),
  apply: (p, lines) => ({ discounts: percentOffLines(lines, p.percentBp), extraPoints: 0 }),
  describe: (p) => `${p.percentBp / 100}% off`,
});
