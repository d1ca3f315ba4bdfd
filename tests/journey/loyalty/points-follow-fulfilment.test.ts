/**
 * Points follow the goods (issue 12, "Loyalty and coupons follow"): an online order earns nothing when it is
 * placed and earns per fulfilment when it is DELIVERED or COLLECTED, on what was paid for that fulfilment's
 * lines, exactly once however often the event arrives; the promotions' extra points once the order is
 * FULFILLED; returns reverse what was earned, and a return booked before a parcel arrives takes the same
 * share of what it earns, so the order of deliveries and returns does not change the total; a store sale
 * still earns at the till. Events are applied by
 * the journey's consumers as the worker applies them (applyEvent records each as applied per consumer).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import {
  applyEvent,
  cancelOrder,
  FulfilmentSettingsSchema,
  getOrder,
  markCollected,
  recordFulfilmentEvent,
  reserveStock,
  returnItems,
  setPrice,
  setStockCount,
  toEnvelope,
  upsertLocation,
  upsertPriceList,
  upsertProduct,
  type FulfilmentStatus,
} from '../../../backoffice-layer/index.js';
import {
  getCustomerFacts,
  getLoyaltyStatus,
  journeyConsumers,
  placeOrder,
  placeStoreSale,
  pointsEarnedOnOrder,
  redeemPoints,
  upsertPromotion,
} from '../../../journey-layer/index.js';
import { ManualClock, type EventEnvelope } from '../../../shared/index.js';
import {
  createBackofficeTestContext,
  newMembers,
  type BackofficeTestContext,
} from '../../support/backoffice.js';

const CARRIER = { actor: 'admin:carrier', channel: 'ADMIN' };
const CALL_CENTER = { actor: 'staff:agent-1', channel: 'CALL_CENTER' };

describe('points follow the fulfilment of an online order', () => {
  const clock = new ManualClock('2026-11-30T10:00:00Z');
  let ctx: BackofficeTestContext;
  /** A new member on each call. */
  let member: () => Promise<string>;

  beforeAll(async () => {
    ctx = await createBackofficeTestContext({ clock });
    member = newMembers(ctx, 'member');
    await upsertLocation(ctx.deps, 'wh-1', { name: 'Warehouse', kind: 'WAREHOUSE', fulfilsOnline: true });
    await upsertLocation(ctx.deps, 'ams-01', {
      name: 'Amsterdam',
      kind: 'STORE',
      fulfilsOnline: true,
      fulfilment: FulfilmentSettingsSchema.parse({
        timeZone: 'Europe/Amsterdam',
        openingHours: [1, 2, 3, 4, 5, 6].map((day) => ({ day, open: '09:00', close: '18:00' })),
        pickup: true,
      }),
    });
    await upsertPriceList(ctx.deps, 'base', { name: 'Base', currency: 'EUR', priority: 0 });
    const products = { 'COAT-M': ['coats', 12995], 'SOCK-1': ['socks', 1050], 'SCARF-1': ['scarves', 2000] };
    for (const [sku, [category, amount]] of Object.entries(products)) {
      await upsertProduct(ctx.deps, sku, {
        name: sku,
        category: category as string,
        vatRate: 21,
        attributes: {},
        status: 'ACTIVE',
      });
      await setPrice(ctx.deps, 'base', sku, { amount: amount as number, minQuantity: 1 });
      for (const at of ['wh-1', 'ams-01']) await setStockCount(ctx.deps, sku, at, { onHand: 100 });
    }
    // 25 extra points per scarf, promised in the quote and recorded with the order.
    await upsertPromotion(ctx.deps, 'scarf-points', {
      status: 'ACTIVE',
      rule: {
        label: 'Points on scarves',
        conditions: [{ kind: 'category', categories: ['scarves'] }],
        action: { kind: 'extraPoints', points: 25, perUnit: true },
      },
    });
  });
  afterAll(async () => {
    await ctx.close();
  });

  const points = async (customerId: string) =>
    (await getLoyaltyStatus(ctx.deps.db, customerId, clock.now())).points;

  /** Every event about order `orderId` (its sale, changes, returns), oldest first. */
  const eventsOf = async (orderId: string, type?: string): Promise<EventEnvelope[]> =>
    (
      await ctx.deps.db
        .selectFrom('outbox')
        .selectAll()
        .where(sql<boolean>`payload ->> 'orderId' = ${orderId}`)
        .$if(type !== undefined, (q) => q.where('type', '=', type!))
        .orderBy('position')
        .execute()
    ).map(toEnvelope);
  /** Applies every event about the order to the journey's consumers, as the worker would (once each). */
  const follow = async (orderId: string): Promise<void> => {
    for (const e of await eventsOf(orderId))
      await applyEvent(ctx.deps.db, journeyConsumers(clock), e, clock.now());
  };
  const ledgerOf = (customerId: string) =>
    ctx.deps.db
      .selectFrom('loyaltyLedger')
      .select(['kind', 'points', 'reference'])
      .where('customerId', '=', customerId)
      .orderBy('id')
      .execute();
  const fulfilmentsOf = async (orderId: string) => (await getOrder(ctx.deps.db, orderId))!.fulfilments;
  /** A carrier's or warehouse's event on a fulfilment, as the admin REST API records it. */
  const move = (fulfilmentId: string, status: FulfilmentStatus) =>
    recordFulfilmentEvent(ctx.deps, fulfilmentId, { status }, randomUUID(), CARRIER);
  const cancel = (orderId: string) => cancelOrder(ctx.deps, orderId, {}, randomUUID(), CALL_CENTER);

  /** An online order of `lines` reserved at their locations, for `customerId`. */
  const order = async (
    customerId: string,
    lines: Array<{ sku: string; locationId: string; quantity: number }>,
  ): Promise<string> => {
    const r = await reserveStock(ctx.deps, { lines, customerId }, randomUUID());
    const units = new Map<string, number>();
    for (const l of lines) units.set(l.sku, (units.get(l.sku) ?? 0) + l.quantity);
    const placed = await placeOrder(
      ctx.deps,
      {
        reservationId: r.reservation.id,
        customerId,
        lines: [...units].map(([sku, quantity]) => ({ sku, quantity })),
      },
      randomUUID(),
    );
    return placed.orderId;
  };

  it('earns nothing when placed, nothing when shipped, and its points when delivered — once', async () => {
    const eva = await member();
    const orderId = await order(eva, [{ sku: 'COAT-M', locationId: 'wh-1', quantity: 1 }]);
    await follow(orderId);
    expect(await points(eva)).toBe(0);
    // Placing it ended her first-order offers at once, though it earned nothing yet.
    expect((await getCustomerFacts(ctx.deps.db, eva))?.firstOrder).toBe(false);

    const [parcel] = await fulfilmentsOf(orderId);
    await move(parcel!.id, 'SHIPPED');
    await follow(orderId);
    expect(await points(eva)).toBe(0);

    clock.advance(86_400_000);
    await move(parcel!.id, 'DELIVERED');
    await follow(orderId);
    expect(await points(eva)).toBe(129); // € 129.95 at Bronze
    expect(await ledgerOf(eva)).toEqual([{ kind: 'EARN', points: 129, reference: parcel!.id }]);

    // The delivery arriving again — the same event, and the same change as another outbox row: five times in
    // all — earns nothing more.
    const [delivered] = (await eventsOf(orderId, 'order.changed')).slice(-1);
    for (let i = 0; i < 3; i++)
      expect(await applyEvent(ctx.deps.db, journeyConsumers(clock), delivered!, clock.now())).toEqual([]);
    await applyEvent(ctx.deps.db, journeyConsumers(clock), { ...delivered!, id: randomUUID() }, clock.now());
    expect(await points(eva)).toBe(129);
    expect(await ledgerOf(eva)).toHaveLength(1);
  });

  it('earns a split order per fulfilment, and in all what the same order in one parcel earns', async () => {
    const bram = await member();
    // Two socks of € 10.50, one from the warehouse and one from the store: € 21.00 earns 21 points, though
    // each parcel alone is only 10 whole euros.
    const orderId = await order(bram, [
      { sku: 'SOCK-1', locationId: 'wh-1', quantity: 1 },
      { sku: 'SOCK-1', locationId: 'ams-01', quantity: 1 },
    ]);
    await follow(orderId);
    const parcels = await fulfilmentsOf(orderId);
    expect(parcels.map((f) => f.locationId).sort()).toEqual(['ams-01', 'wh-1']);
    await move(parcels[0]!.id, 'DELIVERED');
    await follow(orderId);
    expect(await points(bram)).toBe(10);
    await move(parcels[1]!.id, 'DELIVERED');
    await follow(orderId);
    expect(await points(bram)).toBe(21);
    expect((await ledgerOf(bram)).map((l) => [l.points, l.reference])).toEqual([
      [10, parcels[0]!.id],
      [11, parcels[1]!.id],
    ]);
  });

  it('earns the promotions’ extra points once it is fulfilled, in the share she received', async () => {
    const cas = await member();
    const orderId = await order(cas, [
      { sku: 'SCARF-1', locationId: 'wh-1', quantity: 1 },
      { sku: 'SCARF-1', locationId: 'ams-01', quantity: 1 },
    ]);
    await follow(orderId);
    const [first, second] = await fulfilmentsOf(orderId);
    await move(first!.id, 'DELIVERED');
    await follow(orderId);
    expect(await points(cas)).toBe(20); // partially fulfilled: the scarf's € 20.00, no extra points yet
    // The other parcel is cancelled before it leaves: the order is fulfilled with what she got, and earns the
    // extra points of the scarf she got (25 of the 50 promised for two).
    await move(second!.id, 'CANCELLED');
    await follow(orderId);
    expect(await points(cas)).toBe(45);
    expect((await ledgerOf(cas)).map((l) => [l.points, l.reference])).toEqual([
      [20, first!.id],
      [25, `${orderId}:bonus`],
    ]);
    for (const e of await eventsOf(orderId, 'order.changed'))
      await applyEvent(ctx.deps.db, journeyConsumers(clock), { ...e, id: randomUUID() }, clock.now());
    expect(await points(cas)).toBe(45);
  });

  it('earns nothing for a cancelled order, not even its extra points', async () => {
    const dirk = await member();
    const orderId = await order(dirk, [{ sku: 'SCARF-1', locationId: 'wh-1', quantity: 2 }]);
    await follow(orderId);
    await cancel(orderId);
    await follow(orderId);
    expect(await points(dirk)).toBe(0);
    expect(await ledgerOf(dirk)).toEqual([]);
  });

  it('earns a click & collect order when she collects it, and nothing when she never does', async () => {
    const hanna = await member();
    const pickup = async () =>
      (
        await placeOrder(
          ctx.deps,
          {
            locationId: 'ams-01',
            fulfilment: { method: 'PICKUP', pickupLocationId: 'ams-01' },
            lines: [{ sku: 'COAT-M', quantity: 1 }],
            customerId: hanna,
          },
          randomUUID(),
        )
      ).orderId;
    const collected = await pickup();
    const [counter] = await fulfilmentsOf(collected);
    expect(counter).toMatchObject({ method: 'PICKUP', pickupLocationId: 'ams-01' });
    await move(counter!.id, 'READY_FOR_PICKUP');
    await follow(collected);
    expect(await points(hanna)).toBe(0);
    await markCollected(ctx.deps, collected, randomUUID(), { actor: 'staff:ams-01', channel: 'STORE' });
    await follow(collected);
    expect(await ledgerOf(hanna)).toEqual([{ kind: 'EARN', points: 129, reference: counter!.id }]);

    // The second one waits at the counter until the holding period ends: uncollected, the order is cancelled.
    const lapsed = await pickup();
    const [waiting] = await fulfilmentsOf(lapsed);
    await move(waiting!.id, 'READY_FOR_PICKUP');
    await move(waiting!.id, 'UNCOLLECTED');
    await follow(lapsed);
    expect((await getOrder(ctx.deps.db, lapsed))!.status).toBe('CANCELLED');
    expect(await ledgerOf(hanna)).toHaveLength(1);
  });

  it('reverses on returns what each delivered fulfilment earned, whatever came first', async () => {
    const fenna = await member();
    const orderId = await order(fenna, [
      { sku: 'COAT-M', locationId: 'wh-1', quantity: 1 },
      { sku: 'COAT-M', locationId: 'ams-01', quantity: 1 },
    ]);
    await follow(orderId);
    const parcels = await fulfilmentsOf(orderId);
    const byLocation = Object.fromEntries(parcels.map((f) => [f.locationId, f.id]));
    await move(byLocation['wh-1']!, 'DELIVERED');
    await follow(orderId);
    expect(await points(fenna)).toBe(129);
    // She sends the warehouse's coat back before the store's arrives: its points go, all of them.
    await returnItems(
      ctx.deps,
      { orderId, locationId: 'wh-1', lines: [{ sku: 'COAT-M', quantity: 1, sellable: true }] },
      randomUUID(),
    );
    await follow(orderId);
    expect(await points(fenna)).toBe(0);
    await move(byLocation['ams-01']!, 'DELIVERED');
    await follow(orderId);
    // Two coats (€ 259.90) earned on, one returned: she keeps the points of one.
    expect(await points(fenna)).toBe(130);
    await returnItems(
      ctx.deps,
      { orderId, locationId: 'ams-01', lines: [{ sku: 'COAT-M', quantity: 1, sellable: true }] },
      randomUUID(),
    );
    await follow(orderId);
    expect(await points(fenna)).toBe(0);
    const ledger = await ledgerOf(fenna);
    expect(ledger.reduce((s, l) => s + l.points, 0)).toBe(0);
    expect(ledger.map((l) => l.kind)).toEqual(['EARN', 'REVERSE', 'EARN', 'REVERSE']);
  });

  /** Returns `quantity` units of `sku` of order `orderId` at `locationId`, all sellable. */
  const giveBack = (orderId: string, locationId: string, sku: string, quantity: number) =>
    returnItems(ctx.deps, { orderId, locationId, lines: [{ sku, quantity, sellable: true }] }, randomUUID());
  /** Every event of the order arriving again: each once more as it was, and once more as another row. */
  const replay = async (orderId: string): Promise<void> => {
    for (const e of await eventsOf(orderId)) {
      await applyEvent(ctx.deps.db, journeyConsumers(clock), e, clock.now());
      await applyEvent(ctx.deps.db, journeyConsumers(clock), { ...e, id: randomUUID() }, clock.now());
    }
  };
  /** Her points and her ledger's entries as [kind, points]: unchanged by a replay of every event. */
  const settled = async (customerId: string, orderId: string) => {
    const before = { points: await points(customerId), ledger: await ledgerOf(customerId) };
    await replay(orderId);
    expect({ points: await points(customerId), ledger: await ledgerOf(customerId) }).toEqual(before);
    return { points: before.points, entries: before.ledger.map((l) => [l.kind, l.points]) };
  };
  type Step = () => Promise<unknown>;
  /**
   * Places `lines` for a new member and plays the order out: the `first` steps of `plan`, then a return and a
   * parcel's delivery, the return first or last, the worker applying the order's events after each step.
   * Answers the member, the order and what she holds in the end (`settled`).
   */
  const playOut = async (
    lines: Array<{ sku: string; locationId: string; quantity: number }>,
    returnFirst: boolean,
    plan: (o: { orderId: string; customerId: string; parcels: Record<string, string> }) => {
      first: Step[];
      back: Step;
      arrives: Step;
    },
  ) => {
    const customerId = await member();
    const orderId = await order(customerId, lines);
    await follow(orderId);
    const parcels = Object.fromEntries((await fulfilmentsOf(orderId)).map((f) => [f.locationId, f.id]));
    const { first, back, arrives } = plan({ orderId, customerId, parcels });
    for (const step of [...first, ...(returnFirst ? [back, arrives] : [arrives, back])]) {
      await step();
      await follow(orderId);
    }
    return { customerId, orderId, ...(await settled(customerId, orderId)) };
  };

  it('earns nothing for a parcel she returned in full before the carrier posted it delivered', async () => {
    const coat = await playOut([{ sku: 'COAT-M', locationId: 'wh-1', quantity: 1 }], true, (o) => ({
      first: [() => move(o.parcels['wh-1']!, 'SHIPPED')],
      back: async () => expect((await giveBack(o.orderId, 'wh-1', 'COAT-M', 1)).refundAmount).toBe(12995),
      arrives: () => move(o.parcels['wh-1']!, 'DELIVERED'),
    }));
    expect((await getOrder(ctx.deps.db, coat.orderId))!.status).toBe('FULFILLED');
    // She returned everything: the delivery earns nothing (it earned 129 before the fix).
    expect(coat).toMatchObject({ points: 0, entries: [] });
    expect(await pointsEarnedOnOrder(ctx.deps.db, coat.orderId)).toBe(0);

    // The same with a promotion's extra points, and the worker applying every event only at the end: the
    // scarf's 20 points and its 25 extra points are not earned either.
    const jet = await member();
    const scarf = await order(jet, [{ sku: 'SCARF-1', locationId: 'wh-1', quantity: 1 }]);
    const [box] = await fulfilmentsOf(scarf);
    await move(box!.id, 'SHIPPED');
    await giveBack(scarf, 'wh-1', 'SCARF-1', 1);
    await move(box!.id, 'DELIVERED');
    await follow(scarf);
    expect((await getOrder(ctx.deps.db, scarf))!.status).toBe('FULFILLED');
    expect(await settled(jet, scarf)).toEqual({ points: 0, entries: [] });
  });

  it('earns after a half return what it keeps when the same half is returned after delivery', async () => {
    // Two coats and two scarves in one parcel: € 299.90 earns 299 points, and the scarves 50 extra points.
    const lines = [
      { sku: 'COAT-M', locationId: 'wh-1', quantity: 2 },
      { sku: 'SCARF-1', locationId: 'wh-1', quantity: 2 },
    ];
    const coatBack = (orderId: string) => () => giveBack(orderId, 'wh-1', 'COAT-M', 1);
    const plan = (o: { orderId: string; parcels: Record<string, string> }) => ({
      first: [() => move(o.parcels['wh-1']!, 'SHIPPED')],
      back: coatBack(o.orderId),
      arrives: () => move(o.parcels['wh-1']!, 'DELIVERED'),
    });
    const after = await playOut(lines, false, plan);
    // 299 + 50 earned, then ⌊349 × 129.95 ÷ 299.90⌋ = 151 reversed.
    expect(after.entries).toEqual([
      ['EARN', 299],
      ['EARN', 50],
      ['REVERSE', -151],
    ]);
    const before = await playOut(lines, true, plan);
    // The parcel earns 299 less ⌊299 × 129.95 ÷ 299.90⌋ = 129, the extra points the rest of the 151.
    expect(before.entries).toEqual([
      ['EARN', 170],
      ['EARN', 28],
    ]);
    expect([after.points, before.points]).toEqual([198, 198]);

    // The other coat goes back too, from both: ⌊349 × 259.90 ÷ 299.90⌋ = 302 reversed in all, each keeps 47
    // of the scarves' 20 + 20 + 50.
    for (const { orderId } of [after, before]) await coatBack(orderId)();
    for (const { customerId, orderId } of [after, before]) {
      await follow(orderId);
      expect((await settled(customerId, orderId)).points).toBe(47);
    }
  });

  it('counts the return of one SKU of a split order before its parcel arrives, as after', async () => {
    // A sock from the store and a coat from the warehouse: € 140.45, 140 points in all; the coat goes back.
    const lines = [
      { sku: 'SOCK-1', locationId: 'ams-01', quantity: 1 },
      { sku: 'COAT-M', locationId: 'wh-1', quantity: 1 },
    ];
    const plan = (o: { orderId: string; parcels: Record<string, string> }) => ({
      first: [() => move(o.parcels['ams-01']!, 'DELIVERED'), () => move(o.parcels['wh-1']!, 'SHIPPED')],
      back: () => giveBack(o.orderId, 'wh-1', 'COAT-M', 1),
      arrives: () => move(o.parcels['wh-1']!, 'DELIVERED'),
    });
    const after = await playOut(lines, false, plan);
    // 10 + 130 earned, then ⌊140 × 129.95 ÷ 140.45⌋ = 129 reversed.
    expect(after.entries).toEqual([
      ['EARN', 10],
      ['EARN', 130],
      ['REVERSE', -129],
    ]);
    const before = await playOut(lines, true, plan);
    expect((await getOrder(ctx.deps.db, before.orderId))!.status).toBe('FULFILLED');
    // The return counts on the order, as every return does: refunds up to the amount earned on take the
    // sock's 10 points back for now; the coat's parcel then earns net of the refund, and the order ends
    // where the other order of events ends.
    expect(before.entries).toEqual([
      ['EARN', 10],
      ['REVERSE', -10],
      ['EARN', 11],
    ]);
    expect([after.points, before.points]).toEqual([11, 11]);
  });

  it('takes what a return could not take of a spent balance from what a later parcel earns', async () => {
    // A coat from the warehouse, delivered, and its points spent; a scarf (25 extra points) from the store.
    const lines = [
      { sku: 'COAT-M', locationId: 'wh-1', quantity: 1 },
      { sku: 'SCARF-1', locationId: 'ams-01', quantity: 1 },
    ];
    const plan = (o: { orderId: string; customerId: string; parcels: Record<string, string> }) => ({
      first: [
        () => move(o.parcels['wh-1']!, 'DELIVERED'),
        () => redeemPoints(ctx.deps, o.customerId, 129, randomUUID()),
        () => move(o.parcels['ams-01']!, 'SHIPPED'),
      ],
      back: () => giveBack(o.orderId, 'wh-1', 'COAT-M', 1),
      arrives: () => move(o.parcels['ams-01']!, 'DELIVERED'),
    });
    // Returned first: the return finds no balance to take the coat's points from; the scarf's parcel and
    // extra points would bring the order to 174 − ⌊174 × 129.95 ÷ 149.95⌋ = 24, less than the 129 still
    // booked, so they earn nothing — the extra points' entry records with 0 points that they were settled.
    const early = await playOut(lines, true, plan);
    expect(early.entries).toEqual([
      ['EARN', 129],
      ['REDEEM', -129],
      ['EARN', 0],
    ]);
    // Delivered first: 20 + 25 earned, then the return takes them (150 due, 45 there).
    const late = await playOut(lines, false, plan);
    expect(late.entries).toEqual([
      ['EARN', 129],
      ['REDEEM', -129],
      ['EARN', 20],
      ['EARN', 25],
      ['REVERSE', -45],
    ]);
    expect([early.points, late.points]).toEqual([0, 0]);
    // The scarf goes back too: nothing left to take from either, and nothing comes back.
    for (const { customerId, orderId } of [early, late]) {
      await giveBack(orderId, 'ams-01', 'SCARF-1', 1);
      await follow(orderId);
      expect((await settled(customerId, orderId)).points).toBe(0);
    }
  });

  it('still earns a store sale at the till, once', async () => {
    const gijs = await member();
    const sale = await placeStoreSale(
      ctx.deps,
      { locationId: 'ams-01', lines: [{ sku: 'SCARF-1', quantity: 1 }], customerId: gijs },
      randomUUID(),
    );
    await follow(sale.orderId);
    await follow(sale.orderId);
    // € 20.00 and the 25 extra points, under the order's id, as soon as the sale is applied.
    expect(await ledgerOf(gijs)).toEqual([{ kind: 'EARN', points: 45, reference: sale.orderId }]);
    expect(sale.quote.loyalty?.pointsEarned).toBe(45);
  });
});
