import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  sourceOrder,
  SourcingRulesSchema,
  SOURCING_RULES,
  type OrderLineToSource,
  type SourcingCandidate,
  type SourcingDecision,
  type SourcingRequest,
  type SourcingRules,
} from '../../../backoffice-layer/index.js';
import { DomainError } from '../../../shared/index.js';
import { refusalOf } from '../../support/refusal.js';

// The sourcing decision is pure: worked examples a till or an agent would recognise, then properties over
// random stock, rules and orders (issue 12: never more than available, deterministic, fewest splits).

const loc = (
  id: string,
  kind: 'WAREHOUSE' | 'STORE',
  stock: Record<string, number>,
  flags: Partial<Pick<SourcingCandidate, 'fulfilsOnline' | 'shipsFromStore' | 'name'>> = {},
): SourcingCandidate => ({
  id,
  kind,
  fulfilsOnline: true,
  shipsFromStore: kind === 'STORE',
  available: new Map(Object.entries(stock)),
  ...flags,
});

const rules = (body: unknown): SourcingRules => SourcingRulesSchema.parse(body);
const FEWEST: SourcingRules = rules({
  rules: ['FEWEST_SHIPMENTS', 'LOCATION_PRIORITY'],
  allowSplit: true,
  locationPriority: ['wh-tilburg', 'ams-01', 'utr-01'],
});
const NO_SPLIT: SourcingRules = { ...FEWEST, allowSplit: false };
const DELIVERY: SourcingRequest = { method: 'DELIVERY' };
const ORDER: OrderLineToSource[] = [
  { sku: 'COAT-M', quantity: 1 },
  { sku: 'SCARF', quantity: 2 },
  { sku: 'BOOT-42', quantity: 1 },
];

describe('sourcing: worked examples', () => {
  const tilburg = { name: 'Warehouse Tilburg' };
  const amsterdam = { name: 'Amsterdam' };

  it('ships from the one location that has everything, and says so', () => {
    const candidates = [
      loc('ams-01', 'STORE', { 'COAT-M': 3, SCARF: 5 }, amsterdam),
      loc('wh-tilburg', 'WAREHOUSE', { 'COAT-M': 10, SCARF: 10, 'BOOT-42': 4 }, tilburg),
    ];
    const d = sourceOrder(ORDER, candidates, FEWEST, DELIVERY);
    expect(d.allocations).toEqual([{ locationId: 'wh-tilburg', lines: ORDER }]);
    expect(d.reasons).toHaveLength(3);
    expect(d.reasons[0]).toEqual({
      sku: 'COAT-M',
      locationId: 'wh-tilburg',
      reason: 'from Warehouse Tilburg: the only location with all 3 items',
    });
  });

  it('prefers one store that has everything over a split, when fewest shipments comes first', () => {
    const candidates = [
      loc('ams-01', 'STORE', { 'COAT-M': 3, SCARF: 5, 'BOOT-42': 1 }, amsterdam),
      loc('wh-tilburg', 'WAREHOUSE', { 'COAT-M': 10, SCARF: 10 }, tilburg),
    ];
    const d = sourceOrder(ORDER, candidates, FEWEST, DELIVERY);
    expect(d.allocations).toEqual([{ locationId: 'ams-01', lines: ORDER }]);
    expect(d.reasons[0]?.reason).toBe(
      'from store Amsterdam: the only location with all 3 items, ships from store',
    );
  });

  it('splits when no single location has everything and a split is allowed', () => {
    const candidates = [
      loc('ams-01', 'STORE', { 'BOOT-42': 2 }, amsterdam),
      loc('wh-tilburg', 'WAREHOUSE', { 'COAT-M': 10, SCARF: 10 }, tilburg),
    ];
    const d = sourceOrder(ORDER, candidates, FEWEST, DELIVERY);
    expect(d.allocations).toEqual([
      { locationId: 'wh-tilburg', lines: ORDER.slice(0, 2) },
      { locationId: 'ams-01', lines: [{ sku: 'BOOT-42', quantity: 1 }] },
    ]);
    expect(d.reasons.find((r) => r.sku === 'BOOT-42')).toEqual({
      sku: 'BOOT-42',
      locationId: 'ams-01',
      reason: 'from store Amsterdam: ships from store, the warehouse has none',
    });
  });

  it('refuses without a split, naming the line the best location lacks', () => {
    const candidates = [
      loc('ams-01', 'STORE', { 'BOOT-42': 2 }),
      loc('wh-tilburg', 'WAREHOUSE', { 'COAT-M': 10, SCARF: 10 }),
    ];
    const e = refusalOf(() => sourceOrder(ORDER, candidates, NO_SPLIT, DELIVERY));
    expect(e.code).toBe('INSUFFICIENT_STOCK');
    expect(e.details).toEqual({
      sku: 'BOOT-42',
      requested: 1,
      available: 0,
      locationId: 'wh-tilburg',
      allowSplit: false,
    });
  });

  it('refuses an order short in total, with the units requested and available', () => {
    const candidates = [loc('wh-tilburg', 'WAREHOUSE', { 'COAT-M': 10, SCARF: 1, 'BOOT-42': 1 })];
    const e = refusalOf(() => sourceOrder(ORDER, candidates, FEWEST, DELIVERY));
    expect(e.code).toBe('INSUFFICIENT_STOCK');
    expect(e.details).toEqual({ sku: 'SCARF', requested: 2, available: 1 });
  });

  it('skips a store that does not ship from store and a location that does not fulfil online', () => {
    const candidates = [
      loc('utr-01', 'STORE', { 'COAT-M': 5, SCARF: 5, 'BOOT-42': 5 }, { shipsFromStore: false }),
      loc('wh-outlet', 'WAREHOUSE', { 'COAT-M': 5, SCARF: 5, 'BOOT-42': 5 }, { fulfilsOnline: false }),
      loc('wh-tilburg', 'WAREHOUSE', { 'COAT-M': 1, SCARF: 2 }),
      loc('ams-01', 'STORE', { 'BOOT-42': 1 }),
    ];
    const priority = rules({ ...FEWEST, locationPriority: ['utr-01', 'wh-outlet', 'wh-tilburg'] });
    const d = sourceOrder(ORDER, candidates, priority, DELIVERY);
    expect(d.allocations.map((a) => a.locationId)).toEqual(['wh-tilburg', 'ams-01']);
    const e = refusalOf(() => sourceOrder(ORDER, candidates.slice(0, 2), priority, DELIVERY));
    expect(e.details).toEqual({ sku: 'COAT-M', requested: 1, available: 0 });
  });

  it('click & collect takes the store’s units and transfers what it lacks from the first warehouse', () => {
    const candidates = [
      loc('utr-01', 'STORE', { 'COAT-M': 1, SCARF: 1 }, { name: 'Utrecht', shipsFromStore: false }),
      loc('wh-zwolle', 'WAREHOUSE', { SCARF: 9, 'BOOT-42': 9 }),
      loc('wh-tilburg', 'WAREHOUSE', { SCARF: 9, 'BOOT-42': 9 }, tilburg),
      loc('ams-01', 'STORE', { SCARF: 9, 'BOOT-42': 9 }),
    ];
    const d = sourceOrder(ORDER, candidates, FEWEST, { method: 'PICKUP', pickupLocationId: 'utr-01' });
    expect(d.allocations).toEqual([
      {
        locationId: 'utr-01',
        lines: [
          { sku: 'COAT-M', quantity: 1 },
          { sku: 'SCARF', quantity: 1 },
        ],
      },
      {
        locationId: 'wh-tilburg',
        lines: [
          { sku: 'SCARF', quantity: 1 },
          { sku: 'BOOT-42', quantity: 1 },
        ],
        transfer: { toLocationId: 'utr-01' },
      },
    ]);
    expect(d.reasons.map((r) => r.reason)).toEqual([
      'from store Utrecht: in stock at the pickup store',
      'from store Utrecht: in stock at the pickup store (1 of 2 units)',
      'from Warehouse Tilburg: transfer to store Utrecht for pickup, the store has only 1 of 2',
      'from Warehouse Tilburg: transfer to store Utrecht for pickup, the store has none',
    ]);
    const empty = candidates.map((c) => (c.kind === 'WAREHOUSE' ? { ...c, available: new Map() } : c));
    const e = refusalOf(() =>
      sourceOrder(ORDER, empty, FEWEST, { method: 'PICKUP', pickupLocationId: 'utr-01' }),
    );
    expect(e.details).toEqual({ sku: 'SCARF', requested: 2, available: 1 });
  });

  it('fills from the first location down when the priority order comes before fewest shipments', () => {
    const candidates = [
      loc('wh-tilburg', 'WAREHOUSE', { 'COAT-M': 1 }),
      loc('ams-01', 'STORE', { 'COAT-M': 1, SCARF: 2, 'BOOT-42': 1 }),
    ];
    const fill = rules({ ...FEWEST, rules: ['LOCATION_PRIORITY', 'FEWEST_SHIPMENTS'] });
    expect(sourceOrder(ORDER, candidates, fill, DELIVERY).reasons.map((r) => r.reason)).toEqual([
      "from warehouse wh-tilburg: the unit; first in the retailer's order with it, 2 shipments",
      'from store ams-01: ships from store, the warehouse has none',
      'from store ams-01: ships from store, the warehouse has none',
    ]);
    expect(sourceOrder(ORDER, candidates, fill, DELIVERY).allocations.map((a) => a.locationId)).toEqual([
      'wh-tilburg',
      'ams-01',
    ]);
    expect(sourceOrder(ORDER, candidates, FEWEST, DELIVERY).allocations.map((a) => a.locationId)).toEqual([
      'ams-01',
    ]);
  });

  it('ships from store last when the rule says so, whatever the priority order', () => {
    const both = { 'COAT-M': 1, SCARF: 2, 'BOOT-42': 1 };
    const candidates = [loc('ams-01', 'STORE', both), loc('wh-tilburg', 'WAREHOUSE', both)];
    const storeFirst = { ...FEWEST, locationPriority: ['ams-01', 'wh-tilburg'] };
    expect(sourceOrder(ORDER, candidates, storeFirst, DELIVERY).allocations[0]?.locationId).toBe('ams-01');
    const storeLast = {
      ...storeFirst,
      rules: ['FEWEST_SHIPMENTS', 'SHIP_FROM_STORE_LAST'] as SourcingRules['rules'],
    };
    expect(sourceOrder(ORDER, candidates, storeLast, DELIVERY).allocations[0]?.locationId).toBe('wh-tilburg');
  });

  it('validates the rules body of PUT /admin/v1/sourcing', () => {
    const body = { rules: ['FEWEST_SHIPMENTS', 'LOCATION_PRIORITY'], allowSplit: true };
    expect(SourcingRulesSchema.parse(body)).toEqual({ ...body, locationPriority: [] });
    for (const bad of [
      { rules: [], allowSplit: true },
      { rules: ['FEWEST_SHIPMENTS', 'FEWEST_SHIPMENTS'], allowSplit: true },
      { rules: ['CHEAPEST'], allowSplit: true },
      { rules: ['FEWEST_SHIPMENTS'] },
      { rules: ['FEWEST_SHIPMENTS'], allowSplit: true, locationPriority: ['a', 'a'] },
    ])
      expect(SourcingRulesSchema.safeParse(bad).success).toBe(false);
  });

  it('refuses malformed requests with BAD_USER_INPUT', () => {
    const c = [loc('wh-tilburg', 'WAREHOUSE', { 'COAT-M': 1 }), loc('ams-01', 'STORE', {})];
    for (const run of [
      () => sourceOrder([], c, FEWEST, DELIVERY),
      () => sourceOrder([{ sku: 'COAT-M', quantity: 0 }], c, FEWEST, DELIVERY),
      () => sourceOrder([{ sku: 'COAT-M', quantity: 1 }], [...c, c[0]!], FEWEST, DELIVERY),
      () => sourceOrder([{ sku: 'COAT-M', quantity: 1 }], c, FEWEST, { method: 'PICKUP' }),
      () =>
        sourceOrder([{ sku: 'COAT-M', quantity: 1 }], c, FEWEST, {
          method: 'PICKUP',
          pickupLocationId: 'wh-tilburg',
        }),
    ])
      expect(refusalOf(run).code).toBe('BAD_USER_INPUT');
  });
});

// ---- properties ----------------------------------------------------------------------------------------

const IDS = ['a', 'b', 'c', 'd', 'e'];
const SKUS = ['S1', 'S2', 'S3', 'S4'];

const candidateArb = (id: string): fc.Arbitrary<SourcingCandidate> =>
  fc
    .record({
      kind: fc.constantFrom('WAREHOUSE' as const, 'STORE' as const),
      fulfilsOnline: fc.boolean(),
      shipsFromStore: fc.boolean(),
      stock: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: SKUS.length, maxLength: SKUS.length }),
    })
    .map(({ stock, ...flags }) => ({ id, ...flags, available: new Map(SKUS.map((s, i) => [s, stock[i]!])) }));

const caseArb = fc
  .subarray(IDS, { minLength: 1 })
  .chain((ids) =>
    fc.record({
      candidates: fc.tuple(...ids.map(candidateArb)),
      lines: fc.array(
        fc.record({ sku: fc.constantFrom(...SKUS), quantity: fc.integer({ min: 1, max: 8 }) }),
        {
          minLength: 1,
          maxLength: 5,
        },
      ),
      rules: fc.record({
        rules: fc.shuffledSubarray([...SOURCING_RULES], { minLength: 1 }),
        allowSplit: fc.boolean(),
        locationPriority: fc.shuffledSubarray(ids),
      }),
      pickupIndex: fc.option(fc.nat(), { nil: undefined }),
      order: fc.shuffledSubarray(ids, { minLength: ids.length }),
    }),
  )
  .map(({ candidates, lines, rules, pickupIndex, order }) => {
    const stores = candidates.filter((c) => c.kind === 'STORE');
    const request: SourcingRequest =
      pickupIndex === undefined || stores.length === 0
        ? { method: 'DELIVERY' }
        : { method: 'PICKUP', pickupLocationId: stores[pickupIndex % stores.length]!.id };
    const shuffled = order.map((id) => candidates.find((c) => c.id === id)!);
    return { candidates, shuffled, lines, rules: SourcingRulesSchema.parse(rules), request };
  });

type Outcome = { decision: SourcingDecision } | { refused: { code: string; details: unknown } };
function outcome(run: () => SourcingDecision): Outcome {
  try {
    return { decision: run() };
  } catch (e) {
    if (e instanceof DomainError) return { refused: { code: e.code, details: e.details } };
    throw e;
  }
}

const units = (c: SourcingCandidate, sku: string): number => c.available.get(sku) ?? 0;
const shipsOnline = (c: SourcingCandidate): boolean =>
  c.fulfilsOnline && (c.kind === 'WAREHOUSE' || c.shipsFromStore);
function needOf(lines: OrderLineToSource[]): Map<string, number> {
  const need = new Map<string, number>();
  for (const l of lines) need.set(l.sku, (need.get(l.sku) ?? 0) + l.quantity);
  return need;
}

describe('sourcing: properties', () => {
  it('never allocates more than a location has, and allocates exactly what was ordered', () => {
    fc.assert(
      fc.property(caseArb, ({ candidates, lines, rules, request }) => {
        const o = outcome(() => sourceOrder(lines, candidates, rules, request));
        if ('refused' in o) return void expect(o.refused.code).toBe('INSUFFICIENT_STOCK');
        const byId = new Map(candidates.map((c) => [c.id, c]));
        const allocated = new Map<string, number>();
        for (const a of o.decision.allocations) {
          const c = byId.get(a.locationId)!;
          expect(new Set(a.lines.map((l) => l.sku)).size).toBe(a.lines.length);
          for (const l of a.lines) {
            expect(l.quantity).toBeGreaterThanOrEqual(1);
            expect(l.quantity).toBeLessThanOrEqual(units(c, l.sku));
            allocated.set(l.sku, (allocated.get(l.sku) ?? 0) + l.quantity);
            expect(o.decision.reasons.filter((r) => r.sku === l.sku && r.locationId === c.id)).toHaveLength(
              1,
            );
          }
          if (request.method === 'DELIVERY') expect(shipsOnline(c)).toBe(true);
          else if (a.locationId !== request.pickupLocationId)
            expect([c.kind, a.transfer]).toEqual(['WAREHOUSE', { toLocationId: request.pickupLocationId }]);
        }
        expect(new Set(o.decision.allocations.map((a) => a.locationId)).size).toBe(
          o.decision.allocations.length,
        );
        expect(allocated).toEqual(needOf(lines));
      }),
    );
  });

  it('is deterministic: the same input gives the same answer, whatever the order of the candidates', () => {
    fc.assert(
      fc.property(caseArb, ({ candidates, shuffled, lines, rules, request }) => {
        const first = outcome(() => sourceOrder(lines, candidates, rules, request));
        expect(outcome(() => sourceOrder(lines, candidates, rules, request))).toEqual(first);
        expect(outcome(() => sourceOrder(lines, shuffled, rules, request))).toEqual(first);
      }),
    );
  });

  it('chooses one location whenever one has everything, and refuses only when it must', () => {
    fc.assert(
      fc.property(caseArb, ({ candidates, lines, rules, request }) => {
        if (request.method !== 'DELIVERY') return;
        const need = needOf(lines);
        const eligible = candidates.filter(shipsOnline);
        const hasAll = (c: SourcingCandidate) => [...need].every(([sku, q]) => units(c, sku) >= q);
        const enough = [...need].every(([sku, q]) => eligible.reduce((a, c) => a + units(c, sku), 0) >= q);
        const o = outcome(() => sourceOrder(lines, candidates, rules, request));
        const fewest = rules.rules.indexOf('FEWEST_SHIPMENTS');
        const priority = rules.rules.indexOf('LOCATION_PRIORITY');
        if (eligible.some(hasAll)) {
          expect('decision' in o).toBe(true);
          if ('decision' in o && fewest >= 0 && (priority < 0 || fewest < priority))
            expect(o.decision.allocations).toHaveLength(1);
        } else if (rules.allowSplit) expect('decision' in o).toBe(enough);
        else expect('refused' in o).toBe(true);
      }),
    );
  });
});
