/**
 * The fulfilment lifecycle's pure rules (issue 12, "Order lifecycle"): every legal transition of both methods
 * with its stock effect, every other pair of the status matrix refused with CONFLICT, idempotent repeats, the
 * order's status from its fulfilments, when points are earned, and a property over random event sequences.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  FULFILMENT_METHODS,
  FULFILMENT_STATUSES,
  FulfilmentStatusSchema,
  OrderEventSchema,
  fulfilmentStatusesOf,
  isTerminalFulfilment,
  orderStatusOf,
  pointsEarnedOn,
  stockEffect,
  transition,
  type FulfilmentMethod,
  type FulfilmentStatus,
  type StockEffect,
} from '../../../backoffice-layer/index.js';
import { DomainError } from '../../../shared/index.js';

/** The specification, written out independently of the module's table: [method, from, to, stock effect]. */
const LEGAL: Array<[FulfilmentMethod, FulfilmentStatus, FulfilmentStatus, StockEffect]> = [
  ['DELIVERY', 'PENDING', 'PICKING', 'none'],
  ['DELIVERY', 'PENDING', 'PACKED', 'none'],
  ['DELIVERY', 'PENDING', 'SHIPPED', 'commit'],
  ['DELIVERY', 'PENDING', 'DELIVERED', 'commit'],
  ['DELIVERY', 'PENDING', 'CANCELLED', 'release'],
  ['DELIVERY', 'PICKING', 'PACKED', 'none'],
  ['DELIVERY', 'PICKING', 'SHIPPED', 'commit'],
  ['DELIVERY', 'PICKING', 'DELIVERED', 'commit'],
  ['DELIVERY', 'PICKING', 'CANCELLED', 'release'],
  ['DELIVERY', 'PACKED', 'SHIPPED', 'commit'],
  ['DELIVERY', 'PACKED', 'DELIVERED', 'commit'],
  ['DELIVERY', 'PACKED', 'CANCELLED', 'release'],
  ['DELIVERY', 'SHIPPED', 'DELIVERED', 'none'],
  ['PICKUP', 'PENDING', 'PICKING', 'none'],
  ['PICKUP', 'PENDING', 'READY_FOR_PICKUP', 'none'],
  ['PICKUP', 'PENDING', 'COLLECTED', 'commit'],
  ['PICKUP', 'PENDING', 'CANCELLED', 'release'],
  ['PICKUP', 'PICKING', 'READY_FOR_PICKUP', 'none'],
  ['PICKUP', 'PICKING', 'COLLECTED', 'commit'],
  ['PICKUP', 'PICKING', 'CANCELLED', 'release'],
  ['PICKUP', 'READY_FOR_PICKUP', 'COLLECTED', 'commit'],
  ['PICKUP', 'READY_FOR_PICKUP', 'UNCOLLECTED', 'release'],
  ['PICKUP', 'READY_FOR_PICKUP', 'CANCELLED', 'release'],
];
const STATES: Record<FulfilmentMethod, FulfilmentStatus[]> = {
  DELIVERY: ['PENDING', 'PICKING', 'PACKED', 'SHIPPED', 'DELIVERED', 'CANCELLED'],
  PICKUP: ['PENDING', 'PICKING', 'READY_FOR_PICKUP', 'COLLECTED', 'UNCOLLECTED', 'CANCELLED'],
};
const isLegal = (m: FulfilmentMethod, from: FulfilmentStatus, to: FulfilmentStatus): boolean =>
  LEGAL.some(([lm, lf, lt]) => lm === m && lf === from && lt === to);

function conflictOf(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError');
}

describe('fulfilment lifecycle: transitions', () => {
  it('knows each method by its own states', () => {
    expect(fulfilmentStatusesOf('DELIVERY')).toEqual(STATES.DELIVERY);
    expect(fulfilmentStatusesOf('PICKUP')).toEqual(STATES.PICKUP);
  });

  it.each(LEGAL)('%s: %s → %s is legal', (method, from, to) => {
    expect(transition(method, from, to)).toEqual({ changed: true, status: to });
  });

  it('refuses every other pair of the full from × to matrix with CONFLICT, naming what is allowed', () => {
    let refused = 0;
    let legal = 0;
    for (const method of FULFILMENT_METHODS) {
      for (const from of FULFILMENT_STATUSES) {
        const allowed = LEGAL.filter(([m, f]) => m === method && f === from).map(([, , t]) => t);
        for (const to of FULFILMENT_STATUSES) {
          if (isLegal(method, from, to)) {
            legal += 1;
            expect(transition(method, from, to)).toEqual({ changed: true, status: to });
          } else if (from === to && STATES[method].includes(from)) {
            expect(transition(method, from, to)).toEqual({ changed: false, status: from });
          } else {
            refused += 1;
            const e = conflictOf(() => transition(method, from, to));
            expect(e.code).toBe('CONFLICT');
            expect(e.status).toBe(409);
            expect(e.details).toEqual({ method, from, to, allowed });
          }
        }
      }
    }
    expect(legal).toBe(LEGAL.length);
    // 2 methods × 9 × 9 pairs, less the legal moves and the 6 + 6 idempotent repeats.
    expect(refused).toBe(2 * 81 - LEGAL.length - 12);
  });

  it('refuses the issue’s examples: shipping a cancelled one, going back, the other method’s states', () => {
    expect(conflictOf(() => transition('DELIVERY', 'CANCELLED', 'SHIPPED')).details).toMatchObject({
      allowed: [],
    });
    expect(conflictOf(() => transition('DELIVERY', 'SHIPPED', 'CANCELLED')).code).toBe('CONFLICT');
    expect(conflictOf(() => transition('DELIVERY', 'PACKED', 'PICKING')).code).toBe('CONFLICT');
    expect(conflictOf(() => transition('PICKUP', 'COLLECTED', 'UNCOLLECTED')).code).toBe('CONFLICT');
    expect(conflictOf(() => transition('PICKUP', 'PENDING', 'UNCOLLECTED')).code).toBe('CONFLICT');
    expect(conflictOf(() => transition('PICKUP', 'PICKING', 'SHIPPED')).code).toBe('CONFLICT');
    expect(conflictOf(() => transition('DELIVERY', 'PACKED', 'READY_FOR_PICKUP')).code).toBe('CONFLICT');
    expect(conflictOf(() => transition('DELIVERY', 'COLLECTED', 'COLLECTED')).code).toBe('CONFLICT');
  });

  it('answers the same status again as an unchanged success, terminal statuses included', () => {
    for (const method of FULFILMENT_METHODS) {
      for (const s of STATES[method]) {
        expect(transition(method, s, s)).toEqual({ changed: false, status: s });
        expect(stockEffect(method, s, s)).toBe('none');
      }
    }
    expect(transition('DELIVERY', 'DELIVERED', 'DELIVERED')).toEqual({ changed: false, status: 'DELIVERED' });
  });

  it('marks exactly the statuses with no way out as terminal', () => {
    for (const method of FULFILMENT_METHODS) {
      for (const s of STATES[method]) {
        const hasWayOut = LEGAL.some(([m, f]) => m === method && f === s);
        expect([method, s, isTerminalFulfilment(s)]).toEqual([method, s, !hasWayOut]);
      }
    }
  });
});

describe('fulfilment lifecycle: stock and points', () => {
  it.each(LEGAL)('%s: %s → %s moves stock: %s', (method, from, to, effect) => {
    expect(stockEffect(method, from, to)).toBe(effect);
  });

  it('commits once on the way out of the building, whatever the steps reported', () => {
    const commits = (path: FulfilmentStatus[]): number =>
      path.slice(1).filter((to, i) => stockEffect('DELIVERY', path[i]!, to) === 'commit').length;
    expect(commits(['PENDING', 'PICKING', 'PACKED', 'SHIPPED', 'DELIVERED'])).toBe(1);
    expect(commits(['PENDING', 'SHIPPED', 'DELIVERED'])).toBe(1);
    expect(commits(['PENDING', 'DELIVERED'])).toBe(1);
  });

  it('earns points when the goods are delivered or collected, never before, cancelled or lapsed', () => {
    const earning = FULFILMENT_STATUSES.filter((s) => pointsEarnedOn(s));
    expect(earning).toEqual(['DELIVERED', 'COLLECTED']);
  });
});

describe('fulfilment lifecycle: the order status', () => {
  const of = (...statuses: FulfilmentStatus[]) => orderStatusOf(statuses.map((status) => ({ status })));

  it('follows from the fulfilments', () => {
    expect(of()).toBe('OPEN');
    expect(of('PENDING')).toBe('OPEN');
    expect(of('PICKING', 'READY_FOR_PICKUP')).toBe('OPEN');
    expect(of('SHIPPED', 'CANCELLED')).toBe('OPEN');
    expect(of('DELIVERED')).toBe('FULFILLED');
    expect(of('DELIVERED', 'COLLECTED')).toBe('FULFILLED');
    expect(of('DELIVERED', 'SHIPPED')).toBe('PARTIALLY_FULFILLED');
    expect(of('COLLECTED', 'READY_FOR_PICKUP', 'CANCELLED')).toBe('PARTIALLY_FULFILLED');
    expect(of('CANCELLED')).toBe('CANCELLED');
    expect(of('CANCELLED', 'CANCELLED')).toBe('CANCELLED');
  });

  it('counts a cancelled remainder out: the rest delivered is a fulfilled order', () => {
    expect(of('DELIVERED', 'CANCELLED')).toBe('FULFILLED');
    expect(of('COLLECTED', 'CANCELLED', 'DELIVERED')).toBe('FULFILLED');
  });

  it('treats an uncollected pickup as not fulfilled: the goods went back', () => {
    expect(of('UNCOLLECTED')).toBe('CANCELLED');
    expect(of('UNCOLLECTED', 'CANCELLED')).toBe('CANCELLED');
    expect(of('UNCOLLECTED', 'DELIVERED')).toBe('FULFILLED');
    expect(of('UNCOLLECTED', 'PACKED')).toBe('OPEN');
    expect(of('UNCOLLECTED', 'DELIVERED', 'PICKING')).toBe('PARTIALLY_FULFILLED');
  });
});

describe('fulfilment lifecycle: boundary schemas', () => {
  it('accepts the contract’s statuses and history entries, refuses others', () => {
    expect(FulfilmentStatusSchema.safeParse('READY_FOR_PICKUP').success).toBe(true);
    expect(FulfilmentStatusSchema.safeParse('LOST').success).toBe(false);
    const event = {
      at: '2026-11-30T09:00:00.000Z',
      status: 'SHIPPED',
      actor: 'admin-key:wms',
      channel: 'admin',
      reason: null,
    };
    expect(OrderEventSchema.parse(event)).toEqual(event);
    expect(OrderEventSchema.safeParse({ ...event, at: 'yesterday' }).success).toBe(false);
  });
});

describe('fulfilment lifecycle: property', () => {
  it('any sequence of attempted transitions stays in the method’s states and never leaves a terminal', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FULFILMENT_METHODS),
        fc.array(fc.constantFrom(...FULFILMENT_STATUSES), { maxLength: 30 }),
        (method, attempts) => {
          let status: FulfilmentStatus = 'PENDING';
          let terminal: FulfilmentStatus | null = null;
          for (const to of attempts) {
            try {
              const r = transition(method, status, to);
              expect(r.changed).toBe(r.status !== status);
              status = r.status;
            } catch (e) {
              expect(e).toBeInstanceOf(DomainError);
              expect((e as DomainError).code).toBe('CONFLICT');
            }
            expect(STATES[method]).toContain(status);
            if (terminal !== null) expect(status).toBe(terminal);
            else if (isTerminalFulfilment(status)) terminal = status;
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
