/**
 * The access policy's customer-journey acts on their own (pure, no I/O): every kind of caller against her
 * timeline, history, data use, segments, next best offers, interactions, profile corrections, identifiers,
 * preferences and merges, as one table compared in one piece. The HTTP version is access-journey.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import { authorize, type Act } from '../../channel-layer/access/policy.js';
import { DATA_USE_WHAT } from '../../channel-layer/access/require-access.js';
import { A, callers, cell } from './policy-callers.js';

/** Each column: an act about customer A. */
const acts: Act[] = [
  'customer.timeline',
  'customer.history',
  'customer.data-use',
  'customer.segments',
  'customer.next-best-offers',
  'customer.record-interaction',
  'customer.update-profile',
  'customer.unlink-identifier',
  'customer.preferences',
  'customer.assign-segments',
  'customer.merge',
  'customer.unmerge',
];

describe('the access policy on her journey', () => {
  it('answers every caller exactly as the rules say', () => {
    const actual = Object.fromEntries(
      Object.entries(callers).map(([who, c]) => [
        who,
        Object.fromEntries(
          acts.map((act) => [act, cell(authorize(c, act, { kind: 'customer', customerId: A }))]),
        ),
      ]),
    );
    const row = (cells: string[]) => Object.fromEntries(acts.map((k, i) => [k, cells[i]!]));
    const Y = 'yes';
    const N = 'NO';
    const YA = 'yes, audit A';
    // Columns: timeline, history, data use, segments, next best offers, record interaction, update profile,
    // unlink identifier, preferences, assign segments, merge, unmerge.
    const herself = row([Y, Y, Y, Y, Y, Y, Y, Y, Y, N, N, N]);
    const nobody = row([N, N, N, N, N, N, N, N, N, N, N, N]);
    const terminal = row([YA, YA, YA, YA, YA, YA, YA, YA, YA, N, N, N]);
    const backOffice = row(Array<string>(12).fill(YA));
    expect(actual).toEqual({
      web: nobody,
      'web key without customer-tokens': nobody,
      'web, customer A': herself,
      'app, customer B': nobody,
      'store A terminal': terminal,
      'store B terminal': terminal,
      'call-center agent': backOffice,
      console: backOffice,
    });
  });

  it('refuses a journey act that names no customer, except to the back office before it looks one up', () => {
    const backOfficeActs: Act[] = ['customer.assign-segments', 'customer.merge', 'customer.unmerge'];
    for (const [who, c] of Object.entries(callers))
      for (const act of acts) {
        const d = authorize(c, act, { kind: 'customer', customerId: null });
        const backOffice = c.channel === 'CALL_CENTER' || c.channel === 'CONSOLE';
        expect([who, act, d.allowed]).toEqual([who, act, backOffice && backOfficeActs.includes(act)]);
        if (!d.allowed) expect(d.reason.length).toBeGreaterThan(10);
        else expect(d.audit).toBeUndefined();
      }
  });

  it('tells a store terminal that merging is the back office’s', () => {
    expect(
      authorize(callers['store A terminal']!, 'customer.merge', { kind: 'customer', customerId: A }),
    ).toEqual({
      allowed: false,
      reason: 'Only the call center and the console merge customer profiles',
    });
  });

  it('says in words what every act did with her data', () => {
    for (const act of acts) expect(DATA_USE_WHAT[act]).toMatch(/^[a-z][a-z ,’-]+$/);
  });
});
