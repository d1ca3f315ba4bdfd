import { IANAZone } from 'luxon';
import { z } from 'zod';
import { defineCondition } from './define.js';

const Time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM');
const DAY_NAMES = ['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** One formatter per time zone (creating one costs far more than using it); at most 1000 zones are kept. */
const FORMATS = new Map<string, Intl.DateTimeFormat>();

/**
 * Local day of week (1 = Monday) and minutes since midnight (0–1439) of an instant in a time zone. Throws
 * RangeError when `timeZone` is not an IANA zone.
 */
export function localDayAndMinute(at: Date, timeZone: string): { day: number; minute: number } {
  let format = FORMATS.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    if (FORMATS.size >= 1000) FORMATS.clear();
    FORMATS.set(timeZone, format);
  }
  // "Sat 22:05" in en-GB; the parts (twice as slow) only if this ICU writes it otherwise.
  const quick = /^([A-Z][a-z]{2}) (\d{2}):(\d{2})$/.exec(format.format(at));
  if (quick && DAY_NAMES.includes(quick[1]!))
    return { day: DAY_NAMES.indexOf(quick[1]!), minute: Number(quick[2]) * 60 + Number(quick[3]) };
  const parts = format.formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return { day: DAY_NAMES.indexOf(get('weekday')), minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

const minutesOf = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));
/** The day of the week (1 = Monday … 7 = Sunday) before `day`. */
const dayBefore = (day: number) => (day === 1 ? 7 : day - 1);

/**
 * How far ahead nextLocalEdge looks (ms): every local time of day recurs within ~26 h, even across a DST
 * change.
 */
const HORIZON_MS = 3 * DAY_MS;
/**
 * Offsets are sampled this often (ms) to find their changes; no zone changes its offset twice within 3 hours.
 */
const SAMPLE_MS = 3 * HOUR_MS;

/** Offset changes per zone and UTC day (see offsetChangesOn); at most 10,000 are kept. */
const CHANGES = new Map<string, { changes: number[]; offsets: number[] }>();

/**
 * The instants in the UTC day `day` (days since 1970-01-01) — from its start, exclusive, to the next day's
 * start, inclusive — at which the zone's UTC offset changes (the first millisecond with the new offset),
 * found by sampling the offset every SAMPLE_MS and bisecting each change down to the millisecond; and every
 * offset (minutes east of UTC) the zone has in that day. Memoised: a zone's past and future offsets are fixed
 * for the life of the process.
 */
function offsetChangesOn(zone: IANAZone, day: number): { changes: number[]; offsets: number[] } {
  const key = `${zone.name}|${day}`;
  const known = CHANGES.get(key);
  if (known) return known;
  const changes: number[] = [];
  const offsets = new Set<number>();
  let prevAt = day * DAY_MS;
  let prev = zone.offset(prevAt);
  offsets.add(prev);
  for (let at = prevAt + SAMPLE_MS; at <= (day + 1) * DAY_MS; at += SAMPLE_MS) {
    const off = zone.offset(at);
    offsets.add(off);
    if (off !== prev) {
      let lo = prevAt; // offset(lo) === prev
      let hi = at; // offset(hi) !== prev
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (zone.offset(mid) === prev) lo = mid;
        else hi = mid;
      }
      changes.push(hi);
    }
    prevAt = at;
    prev = off;
  }
  const found = { changes, offsets: [...offsets] };
  if (CHANGES.size >= 10_000) CHANGES.clear();
  CHANGES.set(key, found);
  return found;
}

/**
 * The first instant strictly after `after` at which the local clock of a time zone reads one of these times
 * of day (minutes since midnight, 0–1439), or at which the zone's offset changes (a daylight-saving change) —
 * the instants at which a condition tested on the local clock against these times (and the day of the week,
 * when 0 is among them) may turn. Null when `minutes` is empty.
 *
 * A daylight-saving change makes some local times occur twice (fall back: each counts) and skips others
 * (spring forward: the change's instant itself is an edge, as the clock jumps across them). So, for each
 * local day from the day before `after` to three days after it, each time of day and each offset the zone has
 * in that span, the candidate is that local reading at that offset, kept only if the zone really has that
 * offset then; the offset changes from the day before `after` to three days after it are candidates too; the
 * earliest candidate after `after` is the edge. Exact to the millisecond for offsets in whole minutes (every
 * zone since the 1970s).
 *
 * @param after the instant after which to look.
 * @param timeZone an IANA zone name; throws RangeError when it is not one.
 * @param minutes local times of day, minutes since midnight.
 */
export function nextLocalEdge(after: Date, timeZone: string, minutes: readonly number[]): Date | null {
  if (minutes.length === 0) return null;
  const zone = IANAZone.create(timeZone);
  if (!zone.isValid) throw new RangeError(`not an IANA time zone: ${timeZone}`);
  const t0 = after.getTime();
  let best = Number.POSITIVE_INFINITY;
  const offsets = new Set<number>();
  for (let day = Math.floor((t0 - DAY_MS) / DAY_MS); day <= Math.floor((t0 + HORIZON_MS) / DAY_MS); day++) {
    const on = offsetChangesOn(zone, day);
    for (const off of on.offsets) offsets.add(off);
    for (const c of on.changes) if (c > t0 && c < best) best = c;
  }
  // Local days, as days since 1970-01-01 on the local clock, spanning the window whatever the offset.
  const firstDay = Math.floor((t0 - DAY_MS) / DAY_MS) - 1;
  const lastDay = Math.floor((t0 + HORIZON_MS) / DAY_MS) + 1;
  for (let d = firstDay; d <= lastDay; d++) {
    for (const m of minutes) {
      for (const off of offsets) {
        const t = d * DAY_MS + m * MINUTE_MS - off * MINUTE_MS;
        if (t > t0 && t < best && zone.offset(t) === off) best = t;
      }
    }
  }
  return Number.isFinite(best) ? new Date(best) : null;
}

/**
 * Days of the week and/or hours of the day, on the local clock of a time zone (e.g. happy hour on Saturdays
 * 16:00–18:00 in Europe/Amsterdam).
 * - `days`: ISO days of the week, 1 = Monday … 7 = Sunday; all days when absent.
 * - `from` / `to`: local times HH:MM, `from` inclusive, `to` exclusive (to the minute); from midnight / until
 *   midnight when absent. When `from` is after `to` the window is overnight: it wraps past midnight and
 * belongs to the day it starts — `days: [6]`, 22:00–02:00 applies Saturday from 22:00 and Sunday until 02:00.
 * `from` equal to `to` is refused (an empty window or a whole day is ambiguous: leave both out for all day).
 * - `timeZone`: an IANA zone (default Europe/Amsterdam). Across a daylight-saving change the local clock
 *   decides: a skipped local time never occurs (02:30–03:30 opens at the change, 03:00), a repeated one
 * occurs twice (02:15–02:45 applies in both passes).
 */
export const scheduleCondition = defineCondition({
  kind: 'schedule',
  scope: 'cart',
  schema: z
    .strictObject({
      kind: z.literal('schedule'),
      days: z.array(z.number().int().min(1).max(7)).min(1).max(7).optional(),
      from: Time.optional(),
      to: Time.optional(),
      timeZone: z
        .string()
        .min(1)
        .max(64)
        .refine((tz) => {
          try {
            new Intl.DateTimeFormat('en', { timeZone: tz });
            return true;
          } catch {
            return false;
          }
        }, 'an IANA time zone such as Europe/Amsterdam')
        .default('Europe/Amsterdam'),
    })
    .refine((p) => p.from === undefined || p.to === undefined || p.from !== p.to, {
      message:
        'from and to must differ (leave both out for all day; ' +
        'from after to is an overnight window such as 22:00–02:00)',
      path: ['to'],
    }),
  test: (p, ctx) => {
    const { day, minute } = localDayAndMinute(ctx.at, p.timeZone);
    const onDay = (d: number) => !p.days || p.days.includes(d);
    const from = p.from === undefined ? undefined : minutesOf(p.from);
    const to = p.to === undefined ? undefined : minutesOf(p.to);
    if (from !== undefined && to !== undefined && from > to)
      return (onDay(day) && minute >= from) || (onDay(dayBefore(day)) && minute < to);
    return onDay(day) && (from === undefined || minute >= from) && (to === undefined || minute < to);
  },
  // Midnight turns the answer when the day matters, or when only one of from/to is given (from 20:00 ends at
  // midnight; until 06:00 starts there). With both, midnight lies outside a daytime window and inside an
  // overnight one.
  nextEdge: (p, after) =>
    nextLocalEdge(after, p.timeZone, [
      ...(p.days || (p.from === undefined) !== (p.to === undefined) ? [0] : []),
      ...[p.from, p.to].filter((t): t is string => t !== undefined).map(minutesOf),
    ]),
  describe: (p) =>
    [
      p.days ? `on ${p.days.map((d) => DAY_NAMES[d]).join('/')}` : '',
      p.from || p.to ? `${p.from ?? '00:00'}–${p.to ?? '24:00'}` : '',
    ]
      .filter(Boolean)
      .join(' '),
});
