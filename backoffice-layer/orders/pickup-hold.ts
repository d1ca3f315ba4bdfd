import { DateTime } from 'luxon';
import type { BackofficeDeps } from '../backoffice-deps.js';
import type { Executor } from '../tables.js';
import { getFulfilmentSettings } from './fulfilment-config.js';
import { FulfilmentSettingsSchema, type FulfilmentSettings } from './fulfilment-settings.schema.js';

/*
 * A ready pickup's holding period (issue 12: "an uncollected pickup returns its units after the store's
 * holding period (a scheduled job, at its instant)"). When a PICKUP fulfilment reaches READY_FOR_PICKUP its
 * deadline is fixed and stored (`fulfilments.hold_until`), and a delayed job is scheduled for that instant
 * once the move has committed; the job (uncollected-pickups.ts) moves the pickup to UNCOLLECTED.
 */

/** The holding rule of a pickup store: its time zone and the days it holds a ready pickup. */
export type PickupHold = Pick<FulfilmentSettings, 'timeZone' | 'pickupHoldDays'>;

/**
 * The rule of a store that declares no fulfilment settings: the settings' default holding days
 * (`pickupHoldDays`, 7), counted in UTC. A pickup there still lapses, rather than holding units for ever.
 */
export const DEFAULT_PICKUP_HOLD: PickupHold = {
  timeZone: 'UTC',
  pickupHoldDays: FulfilmentSettingsSchema.shape.pickupHoldDays.parse(undefined),
};

/**
 * When the holding period of a pickup ready at `readyAt` ends: the start (00:00, on the store's clock) of the
 * local day after the ready day plus `pickupHoldDays` calendar days. Ready on Monday 30 November at 15:00 in
 * Amsterdam with 7 days: collectable through Monday 7 December, the units return at 00:00 on Tuesday
 * 8 December (23:00 UTC the day before).
 *
 * Calendar days, not multiples of 24 hours: a store tells its customer a date ("we hold it until Monday 7
 * December"), and a pickup ready late in the evening gets as many whole days as one ready in the morning;
 * 24-hour multiples would lapse in the middle of a shop day, before the customer who came "on the seventh
 * day" reached the counter, and would drift by an hour across a daylight saving change. The ready day itself
 * is not counted (a pickup ready at 17:55 would otherwise lose that day). The deadline falls at midnight,
 * after closing time, so the units are sellable again from the next opening.
 */
export function pickupHoldUntil(readyAt: Date, hold: PickupHold): Date {
  return DateTime.fromJSDate(readyAt, { zone: hold.timeZone })
    .startOf('day')
    .plus({ days: hold.pickupHoldDays + 1 })
    .toJSDate();
}

/**
 * The holding deadline of a pickup ready at `readyAt` at store `locationId`, by the store's fulfilment
 * settings ({@link DEFAULT_PICKUP_HOLD} when it declares none). Reads in `db` (the move's transaction).
 */
export async function pickupHoldUntilAt(db: Executor, locationId: string, readyAt: Date): Promise<Date> {
  const [store] = await getFulfilmentSettings(db, [locationId]);
  return pickupHoldUntil(readyAt, store?.settings ?? DEFAULT_PICKUP_HOLD);
}

/** A pickup's holding deadline to schedule: the fulfilment and its `holdUntil` (ISO 8601). */
export interface PickupHoldDeadline {
  fulfilmentId: string;
  holdUntil: string;
}

/** The data of an uncollected job (queue `pickup-holds`, job id = the fulfilment id). */
export interface UncollectedJobData {
  fulfilmentId: string;
}

/**
 * Adds the delayed uncollected jobs of `deadlines` (one Redis round trip; job id = fulfilment id, so a
 * deadline scheduled again — a replayed move — adds no second job), each due at its `holdUntil`. Call after
 * the move committed. When Redis is unavailable the move stands and the periodic sweep moves them instead.
 */
export async function schedulePickupHolds(
  deps: Pick<BackofficeDeps, 'queues' | 'clock' | 'logger'>,
  deadlines: readonly PickupHoldDeadline[],
): Promise<void> {
  if (deadlines.length === 0) return;
  const now = deps.clock.now().getTime();
  try {
    await deps.queues.pickupHolds.addBulk(
      deadlines.map((d) => ({
        name: 'uncollected',
        data: { fulfilmentId: d.fulfilmentId } satisfies UncollectedJobData,
        opts: { jobId: d.fulfilmentId, delay: Math.max(0, new Date(d.holdUntil).getTime() - now) },
      })),
    );
  } catch (e) {
    deps.logger.warn(
      { err: e, fulfilmentIds: deadlines.map((d) => d.fulfilmentId) },
      'could not schedule the end of a pickup hold; the sweep will move it',
    );
  }
}
