/**
 * Placing an online order that names no location (issue 12): the hub sources it by the retailer's rules,
 * reserves where it chose (a split, a click & collect transfer), sources again once when the stock went in
 * between, and the order keeps what checkout promised — the same as promiseCart says at that instant.
 * Real PostgreSQL and Redis, a controllable clock; the admin REST and GraphQL surfaces at the end.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import {
  FulfilmentSettingsSchema,
  getOrder,
  getStockLevels,
  loadPromiseInputs,
  markCollected,
  recordFulfilmentEvent,
  promiseCart,
  putShippingZone,
  putSourcingRules,
  ReservationQueue,
  reserveStock,
  setPrice,
  setStockCount,
  upsertLocation,
  upsertPriceList,
  verifyStockLedger,
  type CartPromiseRequest,
} from '../../../backoffice-layer/index.js';
import { createChannelClient, startApiNode, type ApiNode } from '../../../channel-layer/index.js';
import { placeOrder, type PlaceOrderInput } from '../../../journey-layer/index.js';
import { DomainError, ManualClock } from '../../../shared/index.js';
import {
  createBackofficeTestContext,
  startAdminApi,
  testProduct,
  until,
  type AdminClient,
  type BackofficeTestContext,
} from '../../support/backoffice.js';
import { graphqlClient } from '../../support/channel.js';

const weekdays = (open: string, close: string, days = [1, 2, 3, 4, 5]) =>
  days.map((day) => ({ day, open, close }));
const WAREHOUSE = FulfilmentSettingsSchema.parse({
  timeZone: 'Europe/Amsterdam',
  cutOff: '22:00',
  openingHours: weekdays('06:00', '23:59'),
});
const STORE = FulfilmentSettingsSchema.parse({
  timeZone: 'Europe/Amsterdam',
  openingHours: weekdays('09:00', '18:00', [1, 2, 3, 4, 5, 6]),
  shipsFromStore: true,
  pickup: true,
});
// Monday 30 November 2026, 11:20 in Amsterdam.
const MONDAY_MORNING = '2026-11-30T10:20:00Z';
const TO_UTRECHT: CartPromiseRequest = { method: 'DELIVERY', countryCode: 'NL', postcode: '3511 AB' };

async function refusal(run: Promise<unknown>): Promise<DomainError> {
  try {
    await run;
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('placement with sourcing and the delivery promise', () => {
  const clock = new ManualClock(MONDAY_MORNING);
  let ctx: BackofficeTestContext;
  let n = 0;
  const key = () => `placement-${++n}`;

  const stock = async (sku: string, counts: Record<string, number>) => {
    for (const [locationId, onHand] of Object.entries(counts))
      await setStockCount(ctx.deps, sku, locationId, { onHand });
  };
  const available = async (sku: string, locationId: string) =>
    (await getStockLevels(ctx.deps.db, [sku])).get(sku)?.find((l) => l.locationId === locationId)
      ?.available ?? 0;
  const activeReservations = async () =>
    (await ctx.deps.db.selectFrom('reservations').select('id').where('status', '=', 'ACTIVE').execute())
      .length;

  /** What promiseCart says for this cart now, from the state placement reads. */
  async function promiseNow(lines: Array<{ sku: string; quantity: number }>, request: CartPromiseRequest) {
    const inputs = await loadPromiseInputs(
      ctx.deps.db,
      lines.map((l) => l.sku),
    );
    return promiseCart({ now: clock.now(), lines, request, ...inputs });
  }

  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
    await upsertLocation(ctx.deps, 'wh-tilburg', {
      name: 'Warehouse Tilburg',
      kind: 'WAREHOUSE',
      fulfilsOnline: true,
      fulfilment: WAREHOUSE,
    });
    for (const [id, name] of [
      ['st-utr', 'Utrecht'],
      ['st-ams', 'Amsterdam'],
    ] as const)
      await upsertLocation(ctx.deps, id, { name, kind: 'STORE', fulfilsOnline: true, fulfilment: STORE });
    // A warehouse without fulfilment settings is never sourced, whatever it holds.
    await upsertLocation(ctx.deps, 'wh-old', {
      name: 'Old warehouse',
      kind: 'WAREHOUSE',
      fulfilsOnline: true,
    });
    await putShippingZone(ctx.deps, {
      id: 'nl',
      countryCode: 'NL',
      postcodePrefixes: [''],
      transitDays: 1,
      carrierHolidays: [],
    });
    await putSourcingRules(ctx.deps, {
      rules: ['FEWEST_SHIPMENTS', 'LOCATION_PRIORITY'],
      allowSplit: true,
      locationPriority: ['wh-tilburg', 'st-utr', 'st-ams'],
    });
    await upsertPriceList(ctx.deps, 'base', { name: 'Base', currency: 'EUR', priority: 0 });
    for (const sku of ['COAT-M', 'SCARF', 'BOOT-42', 'BEANIE', 'GLOVES']) {
      await testProduct(ctx, sku);
      await setPrice(ctx.deps, 'base', sku, { amount: 2995, minQuantity: 1 });
      await setStockCount(ctx.deps, sku, 'wh-old', { onHand: 100 });
    }
    await stock('COAT-M', { 'wh-tilburg': 50, 'st-utr': 5 });
    await stock('SCARF', { 'st-utr': 20, 'st-ams': 20 });
    await stock('BOOT-42', { 'wh-tilburg': 20 });
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('an order without a location is sourced from the warehouse and keeps what was promised', async () => {
    const lines = [{ sku: 'COAT-M', quantity: 2 }];
    const expected = await promiseNow(lines, TO_UTRECHT);
    const before = await available('COAT-M', 'wh-tilburg');
    const placed = await placeOrder(ctx.deps, { lines, fulfilment: TO_UTRECHT }, key(), { channel: 'WEB' });
    expect(placed.promised).toEqual(expected.promises);
    expect(placed.sourcing).toEqual(expected.decision.reasons);
    expect(placed.promised).toEqual([
      expect.objectContaining({
        method: 'DELIVERY',
        from: { id: 'wh-tilburg', name: 'Warehouse Tilburg' },
        orderBefore: new Date('2026-11-30T21:00:00Z'),
        deliverBy: new Date('2026-12-01T22:59:59.999Z'),
        reason: 'order before 22:00 today, delivered Tuesday 1 December',
      }),
    ]);
    expect(placed.sourcing).toEqual([
      { sku: 'COAT-M', locationId: 'wh-tilburg', reason: expect.stringMatching(/^from Warehouse Tilburg: /) },
    ]);
    expect(await available('COAT-M', 'wh-tilburg')).toBe(before - 2);

    const order = (await getOrder(ctx.deps.db, placed.orderId))!;
    expect(order.promised).toEqual(expected.promises);
    expect(order.sourcing).toEqual(expected.decision.reasons);
    expect(order.lines.map((l) => [l.sku, l.locationId, l.quantity])).toEqual([['COAT-M', 'wh-tilburg', 2]]);
    expect(order.fulfilments).toEqual([
      expect.objectContaining({
        method: 'DELIVERY',
        locationId: 'wh-tilburg',
        pickupLocationId: null,
        status: 'PENDING',
        deliverBy: new Date('2026-12-01T22:59:59.999Z'),
        readyBy: null,
        lines: [{ sku: 'COAT-M', quantity: 2 }],
        revision: placed.revision,
      }),
    ]);
  });

  it('after the cut-off the same cart is promised a day later, as promiseCart says then', async () => {
    clock.set('2026-11-30T21:00:00Z'); // 22:00 in Amsterdam: the cut-off instant itself
    try {
      const lines = [{ sku: 'COAT-M', quantity: 1 }];
      const expected = await promiseNow(lines, TO_UTRECHT);
      const placed = await placeOrder(ctx.deps, { lines, fulfilment: TO_UTRECHT }, key());
      expect(placed.promised).toEqual(expected.promises);
      expect(placed.promised[0]?.deliverBy).toEqual(new Date('2026-12-02T22:59:59.999Z'));
      expect(placed.promised[0]?.reason).toBe('order before 22:00 tomorrow, delivered Wednesday 2 December');
      const order = (await getOrder(ctx.deps.db, placed.orderId))!;
      expect(order.fulfilments[0]?.deliverBy).toEqual(new Date('2026-12-02T22:59:59.999Z'));
    } finally {
      clock.set(MONDAY_MORNING);
    }
  });

  it('splits an order no single location can serve, each shipment with its own promise', async () => {
    const lines = [
      { sku: 'BOOT-42', quantity: 1 },
      { sku: 'SCARF', quantity: 2 },
    ];
    const expected = await promiseNow(lines, TO_UTRECHT);
    const placed = await placeOrder(ctx.deps, { lines, fulfilment: TO_UTRECHT }, key());
    expect(placed.promised).toEqual(expected.promises);
    expect(placed.promised.map((p) => p.from.id)).toEqual(['st-utr', 'wh-tilburg']);
    const order = (await getOrder(ctx.deps.db, placed.orderId))!;
    const byLocation = new Map(order.fulfilments.map((f) => [f.locationId, f]));
    expect(byLocation.get('wh-tilburg')).toMatchObject({
      method: 'DELIVERY',
      lines: [{ sku: 'BOOT-42', quantity: 1 }],
      deliverBy: expected.promises.find((p) => p.from.id === 'wh-tilburg')!.deliverBy,
    });
    expect(byLocation.get('st-utr')).toMatchObject({
      method: 'DELIVERY',
      lines: [{ sku: 'SCARF', quantity: 2 }],
      deliverBy: expected.promises.find((p) => p.from.id === 'st-utr')!.deliverBy,
    });
    expect(order.sourcing).toEqual(expected.decision.reasons);
    expect(order.sourcing!.map((r) => r.reason).join(' | ')).toMatch(/2 shipments/);
  });

  it('click & collect from the store’s own stock is ready two hours after the next whole hour', async () => {
    const lines = [{ sku: 'COAT-M', quantity: 1 }];
    const request: CartPromiseRequest = { method: 'PICKUP', pickupLocationId: 'st-utr' };
    const expected = await promiseNow(lines, request);
    const placed = await placeOrder(ctx.deps, { lines, fulfilment: request }, key());
    expect(placed.promised).toEqual(expected.promises);
    expect(placed.promised).toEqual([
      expect.objectContaining({
        method: 'PICKUP',
        from: { id: 'st-utr', name: 'Utrecht' },
        readyBy: new Date('2026-11-30T13:00:00Z'),
        reason: 'ready for pickup at Utrecht from 14:00',
      }),
    ]);
    const order = (await getOrder(ctx.deps.db, placed.orderId))!;
    expect(order.fulfilments).toEqual([
      expect.objectContaining({
        method: 'PICKUP',
        locationId: 'st-utr',
        pickupLocationId: 'st-utr',
        readyBy: new Date('2026-11-30T13:00:00Z'),
        deliverBy: null,
      }),
    ]);
  });

  it('click & collect by transfer: held at the warehouse, collected at the store, ready later', async () => {
    const lines = [
      { sku: 'COAT-M', quantity: 1 },
      { sku: 'SCARF', quantity: 1 },
    ];
    const request: CartPromiseRequest = { method: 'PICKUP', pickupLocationId: 'st-ams' };
    const expected = await promiseNow(lines, request);
    const ownOnly = await promiseNow([{ sku: 'SCARF', quantity: 1 }], request);
    const placed = await placeOrder(ctx.deps, { lines, fulfilment: request }, key());
    expect(placed.promised).toEqual(expected.promises);
    // The transfer arrives Tuesday: ready 11:00 then, later than the scarf alone (14:00 today).
    const readyBy = new Date('2026-12-01T10:00:00Z');
    expect(placed.promised).toEqual([
      expect.objectContaining({ method: 'PICKUP', from: { id: 'st-ams', name: 'Amsterdam' }, readyBy }),
    ]);
    expect(ownOnly.promises[0]!.readyBy!.getTime()).toBeLessThan(readyBy.getTime());
    const order = (await getOrder(ctx.deps.db, placed.orderId))!;
    const byLocation = new Map(order.fulfilments.map((f) => [f.locationId, f]));
    expect(byLocation.get('st-ams')).toMatchObject({
      method: 'PICKUP',
      pickupLocationId: 'st-ams',
      lines: [{ sku: 'SCARF', quantity: 1 }],
      readyBy,
    });
    expect(byLocation.get('wh-tilburg')).toMatchObject({
      method: 'PICKUP',
      pickupLocationId: 'st-ams',
      lines: [{ sku: 'COAT-M', quantity: 1 }],
      readyBy,
    });
    expect(order.sourcing).toEqual(expected.decision.reasons);
    expect(order.sourcing!.find((r) => r.locationId === 'wh-tilburg')?.reason).toMatch(
      /transfer to store Amsterdam/,
    );
    // At the Amsterdam counter: the store's own part is handed over; the transfer only once it arrived.
    const coat = async (at: string) =>
      (await getStockLevels(ctx.deps.db, ['COAT-M'])).get('COAT-M')!.find((l) => l.locationId === at);
    const warehouseBefore = (await coat('wh-tilburg'))!.onHand;
    const by = { actor: 'staff:ams', channel: 'STORE' };
    const first = await markCollected(ctx.deps, placed.orderId, key(), by, { atLocationId: 'st-ams' });
    expect(first.moved).toEqual([expect.objectContaining({ fulfilmentId: byLocation.get('st-ams')!.id })]);
    const transfer = byLocation.get('wh-tilburg')!.id;
    // Not even a warehouse system may say it was collected before it arrived.
    await expect(
      recordFulfilmentEvent(ctx.deps, transfer, { status: 'COLLECTED' }, key(), by),
    ).rejects.toMatchObject({ code: 'CONFLICT', details: { heldAt: 'wh-tilburg' } });
    await recordFulfilmentEvent(ctx.deps, transfer, { status: 'READY_FOR_PICKUP' }, key(), by);
    // Arrived: out of the warehouse, held at the store; collected there.
    expect((await coat('wh-tilburg'))!.onHand).toBe(warehouseBefore - 1);
    const second = await markCollected(ctx.deps, placed.orderId, key(), by, { atLocationId: 'st-ams' });
    expect(second).toMatchObject({
      status: 'FULFILLED',
      moved: [{ fulfilmentId: transfer, to: 'COLLECTED' }],
    });
    expect(await coat('st-ams')).toMatchObject({ reserved: 0 });
  });

  it('sources again once when the stock went between sourcing and reserving', async () => {
    // 1 beanie at the warehouse (sourced first), 1 at Utrecht.
    await stock('BEANIE', { 'wh-tilburg': 1, 'st-utr': 1 });
    const lines = [{ sku: 'BEANIE', quantity: 1 }];
    expect((await promiseNow(lines, TO_UTRECHT)).decision.allocations[0]?.locationId).toBe('wh-tilburg');
    // A transaction holds the warehouse's beanie row; a competing reservation of that unit waits on it first.
    const holder = new pg.Client({ connectionString: ctx.databaseUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(
        "SELECT 1 FROM stock_levels WHERE sku = 'BEANIE' AND location_id = 'wh-tilburg' FOR UPDATE",
      );
      const waiting = async (count: number) => {
        const r = await holder.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        return r.rows[0].n >= count;
      };
      const competing = reserveStock(
        { ...ctx.deps, reservationQueue: new ReservationQueue() },
        { lines: [{ sku: 'BEANIE', locationId: 'wh-tilburg', quantity: 1 }] },
        'competing-beanie',
      );
      await until(() => waiting(1), 10_000, 'the competing reservation to wait');
      // Placement sources from the committed stock (the warehouse's unit), then waits behind it.
      const placing = placeOrder(ctx.deps, { lines, fulfilment: TO_UTRECHT }, key());
      await until(() => waiting(2), 10_000, 'the placement to wait');
      await holder.query('ROLLBACK');
      await competing;
      const placed = await placing;
      expect(placed.promised.map((p) => p.from.id)).toEqual(['st-utr']);
      expect(placed.sourcing).toEqual([
        { sku: 'BEANIE', locationId: 'st-utr', reason: expect.stringMatching(/^from store Utrecht: /) },
      ]);
      expect(await available('BEANIE', 'wh-tilburg')).toBe(0);
      expect(await available('BEANIE', 'st-utr')).toBe(0);
    } finally {
      await holder.end();
    }
    expect(await verifyStockLedger(ctx.deps.db, { sku: 'BEANIE' })).toEqual([]);
  });

  it('a replay answers the same order and promise, reserving nothing more', async () => {
    const lines = [{ sku: 'COAT-M', quantity: 1 }];
    const k = key();
    const first = await placeOrder(ctx.deps, { lines, fulfilment: TO_UTRECHT }, k);
    const left = await available('COAT-M', 'wh-tilburg');
    clock.advance(3_600_000); // the promise would differ by now; the replay answers what the order kept
    try {
      const again = await placeOrder(ctx.deps, { lines, fulfilment: TO_UTRECHT }, k);
      expect(again).toMatchObject({ orderId: first.orderId, revision: first.revision, replayed: true });
      expect(again.promised).toEqual(first.promised);
      expect(again.sourcing).toEqual(first.sourcing);
      expect(await available('COAT-M', 'wh-tilburg')).toBe(left);
    } finally {
      clock.set(MONDAY_MORNING);
    }
  });

  it('refuses what it cannot source or promise, and holds nothing afterwards', async () => {
    const before = await activeReservations();
    const cases: Array<[PlaceOrderInput, string, unknown]> = [
      [{ lines: [{ sku: 'COAT-M', quantity: 1 }] }, 'BAD_USER_INPUT', expect.anything()],
      [
        {
          lines: [{ sku: 'COAT-M', quantity: 1 }],
          fulfilment: { method: 'DELIVERY', countryCode: 'DE', postcode: '10115' },
        },
        'BAD_USER_INPUT',
        expect.objectContaining({ field: 'postcode' }),
      ],
      [
        {
          lines: [{ sku: 'COAT-M', quantity: 1 }],
          fulfilment: { method: 'PICKUP', pickupLocationId: 'wh-tilburg' },
        },
        'BAD_USER_INPUT',
        expect.objectContaining({ field: 'pickupLocationId' }),
      ],
      [
        {
          lines: [{ sku: 'COAT-M', quantity: 1 }],
          fulfilment: { method: 'DELIVERY', countryCode: 'Netherlands' },
        },
        'BAD_USER_INPUT',
        expect.anything(),
      ],
      // The old warehouse holds 100 gloves but declares no settings: the hub does not source from it.
      [
        { lines: [{ sku: 'GLOVES', quantity: 1 }], fulfilment: TO_UTRECHT },
        'INSUFFICIENT_STOCK',
        { sku: 'GLOVES', requested: 1, available: 0 },
      ],
      [
        {
          lines: [{ sku: 'COAT-M', quantity: 1 }],
          locationId: 'wh-tilburg',
          fulfilment: { method: 'DELIVERY' },
        },
        'BAD_USER_INPUT',
        expect.objectContaining({ field: 'countryCode' }),
      ],
    ];
    cases.push([
      {
        lines: [{ sku: 'COAT-M', quantity: 1 }],
        fulfilment: { ...TO_UTRECHT, method: 'DELIVERY', pickupLocationId: 'st-utr' },
      },
      'BAD_USER_INPUT',
      { issues: [expect.objectContaining({ path: 'body.fulfilment.pickupLocationId' })] },
    ]);
    for (const [input, code, details] of cases) {
      const e = await refusal(placeOrder(ctx.deps, input, key()));
      expect({ input, code: e.code, details: e.details }).toEqual({ input, code, details });
    }
    expect(await activeReservations()).toBe(before);
  });

  it('an order naming its location is a delivery from there as before, or a pickup elsewhere', async () => {
    const lines = [{ sku: 'COAT-M', quantity: 1 }];
    const plain = await placeOrder(ctx.deps, { lines, locationId: 'wh-tilburg' }, key());
    expect(plain).toMatchObject({ promised: [], sourcing: null });
    const order = (await getOrder(ctx.deps.db, plain.orderId))!;
    expect(order).toMatchObject({ promised: [], sourcing: null });
    expect(order.fulfilments).toEqual([
      expect.objectContaining({
        method: 'DELIVERY',
        locationId: 'wh-tilburg',
        deliverBy: null,
        readyBy: null,
      }),
    ]);

    const request: CartPromiseRequest = { method: 'PICKUP', pickupLocationId: 'st-ams' };
    const pickup = await placeOrder(
      ctx.deps,
      { lines, locationId: 'wh-tilburg', fulfilment: request },
      key(),
    );
    const readyBy = new Date('2026-12-01T10:00:00Z');
    expect(pickup.promised).toEqual([expect.objectContaining({ method: 'PICKUP', readyBy })]);
    expect(pickup.sourcing).toBeNull();
    const collected = (await getOrder(ctx.deps.db, pickup.orderId))!;
    expect(collected.fulfilments).toEqual([
      expect.objectContaining({
        method: 'PICKUP',
        locationId: 'wh-tilburg',
        pickupLocationId: 'st-ams',
        readyBy,
      }),
    ]);

    // A reservation made first, then ordered for delivery: promised from where it holds the units.
    const { reservation } = await reserveStock(
      ctx.deps,
      { lines: [{ sku: 'SCARF', locationId: 'st-utr', quantity: 1 }] },
      key(),
    );
    const reserved = await placeOrder(
      ctx.deps,
      { reservationId: reservation.id, lines: [{ sku: 'SCARF', quantity: 1 }], fulfilment: TO_UTRECHT },
      key(),
    );
    expect(reserved.promised).toEqual([
      expect.objectContaining({ method: 'DELIVERY', from: { id: 'st-utr', name: 'Utrecht' } }),
    ]);
  });

  describe('over the channel API and admin REST', () => {
    let node: ApiNode;
    let admin: AdminClient;
    let gql: ReturnType<typeof graphqlClient>;
    beforeAll(async () => {
      const { key: apiKey } = await createChannelClient(
        ctx.deps.db,
        { name: 'web', channel: 'WEB', scopes: ['rate:100000'] },
        new Date(),
      );
      node = await startApiNode(ctx.deps, 0, '127.0.0.1');
      gql = graphqlClient(node.port, apiKey);
      admin = await startAdminApi(ctx);
    });
    afterAll(async () => {
      await admin.close();
      await node.stop(100);
    });

    it('placeOrder takes a FulfilmentInput; the admin order shows method, pickup, promise', async () => {
      const r = await gql(
        'mutation($in: PlaceOrderInput!, $k: String!) { placeOrder(input: $in, idempotencyKey: $k) { id } }',
        {
          in: {
            lines: [{ sku: 'SCARF', quantity: 1 }],
            fulfilment: { method: 'PICKUP', pickupLocationId: 'st-utr', postcode: null },
          },
          k: key(),
        },
      );
      expect(r.errors).toBeUndefined();
      const id = (r.data as { placeOrder: { id: string } }).placeOrder.id;
      const got = await admin.request('GET', `/admin/v1/orders/${id}`);
      expect(got.status).toBe(200);
      expect(got.body.order.promised).toEqual([
        {
          method: 'PICKUP',
          from: { id: 'st-utr', name: 'Utrecht' },
          orderBefore: '2026-11-30T11:00:00.000Z',
          deliverBy: null,
          readyBy: '2026-11-30T13:00:00.000Z',
          reason: 'ready for pickup at Utrecht from 14:00',
        },
      ]);
      expect(got.body.order.sourcing).toEqual([
        { sku: 'SCARF', locationId: 'st-utr', reason: 'from store Utrecht: in stock at the pickup store' },
      ]);
      expect(got.body.order.fulfilments).toEqual([
        expect.objectContaining({
          method: 'PICKUP',
          locationId: 'st-utr',
          pickupLocationId: 'st-utr',
          readyBy: '2026-11-30T13:00:00.000Z',
          deliverBy: null,
        }),
      ]);

      const bad = await gql(
        'mutation($in: PlaceOrderInput!, $k: String!) { placeOrder(input: $in, idempotencyKey: $k) { id } }',
        {
          in: {
            lines: [{ sku: 'SCARF', quantity: 1 }],
            fulfilment: { method: 'DELIVERY', countryCode: 'DE' },
          },
          k: key(),
        },
      );
      expect(bad.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    });
  });
});
