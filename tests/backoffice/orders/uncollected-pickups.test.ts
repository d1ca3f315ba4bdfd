/**
 * The uncollected job (issue 12, must show "an uncollected pickup returns its units at its instant; the order
 * shows UNCOLLECTED"): a pickup's holding deadline is fixed when it is ready, by the store's time zone and
 * holding days; the real delayed BullMQ job moves it to UNCOLLECTED at that instant on the controllable
 * clock (not before), releasing its units; a pickup collected meanwhile is left alone; the sweep moves a due
 * pickup whose job was lost; a job delivered twice moves once.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import {
  commitReservation,
  DEFAULT_PICKUP_HOLD,
  getOrder,
  markCollected,
  pickupHoldUntil,
  recordFulfilmentEvent,
  recordFulfilmentPlan,
  releaseUncollectedPickup,
  reserveStock,
  startUncollectedPickupWorker,
  sweepUncollectedPickups,
  upsertLocation,
  verifyStockLedger,
  type OrderActor,
} from '../../../backoffice-layer/index.js';
import { ManualClock } from '../../../shared/index.js';
import { createBackofficeTestContext, until, type BackofficeTestContext } from '../../support/backoffice.js';
import { givenCatalogue, level } from '../stock/fixtures.js';

const STORE = 'utr-01';
const WAREHOUSE = 'wh-1';
const ON_HAND = 100;
const by: OrderActor = { actor: 'admin:store-terminal', channel: 'ADMIN' };
// Monday 30 November 2026, 15:00 in Utrecht.
const T0 = new Date('2026-11-30T14:00:00Z');
// Held 3 days after the ready day (Tuesday to Thursday): the units return at 00:00 on Friday 4 December.
const DEADLINE = new Date('2026-12-03T23:00:00Z');
const clock = new ManualClock(T0);
let ctx: BackofficeTestContext;

beforeAll(async () => {
  ctx = await createBackofficeTestContext({ clock });
  await givenCatalogue(ctx, [], [STORE, WAREHOUSE]);
  await upsertLocation(ctx.deps, STORE, {
    name: 'Utrecht Hoog Catharijne',
    kind: 'STORE',
    fulfilsOnline: false,
    fulfilment: {
      timeZone: 'Europe/Amsterdam',
      cutOff: '17:00',
      handlingDays: 0,
      openingHours: [1, 2, 3, 4, 5, 6].map((day) => ({ day, open: '10:00', close: '18:00' })),
      holidays: [],
      shipsFromStore: true,
      pickup: true,
      pickupHoldDays: 3,
    },
  });
});
afterAll(async () => {
  await ctx.close();
});

let skuNo = 0;
/**
 * A click & collect order of 2 units of a fresh SKU collected at the store, held there (or at `from`: a
 * transfer from the warehouse), placed as placement records one that names its locations, and made ready at
 * `readyAt` (the clock is left there).
 */
async function readyPickup(
  readyAt = T0,
  from = STORE,
): Promise<{ sku: string; orderId: string; fulfilmentId: string }> {
  clock.set(readyAt);
  const sku = `PICKUP-${++skuNo}`;
  await givenCatalogue(ctx, [sku], [from], { [`${sku}@${from}`]: ON_HAND });
  const lines = [{ sku, locationId: from, quantity: 2 }];
  const r = await reserveStock(ctx.deps, { lines, channel: 'WEB' }, randomUUID());
  const { orderId } = await commitReservation(
    ctx.deps,
    {
      reservationId: r.reservation.id,
      currency: 'EUR',
      channel: 'WEB',
      lines: lines.map((l) => ({ ...l, unitAmount: 2495, lineAmount: 4990 })),
    },
    randomUUID(),
    {
      also: (w, id) =>
        recordFulfilmentPlan(w, id, {
          method: 'PICKUP',
          pickupLocationId: STORE,
          promised: [],
          sourcing: null,
        }),
    },
  );
  const fulfilmentId = (await getOrder(ctx.deps.db, orderId))!.fulfilments[0]!.id;
  for (const status of ['PICKING', 'READY_FOR_PICKUP'] as const)
    await recordFulfilmentEvent(ctx.deps, fulfilmentId, { status }, randomUUID(), by);
  return { sku, orderId, fulfilmentId };
}

const stock = async (sku: string, at = STORE) => {
  const l = await level(ctx, sku, at);
  return { onHand: l.onHand - ON_HAND, reserved: l.reserved };
};
const jobState = (fulfilmentId: string) => ctx.deps.queues.pickupHolds.getJobState(fulfilmentId);
/** The ledger rows an order wrote, by kind. */
const ledgerOf = async (orderId: string) =>
  (
    await ctx.deps.db
      .selectFrom('stockMovements')
      .select(['kind', 'reservedDelta', 'onHandDelta'])
      .where('reference', '=', orderId)
      .orderBy('id')
      .execute()
  ).map((m) => `${m.kind} ${m.onHandDelta}/${m.reservedDelta}`);

/** The payloads of an order's `order.changed` events, oldest first. */
const orderChanges = async (orderId: string) =>
  (
    await ctx.deps.db
      .selectFrom('outbox')
      .select('payload')
      .where('type', '=', 'order.changed')
      .where('aggregateId', '=', orderId)
      .orderBy('revision')
      .execute()
  ).map((e) => e.payload);

describe('the holding deadline', () => {
  it('is the start of the local day after the ready day plus the holding days, on calendar days', () => {
    const amsterdam = { timeZone: 'Europe/Amsterdam', pickupHoldDays: 3 };
    expect(pickupHoldUntil(T0, amsterdam)).toEqual(DEADLINE);
    // Ready late in the evening: the same whole days, not 72 hours.
    expect(pickupHoldUntil(new Date('2026-11-30T22:59:59Z'), amsterdam)).toEqual(DEADLINE);
    // 23:30 in Utrecht is already Tuesday there: held from Tuesday.
    expect(pickupHoldUntil(new Date('2026-11-30T23:30:00Z'), amsterdam)).toEqual(
      new Date('2026-12-04T23:00:00Z'),
    );
    // Across the change to summer time (29 March 2026): still local midnight, now UTC+2.
    expect(pickupHoldUntil(new Date('2026-03-27T10:00:00Z'), { ...amsterdam, pickupHoldDays: 2 })).toEqual(
      new Date('2026-03-29T22:00:00Z'),
    );
    // A store without fulfilment settings: 7 days, counted in UTC.
    expect(DEFAULT_PICKUP_HOLD).toEqual({ timeZone: 'UTC', pickupHoldDays: 7 });
    expect(pickupHoldUntil(T0, DEFAULT_PICKUP_HOLD)).toEqual(new Date('2026-12-08T00:00:00Z'));
  });

  it('is fixed when the pickup is ready, shown on the order, with a delayed job due at it', async () => {
    const { orderId, fulfilmentId } = await readyPickup();
    const f = (await getOrder(ctx.deps.db, orderId))!.fulfilments[0]!;
    expect(f).toMatchObject({ method: 'PICKUP', status: 'READY_FOR_PICKUP', holdUntil: DEADLINE });
    const job = (await ctx.deps.queues.pickupHolds.getJob(fulfilmentId))!;
    expect(await job.getState()).toBe('delayed');
    expect(job.data).toEqual({ fulfilmentId });
    expect(job.delay).toBe(DEADLINE.getTime() - T0.getTime());
  });

  it('is the pickup store’s for a transfer, whose units go back on that store’s shelf', async () => {
    const { sku, orderId, fulfilmentId } = await readyPickup(T0, WAREHOUSE);
    const f = (await getOrder(ctx.deps.db, orderId))!.fulfilments[0]!;
    // The warehouse declares no settings (7 days in UTC): the Utrecht store's 3 days count.
    expect(f).toMatchObject({ locationId: WAREHOUSE, pickupLocationId: STORE, holdUntil: DEADLINE });
    // Ready at the store: the transfer arrived, its units held there now.
    expect(await stock(sku, WAREHOUSE)).toEqual({ onHand: -2, reserved: 0 });
    expect(await level(ctx, sku, STORE)).toMatchObject({ onHand: 2, reserved: 2 });
    clock.set(DEADLINE);
    expect(await releaseUncollectedPickup(ctx.deps, fulfilmentId)).toEqual({ outcome: 'moved' });
    expect(await stock(sku, WAREHOUSE)).toEqual({ onHand: -2, reserved: 0 });
    expect(await level(ctx, sku, STORE)).toMatchObject({ onHand: 2, reserved: 0 });
    // (The transfer's two rows in lock order: the store's level sorts before the warehouse's.)
    expect(await ledgerOf(orderId)).toEqual(['TRANSFER_IN 2/2', 'TRANSFER_OUT -2/-2', 'RELEASE 0/-2']);
    expect(await verifyStockLedger(ctx.deps.db, { sku })).toEqual([]);
  });

  it('is set for pickups already waiting when the column was added, by the migration, alike', async () => {
    const { fulfilmentId } = await readyPickup(new Date('2026-11-30T21:15:00Z'));
    await ctx.deps.db
      .updateTable('fulfilments')
      .set({ holdUntil: null })
      .where('id', '=', fulfilmentId)
      .execute();
    const migration = await readFile(
      new URL('../../../migrations/20261130T1120_pickup_hold.sql', import.meta.url),
      'utf8',
    );
    const backfill = /^UPDATE fulfilments[\s\S]*?;$/m.exec(migration)![0];
    await sql.raw(backfill).execute(ctx.deps.db);
    const row = await ctx.deps.db
      .selectFrom('fulfilments')
      .select('holdUntil')
      .where('id', '=', fulfilmentId)
      .executeTakeFirstOrThrow();
    expect(row.holdUntil).toEqual(DEADLINE);
  });
});

describe('the uncollected job', () => {
  it('returns the units at its instant, not before: fulfilment UNCOLLECTED, order CANCELLED', async () => {
    const { sku, orderId, fulfilmentId } = await readyPickup();
    const before = (await getOrder(ctx.deps.db, orderId))!;
    expect(await stock(sku)).toEqual({ onHand: 0, reserved: 2 });
    const worker = await startUncollectedPickupWorker(ctx.deps, { sweepEveryMs: 3_600_000 });
    try {
      // Fired an hour early (a clock ahead, a job promoted by hand): it waits for the rest, nothing moves.
      clock.set(DEADLINE.getTime() - 3_600_000);
      await (await ctx.deps.queues.pickupHolds.getJob(fulfilmentId))!.promote();
      await until(async () => (await jobState(fulfilmentId)) === 'delayed', 5000, 'the job to wait again');
      expect(await getOrder(ctx.deps.db, orderId)).toEqual(before);
      expect(await stock(sku)).toEqual({ onHand: 0, reserved: 2 });

      clock.set(DEADLINE);
      await (await ctx.deps.queues.pickupHolds.getJob(fulfilmentId))!.promote();
      await until(
        async () => (await getOrder(ctx.deps.db, orderId))!.fulfilments[0]!.status === 'UNCOLLECTED',
        5000,
        'the pickup to lapse',
      );
    } finally {
      await worker.stop();
    }
    const after = (await getOrder(ctx.deps.db, orderId))!;
    expect(after.status).toBe('CANCELLED');
    expect(after.fulfilments[0]).toMatchObject({ status: 'UNCOLLECTED', holdUntil: DEADLINE });
    const reason = "Not collected within the store's holding period, which ended at 2026-12-03T23:00:00.000Z";
    expect(after.history.slice(before.history.length)).toEqual([
      { at: DEADLINE, status: 'UNCOLLECTED', actor: 'system', channel: 'SYSTEM', reason, fulfilmentId },
      { at: DEADLINE, status: 'CANCELLED', actor: 'system', channel: 'SYSTEM', reason, fulfilmentId: null },
    ]);
    expect(await stock(sku)).toEqual({ onHand: 0, reserved: 0 });
    expect(await ledgerOf(orderId)).toEqual(['RELEASE 0/-2']);
    expect(await verifyStockLedger(ctx.deps.db)).toEqual([]);
    expect((await orderChanges(orderId)).at(-1)).toMatchObject({
      status: 'CANCELLED',
      previousStatus: 'OPEN',
      actor: 'system',
      channel: 'SYSTEM',
      fulfilments: [{ fulfilmentId, method: 'PICKUP', from: 'READY_FOR_PICKUP', to: 'UNCOLLECTED' }],
    });
    expect(await jobState(fulfilmentId)).toBe('unknown');
  });

  it('does nothing for a pickup collected before the deadline: no error, no history, no stock', async () => {
    const { sku, orderId, fulfilmentId } = await readyPickup();
    clock.set(DEADLINE.getTime() - 86_400_000);
    await markCollected(ctx.deps, orderId, randomUUID(), by, { atLocationId: STORE });
    const collected = (await getOrder(ctx.deps.db, orderId))!;
    expect(collected).toMatchObject({ status: 'FULFILLED', fulfilments: [{ status: 'COLLECTED' }] });
    const failedBefore = await ctx.deps.queues.pickupHolds.getFailedCount();
    const worker = await startUncollectedPickupWorker(ctx.deps, { sweepEveryMs: 3_600_000 });
    try {
      clock.set(DEADLINE.getTime() + 60_000);
      await (await ctx.deps.queues.pickupHolds.getJob(fulfilmentId))!.promote();
      await until(async () => (await jobState(fulfilmentId)) === 'unknown', 5000, 'the job to finish');
    } finally {
      await worker.stop();
    }
    expect(await ctx.deps.queues.pickupHolds.getFailedCount()).toBe(failedBefore);
    expect(await releaseUncollectedPickup(ctx.deps, fulfilmentId)).toEqual({ outcome: 'nothing' });
    // The sweep (which moves the earlier tests' pickups, due too) passes it by.
    await sweepUncollectedPickups(ctx.deps);
    expect(await getOrder(ctx.deps.db, orderId)).toEqual(collected);
    expect(await stock(sku)).toEqual({ onHand: -2, reserved: 0 });
    expect(await ledgerOf(orderId)).toEqual(['SALE -2/-2']);
  });

  it('leaves a pickup cancelled meanwhile as it is', async () => {
    const { orderId, fulfilmentId } = await readyPickup();
    await recordFulfilmentEvent(ctx.deps, fulfilmentId, { status: 'CANCELLED' }, randomUUID(), by);
    const cancelled = await getOrder(ctx.deps.db, orderId);
    clock.set(DEADLINE);
    expect(await releaseUncollectedPickup(ctx.deps, fulfilmentId)).toEqual({ outcome: 'nothing' });
    expect(await getOrder(ctx.deps.db, orderId)).toEqual(cancelled);
  });

  it('moves once when delivered twice, at once and again later', async () => {
    const { sku, orderId, fulfilmentId } = await readyPickup();
    clock.set(DEADLINE.getTime() - 1);
    expect(await releaseUncollectedPickup(ctx.deps, fulfilmentId)).toEqual({
      outcome: 'not-due',
      holdUntil: DEADLINE,
    });
    clock.set(DEADLINE);
    const outcomes = await Promise.all([
      releaseUncollectedPickup(ctx.deps, fulfilmentId),
      releaseUncollectedPickup(ctx.deps, fulfilmentId),
    ]);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['moved', 'nothing']);
    const once = (await getOrder(ctx.deps.db, orderId))!;
    expect(once.history.filter((e) => e.status === 'UNCOLLECTED')).toHaveLength(1);
    // The real job delivered after it, and a second copy of it: nothing more.
    const worker = await startUncollectedPickupWorker(ctx.deps, { sweepEveryMs: 3_600_000 });
    try {
      const copy = `${fulfilmentId}-copy`;
      await ctx.deps.queues.pickupHolds.add('uncollected', { fulfilmentId }, { jobId: copy });
      await (await ctx.deps.queues.pickupHolds.getJob(fulfilmentId))!.promote();
      await until(
        async () => (await jobState(fulfilmentId)) === 'unknown' && (await jobState(copy)) === 'unknown',
        5000,
        'both jobs to finish',
      );
    } finally {
      await worker.stop();
    }
    expect(await getOrder(ctx.deps.db, orderId)).toEqual(once);
    expect(await stock(sku)).toEqual({ onHand: 0, reserved: 0 });
    expect(await ledgerOf(orderId)).toEqual(['RELEASE 0/-2']);
    const lapses = (await orderChanges(orderId)).filter((p) =>
      JSON.stringify(p).includes('"to":"UNCOLLECTED"'),
    );
    expect(lapses).toHaveLength(1);
    expect(await verifyStockLedger(ctx.deps.db, { sku })).toEqual([]);
  });
});

describe('the sweep', () => {
  it('moves a due pickup whose job was lost with Redis, and only the due ones', async () => {
    const lost = await readyPickup();
    const later = await readyPickup(new Date('2026-12-01T09:00:00Z'));
    // Redis flushed: the delayed jobs are gone.
    await ctx.deps.queues.pickupHolds.obliterate({ force: true });
    expect(await jobState(lost.fulfilmentId)).toBe('unknown');
    clock.set(DEADLINE.getTime() + 5 * 60_000);
    const worker = await startUncollectedPickupWorker(ctx.deps, { sweepEveryMs: 50 });
    try {
      await until(
        async () => (await getOrder(ctx.deps.db, lost.orderId))!.fulfilments[0]!.status === 'UNCOLLECTED',
        5000,
        'the sweep to move the lost pickup',
      );
    } finally {
      await worker.stop();
    }
    const order = (await getOrder(ctx.deps.db, lost.orderId))!;
    expect(order.status).toBe('CANCELLED');
    expect(order.history.at(-2)).toMatchObject({ status: 'UNCOLLECTED', actor: 'system', at: clock.now() });
    expect(await stock(lost.sku)).toEqual({ onHand: 0, reserved: 0 });
    // Ready a day later: held a day longer, still waiting.
    expect((await getOrder(ctx.deps.db, later.orderId))!.fulfilments[0]).toMatchObject({
      status: 'READY_FOR_PICKUP',
      holdUntil: new Date('2026-12-04T23:00:00Z'),
    });
    expect(await stock(later.sku)).toEqual({ onHand: 0, reserved: 2 });
    expect(await sweepUncollectedPickups(ctx.deps)).toBe(0);
    clock.set('2026-12-04T23:00:00Z');
    expect(await sweepUncollectedPickups(ctx.deps)).toBe(1);
    expect(await stock(later.sku)).toEqual({ onHand: 0, reserved: 0 });
    expect(await verifyStockLedger(ctx.deps.db)).toEqual([]);
  });
});
