import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  FulfilmentSettingsSchema,
  promiseCart,
  promiseDelivery,
  promisePickup,
  ShippingZoneSchema,
  sourceOrder,
  SourcingRulesSchema,
  type CartPromiseInput,
  type CartPromiseLocation,
  type FulfilmentSettings,
} from '../../../backoffice-layer/index.js';
import { DomainError } from '../../../shared/index.js';
import { refusalOf } from '../../support/refusal.js';

// A cart's promise is sourcing then the delivery promise, pure: worked examples in Amsterdam time (CET in
// December), then properties over random stock and instants.

const weekdays = (open: string, close: string, days = [1, 2, 3, 4, 5]) =>
  days.map((day) => ({ day, open, close }));
const whSettings: FulfilmentSettings = FulfilmentSettingsSchema.parse({
  timeZone: 'Europe/Amsterdam',
  cutOff: '22:00',
  openingHours: weekdays('06:00', '23:59'),
});
const storeSettings: FulfilmentSettings = FulfilmentSettingsSchema.parse({
  timeZone: 'Europe/Amsterdam',
  openingHours: weekdays('09:00', '18:00', [1, 2, 3, 4, 5, 6]),
  shipsFromStore: true,
  pickup: true,
});
const location = (
  id: string,
  name: string,
  kind: 'WAREHOUSE' | 'STORE',
  stock: Record<string, number>,
  settings: FulfilmentSettings | null = kind === 'WAREHOUSE' ? whSettings : storeSettings,
): CartPromiseLocation => ({
  id,
  name,
  kind,
  fulfilsOnline: true,
  settings,
  available: new Map(Object.entries(stock)),
});
const nl = ShippingZoneSchema.parse({ id: 'nl', countryCode: 'NL', postcodePrefixes: [''], transitDays: 1 });
const nlNorth = ShippingZoneSchema.parse({
  id: 'nl-north',
  countryCode: 'NL',
  postcodePrefixes: ['9'],
  transitDays: 2,
});
const be = ShippingZoneSchema.parse({ id: 'be', countryCode: 'BE', postcodePrefixes: ['1'], transitDays: 2 });
const rules = SourcingRulesSchema.parse({
  rules: ['FEWEST_SHIPMENTS', 'LOCATION_PRIORITY'],
  allowSplit: true,
  locationPriority: ['wh-tilburg', 'st-utr'],
});
const at = (iso: string) => new Date(iso);
// Monday 30 November 2026, 20:59 in Amsterdam.
const MONDAY_EVENING = at('2026-11-30T19:59:00Z');

const base = (over: Partial<CartPromiseInput> = {}): CartPromiseInput => ({
  now: MONDAY_EVENING,
  lines: [{ sku: 'COAT-M', quantity: 1 }],
  request: { method: 'DELIVERY', countryCode: 'NL', postcode: '1012 AB' },
  locations: [
    location('wh-tilburg', 'Warehouse Tilburg', 'WAREHOUSE', { 'COAT-M': 5, SCARF: 0 }),
    location('st-utr', 'Utrecht', 'STORE', { 'COAT-M': 1, SCARF: 3 }),
  ],
  zones: [nl, nlNorth, be],
  rules,
  ...over,
});

describe('promiseCart: worked examples', () => {
  it('delivers from the warehouse before its cut-off: delivered tomorrow, and says why', () => {
    const { decision, promises } = promiseCart(base());
    expect(decision.allocations).toEqual([
      { locationId: 'wh-tilburg', lines: [{ sku: 'COAT-M', quantity: 1 }] },
    ]);
    expect(decision.reasons[0]?.reason).toMatch(/^from Warehouse Tilburg: /);
    expect(promises).toEqual([
      {
        method: 'DELIVERY',
        from: { id: 'wh-tilburg', name: 'Warehouse Tilburg' },
        orderBefore: at('2026-11-30T21:00:00Z'),
        deliverBy: at('2026-12-01T22:59:59.999Z'),
        readyBy: null,
        reason: 'order before 22:00 today, delivered Tuesday 1 December',
      },
    ]);
  });

  it('a postcode in a longer-prefix zone gets that zone’s transit days', () => {
    const { promises } = promiseCart(
      base({ request: { method: 'DELIVERY', countryCode: 'nl', postcode: '9711' } }),
    );
    expect(promises[0]?.deliverBy).toEqual(at('2026-12-02T22:59:59.999Z'));
  });

  it('a split promises each shipment from its own location', () => {
    const { decision, promises } = promiseCart(
      base({
        lines: [
          { sku: 'COAT-M', quantity: 2 },
          { sku: 'SCARF', quantity: 2 },
        ],
      }),
    );
    // Utrecht gives 3 of the 4 units (fewest shipments: the greedy cover takes it first), Tilburg the coat.
    expect(decision.allocations).toEqual([
      {
        locationId: 'st-utr',
        lines: [
          { sku: 'COAT-M', quantity: 1 },
          { sku: 'SCARF', quantity: 2 },
        ],
      },
      { locationId: 'wh-tilburg', lines: [{ sku: 'COAT-M', quantity: 1 }] },
    ]);
    expect(promises.map((p) => p.from.id)).toEqual(['st-utr', 'wh-tilburg']);
    expect(promises[0]).toEqual(
      promiseDelivery({
        now: MONDAY_EVENING,
        from: { id: 'st-utr', name: 'Utrecht', settings: storeSettings },
        zone: nl,
      }),
    );
    expect(promises[1]?.reason).toBe('order before 22:00 today, delivered Tuesday 1 December');
  });

  it('click & collect from the store’s own stock: ready two hours after the next whole hour', () => {
    const now = at('2026-11-30T10:20:00Z'); // 11:20 in Utrecht
    const { decision, promises } = promiseCart(
      base({ now, request: { method: 'PICKUP', pickupLocationId: 'st-utr' } }),
    );
    expect(decision.allocations).toEqual([{ locationId: 'st-utr', lines: [{ sku: 'COAT-M', quantity: 1 }] }]);
    expect(promises).toEqual([
      {
        method: 'PICKUP',
        from: { id: 'st-utr', name: 'Utrecht' },
        orderBefore: at('2026-11-30T11:00:00Z'),
        deliverBy: null,
        readyBy: at('2026-11-30T13:00:00Z'),
        reason: 'ready for pickup at Utrecht from 14:00',
      },
    ]);
  });

  it('click & collect with a transfer: one promise, ready with the transfer, held until the cut-off', () => {
    const now = at('2026-11-30T10:20:00Z');
    const { decision, promises } = promiseCart(
      base({
        now,
        lines: [
          { sku: 'COAT-M', quantity: 2 },
          { sku: 'SCARF', quantity: 1 },
        ],
        request: { method: 'PICKUP', pickupLocationId: 'st-utr' },
      }),
    );
    expect(decision.allocations).toEqual([
      {
        locationId: 'st-utr',
        lines: [
          { sku: 'COAT-M', quantity: 1 },
          { sku: 'SCARF', quantity: 1 },
        ],
      },
      {
        locationId: 'wh-tilburg',
        lines: [{ sku: 'COAT-M', quantity: 1 }],
        transfer: { toLocationId: 'st-utr' },
      },
    ]);
    const transfer = promisePickup({
      now,
      at: { id: 'st-utr', name: 'Utrecht', settings: storeSettings },
      transferFrom: { id: 'wh-tilburg', name: 'Warehouse Tilburg', settings: whSettings },
    });
    expect(promises).toEqual([transfer]);
    // Tuesday 09:00 the store starts preparing what arrived: ready 11:00, order before tonight's 22:00.
    expect(promises[0]?.readyBy).toEqual(at('2026-12-01T10:00:00Z'));
    expect(promises[0]?.orderBefore).toEqual(at('2026-11-30T21:00:00Z'));
    expect(promises[0]?.reason).toBe(
      'order before 22:00 today, ready for pickup at Utrecht from 11:00 tomorrow',
    );
  });

  it('does not source from a location that declares no fulfilment settings', () => {
    const locations = [
      location('wh-tilburg', 'Warehouse Tilburg', 'WAREHOUSE', { 'COAT-M': 5 }, null),
      location('st-utr', 'Utrecht', 'STORE', { 'COAT-M': 1 }),
    ];
    const { decision } = promiseCart(base({ locations }));
    expect(decision.allocations.map((a) => a.locationId)).toEqual(['st-utr']);
    const e = refusalOf(() => promiseCart(base({ locations, lines: [{ sku: 'COAT-M', quantity: 2 }] })));
    expect({ code: e.code, details: e.details }).toEqual({
      code: 'INSUFFICIENT_STOCK',
      details: { sku: 'COAT-M', requested: 2, available: 1 },
    });
  });

  it('refuses what it cannot promise, naming the field', () => {
    const cases: Array<[CartPromiseInput['request'], string]> = [
      [{ method: 'DELIVERY' }, 'countryCode'],
      [{ method: 'DELIVERY', countryCode: ' ', postcode: '1012' }, 'countryCode'],
      [{ method: 'DELIVERY', countryCode: 'BE', postcode: '9000' }, 'postcode'],
      [{ method: 'DELIVERY', countryCode: 'BE' }, 'countryCode'],
      [{ method: 'DELIVERY', countryCode: 'DE', postcode: '10115' }, 'postcode'],
      [{ method: 'PICKUP' }, 'pickupLocationId'],
      [{ method: 'PICKUP', pickupLocationId: 'wh-tilburg' }, 'pickupLocationId'],
      [{ method: 'PICKUP', pickupLocationId: 'nowhere' }, 'pickupLocationId'],
    ];
    for (const [request, field] of cases) {
      const e = refusalOf(() => promiseCart(base({ request })));
      expect({ request, code: e.code, field: e.details.field }).toEqual({
        request,
        code: 'BAD_USER_INPUT',
        field,
      });
    }
    // A store that offers no click & collect.
    const noPickup = [
      location('st-utr', 'Utrecht', 'STORE', { 'COAT-M': 1 }, { ...storeSettings, pickup: false }),
    ];
    const e = refusalOf(() =>
      promiseCart(base({ locations: noPickup, request: { method: 'PICKUP', pickupLocationId: 'st-utr' } })),
    );
    expect([e.code, e.message]).toEqual(['BAD_USER_INPUT', 'Utrecht offers no click & collect']);
  });

  it('refuses a cart the stock cannot cover with INSUFFICIENT_STOCK', () => {
    const e = refusalOf(() => promiseCart(base({ lines: [{ sku: 'COAT-M', quantity: 7 }] })));
    expect({ code: e.code, details: e.details }).toEqual({
      code: 'INSUFFICIENT_STOCK',
      details: { sku: 'COAT-M', requested: 7, available: 6 },
    });
  });
});

// ---- properties ----------------------------------------------------------------------------------------

const SKUS = ['S1', 'S2', 'S3'];
const stockArb = fc
  .array(fc.integer({ min: 0, max: 4 }), { minLength: SKUS.length, maxLength: SKUS.length })
  .map((units) => Object.fromEntries(SKUS.map((s, i) => [s, units[i]!])));
const caseArb = fc.record({
  // Any instant in two weeks around the start of December 2026 (weekends and cut-offs included).
  now: fc.integer({ min: Date.parse('2026-11-27T00:00:00Z'), max: Date.parse('2026-12-11T00:00:00Z') }),
  wh: stockArb,
  utr: stockArb,
  ams: stockArb,
  amsSettings: fc.boolean(),
  lines: fc.array(fc.record({ sku: fc.constantFrom(...SKUS), quantity: fc.integer({ min: 1, max: 4 }) }), {
    minLength: 1,
    maxLength: 3,
  }),
  pickup: fc.constantFrom(null, 'st-utr', 'st-ams'),
  allowSplit: fc.boolean(),
  shuffle: fc.boolean(),
});

type CaseOf<A> = A extends fc.Arbitrary<infer T> ? T : never;
function inputOf(c: CaseOf<typeof caseArb>): CartPromiseInput {
  const locations = [
    location('wh-tilburg', 'Warehouse Tilburg', 'WAREHOUSE', c.wh),
    location('st-utr', 'Utrecht', 'STORE', c.utr),
    location('st-ams', 'Amsterdam', 'STORE', c.ams, c.amsSettings ? storeSettings : null),
  ];
  return base({
    now: new Date(c.now),
    lines: c.lines,
    request:
      c.pickup === null
        ? { method: 'DELIVERY', countryCode: 'NL', postcode: '3511' }
        : { method: 'PICKUP', pickupLocationId: c.pickup },
    locations: c.shuffle ? locations.reverse() : locations,
    rules: { ...rules, allowSplit: c.allowSplit },
  });
}

type Outcome = ReturnType<typeof promiseCart> | { code: string; details: unknown };
function outcome(input: CartPromiseInput): Outcome {
  try {
    return promiseCart(input);
  } catch (e) {
    if (e instanceof DomainError) return { code: e.code, details: e.details };
    throw e;
  }
}

describe('promiseCart: properties', () => {
  it('is sourceOrder over the locations with settings; a delivery is promiseDelivery of its shipment', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const input = inputOf(c);
        const answer = outcome(input);
        if ('code' in answer) return;
        const withSettings = input.locations.filter((l) => l.settings !== null);
        const candidates = withSettings.map((l) => ({
          ...l,
          shipsFromStore: l.settings!.shipsFromStore,
        }));
        const request =
          input.request.method === 'PICKUP'
            ? { method: 'PICKUP' as const, pickupLocationId: c.pickup! }
            : { method: 'DELIVERY' as const };
        expect(answer.decision).toEqual(sourceOrder(input.lines, candidates, input.rules, request));
        if (input.request.method === 'DELIVERY') {
          expect(answer.promises).toEqual(
            answer.decision.allocations.map((a) =>
              promiseDelivery({
                now: input.now,
                from: withSettings.find((l) => l.id === a.locationId) as never,
                zone: nl,
              }),
            ),
          );
        }
      }),
    );
  });

  it('a pickup is one promise, ready no earlier than any part, held no longer than any transfer', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const input = inputOf(c);
        const answer = outcome(input);
        if ('code' in answer || input.request.method !== 'PICKUP') return;
        const store = input.locations.find((l) => l.id === c.pickup)!;
        const parts = answer.decision.allocations.map((a) =>
          promisePickup({
            now: input.now,
            at: store as never,
            ...(a.transfer
              ? { transferFrom: input.locations.find((l) => l.id === a.locationId) as never }
              : {}),
          })!,
        );
        expect(answer.promises).toHaveLength(1);
        const [p] = answer.promises;
        expect(p!.from.id).toBe(c.pickup);
        expect(p!.readyBy!.getTime()).toBe(Math.max(...parts.map((x) => x.readyBy!.getTime())));
        expect(p!.orderBefore.getTime()).toBeGreaterThan(input.now.getTime());
        for (const [i, a] of answer.decision.allocations.entries())
          if (a.transfer)
            expect(p!.orderBefore.getTime()).toBeLessThanOrEqual(parts[i]!.orderBefore.getTime());
      }),
    );
  });

  it('the store’s own part is never ready after a transfer to it (so it never moves the promise)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('2026-11-27T00:00:00Z'), max: Date.parse('2027-01-10T00:00:00Z') }),
        (t) => {
          const store = { id: 'st-utr', name: 'Utrecht', settings: storeSettings };
          const own = promisePickup({ now: new Date(t), at: store })!;
          const moved = promisePickup({
            now: new Date(t),
            at: store,
            transferFrom: { id: 'wh-tilburg', name: 'Warehouse Tilburg', settings: whSettings },
          })!;
          expect(own.readyBy!.getTime()).toBeLessThanOrEqual(moved.readyBy!.getTime());
        },
      ),
    );
  });

  it('is deterministic: the order of the locations does not matter', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        expect(outcome(inputOf({ ...c, shuffle: true }))).toEqual(outcome(inputOf({ ...c, shuffle: false })));
      }),
    );
  });
});
