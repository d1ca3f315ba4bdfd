/**
 * The access policy on its own (pure, no I/O): every kind of caller against every kind of act and resource,
 * as one table of outcomes compared in one piece. The HTTP and WebSocket version of the same table is
 * access-matrix.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import { authorize, isAct, type Act, type Caller, type Resource } from '../../channel-layer/access/policy.js';
import { A, B, callers, cell, client } from './policy-callers.js';

const reservation = (
  clientId: string | null,
  customerId: string | null,
  ...locationIds: string[]
): Resource => ({ kind: 'reservation', clientId, customerId, locationIds });

/**
 * Each column: an act and the resource it touches (which may depend on who asks, e.g. a reservation she
 * makes).
 */
const acts: Record<string, [Act, (c: Caller) => Resource]> = {
  'read A': ['customer.read', () => ({ kind: 'customer', customerId: A })],
  'read nobody': ['customer.read', () => ({ kind: 'customer', customerId: null })],
  'look A up': ['customer.lookup', () => ({ kind: 'customer', customerId: A })],
  'token for A': ['customer.token', () => ({ kind: 'customer', customerId: A })],
  'export A': ['customer.export', () => ({ kind: 'customer', customerId: A })],
  enroll: ['customer.enroll', () => ({ kind: 'customer', customerId: null })],
  'loyalty feed A': ['subscription.loyalty', () => ({ kind: 'subscription', customerId: A })],
  'order for A': ['order.for-customer', () => ({ kind: 'order', customerId: A, locationId: null })],
  'order at ams-01': [
    'order.for-customer',
    () => ({ kind: 'order', customerId: null, locationId: 'ams-01' }),
  ],
  'sale at ams-01': ['sale.for-customer', () => ({ kind: 'order', customerId: null, locationId: 'ams-01' })],
  'return A’s order to wh-1': [
    'order.return',
    () => ({ kind: 'return', orderCustomerId: A, locationId: 'wh-1' }),
  ],
  'return A’s order at ams-01': [
    'order.return',
    () => ({ kind: 'return', orderCustomerId: A, locationId: 'ams-01' }),
  ],
  'return nobody’s order at ams-01': [
    'order.return',
    () => ({ kind: 'return', orderCustomerId: null, locationId: 'ams-01' }),
  ],
  'reserve at ams-01 for A': ['reservation.for-customer', (c) => reservation(c.clientId, A, 'ams-01')],
  'release web’s': ['reservation.release', () => reservation(client.web, null, 'wh-1')],
  'release store A’s': ['reservation.release', () => reservation(client.storeA, null, 'ams-01')],
  'release A’s, made at store A': ['reservation.release', () => reservation(client.storeA, A, 'ams-01')],
  'order from A’s, made by app': ['reservation.order', () => reservation(client.app, A, 'wh-1')],
  'release admin-made at ams-01': ['reservation.release', () => reservation(null, null, 'ams-01')],
  'release web’s at ams-01 and wh-1': [
    'reservation.release',
    () => reservation(client.web, null, 'ams-01', 'wh-1'),
  ],
  // The channel mirror: every channel's answer at once, the console's alone.
  'mirror A': ['mirror', () => ({ kind: 'customer', customerId: A })],
};

describe('the access policy', () => {
  it('answers every caller exactly as the rules say', () => {
    const actual = Object.fromEntries(
      Object.entries(callers).map(([who, c]) => [
        who,
        Object.fromEntries(
          Object.entries(acts).map(([what, [act, on]]) => [what, cell(authorize(c, act, on(c) as never))]),
        ),
      ]),
    );
    const row = (cells: string[]) => Object.fromEntries(Object.keys(acts).map((k, i) => [k, cells[i]!]));
    const Y = 'yes';
    const N = 'NO';
    const YA = 'yes, audit A';
    expect(actual).toEqual({
      //                    read A read -  lookup token export enroll feed A order A at ams sale   ret wh ret
      // ams ret -  res A  web's  sA's   A@sA   A@app  admin  mixed  mirror A
      web: row([N, Y, N, Y, N, Y, N, N, Y, N, N, N, N, N, Y, N, N, N, N, Y, N]),
      // A key that does not sign customers in (one shipped in an app, say) cannot mint a token for anyone.
      'web key without customer-tokens': row([N, Y, N, N, N, Y, N, N, Y, N, N, N, N, N, Y, N, N, N, N, Y, N]),
      'web, customer A': row([Y, Y, N, Y, Y, Y, Y, Y, Y, N, Y, Y, N, Y, Y, N, Y, Y, N, Y, N]),
      'app, customer B': row([N, Y, N, Y, N, Y, N, N, Y, N, N, N, N, N, N, N, N, N, N, N, N]),
      'store A terminal': row([YA, Y, YA, N, N, Y, YA, YA, Y, Y, N, YA, Y, YA, N, Y, YA, N, Y, N, N]),
      'store B terminal': row([YA, Y, YA, N, N, Y, YA, YA, N, N, N, N, N, N, N, N, N, N, N, N, N]),
      'call-center agent': row([YA, Y, YA, N, YA, Y, YA, YA, Y, N, YA, YA, Y, YA, N, N, YA, YA, N, N, N]),
      console: row([YA, Y, YA, N, YA, Y, YA, YA, Y, N, YA, YA, Y, YA, N, N, YA, YA, N, N, YA]),
    });
  });

  it(
    'gives every refusal a reason for the client, and never answers an act about the wrong kind ' +
      'of resource',
    () => {
      for (const c of Object.values(callers)) {
        for (const [act, on] of Object.values(acts)) {
          const d = authorize(c, act, on(c) as never);
          if (!d.allowed) expect(d.reason.length).toBeGreaterThan(10);
        }
      }
      const d = authorize(callers.console!, 'customer.read', {
        kind: 'reservation',
        clientId: null,
        customerId: A,
        locationIds: ['wh-1'],
      } as never);
      expect(d.allowed).toBe(false);
      // A terminal's refusal names the location it may not act at.
      expect(
        authorize(callers['store B terminal']!, 'order.return', {
          kind: 'return',
          orderCustomerId: A,
          locationId: 'ams-01',
        }),
      ).toEqual({
        allowed: false,
        reason: expect.stringMatching(/utr-01.*ams-01/),
        details: { locationId: 'ams-01' },
      });
    },
  );

  it('decides releasing a reservation and ordering from it alike', () => {
    const owners = [null, client.web, client.app, client.storeA, client.agent];
    for (const c of Object.values(callers)) {
      for (const maker of owners) {
        for (const customer of [null, A, B]) {
          for (const at of [['wh-1'], ['ams-01'], ['utr-01'], ['ams-01', 'utr-01']]) {
            const r = reservation(maker, customer, ...at);
            expect(authorize(c, 'reservation.order', r as never)).toEqual(
              authorize(c, 'reservation.release', r as never),
            );
          }
        }
      }
    }
  });

  it('knows its acts by name', () => {
    expect(isAct('reservation.release')).toBe(true);
    expect(isAct('subscription.loyalty')).toBe(true);
    expect(isAct('toString')).toBe(false);
    expect(isAct('customer.delete')).toBe(false);
  });

  it(
    'puts a staff act on record under the customer’s id in lower case, whatever case it was ' + 'asked in',
    () => {
      expect(
        authorize(callers['call-center agent']!, 'customer.read', {
          kind: 'customer',
          customerId: A.toUpperCase(),
        }),
      ).toEqual({ allowed: true, audit: { subject: `customer:${A}` } });
    },
  );

  it('lets a terminal follow an order it placed elsewhere (the endless aisle), and no other', () => {
    const order = (placedBy: string | null): Resource => ({
      kind: 'placed-order',
      customerId: A,
      locationIds: ['wh-1'],
      placedBy,
    });
    const cells = Object.fromEntries(
      (['order.read', 'order.cancel', 'subscription.order', 'order.collect'] as const).map((act) => [
        act,
        [client.storeA, client.storeB, null].map((by) =>
          authorize(callers['store A terminal']!, act, order(by) as never).allowed ? 'Y' : 'N',
        ),
      ]),
    );
    expect(cells).toEqual({
      'order.read': ['Y', 'N', 'N'],
      'order.cancel': ['Y', 'N', 'N'],
      'subscription.order': ['Y', 'N', 'N'],
      'order.collect': ['Y', 'N', 'N'],
    });
  });
});
