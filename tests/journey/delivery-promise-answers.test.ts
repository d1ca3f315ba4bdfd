import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CamelCasePlugin, Kysely, PostgresDialect } from 'kysely';
import {
  createReadModel,
  nextScheduleBoundary,
  putShippingZone,
  readModelWatermark,
  setStockCount,
  startBackofficeWorker,
  upsertLocation,
  verifyReadModel,
  type BackofficeWorker,
  type ReadModel,
} from '../../backoffice-layer/index.js';
import { demoFulfilment } from '../../backoffice-layer/seed/demo-fulfilment.js';
import type { HubTables } from '../../channel-layer/index.js';
import {
  journeyReadModelSections,
  journeyWorkerOptions,
  offer,
  offers,
  quote,
  type Offer,
} from '../../journey-layer/index.js';
import { journeyScheduleSources } from '../../journey-layer/pricing/read-model-sections.js';
import { ManualClock } from '../../shared/index.js';
import { createBackofficeTestContext, until, type BackofficeTestContext } from '../support/backoffice.js';
import { givenPromiseShop, PROMISE_SKU, STORE_ONLY_SKU } from '../support/promise-shop.js';

// Issue 12: the delivery promise in every answer, made from the answer's own snapshot (its stock, the
// fulfilment section of the read model, the instant its revision determines). Amsterdam is UTC+1 in December.

// Thursday 3 December 2026, 21:30 in Amsterdam: before the warehouse's 22:00 cut-off, the stores closed.
const THURSDAY_EVENING = '2026-12-03T20:30:00.000Z';
const NL = { postcode: '1012 AB', countryCode: 'NL' };

const amsterdam = { id: 'ams-01', name: 'Amsterdam', kind: 'STORE', fulfilsOnline: true };
const utrecht = { id: 'utr-01', name: 'Utrecht', kind: 'STORE', fulfilsOnline: false };
const warehouse = { id: 'wh-1', name: 'Warehouse Tilburg', kind: 'WAREHOUSE', fulfilsOnline: true };
// The warehouse's transfer leaves before Thursday's 22:00 cut-off, arrives Friday, the store prepares it from
// its Friday opening (10:00), ready two hours later.
const utrechtByTransfer = {
  method: 'PICKUP',
  from: utrecht,
  orderBefore: '2026-12-03T21:00:00.000Z',
  deliverBy: null,
  readyBy: '2026-12-04T11:00:00.000Z',
  reason: 'order before 22:00 today, ready for pickup at Utrecht from 12:00 tomorrow',
};
// Shipped from the Amsterdam store before its 17:00 cut-off on Friday, delivered after the weekend.
const fromAmsterdamOnFriday = {
  method: 'DELIVERY',
  from: amsterdam,
  orderBefore: '2026-12-04T16:00:00.000Z',
  deliverBy: '2026-12-07T22:59:59.999Z',
  readyBy: null,
  reason: 'order before 17:00 tomorrow, delivered Monday 7 December',
};

describe('the delivery promise in offers and quotes', () => {
  const clock = new ManualClock(THURSDAY_EVENING);
  let ctx: BackofficeTestContext;
  let worker: BackofficeWorker;
  let rm: ReadModel;

  /** Waits until the read model has reached the hub's latest revision. */
  const settled = async () => {
    const latest = Number(
      (
        await ctx.deps.db
          .selectFrom('outbox')
          .select((eb) => eb.fn.max('revision').as('r'))
          .executeTakeFirst()
      )?.r ?? 0,
    );
    await until(async () => ((await readModelWatermark(ctx.deps)) ?? -1) >= latest, 10_000, 'the read model');
    return latest;
  };

  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
    await givenPromiseShop(ctx.deps);
    worker = await startBackofficeWorker(ctx.deps, { ...journeyWorkerOptions(ctx.deps), relayPollMs: 50 });
    rm = await createReadModel(ctx.deps, { sections: journeyReadModelSections });
    await settled();
  }, 30_000);
  afterAll(async () => {
    await rm?.close();
    await worker?.stop();
    await ctx?.close();
  });

  it('an offer with a postcode: delivery from the warehouse, pickup where the unit is', async () => {
    const o = await offer(ctx.deps, { sku: PROMISE_SKU, ...NL }, { readModel: rm });
    expect(o.delivery).toEqual([
      {
        method: 'DELIVERY',
        from: warehouse,
        orderBefore: '2026-12-03T21:00:00.000Z',
        deliverBy: '2026-12-04T22:59:59.999Z',
        readyBy: null,
        reason: 'order before 22:00 today, delivered Friday 4 December',
      },
      {
        // Closed on Thursday evening: prepared from Friday's opening at 10:00, ready two hours later.
        method: 'PICKUP',
        from: amsterdam,
        orderBefore: '2026-12-04T09:00:00.000Z',
        deliverBy: null,
        readyBy: '2026-12-04T11:00:00.000Z',
        reason: 'ready for pickup at Amsterdam from 12:00 tomorrow',
      },
    ]);
    // Without a postcode, only the pickup; the country alone is served by a zone for the whole country.
    const plain = await offer(ctx.deps, { sku: PROMISE_SKU }, { readModel: rm });
    expect(plain.delivery.map((p) => p.method)).toEqual(['PICKUP']);
    const country = await offer(ctx.deps, { sku: PROMISE_SKU, countryCode: 'nl' }, { readModel: rm });
    expect(country.delivery).toEqual(o.delivery);
    expect(country.fingerprint).toBe(o.fingerprint);
    expect(plain.fingerprint).not.toBe(o.fingerprint);
    // Belgium: two carrier days. A country no zone serves: no delivery promise, the offer still answers.
    const be = await offer(
      ctx.deps,
      { sku: PROMISE_SKU, postcode: '1000', countryCode: 'BE' },
      { readModel: rm },
    );
    expect(be.delivery[0]).toMatchObject({ method: 'DELIVERY', deliverBy: '2026-12-07T22:59:59.999Z' });
    const de = await offer(
      ctx.deps,
      { sku: PROMISE_SKU, postcode: '10115', countryCode: 'DE' },
      { readModel: rm },
    );
    expect(de.delivery.map((p) => p.method)).toEqual(['PICKUP']);
    expect(de.price.final).toBe(12995);
  });

  it('a named store is promised by transfer when it lacks the unit; a non-pickup one gets none', async () => {
    const atUtrecht = await offer(ctx.deps, { sku: PROMISE_SKU, locationId: 'utr-01' }, { readModel: rm });
    expect(atUtrecht.delivery).toEqual([utrechtByTransfer]);
    const atWarehouse = await offer(
      ctx.deps,
      { sku: PROMISE_SKU, locationId: 'wh-1', ...NL },
      { readModel: rm },
    );
    expect(atWarehouse.delivery.map((p) => [p.method, p.from.id])).toEqual([['DELIVERY', 'wh-1']]);
  });

  it('refuses a postcode without its country and a malformed one, as BAD_USER_INPUT', async () => {
    for (const bad of [
      { postcode: '1012 AB' },
      { postcode: '1012 AB', countryCode: 'NLD' },
      { postcode: '1012;AB', countryCode: 'NL' },
      { postcode: ' ', countryCode: 'NL' },
    ]) {
      const e = await offer(ctx.deps, { sku: PROMISE_SKU, ...bad }, { readModel: rm }).then(
        () => null,
        (err: unknown) => err as { code?: string },
      );
      expect(e?.code).toBe('BAD_USER_INPUT');
    }
  });

  it('a quote promises its fulfilment: shipments, a pickup by transfer, none without stock', async () => {
    const lines = [
      { sku: PROMISE_SKU, quantity: 1 },
      { sku: STORE_ONLY_SKU, quantity: 1 },
    ];
    const q = await quote(ctx.deps, { lines, fulfilment: { method: 'DELIVERY', ...NL } }, { readModel: rm });
    // Amsterdam has both (fewest shipments): one shipment from the store, after its 17:00 cut-off on Friday.
    expect(q.delivery).toEqual([fromAmsterdamOnFriday]);
    // Three coats and a scarf: no location has all, so two shipments, each with its own promise.
    const split = await quote(
      ctx.deps,
      {
        lines: [
          { sku: PROMISE_SKU, quantity: 3 },
          { sku: STORE_ONLY_SKU, quantity: 1 },
        ],
        fulfilment: { method: 'DELIVERY', ...NL },
      },
      { readModel: rm },
    );
    expect(split.delivery.map((p) => [p.from.id, p.orderBefore, p.deliverBy])).toEqual([
      ['ams-01', '2026-12-04T16:00:00.000Z', '2026-12-07T22:59:59.999Z'],
      ['wh-1', '2026-12-03T21:00:00.000Z', '2026-12-04T22:59:59.999Z'],
    ]);
    const pickup = await quote(
      ctx.deps,
      {
        lines: [{ sku: PROMISE_SKU, quantity: 1 }],
        fulfilment: { method: 'PICKUP', pickupLocationId: 'utr-01' },
      },
      { readModel: rm },
    );
    expect(pickup.delivery).toEqual([utrechtByTransfer]);
    // Transfers come from warehouses: the scarf, held by the Amsterdam store only, cannot be collected in
    // Utrecht.
    const scarfInUtrecht = await quote(
      ctx.deps,
      { lines, fulfilment: { method: 'PICKUP', pickupLocationId: 'utr-01' } },
      { readModel: rm },
    );
    expect(scarfInUtrecht.delivery).toEqual([]);
    // Without a fulfilment nothing is promised, and the promise is part of the fingerprint.
    const none = await quote(ctx.deps, { lines }, { readModel: rm });
    expect(none.delivery).toEqual([]);
    expect(new Set([q.fingerprint, pickup.fingerprint, none.fingerprint]).size).toBe(3);
    expect(none.total).toBe(q.total);
    // More than the hub holds: priced, not promised.
    const tooMany = await quote(
      ctx.deps,
      { lines: [{ sku: PROMISE_SKU, quantity: 50 }], fulfilment: { method: 'DELIVERY', ...NL } },
      { readModel: rm },
    );
    expect(tooMany.delivery).toEqual([]);
    expect(tooMany.total).toBe(50 * 12995);
    // A fulfilment the hub cannot serve is the caller's mistake.
    for (const fulfilment of [
      { method: 'DELIVERY' as const },
      { method: 'DELIVERY' as const, postcode: '10115', countryCode: 'DE' },
      { method: 'PICKUP' as const },
      { method: 'PICKUP' as const, pickupLocationId: 'wh-1' },
    ]) {
      const e = await quote(ctx.deps, { lines, fulfilment }, { readModel: rm }).then(
        () => null,
        (err: unknown) => err as { code?: string },
      );
      expect(e?.code).toBe('BAD_USER_INPUT');
    }
  });

  it('follows stock: the last unit at the warehouse gone, the store that ships promises', async () => {
    const ask = (minRevision?: number) =>
      offer(
        ctx.deps,
        { sku: PROMISE_SKU, ...NL, ...(minRevision !== undefined ? { minRevision } : {}) },
        { readModel: rm },
      );
    expect((await ask()).delivery[0]).toMatchObject({ method: 'DELIVERY', from: warehouse });
    const gone = await setStockCount(ctx.deps, PROMISE_SKU, 'wh-1', { onHand: 0 });
    const moved = await ask(gone.revision);
    expect(moved.delivery[0]).toEqual(fromAmsterdamOnFriday);
    // The answer at that revision is the same read through PostgreSQL.
    const fromDatabase = await offer(ctx.deps, { sku: PROMISE_SKU, ...NL, minRevision: gone.revision });
    if (fromDatabase.revision === moved.revision) expect(fromDatabase.fingerprint).toBe(moved.fingerprint);
    expect(fromDatabase.delivery).toEqual(moved.delivery);
    const storeGone = await setStockCount(ctx.deps, PROMISE_SKU, 'ams-01', { onHand: 0 });
    const none = await ask(storeGone.revision);
    expect(none.delivery).toEqual([]);
    await setStockCount(ctx.deps, PROMISE_SKU, 'ams-01', { onHand: 2 });
    const back = await setStockCount(ctx.deps, PROMISE_SKU, 'wh-1', { onHand: 1 });
    expect((await ask(back.revision)).delivery[0]).toMatchObject({ from: warehouse });
  });

  it('a changed shipping zone moves the promise at its revision; read model = PostgreSQL', async () => {
    const r = await putShippingZone(ctx.deps, {
      id: 'nl',
      countryCode: 'NL',
      postcodePrefixes: [''],
      transitDays: 2,
      carrierHolidays: [],
    });
    const o = await offer(ctx.deps, { sku: PROMISE_SKU, ...NL, minRevision: r.revision }, { readModel: rm });
    expect(o.delivery[0]).toMatchObject({ deliverBy: '2026-12-07T22:59:59.999Z' });
    await settled();
    expect(await verifyReadModel(ctx.deps, journeyReadModelSections)).toEqual([]);
    await putShippingZone(ctx.deps, {
      id: 'nl',
      countryCode: 'NL',
      postcodePrefixes: [''],
      transitDays: 1,
      carrierHolidays: ['2026-12-25', '2026-12-26', '2027-01-01'],
    });
  });

  it('a warehouse cut-off moved earlier moves the promise and the next switch at its revision', async () => {
    const settings = demoFulfilment([{ id: 'wh-1', kind: 'WAREHOUSE' }]).settings['wh-1']!;
    const location = { name: 'Warehouse Tilburg', kind: 'WAREHOUSE', fulfilsOnline: true } as const;
    const before = await offer(ctx.deps, { sku: PROMISE_SKU, ...NL }, { readModel: rm });
    const r = await upsertLocation(ctx.deps, 'wh-1', {
      ...location,
      fulfilment: { ...settings, cutOff: '21:00' },
    });
    // 21:30 is past the new 21:00 cut-off: Friday's, delivered Monday.
    const after = await offer(
      ctx.deps,
      { sku: PROMISE_SKU, ...NL, minRevision: r.revision },
      { readModel: rm },
    );
    expect(after.delivery[0]).toMatchObject({
      from: warehouse,
      orderBefore: '2026-12-04T20:00:00.000Z',
      deliverBy: '2026-12-07T22:59:59.999Z',
      reason: 'order before 21:00 tomorrow, delivered Monday 7 December',
    });
    expect(after.fingerprint).not.toBe(before.fingerprint);
    // The switch schedule follows: the warehouse's 21:00 is an edge now.
    const from = new Date('2026-12-03T19:30:00.000Z');
    expect(await nextScheduleBoundary(ctx.deps.db, from, journeyScheduleSources)).toEqual(
      new Date('2026-12-03T20:00:00.000Z'),
    );
    await upsertLocation(ctx.deps, 'wh-1', { ...location, fulfilment: settings });
  });

  it('offers with a postcode read no PostgreSQL from a warm read model', async () => {
    await settled();
    const skus = [PROMISE_SKU, STORE_ONLY_SKU];
    const warm: Offer[] = await offers(ctx.deps, { skus, ...NL }, { readModel: rm });
    let queries = 0;
    const counting = new Kysely<HubTables>({
      dialect: new PostgresDialect({ pool: ctx.deps.pool }),
      plugins: [new CamelCasePlugin()],
      log: () => {
        queries++;
      },
    });
    const again = await offers({ ...ctx.deps, db: counting }, { skus, ...NL }, { readModel: rm });
    expect(queries).toBe(0);
    expect(again.map((o) => o.fingerprint)).toEqual(warm.map((o) => o.fingerprint));
    expect(again.map((o) => o.delivery[0]?.method)).toEqual(['DELIVERY', 'DELIVERY']);
  });

  it('schedules the promise edges: the cut-off, local midnight, and the stores’ pickup steps', async () => {
    const next = (iso: string) => nextScheduleBoundary(ctx.deps.db, new Date(iso), journeyScheduleSources);
    // 21:30 Thursday: the warehouse's cut-off at 22:00.
    expect(await next(THURSDAY_EVENING)).toEqual(new Date('2026-12-03T21:00:00.000Z'));
    // 22:00: local midnight next.
    expect(await next('2026-12-03T21:00:00.000Z')).toEqual(new Date('2026-12-03T23:00:00.000Z'));
    // Friday 10:20, the stores open: their pickup promise steps on the next whole hour.
    expect(await next('2026-12-04T09:20:00.000Z')).toEqual(new Date('2026-12-04T10:00:00.000Z'));
  });
});
