/**
 * The fulfilment configuration over real HTTP admin REST (issue 12): a location's fulfilment settings, the
 * shipping zones and the sourcing rules round-trip, are refused with the field named, commit nothing when
 * sent again, and each real change commits its revision and its outbox event. The demo retailer's settings
 * parse and are what the read functions answer.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  backofficeAdminRoutes,
  DEFAULT_SOURCING_RULES,
  FulfilmentSettingsSchema,
  ShippingZoneSchema,
  SourcingRulesSchema,
  generateDemoRetailer,
  getFulfilmentSettings,
  getSourcingRules,
  listShippingZones,
  seedDemoRetailer,
} from '../../../backoffice-layer/index.js';
import { startAdminNode, type AdminNode } from '../../support/admin-node.js';

let admin: AdminNode;
beforeAll(async () => {
  admin = await startAdminNode('fulfilment-config');
});
afterAll(async () => {
  await admin.close();
});

const weekdays = [1, 2, 3, 4, 5].map((day) => ({ day, open: '09:00', close: '17:00' }));
const warehouse = { name: 'DC Waalwijk', kind: 'WAREHOUSE', fulfilsOnline: true };
const settings = { timeZone: 'Europe/Amsterdam', cutOff: '20:00', openingHours: weekdays };

/** The outbox events of one aggregate, oldest first. */
async function outboxOf(aggregateType: string, aggregateId: string) {
  return admin.ctx.deps.db
    .selectFrom('outbox')
    .select(['type', 'revision', 'payload'])
    .where('aggregateType', '=', aggregateType)
    .where('aggregateId', '=', aggregateId)
    .orderBy('revision')
    .execute();
}

/** The paths of a BAD_USER_INPUT answer's issues (status and code checked). */
function refusedPaths(answer: { status: number; body: any }): string[] {
  expect({ status: answer.status, code: answer.body?.code }).toEqual({ status: 400, code: 'BAD_USER_INPUT' });
  return (answer.body.issues as Array<{ path: string }>).map((i) => i.path);
}

describe('location fulfilment settings', () => {
  it('are stored with their defaults, shown by GET, kept when absent and removed by null', async () => {
    const put = await admin.call('PUT', '/locations/dc-waalwijk', {
      body: { ...warehouse, fulfilment: settings },
    });
    expect(put.status).toBe(200);
    const stored = {
      timeZone: 'Europe/Amsterdam',
      cutOff: '20:00',
      handlingDays: 0,
      openingHours: weekdays,
      holidays: [],
      shipsFromStore: false,
      pickup: false,
      pickupHoldDays: 7,
    };
    expect(put.body).toMatchObject({ changed: true, location: { id: 'dc-waalwijk', fulfilment: stored } });
    const got = await admin.call('GET', '/locations/dc-waalwijk');
    expect(got.body.location.fulfilment).toEqual(stored);
    expect(got.body.location.revision).toBe(put.body.revision);

    // The same settings again (defaults spelled out this time) commit nothing.
    const again = await admin.call('PUT', '/locations/dc-waalwijk', {
      body: { ...warehouse, fulfilment: stored },
    });
    expect(again.body).toMatchObject({ changed: false, revision: put.body.revision });
    // No `fulfilment`: the stored settings stay.
    const without = await admin.call('PUT', '/locations/dc-waalwijk', { body: warehouse });
    expect(without.body).toMatchObject({ changed: false, location: { fulfilment: stored } });

    const later = await admin.call('PUT', '/locations/dc-waalwijk', {
      body: { ...warehouse, fulfilment: { ...settings, cutOff: '22:00', holidays: ['2026-12-25'] } },
    });
    expect(later.body).toMatchObject({ changed: true, location: { fulfilment: { cutOff: '22:00' } } });
    expect(later.body.revision).toBeGreaterThan(put.body.revision);
    expect((await getFulfilmentSettings(admin.ctx.deps.db, ['dc-waalwijk', 'nowhere']))[0]).toEqual({
      id: 'dc-waalwijk',
      name: 'DC Waalwijk',
      kind: 'WAREHOUSE',
      fulfilsOnline: true,
      settings: { ...stored, cutOff: '22:00', holidays: ['2026-12-25'] },
    });

    const removed = await admin.call('PUT', '/locations/dc-waalwijk', {
      body: { ...warehouse, fulfilment: null },
    });
    expect(removed.body).toMatchObject({ changed: true });
    expect(removed.body.location).not.toHaveProperty('fulfilment');
    expect(await getFulfilmentSettings(admin.ctx.deps.db, ['dc-waalwijk'])).toEqual([]);

    const location = { id: 'dc-waalwijk', name: 'DC Waalwijk', kind: 'WAREHOUSE', fulfilsOnline: true };
    expect(await outboxOf('location', 'dc-waalwijk')).toEqual([
      { type: 'location.changed', revision: put.body.revision, payload: { location, fulfilment: stored } },
      {
        type: 'location.changed',
        revision: later.body.revision,
        payload: { location, fulfilment: { ...stored, cutOff: '22:00', holidays: ['2026-12-25'] } },
      },
      { type: 'location.changed', revision: removed.body.revision, payload: { location } },
    ]);
  });

  it('are refused with the field named', async () => {
    const put = (fulfilment: unknown) =>
      admin.call('PUT', '/locations/dc-refused', { body: { ...warehouse, fulfilment } });
    expect(refusedPaths(await put({ ...settings, timeZone: 'Europe/Nowhere' }))).toEqual([
      'body.fulfilment.timeZone',
    ]);
    expect(refusedPaths(await put({ ...settings, cutOff: '24:00' }))).toEqual(['body.fulfilment.cutOff']);
    expect(
      refusedPaths(await put({ ...settings, openingHours: [{ day: 1, open: '18:00', close: '09:00' }] })),
    ).toEqual(['body.fulfilment.openingHours.0.close']);
    expect(refusedPaths(await put({ ...settings, handlingDays: -1 }))).toEqual([
      'body.fulfilment.handlingDays',
    ]);
    expect(refusedPaths(await put({ ...settings, holidays: ['2026-13-01'] }))).toEqual([
      'body.fulfilment.holidays.0',
    ]);
    // Click & collect is a store's counter: a warehouse offering it is refused, not silently never chosen.
    expect(refusedPaths(await put({ ...settings, pickup: true }))).toEqual(['body.fulfilment.pickup']);
    expect((await admin.call('GET', '/locations/dc-refused')).status).toBe(404);
  });
});

describe('shipping zones', () => {
  const nl = { countryCode: 'NL', postcodePrefixes: [''], transitDays: 1, carrierHolidays: ['2026-12-25'] };

  it('round-trip, commit nothing when sent again and announce each change', async () => {
    const put = await admin.call('PUT', '/shipping-zones/test-nl', { body: nl });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ changed: true, shippingZone: { id: 'test-nl', ...nl } });
    const got = await admin.call('GET', '/shipping-zones/test-nl');
    expect(got.body.shippingZone).toEqual({
      id: 'test-nl',
      ...nl,
      revision: put.body.revision,
      updatedAt: expect.any(String),
    });
    const again = await admin.call('PUT', '/shipping-zones/test-nl', { body: nl });
    expect(again.body).toMatchObject({ changed: false, revision: put.body.revision });

    const be = { countryCode: 'BE', postcodePrefixes: ['1', '2'], transitDays: 2 };
    const putBe = await admin.call('PUT', '/shipping-zones/test-be', { body: be });
    expect(putBe.body.shippingZone).toMatchObject({ ...be, carrierHolidays: [] });
    const changed = await admin.call('PUT', '/shipping-zones/test-nl', { body: { ...nl, transitDays: 2 } });
    expect(changed.body).toMatchObject({ changed: true, shippingZone: { transitDays: 2 } });

    const list = await admin.call('GET', '/shipping-zones');
    expect(list.body.shippingZones.map((z: { id: string }) => z.id)).toEqual(['test-be', 'test-nl']);
    expect((await listShippingZones(admin.ctx.deps.db)).map((z) => [z.id, z.transitDays])).toEqual([
      ['test-be', 2],
      ['test-nl', 2],
    ]);
    expect(await outboxOf('shipping-zone', 'test-nl')).toEqual([
      {
        type: 'shipping-zone.changed',
        revision: put.body.revision,
        payload: { shippingZone: { id: 'test-nl', ...nl } },
      },
      {
        type: 'shipping-zone.changed',
        revision: changed.body.revision,
        payload: { shippingZone: { id: 'test-nl', ...nl, transitDays: 2 } },
      },
    ]);
  });

  it('are refused with the field named, and an unknown one is NOT_FOUND', async () => {
    const put = (body: unknown) => admin.call('PUT', '/shipping-zones/test-x', { body });
    expect(refusedPaths(await put({ ...nl, countryCode: 'nl' }))).toEqual(['body.countryCode']);
    expect(refusedPaths(await put({ ...nl, postcodePrefixes: ['10 AB'] }))).toEqual([
      'body.postcodePrefixes.0',
    ]);
    expect(refusedPaths(await put({ ...nl, transitDays: 1.5 }))).toEqual(['body.transitDays']);
    expect(refusedPaths(await put({ ...nl, postcodePrefixes: [] }))).toEqual(['body.postcodePrefixes']);
    expect((await admin.call('GET', '/shipping-zones/test-x')).status).toBe(404);
  });
});

describe('sourcing rules', () => {
  it('answer the defaults until stored, then round-trip once per change', async () => {
    const before = await admin.call('GET', '/sourcing');
    expect(before.body).toEqual({ sourcing: DEFAULT_SOURCING_RULES, revision: null, updatedAt: null });

    await admin.call('PUT', '/locations/ams-test', {
      body: { name: 'Amsterdam test', kind: 'STORE', fulfilsOnline: true },
    });
    const rules = {
      rules: ['FEWEST_SHIPMENTS', 'LOCATION_PRIORITY'],
      allowSplit: true,
      locationPriority: ['dc-waalwijk', 'ams-test'],
    };
    const put = await admin.call('PUT', '/sourcing', { body: rules });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ changed: true, sourcing: rules });
    expect((await admin.call('GET', '/sourcing')).body).toEqual({
      sourcing: rules,
      revision: put.body.revision,
      updatedAt: expect.any(String),
    });
    expect((await admin.call('PUT', '/sourcing', { body: rules })).body).toMatchObject({
      changed: false,
      revision: put.body.revision,
    });
    const split = await admin.call('PUT', '/sourcing', {
      body: { rules: ['LOCATION_PRIORITY'], allowSplit: false },
    });
    expect(split.body).toMatchObject({ changed: true, sourcing: { locationPriority: [] } });
    expect(await getSourcingRules(admin.ctx.deps.db)).toEqual({
      rules: ['LOCATION_PRIORITY'],
      allowSplit: false,
      locationPriority: [],
    });
    expect(await outboxOf('sourcing', 'sourcing')).toEqual([
      { type: 'sourcing.changed', revision: put.body.revision, payload: { sourcing: rules } },
      {
        type: 'sourcing.changed',
        revision: split.body.revision,
        payload: { sourcing: { rules: ['LOCATION_PRIORITY'], allowSplit: false, locationPriority: [] } },
      },
    ]);
  });

  it('are refused with the field named, an unknown location included', async () => {
    const put = (body: unknown) => admin.call('PUT', '/sourcing', { body });
    const ok = { rules: ['FEWEST_SHIPMENTS'], allowSplit: true };
    expect(refusedPaths(await put({ ...ok, rules: ['CHEAPEST'] }))).toEqual(['body.rules.0']);
    expect(refusedPaths(await put({ ...ok, rules: ['FEWEST_SHIPMENTS', 'FEWEST_SHIPMENTS'] }))).toEqual([
      'body.rules',
    ]);
    expect(refusedPaths(await put({ rules: ['FEWEST_SHIPMENTS'] }))).toEqual(['body.allowSplit']);
    expect(refusedPaths(await put({ ...ok, locationPriority: ['dc-waalwijk', 'atlantis'] }))).toEqual([
      'body.locationPriority.1',
    ]);
    expect((await getSourcingRules(admin.ctx.deps.db)).rules).toEqual(['LOCATION_PRIORITY']);
  });
});

describe('the demo retailer', () => {
  it('declares settings, zones and sourcing rules that parse, and seeds them', async () => {
    const demo = generateDemoRetailer(admin.ctx.deps.clock.now());
    for (const l of demo.locations)
      expect(FulfilmentSettingsSchema.parse(demo.fulfilment.settings[l.id])).toEqual(
        demo.fulfilment.settings[l.id],
      );
    for (const z of demo.fulfilment.shippingZones) expect(ShippingZoneSchema.parse(z)).toEqual(z);
    expect(SourcingRulesSchema.parse(demo.fulfilment.sourcing)).toEqual(demo.fulfilment.sourcing);

    const seeded = await seedDemoRetailer(admin.ctx.deps);
    expect(seeded.skipped).toBe(false);
    const byId = new Map(
      (await getFulfilmentSettings(admin.ctx.deps.db)).map((l) => [l.id, l.settings] as const),
    );
    expect(byId.get('wh-tilburg')).toMatchObject({
      timeZone: 'Europe/Amsterdam',
      cutOff: '22:00',
      handlingDays: 0,
      openingHours: [1, 2, 3, 4, 5, 6].map((day) => ({ day, open: '07:00', close: '23:00' })),
    });
    for (const store of demo.locations.filter((l) => l.kind === 'STORE'))
      expect(byId.get(store.id)).toMatchObject({ shipsFromStore: true, pickup: true, pickupHoldDays: 7 });
    const zones = await listShippingZones(admin.ctx.deps.db);
    expect(
      zones.filter((z) => z.id === 'nl' || z.id === 'be').map((z) => [z.countryCode, z.transitDays]),
    ).toEqual([
      ['BE', 2],
      ['NL', 1],
    ]);
    expect(await getSourcingRules(admin.ctx.deps.db)).toEqual({
      rules: ['FEWEST_SHIPMENTS', 'LOCATION_PRIORITY'],
      allowSplit: true,
      locationPriority: ['wh-tilburg', 'ams-01', 'rtm-01', 'utr-01', 'dhg-01', 'ehv-01', 'gro-01'],
    });
    const got = await admin.call('GET', '/locations/ams-01');
    expect(got.body.location.fulfilment).toMatchObject({ pickup: true, cutOff: '17:00' });
  });

  it('answers what the response schemas say', async () => {
    const answers: Array<[string, string, string, unknown?]> = [
      ['putLocation', 'PUT', '/locations/ams-01', { name: 'Amsterdam', kind: 'STORE', fulfilment: null }],
      ['getLocation', 'GET', '/locations/wh-tilburg'],
      ['listLocations', 'GET', '/locations'],
      [
        'putShippingZone',
        'PUT',
        '/shipping-zones/de',
        { countryCode: 'DE', postcodePrefixes: [''], transitDays: 3 },
      ],
      ['getShippingZone', 'GET', '/shipping-zones/nl'],
      ['listShippingZones', 'GET', '/shipping-zones'],
      ['putSourcingRules', 'PUT', '/sourcing', { rules: ['FEWEST_SHIPMENTS'], allowSplit: true }],
      ['getSourcingRules', 'GET', '/sourcing'],
    ];
    for (const [operationId, method, path, body] of answers) {
      const answer = await admin.call(method, path, body === undefined ? {} : { body });
      const route = backofficeAdminRoutes.find((r) => r.operationId === operationId)!;
      const parsed = route.response!.safeParse(answer.body);
      expect({ operationId, status: answer.status, issues: parsed.error?.issues ?? [] }).toEqual({
        operationId,
        status: 200,
        issues: [],
      });
    }
  });
});
