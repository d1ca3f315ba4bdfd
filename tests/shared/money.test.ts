import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { mulDivHalfUp, percentOf, prorate, vatPart, formatMoney } from '../../shared/index.js';

describe('money', () => {
  it('rounds percentages half-up to the cent', () => {
    expect(percentOf(1999, 1500)).toBe(300); // 2.9985 → 3.00
    expect(percentOf(1000, 1250)).toBe(125);
    expect(percentOf(5, 5000)).toBe(3); // 2.5 → 3
    expect(mulDivHalfUp(-5, 1, 2)).toBe(-3); // halves round away from zero
  });

  it('computes the VAT part of a gross price', () => {
    expect(vatPart(12100, 2100)).toBe(2100);
    expect(vatPart(10900, 900)).toBe(900);
    expect(vatPart(12995, 2100)).toBe(2255); // 129.95 × 21/121 = 22.553…
  });

  it('prorates so the parts always sum to the total', () => {
    expect(prorate(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(prorate(-100, [1, 1, 1])).toEqual([-34, -33, -33]);
    fc.assert(
      fc.property(
        fc.integer({ min: -1_000_000, max: 1_000_000 }),
        fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 1, maxLength: 20 }),
        (total, weights) => {
          const parts = prorate(total, weights);
          expect(parts.reduce((a, b) => a + b, 0)).toBe(total);
          expect(parts).toHaveLength(weights.length);
        },
      ),
    );
  });

  it('rejects fractions of a minor unit', () => {
    expect(() => percentOf(10.5, 100)).toThrow(RangeError);
  });

  it('formats for display', () => {
    expect(formatMoney({ amount: 12995, currency: 'EUR' })).toMatch(/129,95/);
  });
});
