import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  isOpenAt,
  nextPriceChange,
  selectPrice,
  type PriceCandidate,
} from '../../../backoffice-layer/index.js';

const c = (over: Partial<PriceCandidate>): PriceCandidate => ({
  priceListId: 'base',
  priority: 0,
  currency: 'EUR',
  listValidFrom: null,
  listValidTo: null,
  minQuantity: 1,
  amount: 10000,
  validFrom: null,
  validTo: null,
  ...over,
});
const at = (s: string) => new Date(s);

describe('selectPrice — worked examples', () => {
  const base = c({ amount: 12995 });
  const sale = c({
    priceListId: 'winter-sale',
    priority: 10,
    amount: 9995,
    listValidFrom: '2026-12-01T00:00:00.000Z',
    listValidTo: '2026-12-15T00:00:00.000Z',
  });

  it('takes the only open price', () => {
    expect(selectPrice([base], { at: at('2026-11-30T12:00:00Z') })).toMatchObject({
      amount: 12995,
      priceListId: 'base',
      currency: 'EUR',
    });
  });

  it(
    'lets the higher-priority list win while its window is ' + 'open, and says until when the answer holds',
    () => {
      expect(selectPrice([base, sale], { at: at('2026-11-30T23:59:59.999Z') })).toMatchObject({
        amount: 12995,
        validTo: '2026-12-01T00:00:00.000Z',
      });
      expect(selectPrice([base, sale], { at: at('2026-12-01T00:00:00.000Z') })).toMatchObject({
        amount: 9995,
        priceListId: 'winter-sale',
        validTo: '2026-12-15T00:00:00.000Z',
      });
      expect(selectPrice([base, sale], { at: at('2026-12-14T23:59:59.999Z') })).toMatchObject({
        amount: 9995,
      });
      // validTo is exclusive: at the closing instant the base price is back.
      expect(selectPrice([base, sale], { at: at('2026-12-15T00:00:00.000Z') })).toMatchObject({
        amount: 12995,
        validTo: null,
      });
    },
  );

  it('honours a window on the price row itself, not only on the list', () => {
    const flash = c({
      priceListId: 'flash',
      priority: 5,
      amount: 7995,
      validFrom: '2026-12-05T09:00:00.000Z',
      validTo: '2026-12-05T17:00:00.000Z',
    });
    expect(selectPrice([base, flash], { at: at('2026-12-05T08:59:59Z') })?.amount).toBe(12995);
    expect(selectPrice([base, flash], { at: at('2026-12-05T09:00:00Z') })?.amount).toBe(7995);
    expect(selectPrice([base, flash], { at: at('2026-12-05T17:00:00Z') })?.amount).toBe(12995);
  });

  it('returns null in a gap where no window is open', () => {
    const only = c({ listValidFrom: '2026-12-01T00:00:00.000Z', listValidTo: '2026-12-02T00:00:00.000Z' });
    expect(selectPrice([only], { at: at('2026-11-30T00:00:00Z') })).toBeNull();
    expect(selectPrice([only], { at: at('2026-12-03T00:00:00Z') })).toBeNull();
    expect(selectPrice([], { at: at('2026-12-03T00:00:00Z') })).toBeNull();
  });

  it('picks the largest quantity tier the quantity reaches, within the winning list', () => {
    const tiers = [
      c({ priceListId: 'socks', amount: 999 }),
      c({ priceListId: 'socks', amount: 899, minQuantity: 3 }),
      c({ priceListId: 'socks', amount: 799, minQuantity: 10 }),
    ];
    expect(selectPrice(tiers, { at: at('2026-12-01T00:00:00Z'), quantity: 1 })?.amount).toBe(999);
    expect(selectPrice(tiers, { at: at('2026-12-01T00:00:00Z'), quantity: 3 })?.amount).toBe(899);
    expect(selectPrice(tiers, { at: at('2026-12-01T00:00:00Z'), quantity: 9 })?.amount).toBe(899);
    expect(selectPrice(tiers, { at: at('2026-12-01T00:00:00Z'), quantity: 10 })).toMatchObject({
      amount: 799,
      minQuantity: 10,
    });
  });

  it('prefers a higher-priority list even when a lower list has a better tier', () => {
    const cands = [
      c({ priceListId: 'base', amount: 1000 }),
      c({ priceListId: 'base', amount: 500, minQuantity: 5 }),
      c({ priceListId: 'promo', priority: 1, amount: 900 }),
    ];
    expect(selectPrice(cands, { at: at('2026-12-01T00:00:00Z'), quantity: 6 })).toMatchObject({
      amount: 900,
      priceListId: 'promo',
    });
  });

  it('breaks equal priorities by price list id, and filters by currency when asked', () => {
    const cands = [
      c({ priceListId: 'b-list', amount: 200 }),
      c({ priceListId: 'a-list', amount: 300 }),
      c({ priceListId: 'gbp', amount: 100, currency: 'GBP', priority: 99 }),
    ];
    expect(selectPrice(cands, { at: at('2026-12-01T00:00:00Z'), currency: 'EUR' })).toMatchObject({
      priceListId: 'a-list',
      amount: 300,
    });
    expect(selectPrice(cands, { at: at('2026-12-01T00:00:00Z') })).toMatchObject({ priceListId: 'gbp' });
    expect(selectPrice(cands, { at: at('2026-12-01T00:00:00Z'), currency: 'USD' })).toBeNull();
  });

  it('finds the next window edge strictly after an instant', () => {
    const cands = [
      c({ listValidFrom: '2026-12-01T00:00:00.000Z', listValidTo: '2026-12-10T00:00:00.000Z' }),
      c({ validFrom: '2026-12-05T00:00:00.000Z' }),
    ];
    expect(nextPriceChange(cands, at('2026-11-01T00:00:00Z'))?.toISOString()).toBe(
      '2026-12-01T00:00:00.000Z',
    );
    expect(nextPriceChange(cands, at('2026-12-01T00:00:00Z'))?.toISOString()).toBe(
      '2026-12-05T00:00:00.000Z',
    );
    expect(nextPriceChange(cands, at('2026-12-10T00:00:00Z'))).toBeNull();
  });
});

describe('selectPrice — properties', () => {
  // A few shared instants make windows meet, overlap and coincide, and let `at` fall exactly on an edge.
  const pool = [
    '2026-03-01T00:00:00Z',
    '2026-06-01T00:00:00Z',
    '2026-06-01T00:00:00.001Z',
    '2026-09-01T00:00:00Z',
  ].map(Date.parse);
  const instant = fc.oneof(
    fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2027-01-01T00:00:00Z') }),
    fc.constantFrom(...pool),
  );
  const edge = fc.option(
    instant.map((t) => new Date(t).toISOString()),
    { nil: null, freq: 2 },
  );
  const candidateOf = (maxTier: number, edge: fc.Arbitrary<string | null>) =>
    fc.record({
      priceListId: fc.constantFrom('base', 'sale', 'flash', 'vip'),
      priority: fc.integer({ min: -3, max: 3 }),
      currency: fc.constantFrom('EUR', 'GBP'),
      listValidFrom: edge,
      listValidTo: edge,
      minQuantity: fc.integer({ min: 1, max: maxTier }),
      amount: fc.integer({ min: 0, max: 1_000_000 }),
      validFrom: edge,
      validTo: edge,
    });
  const candidate = candidateOf(12, edge);
  const cands = fc.uniqueArray(candidate, {
    maxLength: 12,
    selector: (x) => `${x.priceListId}/${x.minQuantity}`,
  });
  // Hand-built inputs may repeat a list and tier (a database cannot): the answer must still not depend on
  // order. One priority per list, as in the database, so that such repeats really tie up to the amount and
  // windows.
  const anyCands = fc
    .tuple(
      fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 4, maxLength: 4 }),
      fc.array(candidateOf(2, fc.constantFrom(null, '2026-06-01T00:00:00.000Z')), { maxLength: 12 }),
    )
    .map(([prio, list]) =>
      list.map((x) => ({ ...x, priority: prio[['base', 'sale', 'flash', 'vip'].indexOf(x.priceListId)]! })),
    );
  const permuted = <T>(xs: T[]) => fc.shuffledSubarray(xs, { minLength: xs.length, maxLength: xs.length });

  it('does not depend on the order of the candidates', () => {
    fc.assert(
      fc.property(
        anyCands.chain((list) => fc.tuple(fc.constant(list), permuted(list))),
        instant,
        fc.integer({ min: 1, max: 20 }),
        fc.option(fc.constantFrom('EUR', 'GBP'), { nil: undefined }),
        ([list, shuffled], t, q, currency) => {
          const opts = { at: new Date(t), quantity: q, ...(currency ? { currency } : {}) };
          expect(selectPrice(shuffled, opts)).toEqual(selectPrice(list, opts));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps the same answer at every instant before its validTo', () => {
    fc.assert(
      fc.property(
        cands,
        instant,
        fc.integer({ min: 1, max: 20 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (list, t, q, frac) => {
          const first = selectPrice(list, { at: new Date(t), quantity: q });
          const until = first?.validTo ? Date.parse(first.validTo) : Date.parse('2027-06-01T00:00:00Z');
          const later = t + Math.floor((until - t - 1) * frac);
          if (first) expect(selectPrice(list, { at: new Date(later), quantity: q })).toEqual(first);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('with a currency asked for, answers as if the other currencies did not exist', () => {
    fc.assert(
      fc.property(cands, instant, fc.integer({ min: 1, max: 20 }), (list, t, q) => {
        const chosen = selectPrice(list, { at: new Date(t), quantity: q, currency: 'GBP' });
        if (chosen) expect(chosen.currency).toBe('GBP');
        const onlyGbp = selectPrice(
          list.filter((x) => x.currency === 'GBP'),
          { at: new Date(t), quantity: q },
        );
        expect(chosen && { ...chosen, validTo: null }).toEqual(onlyGbp && { ...onlyGbp, validTo: null });
      }),
      { numRuns: 400 },
    );
  });

  it('returns one of the applicable candidates, and null exactly when none applies', () => {
    fc.assert(
      fc.property(cands, instant, fc.integer({ min: 1, max: 20 }), (list, t, q) => {
        const applicable = list.filter((x) => x.minQuantity <= q && isOpenAt(x, new Date(t)));
        const chosen = selectPrice(list, { at: new Date(t), quantity: q });
        if (applicable.length === 0) expect(chosen).toBeNull();
        else {
          expect(
            applicable.some(
              (a) =>
                a.priceListId === chosen?.priceListId &&
                a.amount === chosen.amount &&
                a.minQuantity === chosen.minQuantity,
            ),
          ).toBe(true);
          expect(Math.max(...applicable.map((a) => a.priority))).toBe(
            list.find((x) => x.priceListId === chosen?.priceListId && x.minQuantity === chosen.minQuantity)!
              .priority,
          );
        }
      }),
      { numRuns: 400 },
    );
  });

  it('never picks a smaller tier of the same list when the quantity grows', () => {
    fc.assert(
      fc.property(cands, instant, fc.integer({ min: 1, max: 19 }), (list, t, q) => {
        const a = selectPrice(list, { at: new Date(t), quantity: q });
        const b = selectPrice(list, { at: new Date(t), quantity: q + 1 });
        if (a && b && a.priceListId === b.priceListId)
          expect(b.minQuantity).toBeGreaterThanOrEqual(a.minQuantity);
      }),
      { numRuns: 400 },
    );
  });
});
