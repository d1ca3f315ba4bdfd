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
    const mins = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));
    return (!p.days || p.days.includes(day)) && (!p.from || minute >= mins(p.from)) && (!p.to || minute < mins(p.to));
  },
  describe: (p) => [p.days ? `on ${p.days.map((d) => DAY_NAMES[d]).join('/')}` : '', p.from || p.to ? `${p.from ?? '00:00'}–${p.to ?? '24:00'}` : ''].filter(Boolean).join(' '),
});
