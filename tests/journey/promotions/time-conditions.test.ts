import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  activePromotionRules,
  nextPromotionBoundary,
  PromotionRuleSchema,
} from '../../../journey-layer/index.js';
import { dateWindowCondition } from '../../../journey-layer/promotions/conditions/date-window.js';
import { scheduleCondition } from '../../../journey-layer/promotions/conditions/schedule.js';
import {
  createBackofficeTestContext,
  startAdminApi,
  type AdminClient,
  type BackofficeTestContext,
} from '../../support/backoffice.js';

// Time-based conditions: what a schedule answers across midnight and daylight-saving changes, and that
// nextEdge never misses an instant at which that answer turns (the scheduler commits a switch revision at
// each edge it gives).

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
type Schedule = { days?: number[]; from?: string; to?: string; timeZone: string };

const parse = (p: Schedule) => scheduleCondition.schema.parse({ kind: 'schedule', ...p });
const answer = (c: unknown, at: Date) => scheduleCondition.test(c, { at } as never, null, []);
const edge = (c: unknown, after: Date) => scheduleCondition.nextEdge!(c, after);
const on = (p: Schedule, iso: string) => answer(parse(p), new Date(iso));

describe('schedule: the local clock decides, across daylight-saving changes', () => {
  const ams = 'Europe/Amsterdam';

  it(
    'spring forward (Amsterdam 2027-03-28, 02:00→03:00 at 01:00Z): 02:30–03:30 opens at the ' +
      'change, and nextEdge says so',
    () => {
      const c = parse({ from: '02:30', to: '03:30', timeZone: ams });
      expect(answer(c, new Date('2027-03-28T00:59:59Z'))).toBe(false);
      expect(answer(c, new Date('2027-03-28T01:00:00Z'))).toBe(true); // 03:00 CEST
      expect(answer(c, new Date('2027-03-28T01:30:00Z'))).toBe(false); // 03:30 CEST
      expect(edge(c, new Date('2027-03-28T00:00:00Z'))).toEqual(new Date('2027-03-28T01:00:00Z'));
      expect(edge(c, new Date('2027-03-28T01:00:00Z'))).toEqual(new Date('2027-03-28T01:30:00Z'));
    },
  );

  it(
    'fall back (Amsterdam 2027-10-31, 03:00→02:00 at 01:00Z): 02:15–02:45 applies in both ' +
      'passes, and nextEdge finds the second',
    () => {
      const c = parse({ from: '02:15', to: '02:45', timeZone: ams });
      const edges: string[] = [];
      for (let at = new Date('2027-10-30T22:00:00Z'); at < new Date('2027-10-31T03:00:00Z');) {
        at = edge(c, at)!;
        edges.push(at.toISOString());
      }
      expect(edges.slice(0, 4)).toEqual([
        '2027-10-31T00:15:00.000Z',
        '2027-10-31T00:45:00.000Z',
        '2027-10-31T01:00:00.000Z',
        '2027-10-31T01:15:00.000Z',
      ]);
      expect(edges).toContain('2027-10-31T01:45:00.000Z');
      expect(answer(c, new Date('2027-10-31T00:30:00Z'))).toBe(true);
      expect(answer(c, new Date('2027-10-31T01:00:00Z'))).toBe(false);
      expect(answer(c, new Date('2027-10-31T01:30:00Z'))).toBe(true);
      expect(answer(c, new Date('2027-10-31T01:45:00Z'))).toBe(false);
    },
  );
});

describe(
  'schedule: an overnight window (from after to) wraps past ' + 'midnight and belongs to the day it starts',
  () => {
    const sat = { days: [6], from: '22:00', to: '02:00', timeZone: 'Europe/Amsterdam' };

    it('Saturday 22:00–02:00 applies Saturday from 22:00 and Sunday until 02:00, and nowhere else', () => {
      // 2027-01-02 is a Saturday; Amsterdam is UTC+1 in winter.
      expect(on(sat, '2027-01-02T20:59:00Z')).toBe(false); // Sat 21:59
      expect(on(sat, '2027-01-02T21:00:00Z')).toBe(true); // Sat 22:00
      expect(on(sat, '2027-01-02T23:30:00Z')).toBe(true); // Sun 00:30
      expect(on(sat, '2027-01-03T00:59:00Z')).toBe(true); // Sun 01:59
      expect(on(sat, '2027-01-03T01:00:00Z')).toBe(false); // Sun 02:00
      expect(on(sat, '2027-01-02T00:30:00Z')).toBe(false); // Sat 01:30 (Friday night is not Saturday's)
      expect(on(sat, '2027-01-03T21:30:00Z')).toBe(false); // Sun 22:30
      expect(on({ from: '22:00', to: '02:00', timeZone: 'Europe/Amsterdam' }, '2027-01-05T00:30:00Z')).toBe(
        true,
      ); // every night
      expect(on({ from: '22:00', to: '02:00', timeZone: 'Europe/Amsterdam' }, '2027-01-05T12:00:00Z')).toBe(
        false,
      );
    });

    it('nextEdge gives its opening and its close', () => {
      const c = parse(sat);
      const opens = edge(c, new Date('2027-01-02T12:00:00Z'))!;
      expect(opens).toEqual(new Date('2027-01-02T21:00:00Z'));
      let at = opens;
      while (answer(c, at)) at = edge(c, at)!;
      expect(at).toEqual(new Date('2027-01-03T01:00:00Z'));
    });
  },
);

describe('time conditions refuse windows that can never apply', () => {
  const rule = (conditions: unknown[]) =>
    PromotionRuleSchema.safeParse({
      id: 'x',
      label: 'x',
      conditions,
      action: { kind: 'percentOff', percentBp: 100 },
    });
  const messages = (r: ReturnType<typeof rule>) => (r.success ? [] : r.error.issues.map((i) => i.message));

  it(
    'a schedule with from equal to to, and a date window whose from is not before its to, fail ' +
      'the schema with a message',
    () => {
      expect(messages(rule([{ kind: 'schedule', from: '10:00', to: '10:00' }]))).toEqual([
        expect.stringContaining('from and to must differ'),
      ]);
      expect(
        messages(rule([{ kind: 'dateWindow', from: '2027-02-01T00:00:00Z', to: '2027-01-01T00:00:00Z' }])),
      ).toEqual(['from must be before to']);
      expect(
        messages(
          rule([{ kind: 'dateWindow', from: '2027-01-01T01:00:00+01:00', to: '2027-01-01T00:00:00Z' }]),
        ),
      ).toEqual(['from must be before to']);
      expect(rule([{ kind: 'schedule', from: '22:00', to: '02:00' }]).success).toBe(true);
      expect(
        rule([{ kind: 'dateWindow', from: '2027-01-01T00:00:00Z', to: '2027-01-01T00:00:01Z' }]).success,
      ).toBe(true);
      expect(
        dateWindowCondition.schema.safeParse({ kind: 'dateWindow', from: '2027-01-01T00:00:00Z' }).success,
      ).toBe(true);
    },
  );

  describe('through PUT /admin/v1/promotions', () => {
    let ctx: BackofficeTestContext;
    let api: AdminClient;
    beforeAll(async () => {
      ctx = await createBackofficeTestContext();
      api = await startAdminApi(ctx);
    });
    afterAll(async () => {
      await api.close();
      await ctx.close();
    });

    it(
      'answers BAD_USER_INPUT naming the field and stores ' + 'nothing; an overnight schedule is stored',
      async () => {
        const put = (id: string, conditions: unknown[]) =>
          api.request('PUT', `/admin/v1/promotions/${id}`, {
            status: 'ACTIVE',
            rule: { label: 'Night', conditions, action: { kind: 'percentOff', percentBp: 1000 } },
          });
        const same = await put('same', [{ kind: 'schedule', from: '10:00', to: '10:00' }]);
        expect(same.status).toBe(400);
        expect(same.body.code).toBe('BAD_USER_INPUT');
        expect(JSON.stringify(same.body)).toContain('rule.conditions.0.to: from and to must differ');
        const backwards = await put('backwards', [
          { kind: 'dateWindow', from: '2027-02-01T00:00:00Z', to: '2027-01-01T00:00:00Z' },
        ]);
        expect(backwards.status).toBe(400);
        expect(backwards.body.code).toBe('BAD_USER_INPUT');
        expect(JSON.stringify(backwards.body)).toContain('rule.conditions.0.to: from must be before to');
        expect((await api.request('GET', '/admin/v1/promotions/same')).status).toBe(404);
        expect((await api.request('GET', '/admin/v1/promotions/backwards')).status).toBe(404);
        expect(
          (await put('night', [{ kind: 'schedule', days: [6], from: '22:00', to: '02:00' }])).status,
        ).toBe(200);
      },
    );

    it(
      'a rule stored before these checks (from equal to to) is left out of pricing and ' +
        'scheduling, not a failure of every answer',
      async () => {
        await ctx.deps.db
          .insertInto('promotions')
          .values({
            id: 'legacy',
            definition: JSON.stringify({
              id: 'legacy',
              label: 'Legacy',
              conditions: [{ kind: 'schedule', from: '10:00', to: '10:00', timeZone: 'Europe/Amsterdam' }],
              action: { kind: 'percentOff', percentBp: 1000 },
            }),
            status: 'ACTIVE',
            validFrom: null,
            validTo: null,
            budgetAmount: null,
            revision: 1,
            createdAt: new Date(),
            updatedAt: new Date(),
          } as never)
          .execute();
        expect((await activePromotionRules(ctx.deps.db)).map((r) => r.id)).not.toContain('legacy');
        // it answers (before: it threw)
        await expect(nextPromotionBoundary(ctx.deps.db, new Date())).resolves.not.toBeUndefined();
      },
    );
  });
});

describe(
  'schedule.nextEdge never misses a turn (minute by minute ' + 'across the daylight-saving days of 2027)',
  () => {
    // Each zone with the UTC days whose neighbourhood is walked: its daylight-saving changes of 2027, and a
    // normal day.
    const zones: Array<{ timeZone: string; days: string[]; changes: number }> = [
      { timeZone: 'Europe/Amsterdam', days: ['2027-03-28', '2027-10-31', '2027-06-13'], changes: 2 },
      { timeZone: 'America/New_York', days: ['2027-03-14', '2027-11-07'], changes: 2 },
      { timeZone: 'Australia/Sydney', days: ['2027-04-04', '2027-10-03'], changes: 2 },
      { timeZone: 'Asia/Kolkata', days: ['2027-03-28'], changes: 0 },
      { timeZone: 'Pacific/Chatham', days: ['2027-04-04', '2027-09-26'], changes: 2 },
    ];
    const conditions: Array<Omit<Schedule, 'timeZone'>> = [
      { from: '02:30', to: '03:30' },
      { from: '02:15', to: '02:45' },
      { from: '03:00', to: '03:30' },
      { days: [7] },
      { from: '02:30' },
      { to: '02:30' },
      { days: [6], from: '22:00', to: '02:00' },
      { from: '23:30', to: '02:45' },
      { days: [7, 2], from: '02:45', to: '00:15' },
    ];

    it(
      'for every zone, condition and instant t walked: nextEdge(t) is at or before the first ' +
        'instant after t at which test turns',
      () => {
        let flips = 0;
        let offsetChanges = 0;
        for (const z of zones) {
          for (const day of z.days) {
            const start = Date.parse(`${day}T00:00:00Z`) - DAY;
            const steps = 3 * 24 * 60; // the day ± 1 day, in minutes
            for (const p of conditions) {
              const c = parse({ ...p, timeZone: z.timeZone });
              const value = Array.from({ length: steps + 1 }, (_, i) => answer(c, new Date(start + i * MIN)));
              // firstFlip[i]: the first minute index j > i at which the answer differs from minute j - 1
              // (Infinity if none).
              const firstFlip = new Array<number>(steps + 1).fill(Number.POSITIVE_INFINITY);
              for (let i = steps - 1; i >= 0; i--)
                firstFlip[i] = value[i + 1] !== value[i] ? i + 1 : firstFlip[i + 1]!;
              flips += value.filter((v, i) => i > 0 && v !== value[i - 1]).length;
              const check = (t: number) => {
                const i = Math.floor((t - start) / MIN);
                const flip = start + firstFlip[i]! * MIN;
                if (!Number.isFinite(flip)) return;
                const e = edge(c, new Date(t));
                if (e === null || e.getTime() > flip || e.getTime() <= t) {
                  throw new Error(
                    `${z.timeZone} ${JSON.stringify(p)}: nextEdge(${new Date(t).toISOString()}) = ` +
                      `${e?.toISOString()}, but the answer turns at ${new Date(flip).toISOString()}`,
                  );
                }
              };
              // As the scheduler does: from the walk's start, edge after edge.
              for (let t = start; t < start + steps * MIN;) {
                check(t);
                t = edge(c, new Date(t))!.getTime();
              }
              // And from instants in between: just before each turn, and every 97 minutes (at odd seconds).
              for (let i = 1; i <= steps; i++)
                if (value[i] !== value[i - 1]) {
                  check(start + i * MIN - 1);
                  check(start + (i - 1) * MIN);
                  check(start + i * MIN - 59_000);
                }
              for (let i = 0; i < steps; i += 97) check(start + i * MIN + (i % 60) * 1000);
            }
            const offsetAt = (h: number) =>
              new Intl.DateTimeFormat('en', { timeZone: z.timeZone, timeZoneName: 'longOffset' })
                .formatToParts(new Date(start + h * 3_600_000))
                .find((x) => x.type === 'timeZoneName')!.value;
            const offsets = new Set(Array.from({ length: 3 * 24 }, (_, h) => offsetAt(h)));
            offsetChanges += offsets.size - 1;
          }
          // The walk does cross the zone's daylight-saving changes (so the test means something).
        }
        expect(offsetChanges).toBe(zones.reduce((n, z) => n + z.changes, 0));
        expect(flips).toBeGreaterThan(400);
      },
    );
  },
);
