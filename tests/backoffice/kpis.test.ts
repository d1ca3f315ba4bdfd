/**
 * GET /admin/v1/kpis over real HTTP with the admin key: a fixed set of orders across channels and
 * currencies, a cancelled one, orders and returns on both edges of the window, each figure worked by hand;
 * bad windows refused (400), a channel client key refused; the hub's health (revision, outbox backlog,
 * read model lag).
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  cancelOrder,
  commitReservation,
  publishPending,
  rebuildReadModel,
  recordStoreSale,
  reserveStock,
  returnItems,
  setStockCount,
} from '../../backoffice-layer/index.js';
import { createChannelClient } from '../../channel-layer/index.js';
import { adjustPoints } from '../../journey-layer/index.js';
import { currentRevision, ManualClock } from '../../shared/index.js';
import {
  createBackofficeTestContext,
  newMembers,
  startAdminApi,
  type AdminClient,
  type BackofficeTestContext,
} from '../support/backoffice.js';
import { givenCatalogue } from './stock/fixtures.js';

const clock = new ManualClock('2026-03-09T08:00:00Z');
const FROM = '2026-03-10T00:00:00.000Z';
const TO = '2026-03-11T00:00:00.000Z';
const SKU = 'KPI-COAT';
const WAREHOUSE = 'wh-1';
const STORE = 'utr-01';
let ctx: BackofficeTestContext;
let admin: AdminClient;
/** No worker has measured commit → visible here (the read model is built by hand): no samples. */
const NO_SAMPLES = { samples: [], p50Ms: null, p99Ms: null };
/** The revision of the last write before the figures are read. */
let lastRevision = 0;

/** Places an online order of one line at `at` through `channel`; PICKUP turns its fulfilment into one. */
async function online(
  at: string,
  o: { channel: string; amount: number; customerRef?: string; currency?: string; pickup?: boolean },
): Promise<string> {
  clock.set(new Date(at));
  const lines = [{ sku: SKU, locationId: o.pickup ? STORE : WAREHOUSE, quantity: 1 }];
  // No channel on the reservation: the order's channel is the one it is committed with (none for ADMIN).
  const r = await reserveStock(ctx.deps, { lines }, randomUUID());
  const placed = await commitReservation(
    ctx.deps,
    {
      reservationId: r.reservation.id,
      currency: o.currency ?? 'EUR',
      customerRef: o.customerRef ?? null,
      ...(o.channel === 'ADMIN' ? {} : { channel: o.channel }),
      lines: lines.map((l) => ({ ...l, unitAmount: o.amount, lineAmount: o.amount })),
    },
    randomUUID(),
  );
  if (o.pickup)
    await ctx.deps.db
      .updateTable('fulfilments')
      .set({ method: 'PICKUP' })
      .where('orderId', '=', placed.orderId)
      .execute();
  lastRevision = placed.revision;
  return placed.orderId;
}

async function kpis(query: string) {
  return admin.request('GET', `/admin/v1/kpis${query}`);
}

const eur = (amount: number) => ({ amount, currency: 'EUR' });
const usd = (amount: number) => ({ amount, currency: 'USD' });
const noReturns = (currency: string) => ({ count: 0, refunded: { amount: 0, currency } });

beforeAll(async () => {
  ctx = await createBackofficeTestContext({ clock });
  admin = await startAdminApi(ctx);
  await givenCatalogue(ctx, [SKU], [WAREHOUSE, STORE], {
    [`${SKU}@${WAREHOUSE}`]: 1000,
    [`${SKU}@${STORE}`]: 1000,
  });
  const member = newMembers(ctx, 'kpi');
  const members: string[] = [];
  for (let i = 0; i < 5; i++) members.push(await member());
  const [m1, m2, m3, m4, m5] = members as [string, string, string, string, string];
  // m1–m5 hold a loyalty account (their first points open it); `enrolled` has a profile and no account.
  for (const customerId of members)
    await adjustPoints(ctx.deps, { customerId, points: 10, reason: 'welcome' }, randomUUID());
  const enrolled = await member();

  // Outside the window: 1 ms before `from`, and exactly at `to`.
  await online('2026-03-09T23:59:59.999Z', { channel: 'WEB', amount: 888, customerRef: m5 });
  // In the window.
  await online('2026-03-10T08:00:00Z', { channel: 'WEB', amount: 1000, customerRef: m1 });
  await online('2026-03-10T09:00:00Z', {
    channel: 'WEB',
    amount: 2501,
    customerRef: 'guest-7',
    pickup: true,
  });
  await online('2026-03-10T10:00:00Z', { channel: 'APP', amount: 999, customerRef: m2 });
  await online('2026-03-10T10:30:00Z', { channel: 'APP', amount: 1001, customerRef: m3, currency: 'USD' });
  await online('2026-03-10T11:00:00Z', {
    channel: 'CALL_CENTER',
    amount: 2001,
    customerRef: m2,
    pickup: true,
  });
  await online('2026-03-10T12:00:00Z', { channel: 'CONSOLE', amount: 300, customerRef: m1 });
  await online('2026-03-10T13:00:00Z', { channel: 'ADMIN', amount: 700, customerRef: enrolled });
  const cancelled = await online('2026-03-10T14:00:00Z', { channel: 'WEB', amount: 5000, customerRef: m4 });
  await cancelOrder(ctx.deps, cancelled, {}, randomUUID(), { actor: 'admin:test', channel: 'ADMIN' });
  clock.set(new Date('2026-03-10T15:00:00Z'));
  const sale = await recordStoreSale(
    ctx.deps,
    {
      locationId: STORE,
      currency: 'EUR',
      customerRef: m1,
      lines: [{ sku: SKU, quantity: 3, unitAmount: 500 }],
    },
    randomUUID(),
  );
  clock.set(new Date('2026-03-10T16:00:00Z'));
  const ret = await returnItems(
    ctx.deps,
    { orderId: sale.orderId, locationId: STORE, lines: [{ sku: SKU, quantity: 1, sellable: true }] },
    randomUUID(),
  );
  expect(ret.refundAmount).toBe(500);
  // At `to`: neither this order nor this return counts.
  await online(TO, { channel: 'WEB', amount: 777, customerRef: m5 });
  clock.set(new Date(TO));
  lastRevision = (
    await returnItems(
      ctx.deps,
      { orderId: sale.orderId, locationId: STORE, lines: [{ sku: SKU, quantity: 1, sellable: true }] },
      randomUUID(),
    )
  ).revision;
  clock.set(new Date('2026-03-10T18:00:00Z'));
}, 60_000);

afterAll(async () => {
  await admin?.close();
  await ctx?.close();
});

describe('GET /admin/v1/kpis', () => {
  it('answers every sales figure of [from, to) per channel and per currency, as worked by hand', async () => {
    const res = await kpis(`?from=${FROM}&to=${TO}`);
    expect(res.status).toBe(200);
    const body = res.body as Record<string, unknown>;
    expect(body.from).toBe(FROM);
    expect(body.to).toBe(TO);
    // WEB: 1000 (delivery) + 2501 (pickup); the cancelled 5000, the 888 before `from` and the 777 at `to`
    // are left out. Average 3501 / 2 = 1750.5 → 1751 (half-up); click & collect 1 of 2 online = 5000 bp.
    // STORE: the till sale 3 × 500, not online (share null), one return of 500 in the window (the second
    // return, at `to`, is left out). CONSOLE 300, ADMIN 700 (placed with no channel), CALL_CENTER 2001 as
    // a pickup (10000 bp), APP 999 EUR and 1001 USD.
    expect(body.sales).toEqual({
      byChannel: [
        {
          channel: 'WEB',
          currency: 'EUR',
          revenue: eur(3501),
          orders: 2,
          averageBasket: eur(1751),
          onlineOrders: 2,
          clickAndCollectOrders: 1,
          clickAndCollectShare: 5000,
          returns: noReturns('EUR'),
        },
        {
          channel: 'APP',
          currency: 'EUR',
          revenue: eur(999),
          orders: 1,
          averageBasket: eur(999),
          onlineOrders: 1,
          clickAndCollectOrders: 0,
          clickAndCollectShare: 0,
          returns: noReturns('EUR'),
        },
        {
          channel: 'STORE',
          currency: 'EUR',
          revenue: eur(1500),
          orders: 1,
          averageBasket: eur(1500),
          onlineOrders: 0,
          clickAndCollectOrders: 0,
          clickAndCollectShare: null,
          returns: { count: 1, refunded: eur(500) },
        },
        {
          channel: 'CALL_CENTER',
          currency: 'EUR',
          revenue: eur(2001),
          orders: 1,
          averageBasket: eur(2001),
          onlineOrders: 1,
          clickAndCollectOrders: 1,
          clickAndCollectShare: 10000,
          returns: noReturns('EUR'),
        },
        {
          channel: 'CONSOLE',
          currency: 'EUR',
          revenue: eur(300),
          orders: 1,
          averageBasket: eur(300),
          onlineOrders: 1,
          clickAndCollectOrders: 0,
          clickAndCollectShare: 0,
          returns: noReturns('EUR'),
        },
        {
          channel: 'ADMIN',
          currency: 'EUR',
          revenue: eur(700),
          orders: 1,
          averageBasket: eur(700),
          onlineOrders: 1,
          clickAndCollectOrders: 0,
          clickAndCollectShare: 0,
          returns: noReturns('EUR'),
        },
        {
          channel: 'APP',
          currency: 'USD',
          revenue: usd(1001),
          orders: 1,
          averageBasket: usd(1001),
          onlineOrders: 1,
          clickAndCollectOrders: 0,
          clickAndCollectShare: 0,
          returns: noReturns('USD'),
        },
      ],
      // EUR: 3501 + 999 + 1500 + 2001 + 300 + 700 = 9001 over 7 orders = 1285.86 → 1286; online 6, of
      // which 2 pickups: 3333.3 → 3333 bp.
      total: [
        {
          currency: 'EUR',
          revenue: eur(9001),
          orders: 7,
          averageBasket: eur(1286),
          onlineOrders: 6,
          clickAndCollectOrders: 2,
          clickAndCollectShare: 3333,
          returns: { count: 1, refunded: eur(500) },
        },
        {
          currency: 'USD',
          revenue: usd(1001),
          orders: 1,
          averageBasket: usd(1001),
          onlineOrders: 1,
          clickAndCollectOrders: 0,
          clickAndCollectShare: 0,
          returns: noReturns('USD'),
        },
      ],
    });
    // Members: m1 (WEB, STORE, CONSOLE), m2 (APP, CALL_CENTER), m3 (APP, in USD); the guest is none, m4's
    // order was cancelled, m5 ordered only outside the window, the ADMIN order's customer holds no account.
    // Distinct in total: 3.
    expect(body.loyaltyMembersServed).toEqual({
      total: 3,
      byChannel: [
        { channel: 'WEB', members: 1 },
        { channel: 'APP', members: 2 },
        { channel: 'STORE', members: 1 },
        { channel: 'CALL_CENTER', members: 1 },
        { channel: 'CONSOLE', members: 1 },
      ],
    });
  });

  it('defaults to the current UTC day by the clock', async () => {
    clock.set(new Date('2026-03-10T23:30:00+02:00')); // 21:30 UTC on the 10th
    const res = await kpis('');
    expect(res.status).toBe(200);
    const body = res.body as { from: string; to: string; sales: { total: Array<{ orders: number }> } };
    expect([body.from, body.to]).toEqual([FROM, TO]);
    expect(body.sales.total.map((t) => t.orders)).toEqual([7, 1]);
    clock.set(new Date('2026-03-12T10:00:00Z'));
    const empty = (await kpis('')).body as Record<string, unknown>;
    expect(empty.sales).toEqual({ byChannel: [], total: [] });
    expect(empty.loyaltyMembersServed).toEqual({ total: 0, byChannel: [] });
  });

  it('moves with the window: [to, to + 1 day) holds the order and the return at `to`', async () => {
    const body = (await kpis(`?from=${TO}&to=2026-03-12T00:00:00Z`)).body as {
      sales: { total: unknown[] };
    };
    expect(body.sales.total).toEqual([
      {
        currency: 'EUR',
        revenue: eur(777),
        orders: 1,
        averageBasket: eur(777),
        onlineOrders: 1,
        clickAndCollectOrders: 0,
        clickAndCollectShare: 0,
        returns: { count: 1, refunded: eur(500) },
      },
    ]);
  });

  it.each([
    ['`to` not after `from`', `?from=${TO}&to=${TO}`, 'query.to'],
    ['`to` before `from`', `?from=${TO}&to=${FROM}`, 'query.to'],
    ['a window over 366 days', '?from=2025-01-01T00:00:00Z&to=2026-01-02T00:00:01Z', 'query.to'],
    ['`from` alone', `?from=${FROM}`, 'query.to'],
    ['`to` alone', `?to=${TO}`, 'query.from'],
    ['a date without a time', '?from=2026-03-10&to=2026-03-11', 'query.from'],
    ['no instant at all', `?from=yesterday&to=${TO}`, 'query.from'],
    ['an unknown parameter', `?from=${FROM}&to=${TO}&channel=WEB`, 'query.channel'],
  ])('refuses %s with 400 problem+json', async (_what, query, path) => {
    const res = await kpis(query);
    expect(res.status).toBe(400);
    expect(res.contentType).toContain('application/problem+json');
    const body = res.body as { code: string; issues: Array<{ path: string }> };
    expect(body.code).toBe('BAD_USER_INPUT');
    expect(body.issues.map((i) => i.path)).toContain(path);
  });

  it('takes a window of exactly 366 days', async () => {
    const res = await kpis('?from=2025-03-11T00:00:00Z&to=2026-03-12T00:00:00Z');
    expect(res.status).toBe(200);
    expect((res.body as { sales: { total: Array<{ orders: number }> } }).sales.total[0]!.orders).toBe(9);
  });

  it('refuses a channel client key and no key', async () => {
    const web = await createChannelClient(ctx.deps.db, { channel: 'WEB', scopes: [] }, clock.now());
    const withKey = await fetch(`${admin.baseUrl}/admin/v1/kpis`, {
      headers: { authorization: `Bearer ${web.key}` },
    });
    expect([401, 403]).toContain(withKey.status);
    expect(withKey.headers.get('content-type')).toContain('application/problem+json');
    expect((await fetch(`${admin.baseUrl}/admin/v1/kpis`)).status).toBe(401);
  });

  it('reports the hub’s health: committed revision, outbox backlog, read model lag', async () => {
    const before = (await kpis('')).body as { health: unknown };
    const outbox = await sql<{ n: number }>`SELECT count(*)::int AS n FROM outbox`.execute(ctx.deps.db);
    const events = outbox.rows[0]!.n;
    // Nothing relayed, no consumer has run, no read model built.
    expect(before.health).toEqual({
      revision: lastRevision,
      outboxBacklog: { unpublished: events, undelivered: 0 },
      propagation: { readModelRevision: null, lagRevisions: null, ...NO_SAMPLES },
      consistency: null,
    });
    expect(await currentRevision(ctx.deps.db)).toBe(lastRevision);

    // Published; one consumer (from position 0) has applied all but the newest two events.
    expect(await publishPending(ctx.deps)).toBe(events);
    await sql`INSERT INTO consumer_watermarks (consumer, position, revision, updated_at)
              VALUES ('probe', 0, 0, now())`.execute(ctx.deps.db);
    await sql`INSERT INTO applied_events (consumer, event_id, revision, applied_at)
              SELECT 'probe', id, revision, now() FROM outbox
              ORDER BY position LIMIT ${events - 2}`.execute(ctx.deps.db);
    await rebuildReadModel(ctx.deps);
    const built = (await kpis('')).body as { health: unknown };
    expect(built.health).toEqual({
      revision: lastRevision,
      outboxBacklog: { unpublished: 0, undelivered: 2 },
      propagation: { readModelRevision: lastRevision, lagRevisions: 0, ...NO_SAMPLES },
      consistency: null,
    });

    // A change committed but not applied to the read model: one revision behind.
    const count = await setStockCount(ctx.deps, SKU, WAREHOUSE, { onHand: 500 });
    const after = (await kpis('')).body as { health: unknown };
    expect(after.health).toEqual({
      revision: count.revision,
      outboxBacklog: { unpublished: 1, undelivered: 3 },
      propagation: {
        readModelRevision: lastRevision,
        lagRevisions: count.revision - lastRevision,
        ...NO_SAMPLES,
      },
      consistency: null,
    });
  });
});
