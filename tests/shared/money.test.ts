import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  currencyExponent,
  formatMoney,
  isKnownCurrency,
  KnownCurrencySchema,
  mulDivHalfUp,
  percentOf,
  prorate,
  vatPart,
} from '../../shared/index.js';

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

  // ISO 4217 List One: the minor unit of every currency the hub prices in, and no code it cannot price.
  it('knows each currency’s minor unit: 0 for CLP, VND, XOF and JPY, 3 for OMR, IQD and KWD, else 2', () => {
    for (const c of ['CLP', 'VND', 'XOF', 'XAF', 'UGX', 'PYG', 'JPY', 'KRW', 'ISK'])
      expect({ c, e: currencyExponent(c) }).toEqual({ c, e: 0 });
    for (const c of ['OMR', 'IQD', 'LYD', 'KWD', 'BHD', 'JOD', 'TND'])
      expect({ c, e: currencyExponent(c) }).toEqual({ c, e: 3 });
    for (const c of ['EUR', 'GBP', 'USD', 'CHF', 'SEK'])
      expect({ c, e: currencyExponent(c) }).toEqual({ c, e: 2 });
    expect(formatMoney({ amount: 12995, currency: 'CLP' })).toMatch(/12\.995/);
    expect(formatMoney({ amount: 12995, currency: 'OMR' })).toMatch(/12,995/);
  });

  it('prices only in ISO 4217 List One currencies: no metals, funds, test or withdrawn codes', () => {
    for (const c of ['EUR', 'GBP', 'CLP', 'OMR']) expect(isKnownCurrency(c)).toBe(true);
    for (const c of ['XAU', 'XDR', 'XTS', 'XXX', 'HRK', 'ZWL', 'SLL', 'eur', 'EURO', ''])
      expect({ c, known: isKnownCurrency(c) }).toEqual({ c, known: false });
    const refused = KnownCurrencySchema.safeParse('gbp');
    expect(refused.success ? [] : refused.error.issues.map((i) => i.message)).toEqual([
      'an ISO 4217 currency code the hub knows, e.g. EUR',
    ]);
  });
});
