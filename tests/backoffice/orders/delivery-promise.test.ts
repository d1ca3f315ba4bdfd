import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import {
  FulfilmentSettingsSchema,
  nextPromiseEdge,
  promiseDelivery,
  promisePickup,
  ShippingZoneSchema,
  zoneFor,
  type PromiseLocation,
} from '../../../backoffice-layer/index.js';

const weekdays = (open: string, close: string, days = [1, 2, 3, 4, 5]) =>
  days.map((day) => ({ day, open, close }));

// The warehouse works Monday to Friday (no weekend shipping); carriers deliver Monday to Friday.
const warehouse: PromiseLocation = {
  id: 'wh-ams',
  name: 'Amsterdam warehouse',
  settings: FulfilmentSettingsSchema.parse({
    timeZone: 'Europe/Amsterdam',
    cutOff: '22:00',
    handlingDays: 0,
    openingHours: weekdays('06:00', '23:59'),
    holidays: ['2026-12-25'],
  }),
};
const nl = ShippingZoneSchema.parse({
  id: 'nl',
  countryCode: 'NL',
  postcodePrefixes: [''],
  transitDays: 1,
  carrierHolidays: ['2026-12-25'],
});
const utrecht: PromiseLocation = {
  id: 'st-utr',
  name: 'Utrecht',
  settings: FulfilmentSettingsSchema.parse({
    timeZone: 'Europe/Amsterdam',
    openingHours: weekdays('09:00', '18:00', [1, 2, 3, 4, 5, 6]),
    shipsFromStore: true,
    pickup: true,
  }),
};

const at = (iso: string) => new Date(iso);
const deliver = (now: string, from = warehouse, zone = nl) => promiseDelivery({ now: at(now), from, zone });

describe('delivery promise', () => {
  it('Monday 21:59 is delivered Tuesday, 22:01 Wednesday (Amsterdam, CET)', () => {
    const before = deliver('2026-11-30T20:59:00Z');
    expect(before?.orderBefore).toEqual(at('2026-11-30T21:00:00Z'));
    expect(before?.deliverBy).toEqual(at('2026-12-01T22:59:59.999Z'));
    expect(before?.reason).toBe('order before 22:00 today, delivered Tuesday 1 December');
    expect(before?.method).toBe('DELIVERY');
    expect(before?.from).toEqual({ id: 'wh-ams', name: 'Amsterdam warehouse' });
    const after = deliver('2026-11-30T21:01:00Z');
    expect(after?.orderBefore).toEqual(at('2026-12-01T21:00:00Z'));
    expect(after?.deliverBy).toEqual(at('2026-12-02T22:59:59.999Z'));
    expect(after?.reason).toBe('order before 22:00 tomorrow, delivered Wednesday 2 December');
  });

  it('the cut-off instant itself misses the cut-off', () => {
    expect(deliver('2026-11-30T21:00:00Z')?.orderBefore).toEqual(at('2026-12-01T21:00:00Z'));
    expect(deliver('2026-11-30T20:59:59.999Z')?.orderBefore).toEqual(at('2026-11-30T21:00:00Z'));
  });

  it('Friday after the cut-off ships Monday and arrives Tuesday: no weekend shipping nor delivery', () => {
    const p = deliver('2026-12-04T21:30:00Z');
    expect(p?.orderBefore).toEqual(at('2026-12-07T21:00:00Z'));
    expect(p?.deliverBy).toEqual(at('2026-12-08T22:59:59.999Z'));
    expect(p?.reason).toBe('order before 22:00 on Monday 7 December, delivered Tuesday 8 December');
    // Friday before the cut-off ships Friday; the carrier delivers no Saturday, so Monday.
    expect(deliver('2026-12-04T12:00:00Z')?.deliverBy).toEqual(at('2026-12-07T22:59:59.999Z'));
  });

  it('skips the warehouse holiday and the carrier holiday (Christmas)', () => {
    // Thursday 24 December before the cut-off: ships Thursday, the carrier rests on Friday 25 → Monday 28.
    expect(deliver('2026-12-24T12:00:00Z')?.deliverBy).toEqual(at('2026-12-28T22:59:59.999Z'));
    // After the cut-off: Friday 25 is a holiday at the warehouse → ships Monday 28, delivered Tuesday 29.
    const late = deliver('2026-12-24T22:00:00Z');
    expect(late?.orderBefore).toEqual(at('2026-12-28T21:00:00Z'));
    expect(late?.deliverBy).toEqual(at('2026-12-29T22:59:59.999Z'));
  });

  it('adds handling days in working days and transit days in carrier days', () => {
    const slow = { ...warehouse, settings: { ...warehouse.settings, handlingDays: 1 } };
    const far = { ...nl, transitDays: 2 };
    // Thursday before the cut-off: handed over Friday, 2 carrier days → Tuesday.
    expect(deliver('2026-12-03T12:00:00Z', slow, far)?.deliverBy).toEqual(at('2026-12-08T22:59:59.999Z'));
  });

  it('keeps the cut-off at 22:00 local on the daylight-saving Sundays', () => {
    const daily = {
      ...warehouse,
      settings: { ...warehouse.settings, openingHours: weekdays('06:00', '23:59', [1, 2, 3, 4, 5, 6, 7]) },
    };
    // 28 March 2027, clocks go forward at 02:00: 22:00 CEST is 20:00 UTC (the day before: 21:00 UTC).
    expect(deliver('2027-03-27T21:30:00Z', daily)?.orderBefore).toEqual(at('2027-03-28T20:00:00Z'));
    const march = deliver('2027-03-28T19:59:00Z', daily);
    expect(march?.orderBefore).toEqual(at('2027-03-28T20:00:00Z'));
    // Ready on Sunday, collected by the carrier on Monday (no carrier collects at the weekend), delivered
    // Tuesday.
    expect(march?.deliverBy).toEqual(at('2027-03-30T21:59:59.999Z'));
    // 25 October 2026, clocks go back at 03:00: 22:00 CET is 21:00 UTC (the day before: 20:00 UTC).
    expect(deliver('2026-10-24T20:30:00Z', daily)?.orderBefore).toEqual(at('2026-10-25T21:00:00Z'));
    const october = deliver('2026-10-25T20:30:00Z', daily);
    expect(october?.orderBefore).toEqual(at('2026-10-25T21:00:00Z'));
    expect(october?.reason).toBe('order before 22:00 today, delivered Tuesday 27 October');
  });

  it('names the year of a delivery day in another year', () => {
    expect(deliver('2026-12-30T20:00:00Z')?.reason).toBe(
      'order before 22:00 today, delivered Thursday 31 December',
    );
    expect(deliver('2026-12-31T20:00:00Z')?.reason).toMatch(/, delivered \w+ \d+ January 2027$/);
  });

  it('has a parcel ready at the weekend collected on Monday: no carrier collects or delivers then', () => {
    const daily = {
      ...warehouse,
      settings: { ...warehouse.settings, openingHours: weekdays('06:00', '23:59', [1, 2, 3, 4, 5, 6, 7]) },
    };
    // Friday 4 December 2026 before 22:00 (21:00 UTC): collected Friday, delivered Monday.
    expect(deliver('2026-12-04T20:59:00Z', daily)?.reason).toBe(
      'order before 22:00 today, delivered Monday 7 December',
    );
    // Saturday before and after the cut-off, and Sunday: collected Monday, delivered Tuesday.
    for (const now of ['2026-12-05T20:59:00Z', '2026-12-05T21:00:00Z', '2026-12-06T12:00:00Z'])
      expect(deliver(now, daily)?.deliverBy).toEqual(at('2026-12-08T22:59:59.999Z'));
  });

  it('moves a cut-off in the spring-forward gap by the gap, takes the first pass of a repeated hour', () => {
    const night = {
      ...warehouse,
      settings: {
        ...warehouse.settings,
        cutOff: '02:30',
        openingHours: weekdays('00:00', '23:59', [1, 2, 3, 4, 5, 6, 7]),
      },
    };
    // 02:30 does not exist on 28 March 2027: the cut-off is 03:30 CEST.
    expect(deliver('2027-03-28T00:00:00Z', night)?.orderBefore).toEqual(at('2027-03-28T01:30:00Z'));
    // 02:30 happens twice on 25 October 2026: the cut-off is the first, 02:30 CEST.
    expect(deliver('2026-10-24T23:00:00Z', night)?.orderBefore).toEqual(at('2026-10-25T00:30:00Z'));
  });

  it('promises nothing without a zone or without stock', () => {
    expect(promiseDelivery({ now: at('2026-11-30T12:00:00Z'), from: warehouse, zone: null })).toBeNull();
    expect(
      promiseDelivery({ now: at('2026-11-30T12:00:00Z'), from: warehouse, zone: nl, quantityAvailable: 0 }),
    ).toBeNull();
  });
});

describe('pickup promise', () => {
  const pickup = (now: string, transferFrom?: PromiseLocation) =>
    promisePickup({ now: at(now), at: utrecht, ...(transferFrom ? { transferFrom } : {}) });

  it('before opening: ready two hours after opening', () => {
    const p = pickup('2026-11-30T06:30:00Z'); // 07:30 local
    expect(p?.readyBy).toEqual(at('2026-11-30T10:00:00Z'));
    expect(p?.orderBefore).toEqual(at('2026-11-30T08:00:00Z'));
    expect(p?.reason).toBe('ready for pickup at Utrecht from 11:00');
    expect(p?.method).toBe('PICKUP');
    expect(p?.deliverBy).toBeNull();
  });

  it('during opening: from the next whole hour plus two hours', () => {
    const p = pickup('2026-11-30T10:37:00Z'); // 11:37 local
    expect(p?.readyBy).toEqual(at('2026-11-30T13:00:00Z'));
    expect(p?.orderBefore).toEqual(at('2026-11-30T11:00:00Z'));
    expect(p?.reason).toBe('ready for pickup at Utrecht from 14:00');
    // 16:30: two hours no longer fit before 18:00 → tomorrow 11:00.
    expect(pickup('2026-11-30T15:30:00Z')?.readyBy).toEqual(at('2026-12-01T10:00:00Z'));
  });

  it('after closing: the next opening day, never Sunday', () => {
    const monday = pickup('2026-11-30T18:00:00Z');
    expect(monday?.readyBy).toEqual(at('2026-12-01T10:00:00Z'));
    expect(monday?.reason).toBe('ready for pickup at Utrecht from 11:00 tomorrow');
    const saturday = pickup('2026-12-05T18:00:00Z');
    expect(saturday?.readyBy).toEqual(at('2026-12-07T10:00:00Z'));
    expect(saturday?.orderBefore).toEqual(at('2026-12-07T08:00:00Z'));
    expect(saturday?.reason).toBe('ready for pickup at Utrecht from 11:00 on Monday 7 December');
  });

  it('with a transfer: after the warehouse cut-off and a day of transit', () => {
    const p = pickup('2026-11-30T10:37:00Z', warehouse);
    expect(p?.readyBy).toEqual(at('2026-12-01T10:00:00Z'));
    expect(p?.orderBefore).toEqual(at('2026-11-30T21:00:00Z'));
    expect(p?.reason).toBe('order before 22:00 today, ready for pickup at Utrecht from 11:00 tomorrow');
    expect(pickup('2026-11-30T21:30:00Z', warehouse)?.readyBy).toEqual(at('2026-12-02T10:00:00Z'));
  });

  it('promises no pickup where the store offers none', () => {
    const noPickup = { ...utrecht, settings: { ...utrecht.settings, pickup: false } };
    expect(promisePickup({ now: at('2026-11-30T10:00:00Z'), at: noPickup })).toBeNull();
  });
});

describe('fulfilment settings', () => {
  it('refuses an unknown time zone, a day given twice, closing before opening, a bad cut-off', () => {
    const ok = { timeZone: 'Europe/Amsterdam', openingHours: weekdays('09:00', '18:00') };
    expect(FulfilmentSettingsSchema.parse(ok)).toMatchObject({
      cutOff: '22:00',
      handlingDays: 0,
      holidays: [],
    });
    expect(FulfilmentSettingsSchema.safeParse({ ...ok, timeZone: 'Mars/Olympus' }).success).toBe(false);
    expect(
      FulfilmentSettingsSchema.safeParse({ ...ok, openingHours: weekdays('09:00', '18:00', [1, 1]) }).success,
    ).toBe(false);
    expect(
      FulfilmentSettingsSchema.safeParse({ ...ok, openingHours: weekdays('18:00', '09:00') }).success,
    ).toBe(false);
    expect(FulfilmentSettingsSchema.safeParse({ ...ok, cutOff: '24:00' }).success).toBe(false);
  });
});

describe('shipping zones', () => {
  const zones = [
    nl,
    ShippingZoneSchema.parse({ id: 'nl-north', countryCode: 'NL', postcodePrefixes: ['9'], transitDays: 2 }),
    ShippingZoneSchema.parse({
      id: 'nl-terschelling',
      countryCode: 'NL',
      postcodePrefixes: ['8881', '8882'],
      transitDays: 3,
    }),
    ShippingZoneSchema.parse({ id: 'be', countryCode: 'BE', postcodePrefixes: ['1'], transitDays: 2 }),
  ];

  it('picks the longest matching prefix in the country', () => {
    expect(zoneFor(zones, 'nl', '8881 ab')?.id).toBe('nl-terschelling');
    expect(zoneFor(zones, 'NL', '9711AB')?.id).toBe('nl-north');
    expect(zoneFor(zones, 'NL', '1012 AB')?.id).toBe('nl');
    expect(zoneFor(zones, 'BE', '1000')?.id).toBe('be');
    expect(zoneFor(zones, 'BE', '9000')).toBeNull();
    expect(zoneFor(zones, 'DE', '10115')).toBeNull();
  });
});

describe('promise edge', () => {
  it('is exactly the cut-off instant, where the promise changes', () => {
    const edge = nextPromiseEdge(at('2026-11-30T12:00:00Z'), [warehouse]);
    expect(edge).toEqual(at('2026-11-30T21:00:00Z'));
    const justBefore = deliver(new Date(edge!.getTime() - 1).toISOString());
    const atEdge = deliver(edge!.toISOString());
    expect(justBefore?.deliverBy).toEqual(at('2026-12-01T22:59:59.999Z'));
    expect(atEdge?.deliverBy).toEqual(at('2026-12-02T22:59:59.999Z'));
    expect(nextPromiseEdge(at('2026-11-30T12:00:00Z'), [])).toBeNull();
    // After the cut-off, local midnight is the next edge: "tomorrow" becomes "today" in the reason.
    expect(nextPromiseEdge(at('2026-11-30T21:30:00Z'), [warehouse])).toEqual(at('2026-11-30T23:00:00Z'));
    expect(deliver('2026-11-30T22:59:59.999Z')?.reason).toBe(
      'order before 22:00 tomorrow, delivered Wednesday 2 December',
    );
    expect(deliver('2026-11-30T23:00:00Z')?.reason).toBe(
      'order before 22:00 today, delivered Wednesday 2 December',
    );
  });

  it("includes a pickup store's hourly edges while it is open", () => {
    expect(nextPromiseEdge(at('2026-11-30T10:37:00Z'), [warehouse, utrecht])).toEqual(
      at('2026-11-30T11:00:00Z'),
    );
    // Closed from 16:00 local (too late to prepare) until Tuesday's opening: the warehouse cut-off is first.
    expect(nextPromiseEdge(at('2026-11-30T16:00:00Z'), [warehouse, utrecht])).toEqual(
      at('2026-11-30T21:00:00Z'),
    );
  });
});

describe('promise properties', () => {
  const start = at('2026-01-01T00:00:00Z').getTime();
  const end = at('2028-01-01T00:00:00Z').getTime();
  const settings = fc.record({
    cutOff: fc.constantFrom('12:00', '17:30', '20:00', '22:00', '23:45'),
    handlingDays: fc.integer({ min: 0, max: 3 }),
    transitDays: fc.integer({ min: 1, max: 4 }),
    days: fc.uniqueArray(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 7 }),
  });

  it('orderBefore ≥ now, delivered after its day, no earlier when later, constant until the edge', () => {
    fc.assert(
      fc.property(
        settings,
        fc.integer({ min: start, max: end }),
        fc.integer({ min: 0, max: 10 * 86_400_000 }),
        (s, t, later) => {
          const from: PromiseLocation = {
            ...warehouse,
            settings: {
              ...warehouse.settings,
              cutOff: s.cutOff,
              handlingDays: s.handlingDays,
              openingHours: weekdays('08:00', '17:00', s.days),
            },
          };
          const zone = { ...nl, transitDays: s.transitDays };
          const a = promiseDelivery({ now: new Date(t), from, zone })!;
          const b = promiseDelivery({ now: new Date(t + later), from, zone })!;
          expect(a.orderBefore.getTime()).toBeGreaterThanOrEqual(t);
          const localDate = (d: Date) => DateTime.fromJSDate(d, { zone: 'Europe/Amsterdam' }).toISODate()!;
          expect(localDate(a.deliverBy!) > localDate(a.orderBefore)).toBe(true);
          expect(b.deliverBy!.getTime()).toBeGreaterThanOrEqual(a.deliverBy!.getTime());
          const pa = promisePickup({ now: new Date(t), at: utrecht, transferFrom: from })!;
          const pb = promisePickup({ now: new Date(t + later), at: utrecht, transferFrom: from })!;
          expect(pa.orderBefore.getTime()).toBeGreaterThan(t);
          expect(pb.readyBy!.getTime()).toBeGreaterThanOrEqual(pa.readyBy!.getTime());
          // Every promise holds unchanged until the next edge: the instant the scheduler commits is exact.
          const edge = nextPromiseEdge(new Date(t), [from])!;
          expect(edge.getTime()).toBeLessThanOrEqual(a.orderBefore.getTime());
          expect(promiseDelivery({ now: new Date(edge.getTime() - 1), from, zone })).toEqual(a);
          const store = promisePickup({ now: new Date(t), at: utrecht })!;
          const storeEdge = nextPromiseEdge(new Date(t), [utrecht])!;
          expect(promisePickup({ now: new Date(storeEdge.getTime() - 1), at: utrecht })).toEqual(store);
          const next = promisePickup({ now: store.orderBefore, at: utrecht })!;
          expect(next.readyBy!.getTime()).toBeGreaterThan(store.readyBy!.getTime());
        },
      ),
      { numRuns: 300 },
    );
  });
});

// Settings a feed may carry by mistake are refused, each naming its field; a zone name is kept canonical.
describe('fulfilment settings and shipping zones refuse what would silently do nothing', () => {
  const settings = (over: Record<string, unknown>) =>
    FulfilmentSettingsSchema.safeParse({
      timeZone: 'Europe/Amsterdam',
      openingHours: [{ day: 1, open: '09:00', close: '18:00' }],
      ...over,
    });
  const zone = (over: Record<string, unknown>) =>
    ShippingZoneSchema.safeParse({
      id: 'nl',
      countryCode: 'NL',
      postcodePrefixes: [''],
      transitDays: 1,
      ...over,
    });
  const paths = (r: { success: boolean; error?: { issues: Array<{ path: PropertyKey[] }> } }) =>
    r.success ? [] : r.error!.issues.map((i) => i.path.join('.'));

  it('refuses dates that do not exist and dates given twice', () => {
    for (const d of ['2026-02-30', '2025-02-29', '0000-00-01'])
      expect(paths(settings({ holidays: [d] }))).toEqual(['holidays.0']);
    expect(paths(settings({ holidays: ['2026-12-25', '2026-12-25'] }))).toEqual(['holidays']);
    expect(paths(zone({ carrierHolidays: ['2026-02-30'] }))).toEqual(['carrierHolidays.0']);
    expect(paths(zone({ carrierHolidays: ['2026-12-25', '2026-12-25'] }))).toEqual(['carrierHolidays']);
    expect(settings({ holidays: ['2028-02-29'] }).success).toBe(true);
  });

  it('refuses fixed offsets, keeps a zone name in its canonical spelling', () => {
    for (const tz of ['+05:00', '-14:00', '+05', 'UTC+5', 'Mars/Olympus', ''])
      expect({ tz, paths: paths(settings({ timeZone: tz })) }).toEqual({ tz, paths: ['timeZone'] });
    const spelt = settings({ timeZone: 'europe/amsterdam' });
    expect(spelt.success && spelt.data.timeZone).toBe('Europe/Amsterdam');
    expect(settings({ timeZone: 'UTC' }).success).toBe(true);
  });

  it('refuses a prefix given twice and a code that is no country', () => {
    expect(paths(zone({ postcodePrefixes: ['10', '10'] }))).toEqual(['postcodePrefixes']);
    for (const c of ['XX', 'ZZ', 'EU'])
      expect({ c, paths: paths(zone({ countryCode: c })) }).toEqual({ c, paths: ['countryCode'] });
    expect(zone({ countryCode: 'BE' }).success).toBe(true);
  });
});
