import { DateTime } from 'luxon';
import { DomainError } from '../../shared/index.js';
import type { FulfilmentSettings, ShippingZone } from './fulfilment-settings.schema.js';

/**
 * The delivery promise as pure functions of an instant: no clock is read (`now` is given), no database is
 * touched. Rules (issue 12, API.md "Orders, fulfilment, delivery promise"):
 * - A location's **working day** is a local date whose day of the week has opening hours and that is not one
 *   of its holidays; it ships, hands over and prepares pickups on working days only. The cut-off applies on
 *   every working day, whatever the opening hours (a warehouse's carrier collection is its own schedule).
 * - An order strictly before a working day's cut-off ships that day; at the cut-off instant itself or later
 *   it ships the next working day. Cut-offs are local wall times: on a daylight-saving day 22:00 is still
 *   22:00 on the location's clock (luxon). A cut-off inside a spring-forward gap moves forward by the gap
 *   (02:30 → 03:30 in Amsterdam); one in the hour a fall-back repeats happens at its first pass.
 * - **Carrier days** are Monday to Friday except the zone's carrier holidays: carriers collect and deliver on
 *   no Saturday or Sunday. Transit is counted in carrier days after the hand-over day.
 * - Pickup needs PICKUP_PREPARATION_MS (2 h) of one opening stretch of the store, starting on a whole hour
 *   (PICKUP_STEP_MS) after the order, so the pickup promise holds for a whole hour at a time.
 */

/** Preparation of a click & collect order in the store, in ms: 2 hours of opening time, in one stretch. */
export const PICKUP_PREPARATION_MS = 2 * 3_600_000;
/** Pickup preparation starts on the next whole hour (UTC: whole local hours in whole-hour zones), in ms. */
export const PICKUP_STEP_MS = 3_600_000;
/** Carrier days a transfer from a warehouse to a store takes, unless told otherwise. */
export const DEFAULT_TRANSFER_DAYS = 1;
/** How many local days ahead a working day, carrier day or opening is looked for before giving up. */
const SEARCH_DAYS = 400;

/** A location as the promise needs it: its id and name (for the reason) and its fulfilment settings. */
export interface PromiseLocation {
  id: string;
  name: string;
  settings: FulfilmentSettings;
}

/**
 * What is promised, in the contract's shape (API.md `DeliveryPromise`):
 * - `method`: `DELIVERY` (to the customer's postcode) or `PICKUP` (click & collect at `from`).
 * - `from`: the shipping location (DELIVERY) or the pickup store (PICKUP).
 * - `orderBefore`: the instant (UTC) until which this promise holds; an order at or after it gets the next
 *   one.
 * - `deliverBy`: DELIVERY only, the end (23:59:59.999 on the shipping location's clock) of the delivery day.
 * - `readyBy`: PICKUP only, the instant the order is ready at the store.
 * - `reason`: the promise in words, for a till or an agent ("order before 22:00 today, delivered Tuesday 1
 *   December"; "ready for pickup at Utrecht from 14:00").
 */
export interface DeliveryPromise {
  method: 'DELIVERY' | 'PICKUP';
  from: { id: string; name: string };
  orderBefore: Date;
  deliverBy: Date | null;
  readyBy: Date | null;
  reason: string;
}

/** A DeliveryPromise as an order stores it (JSON): the same fields, instants as ISO 8601 strings. */
export interface StoredPromise {
  method: 'DELIVERY' | 'PICKUP';
  from: { id: string; name: string };
  orderBefore: string;
  deliverBy: string | null;
  readyBy: string | null;
  reason: string;
}

/** The stored form of a promise (see StoredPromise). */
export function storedPromise(p: DeliveryPromise): StoredPromise {
  return {
    ...p,
    orderBefore: p.orderBefore.toISOString(),
    deliverBy: p.deliverBy?.toISOString() ?? null,
    readyBy: p.readyBy?.toISOString() ?? null,
  };
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The local date `day` (any time in it) at local time `hhmm`, on the location's clock. */
const atTime = (day: DateTime, hhmm: string): DateTime => {
  const m = minutesOf(hhmm);
  return day.set({ hour: Math.floor(m / 60), minute: m % 60, second: 0, millisecond: 0 });
};

const localDay = (at: Date | number, timeZone: string): DateTime =>
  DateTime.fromMillis(typeof at === 'number' ? at : at.getTime(), { zone: timeZone }).startOf('day');

/** A working day of the location: opening hours on its day of the week, and not a holiday. */
function isWorkingDay(day: DateTime, s: FulfilmentSettings): boolean {
  return s.openingHours.some((h) => h.day === day.weekday) && !s.holidays.includes(day.toISODate() ?? '');
}

/** A carrier day: Monday to Friday, and not a carrier holiday. */
const isCarrierDay = (day: DateTime, carrierHolidays: readonly string[]): boolean =>
  day.weekday <= 5 && !carrierHolidays.includes(day.toISODate() ?? '');

function noDay(what: string): DomainError {
  return new DomainError('BAD_USER_INPUT', `no ${what} within ${SEARCH_DAYS} days`, {
    searchDays: SEARCH_DAYS,
  });
}

/** `day` advanced by `count` days that satisfy `ok` (each step to the next such day). */
function advance(day: DateTime, count: number, ok: (d: DateTime) => boolean, what: string): DateTime {
  let d = day;
  for (let left = count; left > 0; left--) {
    let i = 0;
    do {
      d = d.plus({ days: 1 });
      if (++i > SEARCH_DAYS) throw noDay(what);
    } while (!ok(d));
  }
  return d;
}

/**
 * The first cut-off instant strictly after `after` on one of the location's working days (the instant until
 * which an order ships on that working day). Throws DomainError `BAD_USER_INPUT` when the settings have no
 * working day within 400 days.
 */
export function nextCutOff(after: Date, s: FulfilmentSettings): Date {
  let day = localDay(after, s.timeZone);
  for (let i = 0; i <= SEARCH_DAYS; i++, day = day.plus({ days: 1 })) {
    if (!isWorkingDay(day, s)) continue;
    const cutOff = atTime(day, s.cutOff);
    if (cutOff.toMillis() > after.getTime()) return cutOff.toJSDate();
  }
  throw noDay('working day');
}

/** The local day (location's clock) the parcel is handed to the carrier for an order before `cutOff`. */
function handOverDay(cutOff: Date, s: FulfilmentSettings): DateTime {
  return advance(localDay(cutOff, s.timeZone), s.handlingDays, (d) => isWorkingDay(d, s), 'working day');
}

/** "Tuesday 1 December" — with its year ("Monday 6 December 2027") when it is not `today`'s year. */
function dateWords(day: DateTime, today: DateTime): string {
  return day.setLocale('en-GB').toFormat(day.year === today.year ? 'cccc d LLLL' : 'cccc d LLLL yyyy');
}

/** "today", "tomorrow" or "on Tuesday 1 December": the local day of `at` as seen from `now`. */
function dayWords(at: DateTime, now: Date): string {
  const today = localDay(now, at.zoneName ?? 'UTC');
  const day = at.startOf('day');
  if (day.hasSame(today, 'day')) return 'today';
  if (day.hasSame(today.plus({ days: 1 }), 'day')) return 'tomorrow';
  return `on ${dateWords(day, today)}`;
}

/**
 * The home-delivery promise from one location to one shipping zone at instant `now`:
 * - `orderBefore` = the next cut-off (nextCutOff); its local day is the shipping day — today when `now` is
 *   before today's cut-off on a working day, else the next working day.
 * - hand-over = shipping day + `handlingDays` working days; the carrier collects it that day if it is a
 *   carrier day (Monday–Friday, no carrier holidays), else on the next carrier day;
 * - delivery day = collection + `transitDays` carrier days (0: the collection day itself); `deliverBy` = the
 *   end of the delivery day on the location's clock.
 *
 * Null — no promise — when `zone` is null (no zone serves the postcode: see zoneFor) or `quantityAvailable`
 * is given and below 1. Whether this location may ship at all (a store without `shipsFromStore`) is the
 * caller's decision (sourcing). Throws DomainError `BAD_USER_INPUT` when no working or carrier day is found
 * within 400 days.
 */
export function promiseDelivery(input: {
  now: Date;
  from: PromiseLocation;
  zone: ShippingZone | null;
  quantityAvailable?: number;
}): DeliveryPromise | null {
  const { now, from, zone } = input;
  if (!zone || (input.quantityAvailable !== undefined && input.quantityAvailable < 1)) return null;
  const s = from.settings;
  const orderBefore = nextCutOff(now, s);
  const handOver = handOverDay(orderBefore, s);
  const carrierDay = (d: DateTime) => isCarrierDay(d, zone.carrierHolidays);
  // Carriers collect on carrier days only: a parcel ready on a Saturday leaves on Monday.
  const collected = carrierDay(handOver) ? handOver : advance(handOver, 1, carrierDay, 'carrier day');
  const delivery = advance(collected, zone.transitDays, carrierDay, 'carrier day');
  const cut = DateTime.fromJSDate(orderBefore, { zone: s.timeZone });
  return {
    method: 'DELIVERY',
    from: { id: from.id, name: from.name },
    orderBefore,
    deliverBy: delivery.endOf('day').toJSDate(),
    readyBy: null,
    reason:
      `order before ${cut.toFormat('HH:mm')} ${dayWords(cut, now)}, ` +
      `delivered ${dateWords(delivery, localDay(now, s.timeZone))}`,
  };
}

/**
 * The first instant at or after `earliest` at which the store can start preparing a pickup: within one of its
 * working days' opening hours, with PICKUP_PREPARATION_MS left before closing.
 */
function preparationStart(earliest: number, s: FulfilmentSettings): DateTime {
  let day = localDay(earliest, s.timeZone);
  for (let i = 0; i <= SEARCH_DAYS; i++, day = day.plus({ days: 1 })) {
    const hours = s.openingHours.find((h) => h.day === day.weekday);
    if (!hours || !isWorkingDay(day, s)) continue;
    const start = Math.max(earliest, atTime(day, hours.open).toMillis());
    if (start + PICKUP_PREPARATION_MS <= atTime(day, hours.close).toMillis())
      return DateTime.fromMillis(start, { zone: s.timeZone });
  }
  throw noDay('opening with time to prepare a pickup');
}

/**
 * The click & collect promise at store `at` for an order at instant `now`:
 * - From the store's own stock: preparation starts on the next whole hour after `now` (PICKUP_STEP_MS), or
 *   at the store's next opening if it is closed then (or closes within PICKUP_PREPARATION_MS); `readyBy` =
 *   start + PICKUP_PREPARATION_MS; `orderBefore` = that start rounded down to the hour (the promise holds
 *   until then).
 * - With `transferFrom` (a warehouse): the transfer leaves on the warehouse's hand-over day (its cut-off and
 *   handling days, as for a delivery), arrives `transferDays` carrier days later (default 1, Monday–Friday),
 *   and preparation starts at the store's first opening from that day on; `orderBefore` is the earlier of the
 *   warehouse's next cut-off and the start rounded down to the hour.
 *
 * Null when the store offers no pickup (`settings.pickup` false). Throws DomainError `BAD_USER_INPUT` when no
 * working day, carrier day or long enough opening is found within 400 days.
 */
export function promisePickup(input: {
  now: Date;
  at: PromiseLocation;
  transferFrom?: PromiseLocation;
  transferDays?: number;
}): DeliveryPromise | null {
  const { now, at, transferFrom } = input;
  const s = at.settings;
  if (!s.pickup) return null;
  let earliest = Math.floor(now.getTime() / PICKUP_STEP_MS) * PICKUP_STEP_MS + PICKUP_STEP_MS;
  let transferCutOff: Date | null = null;
  if (transferFrom) {
    transferCutOff = nextCutOff(now, transferFrom.settings);
    const handOver = handOverDay(transferCutOff, transferFrom.settings);
    const days = input.transferDays ?? DEFAULT_TRANSFER_DAYS;
    const arrival = advance(handOver, days, (d) => isCarrierDay(d, []), 'carrier day');
    const arrivalAtStore = DateTime.fromObject(
      { year: arrival.year, month: arrival.month, day: arrival.day },
      { zone: s.timeZone },
    );
    earliest = Math.max(earliest, arrivalAtStore.toMillis());
  }
  const start = preparationStart(earliest, s);
  const ready = start.plus({ milliseconds: PICKUP_PREPARATION_MS });
  const startEdge = Math.floor(start.toMillis() / PICKUP_STEP_MS) * PICKUP_STEP_MS;
  const orderBefore = new Date(Math.min(startEdge, transferCutOff?.getTime() ?? startEdge));
  const day = dayWords(ready, now);
  const readyWords =
    `ready for pickup at ${at.name} from ${ready.toFormat('HH:mm')}` + (day === 'today' ? '' : ` ${day}`);
  const cut = DateTime.fromJSDate(orderBefore, { zone: s.timeZone });
  return {
    method: 'PICKUP',
    from: { id: at.id, name: at.name },
    orderBefore,
    deliverBy: null,
    readyBy: ready.toJSDate(),
    reason: transferFrom
      ? `order before ${cut.toFormat('HH:mm')} ${dayWords(cut, now)}, ${readyWords}`
      : readyWords,
  };
}

/**
 * The shipping zone serving a postcode: among `zones` of `countryCode` (compared upper case), the one with
 * the longest prefix matching the postcode (spaces removed, upper case: "1012 ab" → "1012AB"); on a tie, the
 * first in `zones`. Null when none matches — then no delivery promise is made.
 */
export function zoneFor(
  zones: readonly ShippingZone[],
  countryCode: string,
  postcode: string,
): ShippingZone | null {
  const country = countryCode.trim().toUpperCase();
  const code = postcode.replace(/\s+/g, '').toUpperCase();
  let best: ShippingZone | null = null;
  let bestLength = -1;
  for (const zone of zones) {
    if (zone.countryCode !== country) continue;
    for (const prefix of zone.postcodePrefixes) {
      if (prefix.length > bestLength && code.startsWith(prefix)) {
        best = zone;
        bestLength = prefix.length;
      }
    }
  }
  return best;
}

/**
 * The next instant strictly after `after` at which any of these locations' promises changes: each one's next
 * cut-off (delivery, and transfers from it), its next local midnight (the reason's "today" becomes "tomorrow"
 * or a date: the words are part of the promise, so of the answer's fingerprint) and, for a store offering
 * pickup, the end of its current pickup promise (`orderBefore` of promisePickup). The scheduler commits a
 * switch revision there, as for price windows (nextScheduleBoundary), so every channel changes its promise at
 * once. Null when `locations` is empty.
 */
export function nextPromiseEdge(after: Date, locations: readonly PromiseLocation[]): Date | null {
  let best = Number.POSITIVE_INFINITY;
  for (const location of locations) {
    const s = location.settings;
    best = Math.min(best, nextCutOff(after, s).getTime());
    best = Math.min(best, localDay(after, s.timeZone).plus({ days: 1 }).toMillis());
    const pickup = promisePickup({ now: after, at: location });
    if (pickup) best = Math.min(best, pickup.orderBefore.getTime());
  }
  return Number.isFinite(best) ? new Date(best) : null;
}
