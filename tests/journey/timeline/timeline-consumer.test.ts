/**
 * The hub's own events on her timeline (issue 13): sales, orders and their fulfilments, returns,
 * reservations, points and tiers, consents, profile corrections, merges and their undoing — each event's
 * interactions exactly once however often it is delivered, at the event's instant and revision, followed
 * through merges, nothing for nobody, an unknown or an erased customer. Events are applied as the worker
 * applies them (applyEvent records each as applied per consumer), and straight to the consumer again.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  applyEvent,
  findOrderHead,
  getOrder,
  recordFulfilmentEvent,
  recordStoreSale,
  reserveStock,
  returnItems,
  setPrice,
  setStockCount,
  toEnvelope,
  upsertLocation,
  upsertPriceList,
  upsertProduct,
} from '../../../backoffice-layer/index.js';
import {
  eraseCustomer,
  journeyConsumers,
  listTimeline,
  mergeCustomers,
  placeOrder,
  placeStoreSale,
  setConsent,
  timelineConsumer,
  type InteractionView,
} from '../../../journey-layer/index.js';
import { ManualClock, runWrite, type EventEnvelope, type PendingEvent } from '../../../shared/index.js';
import {
  createBackofficeTestContext,
  newMembers,
  type BackofficeTestContext,
} from '../../support/backoffice.js';

const CARRIER = { actor: 'admin:carrier', channel: 'ADMIN' };

describe('the timeline consumer', () => {
  const clock = new ManualClock('2026-12-02T09:00:00Z');
  let ctx: BackofficeTestContext;
  let member: () => Promise<string>;
  /** The outbox position up to which every event has been applied. */
  let seen = 0;

  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
    member = newMembers(ctx, 'journey');
    await upsertLocation(ctx.deps, 'wh-1', { name: 'Warehouse', kind: 'WAREHOUSE', fulfilsOnline: true });
    await upsertLocation(ctx.deps, 'ams-01', { name: 'Amsterdam', kind: 'STORE', fulfilsOnline: false });
    await upsertPriceList(ctx.deps, 'base', { name: 'Base', currency: 'EUR', priority: 0 });
    for (const [sku, name, amount] of [
      ['COAT-M', 'Winter coat', 59_995],
      ['SOCK-1', 'Wool socks', 1_050],
    ] as const) {
      await upsertProduct(ctx.deps, sku, {
        name,
        category: 'coats',
        vatRate: 21,
        attributes: {},
        status: 'ACTIVE',
      });
      await setPrice(ctx.deps, 'base', sku, { amount, minQuantity: 1 });
      for (const at of ['wh-1', 'ams-01']) await setStockCount(ctx.deps, sku, at, { onHand: 100 });
    }
    seen = await lastPosition();
  });
  afterAll(async () => {
    await ctx.close();
  });

  const consumers = () => [...journeyConsumers(clock), timelineConsumer(clock)];
  async function lastPosition(): Promise<number> {
    const r = await ctx.deps.db
      .selectFrom('outbox')
      .select((eb) => eb.fn.max('position').as('p'))
      .executeTakeFirst();
    return Number(r?.p ?? 0);
  }
  /**
   * Applies every new event (those the loyalty consumer announces while applying included) to the journey's
   * consumers and the timeline, each delivered three times; answers the events applied.
   */
  const deliver = async (): Promise<EventEnvelope[]> => {
    const applied: EventEnvelope[] = [];
    for (;;) {
      const rows = await ctx.deps.db
        .selectFrom('outbox')
        .selectAll()
        .where('position', '>', seen)
        .orderBy('position')
        .execute();
      if (rows.length === 0) return applied;
      for (const row of rows) {
        const event = toEnvelope(row);
        const runs = [];
        for (let i = 0; i < 3; i++) runs.push(await applyEvent(ctx.deps.db, consumers(), event, clock.now()));
        expect(runs[1]).toEqual([]);
        expect(runs[2]).toEqual([]);
        applied.push(event);
        seen = Number(row.position);
      }
    }
  };
  /** Her whole timeline, newest first. */
  const timeline = async (customerId: string): Promise<InteractionView[]> =>
    (await listTimeline(ctx.deps.db, customerId, { first: 200 })).items;
  const rowsBySource = (customerId: string) =>
    ctx.deps.db
      .selectFrom('customerInteractions')
      .select(['source', 'actor', 'kind', 'revision', 'occurredAt'])
      .where('customerId', '=', customerId)
      .execute();
  /** Emits `event` in a write of its own, as a writer of the hub would; answers it as stored. */
  const emit = async (event: PendingEvent): Promise<EventEnvelope> => {
    const { revision } = await runWrite(ctx.deps, async (w) => w.emit(event));
    const row = await ctx.deps.db
      .selectFrom('outbox')
      .selectAll()
      .where('revision', '=', revision)
      .executeTakeFirstOrThrow();
    return toEnvelope(row);
  };

  it('a store sale: STORE_SALE at its store, its POINTS and the TIER she reached; once', async () => {
    const her = await member();
    const sale = await placeStoreSale(
      ctx.deps,
      { locationId: 'ams-01', customerId: her, currency: 'EUR', lines: [{ sku: 'COAT-M', quantity: 1 }] },
      randomUUID(),
    );
    const events = await deliver();
    const items = await timeline(her);
    expect(items.map((i) => i.kind).sort()).toEqual(['POINTS', 'STORE_SALE', 'TIER']);
    const saleEvent = events.find((e) => e.type === 'sale.committed')!;
    expect(items.find((i) => i.kind === 'STORE_SALE')).toEqual({
      id: expect.any(String),
      kind: 'STORE_SALE',
      channel: (await findOrderHead(ctx.deps.db, sale.orderId))!.channel ?? 'STORE',
      at: saleEvent.occurredAt,
      locationId: 'ams-01',
      sku: 'COAT-M',
      orderId: sale.orderId,
      summary: 'Bought 1 item, €599.95 at ams-01 (Amsterdam)',
      note: null,
      revision: saleEvent.revision,
    });
    const loyalty = events.find((e) => e.type === 'loyalty.changed')!;
    expect(items.find((i) => i.kind === 'POINTS')).toMatchObject({
      summary: expect.stringMatching(/^Earned 599 points/),
      revision: loyalty.revision,
      channel: 'SYSTEM',
    });
    expect(items.find((i) => i.kind === 'TIER')?.summary).toBe('Reached the tier Silver (SILVER)');
    const rows = await rowsBySource(her);
    expect(rows).toHaveLength(3);
    expect(rows.map((r) => r.source)).toEqual(
      expect.arrayContaining([
        `event:${saleEvent.id}:sale`,
        `event:${loyalty.id}:tier`,
        expect.stringMatching(`^event:${loyalty.id}:points:[0-9]+$`),
      ]),
    );
    expect(rows.every((r) => r.actor === 'system')).toBe(true);

    // Applied again straight to the consumer (as if the record of its application were lost): nothing more.
    await ctx.deps.db.transaction().execute(async (tx) => {
      for (const e of events) await timelineConsumer(clock).apply(e, tx);
    });
    expect(await rowsBySource(her)).toHaveLength(3);

    // A second sale earns points but keeps her tier: POINTS, no TIER.
    await placeStoreSale(
      ctx.deps,
      { locationId: 'ams-01', customerId: her, currency: 'EUR', lines: [{ sku: 'SOCK-1', quantity: 2 }] },
      randomUUID(),
    );
    await deliver();
    const after = await timeline(her);
    expect(after.map((i) => i.kind).sort()).toEqual(['POINTS', 'POINTS', 'STORE_SALE', 'STORE_SALE', 'TIER']);
  });

  it('an online order: RESERVATION, ORDER_PLACED, a FULFILMENT per move, a RETURN', async () => {
    const her = await member();
    const r = await reserveStock(
      ctx.deps,
      { lines: [{ sku: 'COAT-M', locationId: 'wh-1', quantity: 1 }], customerId: her, channel: 'WEB' },
      randomUUID(),
    );
    const placed = await placeOrder(
      ctx.deps,
      { reservationId: r.reservation.id, customerId: her, lines: [{ sku: 'COAT-M', quantity: 1 }] },
      randomUUID(),
    );
    await deliver();
    let items = await timeline(her);
    expect(items.map((i) => i.kind).sort()).toEqual(['ORDER_PLACED', 'RESERVATION']);
    expect(items.find((i) => i.kind === 'RESERVATION')).toMatchObject({
      channel: 'WEB',
      locationId: 'wh-1',
      sku: 'COAT-M',
      summary: `Reserved 1 × COAT-M (Winter coat) at wh-1 (Warehouse) until ${r.reservation.expiresAt}`,
    });
    const head = (await findOrderHead(ctx.deps.db, placed.orderId))!;
    expect(items.find((i) => i.kind === 'ORDER_PLACED')).toMatchObject({
      channel: head.channel,
      orderId: placed.orderId,
      sku: 'COAT-M',
      summary: `Placed order ${placed.orderId.slice(0, 8)}: 1 item, €599.95`,
    });

    const [parcel] = (await getOrder(ctx.deps.db, placed.orderId))!.fulfilments;
    const short = `${parcel!.id.slice(0, 8)} (${parcel!.method}) of order ${placed.orderId.slice(0, 8)}`;
    clock.advance(3_600_000);
    await recordFulfilmentEvent(ctx.deps, parcel!.id, { status: 'SHIPPED' }, randomUUID(), CARRIER);
    clock.advance(86_400_000);
    await recordFulfilmentEvent(ctx.deps, parcel!.id, { status: 'DELIVERED' }, randomUUID(), CARRIER);
    await deliver();
    items = await timeline(her);
    const moves = items.filter((i) => i.kind === 'FULFILMENT');
    expect(moves.map((m) => m.summary)).toEqual([
      `Fulfilment ${short} DELIVERED`,
      `Fulfilment ${short} SHIPPED`,
    ]);
    expect(moves.every((m) => m.channel === 'ADMIN' && m.locationId === 'wh-1')).toBe(true);
    expect(moves[0]!.at).toBe(clock.now().toISOString());
    const sources = await rowsBySource(her);
    expect(sources.filter((s) => s.kind === 'FULFILMENT').map((s) => s.actor)).toEqual([
      'admin:carrier',
      'admin:carrier',
    ]);
    expect(items.filter((i) => i.kind === 'POINTS').map((i) => i.summary)).toEqual([
      expect.stringMatching(/^Earned 599 points/),
    ]);

    await returnItems(
      ctx.deps,
      {
        orderId: placed.orderId,
        locationId: 'wh-1',
        lines: [{ sku: 'COAT-M', quantity: 1, sellable: true }],
      },
      randomUUID(),
    );
    await deliver();
    items = await timeline(her);
    expect(items.find((i) => i.kind === 'RETURN')).toMatchObject({
      orderId: placed.orderId,
      sku: 'COAT-M',
      summary: `Returned 1 item of order ${placed.orderId.slice(0, 8)}: refund €599.95`,
    });
    expect(items.filter((i) => i.kind === 'POINTS').map((i) => i.summary)).toContainEqual(
      expect.stringMatching(/^599 points reversed/),
    );
    // Every interaction is at its event's instant and revision, once.
    const again = await rowsBySource(her);
    expect(new Set(again.map((s) => s.source)).size).toBe(again.length);
  });

  it('adds nothing for events about nobody, an unknown or an erased customer', async () => {
    const before = await ctx.deps.db
      .selectFrom('customerInteractions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    await reserveStock(
      ctx.deps,
      { lines: [{ sku: 'SOCK-1', locationId: 'wh-1', quantity: 1 }] },
      randomUUID(),
    );
    await recordStoreSale(
      ctx.deps,
      {
        locationId: 'ams-01',
        currency: 'EUR',
        customerRef: null,
        lines: [{ sku: 'SOCK-1', quantity: 1, unitAmount: 1050 }],
      },
      randomUUID(),
    );
    await recordStoreSale(
      ctx.deps,
      {
        locationId: 'ams-01',
        currency: 'EUR',
        customerRef: randomUUID(),
        lines: [{ sku: 'SOCK-1', quantity: 1, unitAmount: 1050 }],
      },
      randomUUID(),
    );
    const gone = await member();
    await recordStoreSale(
      ctx.deps,
      {
        locationId: 'ams-01',
        currency: 'EUR',
        customerRef: gone,
        lines: [{ sku: 'SOCK-1', quantity: 1, unitAmount: 1050 }],
      },
      randomUUID(),
    );
    await emit({
      type: 'consent.changed',
      aggregateType: 'customer',
      aggregateId: gone,
      payload: { customerId: gone, purpose: 'PROFILING', granted: true },
    });
    await eraseCustomer(ctx.deps, gone, 'admin:dpo');
    await deliver();
    const after = await ctx.deps.db
      .selectFrom('customerInteractions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('consents given and withdrawn, through the channel they were given in', async () => {
    const her = await member();
    await setConsent(ctx.deps, her, { purpose: 'PROFILING', granted: true, channel: 'APP' });
    clock.advance(60_000);
    await setConsent(ctx.deps, her, { purpose: 'PROFILING', granted: false, channel: 'CALL_CENTER' });
    await deliver();
    const items = (await timeline(her)).filter((i) => i.kind === 'CONSENT');
    expect(items.map((i) => [i.summary, i.channel])).toEqual([
      ['Withdrew consent for PROFILING', 'CALL_CENTER'],
      ['Gave consent for PROFILING', 'APP'],
    ]);
  });

  it('profile corrections name the fields, never the values; merges and their undoing', async () => {
    const her = await member();
    const changed = await emit({
      type: 'profile.changed',
      aggregateType: 'customer',
      aggregateId: her,
      payload: {
        customerId: her,
        fields: ['displayName', 'attributes.birthday'],
        actor: 'admin:ops',
        channel: 'ADMIN',
      },
    });
    await emit({
      type: 'profile.changed',
      aggregateType: 'customer',
      aggregateId: her,
      payload: { customerId: her, fields: ['merge'] },
    });
    await deliver();
    expect(await timeline(her)).toEqual([
      expect.objectContaining({
        kind: 'PROFILE_CHANGED',
        summary: 'Corrected displayName, attributes.birthday',
        channel: 'ADMIN',
        at: changed.occurredAt,
        revision: changed.revision,
      }),
    ]);

    // A merge: on the survivor; what happens to the merged profile afterwards lands on the survivor too.
    const merged = await member();
    clock.advance(60_000);
    const { mergeId } = await mergeCustomers(ctx.deps, { survivorId: her, mergedId: merged }, 'CONSOLE');
    await deliver();
    expect((await timeline(her))[0]).toMatchObject({
      kind: 'PROFILE_CHANGED',
      summary: `Merged another profile into this one (merge ${mergeId})`,
      channel: 'CONSOLE',
    });
    clock.advance(60_000);
    const late = await recordStoreSale(
      ctx.deps,
      {
        locationId: 'ams-01',
        currency: 'EUR',
        customerRef: merged,
        lines: [{ sku: 'SOCK-1', quantity: 1, unitAmount: 1050 }],
      },
      randomUUID(),
    );
    await deliver();
    // The sale and the points it earned happen at one instant: both land on the survivor.
    const latest = (await timeline(her)).filter((i) => i.at === clock.now().toISOString());
    expect(latest.map((i) => [i.kind, i.orderId]).sort()).toEqual([
      ['POINTS', null],
      ['STORE_SALE', late.orderId],
    ]);
    expect(await rowsBySource(merged)).toEqual([]);

    // An undone merge: on both profiles.
    const a = await member();
    const b = await member();
    await emit({
      type: 'customer.unmerged',
      aggregateType: 'customer',
      aggregateId: a,
      payload: { survivorId: a, mergedId: b, mergeId: '7', actor: 'admin:ops', channel: 'ADMIN' },
    });
    await deliver();
    expect((await timeline(a)).map((i) => [i.kind, i.summary, i.channel])).toEqual([
      ['PROFILE_CHANGED', 'Undid the merge 7 of another profile into this one', 'ADMIN'],
    ]);
    expect((await timeline(b)).map((i) => [i.kind, i.summary])).toEqual([
      ['PROFILE_CHANGED', 'Restored as a profile of its own: its merge 7 into another profile was undone'],
    ]);
  });
});
