import { sql } from 'kysely';
import { CHANNEL_KINDS } from '../../shared/index.js';
import type { Executor } from '../tables.js';

/**
 * The channels the figures are split by: the channel kinds, and `ADMIN` for every order placed through the
 * admin REST API, with no channel or with one that is none of the kinds.
 */
export const KPI_CHANNELS = [...CHANNEL_KINDS, 'ADMIN'] as const;
export type KpiChannel = (typeof KPI_CHANNELS)[number];

/** A half-open window of instants, [from, to). */
export interface KpiWindow {
  from: Date;
  to: Date;
}

/** Money in integer minor units of `currency` (ISO 4217). */
export interface KpiMoney {
  amount: number;
  currency: string;
}

/**
 * The sales figures of one channel (or of all of them) in one currency:
 * - `revenue`: the sum of the totals of the orders placed in the window, cancelled orders excluded;
 * - `orders`: how many those are; `averageBasket`: revenue / orders rounded half-up to the minor unit;
 * - `onlineOrders`: those of them placed online (not at a till), `clickAndCollectOrders`: those online with
 *   a PICKUP fulfilment, `clickAndCollectShare`: the latter's share of the former in basis points (0–10000,
 *   rounded half-up), null without online orders;
 * - `returns`: the returns recorded in the window (of orders of this channel and currency, placed whenever)
 *   and the amount they refunded.
 */
export interface SalesFigures {
  currency: string;
  revenue: KpiMoney;
  orders: number;
  averageBasket: KpiMoney | null;
  onlineOrders: number;
  clickAndCollectOrders: number;
  clickAndCollectShare: number | null;
  returns: { count: number; refunded: KpiMoney };
}

/** The sales figures of a window: per channel and currency, and in total per currency. */
export interface SalesKpis {
  byChannel: Array<SalesFigures & { channel: KpiChannel }>;
  total: SalesFigures[];
}

/** The order's channel as the figures name it: a till sale is STORE, any unknown channel ADMIN. */
const channelKey = sql<KpiChannel>`CASE WHEN o.kind = 'STORE' THEN 'STORE'
  WHEN o.channel IN (${sql.join(CHANNEL_KINDS.map((c) => sql.lit(c)))}) THEN o.channel
  ELSE 'ADMIN' END`;

interface OrderRow {
  channel: KpiChannel | null;
  currency: string;
  orders: number;
  revenue: string;
  average: string | null;
  online: number;
  pickup: number;
  share: number | null;
}

interface ReturnRow {
  channel: KpiChannel | null;
  currency: string;
  count: number;
  refunded: string;
}

/**
 * The sales figures of the orders placed and the returns recorded in `window` (see {@link SalesFigures}),
 * aggregated in PostgreSQL: one statement for the orders, one for the returns, each grouped by channel and
 * currency and by currency alone. An order counts by its status now: one placed in the window and cancelled
 * since is not counted. Channels and currencies without an order or a return are left out; rows are sorted
 * by currency, then in the order of KPI_CHANNELS.
 */
export async function salesKpis(db: Executor, window: KpiWindow): Promise<SalesKpis> {
  const [orders, returns] = await Promise.all([
    sql<OrderRow>`
      SELECT CASE WHEN grouping(x.channel) = 1 THEN NULL ELSE x.channel END AS channel, x.currency,
        count(*)::int AS orders, sum(x.total_amount)::text AS revenue,
        round(sum(x.total_amount)::numeric / count(*))::text AS average,
        count(*) FILTER (WHERE x.online)::int AS online,
        count(*) FILTER (WHERE x.online AND x.pickup)::int AS pickup,
        round(10000.0 * count(*) FILTER (WHERE x.online AND x.pickup)
          / nullif(count(*) FILTER (WHERE x.online), 0))::int AS share
      FROM (
        SELECT ${channelKey} AS channel, o.currency, o.total_amount, o.kind = 'ONLINE' AS online,
          EXISTS (SELECT 1 FROM fulfilments f WHERE f.order_id = o.id AND f.method = 'PICKUP') AS pickup
        FROM orders o
        WHERE o.created_at >= ${window.from} AND o.created_at < ${window.to} AND o.status <> 'CANCELLED'
      ) x
      GROUP BY GROUPING SETS ((x.currency, x.channel), (x.currency))`.execute(db),
    sql<ReturnRow>`
      SELECT CASE WHEN grouping(x.channel) = 1 THEN NULL ELSE x.channel END AS channel, x.currency,
        count(*)::int AS count, sum(x.refund_amount)::text AS refunded
      FROM (
        SELECT ${channelKey} AS channel, o.currency, r.refund_amount
        FROM returns r JOIN orders o ON o.id = r.order_id
        WHERE r.created_at >= ${window.from} AND r.created_at < ${window.to}
      ) x
      GROUP BY GROUPING SETS ((x.currency, x.channel), (x.currency))`.execute(db),
  ]);
  const figures = new Map<string, SalesFigures & { channel: KpiChannel | null }>();
  const entry = (channel: KpiChannel | null, currency: string) => {
    const key = `${currency} ${channel ?? ''}`;
    let f = figures.get(key);
    if (!f) {
      f = {
        channel,
        currency,
        revenue: { amount: 0, currency },
        orders: 0,
        averageBasket: null,
        onlineOrders: 0,
        clickAndCollectOrders: 0,
        clickAndCollectShare: null,
        returns: { count: 0, refunded: { amount: 0, currency } },
      };
      figures.set(key, f);
    }
    return f;
  };
  for (const r of orders.rows) {
    const f = entry(r.channel, r.currency);
    f.revenue.amount = Number(r.revenue);
    f.orders = r.orders;
    f.averageBasket = r.average === null ? null : { amount: Number(r.average), currency: r.currency };
    f.onlineOrders = r.online;
    f.clickAndCollectOrders = r.pickup;
    f.clickAndCollectShare = r.share;
  }
  for (const r of returns.rows)
    entry(r.channel, r.currency).returns = {
      count: r.count,
      refunded: { amount: Number(r.refunded), currency: r.currency },
    };
  const sorted = [...figures.values()].sort(
    (a, b) =>
      a.currency.localeCompare(b.currency) ||
      (a.channel === null ? -1 : KPI_CHANNELS.indexOf(a.channel)) -
        (b.channel === null ? -1 : KPI_CHANNELS.indexOf(b.channel)),
  );
  return {
    byChannel: sorted.flatMap(({ channel, ...f }) => (channel === null ? [] : [{ channel, ...f }])),
    total: sorted.flatMap(({ channel, ...f }) => (channel === null ? [f] : [])),
  };
}

/**
 * The customers who placed an order in `window` (cancelled orders excluded), once per channel they
 * ordered through: their references as the orders carry them, for the layer that knows who is a loyalty
 * member. One row per distinct (channel, customer), never one per order.
 */
export async function customersServed(
  db: Executor,
  window: KpiWindow,
): Promise<Array<{ channel: KpiChannel; customerRef: string }>> {
  const r = await sql<{ channel: KpiChannel; customerRef: string }>`
    SELECT DISTINCT ${channelKey} AS channel, o.customer_ref AS "customerRef"
    FROM orders o
    WHERE o.created_at >= ${window.from} AND o.created_at < ${window.to} AND o.status <> 'CANCELLED'
      AND o.customer_ref IS NOT NULL`.execute(db);
  return r.rows;
}
