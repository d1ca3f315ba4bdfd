import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  priceCart,
  PromotionRuleSchema,
  type CartLine,
  type CustomerContext,
  type PromotionRule,
  type PromotionRuleInput,
} from '../../../journey-layer/index.js';

const rule = (r: PromotionRuleInput): PromotionRule => PromotionRuleSchema.parse(r);
const at = new Date('2026-11-27T15:00:00Z'); // a Friday, 16:00 in Amsterdam
const coat: CartLine = {
  lineId: 'l1',
  sku: 'COAT-M',
  quantity: 1,
  unitAmount: 12995,
  category: 'coats',
  attributes: { colour: 'navy', size: 'M' },
  vatRateBp: 2100,
};
const socks = (lineId: string, quantity: number, unitAmount = 999): CartLine => ({
  lineId,
  sku: `SOCK-${lineId}`,
  quantity,
  unitAmount,
  category: 'socks',
  attributes: {},
  vatRateBp: 2100,
});
const anne: CustomerContext = {
  id: '11111111-1111-4111-8111-111111111111',
  tier: 'GOLD',
  segments: ['newsletter'],
  firstOrder: false,
  personalisationConsent: true,
};

const coats20 = rule({
  id: 'coats-20',
  label: 'Winter coats',
  conditions: [{ kind: 'category', categories: ['coats'] }],
  action: { kind: 'percentOff', percentBp: 2000 },
});
const socks3for2 = rule({
  id: 'socks-3for2',
  label: 'Socks',
  conditions: [{ kind: 'category', categories: ['socks'] }],
  action: { kind: 'buyXGetY', buy: 2, get: 1 },
});
const tenOff100 = rule({
  id: 'ten-off',
  label: 'Spend €100',
  conditions: [{ kind: 'cartSubtotal', min: 10000 }],
  action: { kind: 'amountOff', amount: 1000 },
});

describe('priceCart — worked examples', () => {
  it('applies a category percentage, rounding half-up per line, with VAT and a reason to read out', () => {
    const q = priceCart({ currency: 'EUR', at, lines: [coat], rules: [coats20] });
    expect(q.lines[0]).toMatchObject({ base: 12995, final: 10396, savings: 2599, vat: 1804 });
    expect(q.lines[0]!.adjustments).toEqual([
      {
        source: 'PROMOTION',
        id: 'coats-20',
        label: 'Winter coats',
        amount: 2599,
        reason: 'Winter coats: 20% off on coats',
      },
    ]);
    expect(q).toMatchObject({ subtotal: 12995, discountTotal: 2599, total: 10396, vatTotal: 1804 });
  });

  it('gives the cheapest sock of every three free ("3 for 2")', () => {
    const q = priceCart({
      currency: 'EUR',
      at,
      lines: [socks('a', 2, 999), socks('b', 2, 799)],
      rules: [socks3for2],
    });
    expect(q.discountTotal).toBe(799);
    expect(q.lines.find((l) => l.lineId === 'b')!.adjustments[0]!.reason).toBe('Socks: 3 for 2 on socks');
  });

  it('spreads an amount off over the lines pro rata, exactly', () => {
    const q = priceCart({ currency: 'EUR', at, lines: [coat, socks('s', 1)], rules: [tenOff100] });
    expect(q.lines.map((l) => l.savings)).toEqual([929, 71]);
    expect(q.discountTotal).toBe(1000);
  });

  it(
    'caps a budgeted promotion at what is left of its budget, spread over its lines; a spent ' +
      'budget gives nothing',
    () => {
      const lines = [coat, { ...coat, lineId: 'l2', sku: 'COAT-L', unitAmount: 6000 }];
      const uncapped = priceCart({ currency: 'EUR', at, lines, rules: [coats20] });
      expect(uncapped.discountTotal).toBe(2599 + 1200);
      const capped = priceCart({
        currency: 'EUR',
        at,
        lines,
        rules: [coats20],
        budgets: new Map([['coats-20', 1000]]),
      });
      expect(capped.lines.map((l) => l.savings)).toEqual([684, 316]); // 1000 in proportion 2599 : 1200
      expect(capped.discountTotal).toBe(1000);
      const spent = priceCart({
        currency: 'EUR',
        at,
        lines,
        rules: [coats20],
        budgets: new Map([['coats-20', 0]]),
      });
      expect(spent).toMatchObject({ discountTotal: 0, appliedRules: [] });
      expect(
        priceCart({ currency: 'EUR', at, lines, rules: [coats20], budgets: new Map([['coats-20', 10_000]]) }),
      ).toEqual(uncapped);
    },
  );

  it('prices bundles, tiered spend, fixed prices and extra points', () => {
    const bundle = rule({
      id: 'bundle',
      label: 'Sock bundle',
      conditions: [{ kind: 'category', categories: ['socks'] }],
      action: { kind: 'bundlePrice', quantity: 3, price: 2000 },
    });
    expect(priceCart({ currency: 'EUR', at, lines: [socks('a', 4)], rules: [bundle] }).total).toBe(
      2000 + 999,
    );
    const tiered = rule({
      id: 'tiered',
      label: 'Spend more, save more',
      action: {
        kind: 'tieredSpend',
        tiers: [
          { min: 5000, amount: 500 },
          { min: 10000, percentBp: 1000 },
        ],
      },
    });
    expect(priceCart({ currency: 'EUR', at, lines: [socks('a', 6)], rules: [tiered] }).discountTotal).toBe(
      500,
    );
    expect(priceCart({ currency: 'EUR', at, lines: [coat], rules: [tiered] }).discountTotal).toBe(1300);
    const fixed = rule({
      id: 'fixed',
      label: 'Navy days',
      conditions: [{ kind: 'attribute', name: 'colour', values: ['navy'] }],
      action: { kind: 'fixedPrice', unitAmount: 9995 },
    });
    expect(priceCart({ currency: 'EUR', at, lines: [coat], rules: [fixed] }).total).toBe(9995);
    const points = rule({
      id: 'pts',
      label: 'Double points on coats',
      conditions: [{ kind: 'category', categories: ['coats'] }],
      action: { kind: 'extraPoints', points: 50, perUnit: true },
    });
    const q = priceCart({ currency: 'EUR', at, lines: [{ ...coat, quantity: 2 }], rules: [points] });
    expect(q).toMatchObject({ extraPoints: 100, discountTotal: 0, appliedRules: ['pts'] });
  });

  it('stacks in stage order: promotions, coupons, then the member discount, each on what is left', () => {
    const coupon = rule({
      id: 'welcome',
      label: 'Welcome code',
      couponRequired: true,
      action: { kind: 'percentOff', percentBp: 1000 },
    });
    const q = priceCart({
      currency: 'EUR',
      at,
      lines: [coat],
      rules: [coats20, coupon],
      customer: anne,
      coupons: [
        { code: 'WELCOME10', ruleId: 'welcome' },
        { code: 'BOGUS', ruleId: null },
      ],
      member: { tier: 'GOLD', tierName: 'Gold', discountBp: 1000, categories: [] },
    });
    expect(q.lines[0]!.adjustments.map((a) => [a.source, a.amount])).toEqual([
      ['PROMOTION', 2599],
      ['COUPON', 1040],
      ['LOYALTY', 936],
    ]);
    expect(q.appliedCoupons).toEqual(['WELCOME10']);
    expect(q.rejectedCoupons).toEqual([{ code: 'BOGUS', reason: 'unknown coupon code' }]);
  });

  it('honours exclusivity', () => {
    const excl = rule({
      id: 'excl',
      label: 'Clearance',
      priority: 10,
      stacking: 'EXCLUSIVE',
      conditions: [{ kind: 'sku', skus: ['COAT-M'] }],
      action: { kind: 'percentOff', percentBp: 5000 },
    });
    const q = priceCart({
      currency: 'EUR',
      at,
      lines: [coat, socks('s', 3)],
      rules: [excl, coats20, socks3for2],
      member: { tier: 'GOLD', tierName: 'Gold', discountBp: 1000, categories: [] },
    });
    expect(q.lines[0]!.adjustments.map((a) => a.id)).toEqual(['excl']);
    expect(q.lines[1]!.adjustments.map((a) => a.id)).toEqual(['socks-3for2', 'tier:GOLD']);
    const all = rule({
      id: 'all',
      label: 'Black Friday',
      priority: 100,
      stacking: 'EXCLUSIVE_ALL',
      action: { kind: 'percentOff', percentBp: 3000 },
    });
    const q2 = priceCart({
      currency: 'EUR',
      at,
      lines: [coat, socks('s', 3)],
      rules: [all, coats20, socks3for2],
      member: { tier: 'GOLD', tierName: 'Gold', discountBp: 1000, categories: [] },
    });
    expect(q2.appliedRules).toEqual(['all']);
    expect(q2.lines.every((l) => l.adjustments.length === 1)).toBe(true);
  });

  it(
    'applies personal offers only with the personalisation consent, and honours windows and ' +
      'opening hours',
    () => {
      const personal = rule({
        id: 'for-anne',
        label: 'Just for you',
        target: { segments: ['newsletter'] },
        action: { kind: 'amountOff', amount: 500 },
      });
      expect(
        priceCart({ currency: 'EUR', at, lines: [coat], rules: [personal], customer: anne }).discountTotal,
      ).toBe(500);
      expect(
        priceCart({
          currency: 'EUR',
          at,
          lines: [coat],
          rules: [personal],
          customer: { ...anne, personalisationConsent: false },
        }).discountTotal,
      ).toBe(0);
      expect(priceCart({ currency: 'EUR', at, lines: [coat], rules: [personal] }).discountTotal).toBe(0);
      const friday = rule({
        id: 'happy-hour',
        label: 'Happy hour',
        conditions: [
          { kind: 'schedule', days: [5], from: '16:00', to: '18:00', timeZone: 'Europe/Amsterdam' },
        ],
        action: { kind: 'percentOff', percentBp: 1000 },
      });
      expect(priceCart({ currency: 'EUR', at, lines: [coat], rules: [friday] }).discountTotal).toBe(1300);
      expect(
        priceCart({ currency: 'EUR', at: new Date('2026-11-27T14:59:59Z'), lines: [coat], rules: [friday] })
          .discountTotal,
      ).toBe(0);
      expect(
        priceCart({ currency: 'EUR', at: new Date('2026-11-27T17:00:00Z'), lines: [coat], rules: [friday] })
          .discountTotal,
      ).toBe(0);
      const windowed = rule({
        id: 'w',
        label: 'Weekend',
        validFrom: '2026-11-28T00:00:00+01:00',
        validTo: '2026-11-30T00:00:00+01:00',
        action: { kind: 'percentOff', percentBp: 1000 },
      });
      expect(
        priceCart({
          currency: 'EUR',
          at: new Date('2026-11-27T22:59:59.999Z'),
          lines: [coat],
          rules: [windowed],
        }).discountTotal,
      ).toBe(0);
      expect(
        priceCart({ currency: 'EUR', at: new Date('2026-11-27T23:00:00Z'), lines: [coat], rules: [windowed] })
          .discountTotal,
      ).toBe(1300);
      const firstOrder = rule({
        id: 'first',
        label: 'First order',
        conditions: [{ kind: 'firstOrder' }],
        action: { kind: 'amountOff', amount: 1000 },
      });
      expect(
        priceCart({
          currency: 'EUR',
          at,
          lines: [coat],
          rules: [firstOrder],
          customer: { ...anne, firstOrder: true },
        }).discountTotal,
      ).toBe(1000);
      expect(
        priceCart({ currency: 'EUR', at, lines: [coat], rules: [firstOrder], customer: anne }).discountTotal,
      ).toBe(0);
    },
  );

  it('rejects malformed rules at the schema', () => {
    expect(
      PromotionRuleSchema.safeParse({ id: 'x', label: 'x', action: { kind: 'percentOff', percentBp: 20000 } })
        .success,
    ).toBe(false);
    expect(PromotionRuleSchema.safeParse({ id: 'x', label: 'x', action: { kind: 'teleport' } }).success).toBe(
      false,
    );
    expect(
      PromotionRuleSchema.safeParse({
        id: 'x',
        label: 'x',
        conditions: [{ kind: 'schedule', timeZone: 'Mars/Olympus' }],
        action: { kind: 'percentOff', percentBp: 100 },
      }).success,
    ).toBe(false);
  });
});

describe('priceCart — properties', () => {
  const line = fc.record({
    sku: fc.constantFrom('COAT-M', 'COAT-L', 'SOCK-1', 'SHIRT-S', 'HAT'),
    quantity: fc.integer({ min: 1, max: 6 }),
    unitAmount: fc.integer({ min: 0, max: 50_000 }),
    category: fc.constantFrom('coats', 'socks', 'shirts'),
    colour: fc.constantFrom('navy', 'red'),
  });
  const lines = fc.uniqueArray(line, { minLength: 1, maxLength: 6, selector: (l) => l.sku }).map((ls) =>
    ls.map((l, i) => ({
      lineId: `l${i}`,
      sku: l.sku,
      quantity: l.quantity,
      unitAmount: l.unitAmount,
      category: l.category,
      attributes: { colour: l.colour },
      vatRateBp: 2100,
    })),
  );
  const action = fc.oneof(
    fc.integer({ min: 1, max: 10_000 }).map((percentBp) => ({ kind: 'percentOff' as const, percentBp })),
    fc.integer({ min: 1, max: 100_000 }).map((amount) => ({ kind: 'amountOff' as const, amount })),
    fc.integer({ min: 0, max: 20_000 }).map((unitAmount) => ({ kind: 'fixedPrice' as const, unitAmount })),
    fc
      .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 }))
      .map(([buy, get]) => ({ kind: 'buyXGetY' as const, buy, get })),
    fc
      .tuple(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 0, max: 30_000 }))
      .map(([quantity, price]) => ({ kind: 'bundlePrice' as const, quantity, price })),
  );
  const rules = fc
    .uniqueArray(
      fc.record({
        id: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
        priority: fc.integer({ min: -2, max: 2 }),
        stacking: fc.constantFrom('STACKABLE', 'EXCLUSIVE', 'EXCLUSIVE_ALL') as fc.Arbitrary<
          'STACKABLE' | 'EXCLUSIVE' | 'EXCLUSIVE_ALL'
        >,
        category: fc.option(fc.constantFrom('coats', 'socks', 'shirts'), { nil: undefined }),
        action,
      }),
      { maxLength: 4, selector: (r) => r.id },
    )
    .map((rs) =>
      rs.map((r) =>
        rule({
          id: r.id,
          label: `Rule ${r.id}`,
          priority: r.priority,
          stacking: r.stacking,
          conditions: r.category ? [{ kind: 'category', categories: [r.category] }] : [],
          action: r.action,
        }),
      ),
    );
  const member = fc.option(
    fc
      .integer({ min: 1, max: 3000 })
      .map((discountBp) => ({ tier: 'GOLD', tierName: 'Gold', discountBp, categories: [] })),
    { nil: null },
  );

  it('never goes below zero, adds up, and gives each line what its adjustments say', () => {
    fc.assert(
      fc.property(lines, rules, member, (ls, rs, m) => {
        const q = priceCart({ currency: 'EUR', at, lines: ls, rules: rs, member: m });
        for (const l of q.lines) {
          expect(l.final).toBeGreaterThanOrEqual(0);
          expect(l.final).toBeLessThanOrEqual(l.base);
          expect(l.base - l.adjustments.reduce((s, a) => s + a.amount, 0)).toBe(l.final);
          expect(l.adjustments.every((a) => a.amount > 0)).toBe(true);
        }
        expect(q.total).toBe(q.lines.reduce((s, l) => s + l.final, 0));
        expect(q.subtotal - q.discountTotal).toBe(q.total);
      }),
      { numRuns: 500 },
    );
  });

  it('is deterministic and independent of the order of lines and rules', () => {
    fc.assert(
      fc.property(lines, rules, member, (ls, rs, m) => {
        const a = priceCart({ currency: 'EUR', at, lines: ls, rules: rs, member: m });
        const b = priceCart({
          currency: 'EUR',
          at,
          lines: [...ls].reverse(),
          rules: [...rs].reverse(),
          member: m,
        });
        const byId = (q: typeof a) => [...q.lines].sort((x, y) => (x.lineId < y.lineId ? -1 : 1));
        expect(byId(b)).toEqual(byId(a));
        expect(b.total).toBe(a.total);
        expect(priceCart({ currency: 'EUR', at, lines: ls, rules: rs, member: m })).toEqual(a);
      }),
      { numRuns: 300 },
    );
  });

  it('spreads an amount-off exactly: its parts sum to the discount (capped at the eligible total)', () => {
    fc.assert(
      fc.property(lines, fc.integer({ min: 1, max: 200_000 }), (ls, amount) => {
        const q = priceCart({
          currency: 'EUR',
          at,
          lines: ls,
          rules: [rule({ id: 'x', label: 'X', action: { kind: 'amountOff', amount } })],
        });
        expect(q.discountTotal).toBe(Math.min(amount, q.subtotal));
      }),
      { numRuns: 300 },
    );
  });

  it(
    'keeps exclusive lines free of any other adjustment, and ' +
      'nothing after an EXCLUSIVE_ALL that applied',
    () => {
      fc.assert(
        fc.property(lines, rules, member, (ls, rs, m) => {
          const q = priceCart({ currency: 'EUR', at, lines: ls, rules: rs, member: m });
          const stacking = new Map(rs.map((r) => [r.id, r.stacking]));
          for (const l of q.lines) {
            if (l.adjustments.some((a) => stacking.get(a.id) === 'EXCLUSIVE'))
              expect(l.adjustments).toHaveLength(1);
          }
          const firstAll = q.appliedRules.findIndex((id) => stacking.get(id) === 'EXCLUSIVE_ALL');
          if (firstAll >= 0) {
            expect(q.appliedRules).toHaveLength(firstAll + 1);
            expect(q.lines.every((l) => l.adjustments.every((a) => a.source !== 'LOYALTY'))).toBe(true);
          }
        }),
        { numRuns: 400 },
      );
    },
  );
});
