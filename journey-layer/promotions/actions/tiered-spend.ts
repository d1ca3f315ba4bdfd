import { z } from 'zod';
import { AmountSchema, formatMoney } from '../../../shared/index.js';
import { AmountCurrencySchema } from '../amount-currency.js';
import { defineAction } from './define.js';
import { percentOffLines } from './percent-off-line.js';
import { spread } from './spread.js';

const Tier = z
  .strictObject({
    min: AmountSchema,
    amount: AmountSchema.min(1).optional(),
    percentBp: z.number().int().min(1).max(10_000).optional(),
  })
  .refine(
    (t) => (t.amount === undefined) !== (t.percentBp === undefined),
    'each tier has either amount or percentBp',
  );

/**
 * Spend more, save more: the highest tier the eligible lines reach applies (an amount spread pro rata, or a
 * percentage).
 */
export const tieredSpendAction = defineAction({
  kind: 'tieredSpend',
  schema: z.strictObject({
    kind: z.literal('tieredSpend'),
    tiers: z.array(Tier).min(1).max(10),
    currency: AmountCurrencySchema,
  }),
  apply: (p, lines) => {
    const spent = lines.reduce((s, l) => s + l.amount, 0);
    const tier = [...p.tiers].sort((a, b) => b.min - a.min).find((t) => spent >= t.min);
    if (!tier) return { discounts: new Map(), extraPoints: 0 };
    if (tier.amount !== undefined) return { discounts: spread(tier.amount, lines), extraPoints: 0 };
    return { discounts: percentOffLines(lines, tier.percentBp!), extraPoints: 0 };
  },
  currencyOf: (p) => p.currency,
  describe: (p) =>
    [...p.tiers]
      .sort((a, b) => a.min - b.min)
      .map((t) => {
        const save =
          t.amount !== undefined
            ? formatMoney({ amount: t.amount, currency: p.currency })
            : `${t.percentBp! / 100}%`;
        return `spend ${formatMoney({ amount: t.min, currency: p.currency })}, save ${save}`;
      })
      .join('; '),
});
