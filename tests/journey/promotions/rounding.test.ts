import { describe, expect, it } from '@jest/globals';
import { priceCart, PromotionRuleSchema, type CartLine } from '../../../journey-layer/index.js';

// Issue 11: the per-line percentage rule and the pro-rata split (largest remainder, `prorate`) written once.
const at = new Date('2026-11-27T15:00:00Z');
const line = (sku: string, unitAmount: number, quantity = 1): CartLine => ({
  lineId: sku,
  sku,
  quantity,
  unitAmount,
  category: 'socks',
  attributes: {},
  vatRateBp: 2100,
});

describe('rounding of promotions', () => {
  it('splits a bundle saving over its units by largest remainder (RULES.md §7)', () => {
    const bundle = PromotionRuleSchema.parse({
      id: 'three',
      label: 'Three for 5,00',
      action: { kind: 'bundlePrice', quantity: 3, price: 500 },
    });
    // 1,00 saved on 3,00 + 2,00 + 1,00: 50 + 33⅓ + 16⅔ → the cent left goes to the largest remainder (⅔).
    const q = priceCart({
      currency: 'EUR',
      at,
      lines: [line('A', 300), line('B', 200), line('C', 100)],
      rules: [bundle],
    });
    expect(q.lines.map((l) => l.savings)).toEqual([50, 33, 17]);
    expect(q.total).toBe(500);
  });

  it('rounds a percentage half-up per line, the same for a promotion and the member discount', () => {
    const lines = [line('A', 1999), line('B', 333, 3)];
    const promotion = priceCart({
      currency: 'EUR',
      at,
      lines,
      rules: [
        PromotionRuleSchema.parse({ id: 'p', label: 'P', action: { kind: 'percentOff', percentBp: 1500 } }),
      ],
    });
    const member = priceCart({
      currency: 'EUR',
      at,
      lines,
      rules: [],
      member: { tier: 'GOLD', tierName: 'Gold', discountBp: 1500, categories: [] },
    });
    // 15 % of 19,99 = 2,9985 → 3,00; of 9,99 = 1,4985 → 1,50.
    expect(promotion.lines.map((l) => l.savings)).toEqual([300, 150]);
    expect(member.lines.map((l) => l.savings)).toEqual([300, 150]);
  });
});
