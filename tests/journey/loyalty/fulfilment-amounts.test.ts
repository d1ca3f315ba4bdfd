import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { fulfilmentAmounts } from '../../../journey-layer/index.js';

// Issue 12: an online order's fulfilment earns on what was paid for its lines — the order's lines of its SKUs
// at its location, pro rata by units when a line's units travel in several fulfilments.
type Line = { sku: string; locationId: string; quantity: number; lineAmount: number };
type Fulfilment = {
  id: string;
  locationId: string;
  pickupLocationId?: string;
  lines: Array<{ sku: string; quantity: number }>;
};
const order = (lines: Line[], fulfilments: Fulfilment[]) => ({
  lines: lines.map((l) => ({ ...l, unitAmount: Math.round(l.lineAmount / l.quantity), returnedQuantity: 0 })),
  fulfilments: fulfilments.map((f) => ({
    ...f,
    method: f.pickupLocationId ? ('PICKUP' as const) : ('DELIVERY' as const),
    pickupLocationId: f.pickupLocationId ?? null,
    status: 'PENDING' as const,
    trackingCode: null,
    readyBy: null,
    deliverBy: null,
    holdUntil: null,
    revision: 1,
    createdAt: new Date(0),
    updatedAt: new Date(0),
  })),
});

describe('what a fulfilment was paid for', () => {
  it('is its location’s lines of its SKUs: one fulfilment per location', () => {
    const o = order(
      [
        { sku: 'COAT', locationId: 'wh-1', quantity: 1, lineAmount: 12995 },
        { sku: 'SOCK', locationId: 'wh-1', quantity: 3, lineAmount: 2997 },
        { sku: 'SOCK', locationId: 'ams-01', quantity: 2, lineAmount: 1998 },
      ],
      [
        {
          id: 'a',
          locationId: 'wh-1',
          lines: [
            { sku: 'COAT', quantity: 1 },
            { sku: 'SOCK', quantity: 3 },
          ],
        },
        { id: 'b', locationId: 'ams-01', lines: [{ sku: 'SOCK', quantity: 2 }] },
      ],
    );
    expect(Object.fromEntries(fulfilmentAmounts(o))).toEqual({ a: 15992, b: 1998 });
  });

  it('splits a line pro rata by units, the parts adding up to the line (largest remainder)', () => {
    const o = order(
      [{ sku: 'SOCK', locationId: 'wh-1', quantity: 3, lineAmount: 1000 }],
      [
        { id: 'a', locationId: 'wh-1', lines: [{ sku: 'SOCK', quantity: 1 }] },
        { id: 'b', locationId: 'wh-1', lines: [{ sku: 'SOCK', quantity: 2 }] },
      ],
    );
    expect(Object.fromEntries(fulfilmentAmounts(o))).toEqual({ a: 333, b: 667 });
  });

  it('takes a click & collect transfer’s lines where its units are held, not at the pickup store', () => {
    const o = order(
      [{ sku: 'COAT', locationId: 'wh-1', quantity: 1, lineAmount: 12995 }],
      [{ id: 'p', locationId: 'wh-1', pickupLocationId: 'utr-01', lines: [{ sku: 'COAT', quantity: 1 }] }],
    );
    expect(Object.fromEntries(fulfilmentAmounts(o))).toEqual({ p: 12995 });
  });

  it('never gives more than the lines, and all of them when the fulfilments carry every unit', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ units: fc.integer({ min: 1, max: 5 }), amount: fc.integer({ min: 0, max: 10 ** 6 }) }),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        fc.integer({ min: 1, max: 3 }),
        (skus, parcels) => {
          // Every SKU's units at wh-1, dealt over `parcels` fulfilments there one unit at a time.
          const lines = skus.map((s, i) => ({
            sku: `S${i}`,
            locationId: 'wh-1',
            quantity: s.units,
            lineAmount: s.amount,
          }));
          const fulfilments = Array.from({ length: parcels }, (_, p) => ({
            id: `f${p}`,
            locationId: 'wh-1',
            lines: lines.flatMap((l) => {
              const n = Math.floor(l.quantity / parcels) + (p < l.quantity % parcels ? 1 : 0);
              return n > 0 ? [{ sku: l.sku, quantity: n }] : [];
            }),
          }));
          const amounts = [...fulfilmentAmounts(order(lines, fulfilments)).values()];
          expect(amounts.every((a) => a >= 0)).toBe(true);
          expect(amounts.reduce((x, y) => x + y, 0)).toBe(lines.reduce((x, l) => x + l.lineAmount, 0));
        },
      ),
    );
  });
});
