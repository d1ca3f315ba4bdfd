/**
 * POST /admin/v1/promotions/preview over real HTTP and PostgreSQL: a cart priced as the quote pipeline prices
 * it (same totals, same fingerprint), with a draft promotion taken as if saved, at another instant (a
 * scheduled price, a promotion window), changing nothing at all (every table's rows, the coupon and budget
 * counters, the audit trail, Redis); bad input refused 400 with field paths.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { adjustPoints, quote } from '../../../journey-layer/index.js';
import { ManualClock } from '../../../shared/index.js';
import {
  createBackofficeTestContext,
  newMembers,
  startAdminApi,
  type AdminClient,
  type BackofficeTestContext,
} from '../../support/backoffice.js';

const clock = new ManualClock('2026-05-04T10:00:00Z');
const SKU = 'PV-KNIT';
const OTHER = 'PV-SCARF';
/** When the summer price list opens. */
const SUMMER = '2026-06-01T00:00:00Z';
let ctx: BackofficeTestContext;
let admin: AdminClient;
let anna: string;

type Money = { amount: number; currency: string };
type Preview = {
  channel: string;
  at: string;
  currency: string;
  lines: Array<{
    sku: string;
    quantity: number;
    unitPrice: Money;
    base: Money;
    final: Money;
    adjustments: Array<{ source: string; id: string; reason: string; amount: Money }>;
  }>;
  subtotal: Money;
  discountTotal: Money;
  total: Money;
  vatTotal: Money;
  loyalty: { pointsEarned: number; tierAfter: string | null } | null;
  appliedCoupons: string[];
  rejectedCoupons: Array<{ code: string; reason: string }>;
  revision: number;
  fingerprint: string;
};

const preview = async (body: unknown) => admin.request('POST', '/admin/v1/promotions/preview', body);
const ok = async (body: unknown): Promise<Preview> => {
  const res = await preview(body);
  expect(res.status).toBe(200);
  return res.body as Preview;
};
const put = async (path: string, body: unknown) => {
  const res = await admin.request(path.endsWith('/coupons') ? 'POST' : 'PUT', `/admin/v1${path}`, body);
  expect(res.status).toBeLessThan(300);
};

/**
 * Rows in every table of the hub's schema, and every Redis key under the test's prefix with its value (but
 * the admin API's own per-minute key look-up counters, `:gate:`, which every admin request moves).
 */
async function everything(): Promise<{ rows: Record<string, number>; redis: Record<string, string> }> {
  const tables = await sql<{ name: string }>`
    SELECT table_name AS name FROM information_schema.tables
    WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1`.execute(ctx.deps.db);
  const rows: Record<string, number> = {};
  for (const { name } of tables.rows)
    rows[name] = (
      await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(name)}`.execute(ctx.deps.db)
    ).rows[0]!.n;
  const redis: Record<string, string> = {};
  for (const key of await ctx.deps.redis.keys(`${ctx.redisPrefix}:*`)) {
    if (key.includes(':gate:')) continue;
    redis[key] =
      (await ctx.deps.redis.type(key)) === 'string' ? ((await ctx.deps.redis.get(key)) ?? '') : 'x';
  }
  return { rows, redis };
}

beforeAll(async () => {
  ctx = await createBackofficeTestContext({ clock });
  admin = await startAdminApi(ctx);
  await put('/locations/wh-1', { name: 'Warehouse', kind: 'WAREHOUSE', fulfilsOnline: true });
  await put('/locations/ams-01', { name: 'Amsterdam', kind: 'STORE', fulfilsOnline: false });
  await put('/price-lists/base', { name: 'Base', currency: 'EUR', priority: 0 });
  await put('/price-lists/summer', { name: 'Summer', currency: 'EUR', priority: 10, validFrom: SUMMER });
  for (const sku of [SKU, OTHER]) {
    await put(`/products/${sku}`, {
      name: `Product ${sku}`,
      category: 'knitwear',
      vatRate: 21,
      attributes: {},
      status: 'ACTIVE',
    });
    await put(`/price-lists/base/prices/${sku}`, { amount: 4000 });
  }
  await put(`/price-lists/summer/prices/${SKU}`, { amount: 3000 });
  // Saved: 10% on the knit with a coupon (one use), and a budgeted 5% on everything.
  await put('/promotions/knit-10', {
    rule: {
      label: '10% on the knit',
      conditions: [{ kind: 'sku', skus: [SKU] }],
      action: { kind: 'percentOff', percentBp: 1000 },
      couponRequired: true,
    },
  });
  await put('/promotions/knit-10/coupons', { codes: ['KNIT10'], usageLimit: 1 });
  await put('/promotions/all-5', {
    rule: { label: '5% on everything', action: { kind: 'percentOff', percentBp: 500 }, priority: -1 },
    budgetAmount: 100_000,
  });
  anna = await newMembers(ctx, 'preview')();
  await adjustPoints(ctx.deps, { customerId: anna, points: 10, reason: 'welcome' }, randomUUID());
});

afterAll(async () => {
  await admin?.close();
  await ctx?.close();
});

describe('the promotion preview', () => {
  it('prices a cart exactly as the quote pipeline does, with every adjustment and its reason', async () => {
    const lines = [
      { sku: SKU, quantity: 2 },
      { sku: OTHER, quantity: 1 },
    ];
    const p = await ok({ channel: 'CALL_CENTER', customerId: anna, lines, couponCodes: ['KNIT10', 'NOPE'] });
    const q = await quote(ctx.deps, { lines, customerId: anna, couponCodes: ['KNIT10', 'NOPE'] });
    expect(p.total).toEqual({ amount: q.total, currency: 'EUR' });
    expect(p.fingerprint).toBe(q.fingerprint);
    expect(p.revision).toBe(q.revision);
    expect(p.at).toBe(clock.now().toISOString());
    const knit = p.lines.find((l) => l.sku === SKU)!;
    expect(knit.unitPrice).toEqual({ amount: 4000, currency: 'EUR' });
    expect(knit.base).toEqual({ amount: 8000, currency: 'EUR' });
    expect(knit.adjustments.map((a) => a.id).sort()).toEqual(['all-5', 'knit-10']);
    for (const a of knit.adjustments) expect(a.reason.length).toBeGreaterThan(3);
    expect(p.appliedCoupons).toEqual(['KNIT10']);
    expect(p.rejectedCoupons).toEqual([{ code: 'NOPE', reason: 'unknown coupon code' }]);
    expect(p.loyalty).not.toBeNull();
    expect(p.subtotal.amount - p.discountTotal.amount).toBe(p.total.amount);
  });

  it('takes a draft promotion as if it were saved: new, or in place of the saved one', async () => {
    const lines = [{ sku: OTHER, quantity: 1 }];
    const draft = await ok({
      channel: 'WEB',
      lines,
      promotion: {
        id: 'scarf-20',
        rule: {
          label: '20% on scarves',
          action: { kind: 'percentOff', percentBp: 2000 },
          stacking: 'EXCLUSIVE',
        },
      },
    });
    expect(draft.lines[0]!.adjustments.map((a) => [a.id, a.amount.amount])).toEqual([['scarf-20', 800]]);
    expect((await admin.request('GET', '/admin/v1/promotions/scarf-20')).status).toBe(404);

    // The saved 5% replaced by a 50% draft of the same id; paused, it is gone.
    const replaced = await ok({
      channel: 'APP',
      lines,
      promotion: { id: 'all-5', rule: { label: 'half', action: { kind: 'percentOff', percentBp: 5000 } } },
    });
    expect(replaced.total.amount).toBe(2000);
    const paused = await ok({
      channel: 'APP',
      lines,
      promotion: {
        id: 'all-5',
        status: 'PAUSED',
        rule: { label: '5%', action: { kind: 'percentOff', percentBp: 500 } },
      },
    });
    expect(paused.total.amount).toBe(4000);
  });

  it('prices at any instant: a scheduled price and a promotion window as they stand then', async () => {
    const one = [{ sku: SKU, quantity: 1 }];
    const scheduledPromotion = {
      id: 'summer-knit',
      rule: {
        label: 'Summer knit',
        validFrom: SUMMER,
        conditions: [{ kind: 'sku', skus: [SKU] }],
        action: { kind: 'amountOff', amount: 500, currency: 'EUR' },
      },
    };
    const now = await ok({ channel: 'WEB', lines: one, promotion: scheduledPromotion });
    expect(now.lines[0]!.unitPrice.amount).toBe(4000);
    expect(now.lines[0]!.adjustments.map((a) => a.id)).toEqual(['all-5']);
    const june = await ok({
      channel: 'WEB',
      lines: one,
      at: '2026-06-02T12:00:00Z',
      promotion: scheduledPromotion,
    });
    expect(june.at).toBe('2026-06-02T12:00:00.000Z');
    expect(june.lines[0]!.unitPrice.amount).toBe(3000);
    expect(june.lines[0]!.adjustments.map((a) => a.id).sort()).toEqual(['all-5', 'summer-knit']);
  });

  it('changes nothing: no coupon counted, no budget spent, no hold, no row, no audit entry', async () => {
    const before = await everything();
    const counters = async () =>
      sql`SELECT (SELECT used_count FROM coupons WHERE code = 'KNIT10') AS used,
                 (SELECT budget_spent FROM promotions WHERE id = 'all-5') AS spent`.execute(ctx.deps.db);
    const countersBefore = (await counters()).rows;
    for (const channel of ['WEB', 'APP', 'CALL_CENTER'])
      await ok({
        channel,
        customerId: anna,
        lines: [{ sku: SKU, quantity: 3 }],
        couponCodes: ['KNIT10'],
        promotion: { id: 'draft', rule: { label: 'draft', action: { kind: 'percentOff', percentBp: 100 } } },
      });
    await ok({ channel: 'STORE', locationId: 'ams-01', lines: [{ sku: OTHER, quantity: 1 }] });
    expect(await everything()).toEqual(before);
    expect((await counters()).rows).toEqual(countersBefore);
  });

  it('refuses bad input with 400 and the field each error belongs to', async () => {
    const issues = async (body: unknown): Promise<string[]> => {
      const res = await preview(body);
      expect(res.status).toBe(400);
      expect(res.contentType).toContain('application/problem+json');
      expect(res.body.code).toBe('BAD_USER_INPUT');
      return (res.body.issues as Array<{ path: string }>).map((i) => i.path);
    };
    const line = [{ sku: SKU, quantity: 1 }];
    expect(await issues({ channel: 'FAX', lines: line })).toEqual(['body.channel']);
    expect(await issues({ channel: 'WEB', lines: [{ sku: SKU, quantity: 0 }] })).toEqual([
      'body.lines.0.quantity',
    ]);
    expect(await issues({ channel: 'WEB', lines: line, at: 'tomorrow' })).toEqual(['body.at']);
    expect(await issues({ channel: 'STORE', lines: line })).toEqual(['body.locationId']);
    expect(await issues({ channel: 'STORE', locationId: 'wh-1', lines: line })).toEqual(['body.locationId']);
    expect(await issues({ channel: 'WEB', locationId: 'nowhere', lines: line })).toEqual(['body.locationId']);
    expect(await issues({ channel: 'WEB', customerId: randomUUID(), lines: line })).toEqual([
      'body.customerId',
    ]);
    expect(
      await issues({
        channel: 'WEB',
        lines: [
          { sku: SKU, quantity: 1 },
          { sku: 'NO-SUCH', quantity: 1 },
        ],
      }),
    ).toEqual(['body.lines.1.sku']);
    expect(
      await issues({
        channel: 'WEB',
        lines: line,
        promotion: { id: 'x', rule: { label: 'x', action: { kind: 'percentOff', percentBp: 0 } } },
      }),
    ).toEqual(['body.promotion.rule.action.percentBp']);
    expect(await issues({ channel: 'WEB', lines: line, promotion: { rule: { label: 'no id' } } })).toEqual(
      expect.arrayContaining(['body.promotion.id']),
    );
  });
});
