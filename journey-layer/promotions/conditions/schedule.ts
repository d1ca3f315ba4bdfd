import { DateTime } from 'luxon';
import { z } from 'zod';
import { defineCondition } from './define.js';

const Time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM');
const DAY_NAMES = ['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** Local day of week (1 = Monday) and minutes since midnight of an instant in a time zone. */
export function localDayAndMinute(at: Date, timeZone: string): { day: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return { day: DAY_NAMES.indexOf(get('weekday')), minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

const minutesOf = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));

/**
 * The first instant strictly after `after` that is one of these local times of day (minutes since midnight) in a
 * time zone, on this day or one of the next eight (a weekly rule's edges lie within a week). Local times that a
 * daylight-saving change skips move forward to the first instant that exists (Luxon's rule); the condition is tested
 * on the local clock, so an edge found there is where its answer turns.
 */
export function nextLocalEdge(after: Date, timeZone: string, minutes: readonly number[]): Date | null {
  if (minutes.length === 0) return null;
  const day = DateTime.fromJSDate(after, { zone: timeZone }).startOf('day');
  let best: number | null = null;
  for (let i = 0; i <= 8 && best === null; i++) {
    for (const m of minutes) {
      const t = day.plus({ days: i }).set({ hour: Math.floor(m / 60), minute: m % 60 }).toMillis();
      if (t > after.getTime() && (best === null || t < best)) best = t;
    }
  }
  return best === null ? null : new Date(best);
}

/** Days of the week and/or hours of the day, in the shop's time zone (e.g. happy hour on Saturdays 16:00–18:00). */
export const scheduleCondition = defineCondition({
  kind: 'schedule', scope: 'cart',
  schema: z.strictObject({
    kind: z.literal('schedule'),
    days: z.array(z.number().int().min(1).max(7)).min(1).max(7).optional(),
    from: Time.optional(), to: Time.optional(),
    timeZone: z.string().min(1).max(64).refine((tz) => { try { new Intl.DateTimeFormat('en', { timeZone: tz }); return true; } catch { return false; } }, 'an IANA time zone such as Europe/Amsterdam').default('Europe/Amsterdam'),
  }),
  test: (p, ctx) => {
    const { day, minute } = localDayAndMinute(ctx.at, p.timeZone);
    return (!p.days || p.days.includes(day)) && (!p.from || minute >= minutesOf(p.from)) && (!p.to || minute < minutesOf(p.to));
  },
  nextEdge: (p, after) => nextLocalEdge(after, p.timeZone, [...(p.days ? [0] : []), ...[p.from, p.to].filter((t): t is string => t !== undefined).map(minutesOf)]),
  describe: (p) => [p.days ? `on ${p.days.map((d) => DAY_NAMES[d]).join('/')}` : '', p.from || p.to ? `${p.from ?? '00:00'}–${p.to ?? '24:00'}` : ''].filter(Boolean).join(' '),
});
