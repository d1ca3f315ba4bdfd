import { z } from 'zod';
import {
  customersServed,
  defineRoute,
  hubHealth,
  KPI_CHANNELS,
  salesKpis,
  type AdminRoute,
  type KpiWindow,
} from '../../backoffice-layer/index.js';
import { DomainError } from '../../shared/index.js';
import { loyaltyMembersServed } from './members-served.js';

const DAY_MS = 86_400_000;
/** The longest window the figures are computed over: 366 days. */
export const MAX_KPI_WINDOW_DAYS = 366;

const Instant = z.iso.datetime({ offset: true });
const KpiQuery = z.strictObject({
  from: Instant.optional().describe('Start of the window, included (ISO 8601); with `to`'),
  to: Instant.optional().describe('End of the window, excluded (ISO 8601); with `from`'),
});

const Money = z
  .object({
    amount: z.int().describe('Minor units of `currency`'),
    currency: z.string().describe('ISO 4217'),
  })
  .meta({ id: 'KpiMoney' });
const figuresShape = {
  currency: z.string().describe('ISO 4217: the figures of one currency'),
  revenue: Money.describe('Sum of the totals of the orders placed in the window, cancelled ones excluded'),
  orders: z.int().describe('Orders placed in the window, cancelled ones excluded'),
  averageBasket: Money.nullable().describe('revenue / orders, rounded half-up to the minor unit'),
  onlineOrders: z.int().describe('Of `orders`, those placed online (not at a till)'),
  clickAndCollectOrders: z.int().describe('Of `onlineOrders`, those with a PICKUP fulfilment'),
  clickAndCollectShare: z
    .int()
    .min(0)
    .max(10_000)
    .nullable()
    .describe('clickAndCollectOrders / onlineOrders in basis points, half-up; null without online orders'),
  returns: z
    .object({ count: z.int(), refunded: Money })
    .describe(
      'Returns recorded in the window (by their order’s channel and currency) and what they refunded',
    ),
};
const Figures = z.object(figuresShape).meta({ id: 'KpiFigures' });
const Channel = z
  .enum(KPI_CHANNELS)
  .describe('A till sale is STORE; ADMIN: the admin API or no known channel');
const KpisView = z
  .object({
    from: Instant,
    to: Instant,
    sales: z.object({
      byChannel: z.array(z.object({ channel: Channel, ...figuresShape })),
      total: z.array(Figures).describe('All channels, per currency'),
    }),
    loyaltyMembersServed: z
      .object({
        total: z
          .int()
          .describe('Distinct customers with a loyalty account who placed an order in the window'),
        byChannel: z.array(z.object({ channel: Channel, members: z.int() })),
      })
      .describe('Cancelled orders excluded; a member served through two channels counts once in `total`'),
    health: z.object({
      revision: z.int().min(0).describe('The highest committed revision'),
      outboxBacklog: z.object({
        unpublished: z.int().describe('Outbox events not published yet'),
        undelivered: z.int().describe('Outbox events not yet applied by every consumer'),
      }),
      propagation: z
        .object({
          readModelRevision: z.int().nullable().describe('The read model’s watermark; null: none built'),
          lagRevisions: z.int().nullable().describe('Committed revisions not yet visible in the read model'),
          samples: z
            .array(
              z.object({
                at: Instant.describe('When the revision became visible'),
                revision: z.int().min(0),
                ms: z.int().min(0).describe('Commit → visible in milliseconds'),
              }),
            )
            .describe('The newest commit → visible times the worker measured (at most 300), oldest first'),
          p50Ms: z.int().nullable().describe('Median of `samples` in ms; null without samples'),
          p99Ms: z.int().nullable().describe('99th percentile of `samples` in ms (nearest rank)'),
        })
        .describe(
          'Commit → visible: the read model’s lag in revisions, and the latency the worker measured ' +
            '(omnihub_commit_to_visible_seconds) per revision',
        ),
      consistency: z
        .object({
          ok: z.boolean().describe('The read model equals a rebuild from PostgreSQL'),
          checkedAt: Instant,
          differences: z.int().min(0).describe('Places where the read model differs'),
          examples: z.array(z.string()).describe('The first five differences: `<sku or name> <section>`'),
        })
        .nullable()
        .describe(
          'The last periodic read-model check (every 5 minutes in each worker); null before the first',
        ),
    }),
  })
  .meta({ id: 'Kpis' });

/**
 * The window of a KPI query: [from, to) as given, or the current UTC day by the clock when neither is given.
 * Throws BAD_USER_INPUT (issues naming `query.from` / `query.to`) when only one is given, when `to` is not
 * after `from`, or when the window is longer than {@link MAX_KPI_WINDOW_DAYS} days.
 */
export function kpiWindow(query: { from?: string; to?: string }, now: Date): KpiWindow {
  const refuse = (path: string, message: string): never => {
    throw new DomainError('BAD_USER_INPUT', `Invalid query: ${path}: ${message}`, {
      issues: [{ path, message }],
    });
  };
  if (query.from === undefined && query.to === undefined) {
    const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    return { from, to: new Date(from.getTime() + DAY_MS) };
  }
  if (query.from === undefined) return refuse('query.from', 'give `from` with `to`');
  if (query.to === undefined) return refuse('query.to', 'give `to` with `from`');
  const from = new Date(query.from);
  const to = new Date(query.to);
  if (to.getTime() <= from.getTime()) return refuse('query.to', 'must be after `from`');
  if (to.getTime() - from.getTime() > MAX_KPI_WINDOW_DAYS * DAY_MS)
    return refuse('query.to', `the window may span at most ${MAX_KPI_WINDOW_DAYS} days`);
  return { from, to };
}

/**
 * `GET /admin/v1/kpis?from=&to=`: the figures staff steer by over [from, to) — sales per channel and per
 * currency (revenue and average basket in minor units, click & collect share in basis points, returns),
 * loyalty members served, and the hub's health (committed revision, outbox backlog, read model lag, the
 * newest commit → visible samples with p50/p99, the last read-model check's verdict).
 */
export const kpiRoutes: readonly AdminRoute[] = [
  defineRoute({
    method: 'get',
    path: '/kpis',
    tag: 'kpis',
    operationId: 'getKpis',
    summary:
      'The figures staff steer by over [from, to) (default: today, UTC): sales per channel and currency, ' +
      'loyalty members served, and the hub’s health',
    query: KpiQuery,
    response: KpisView,
    handle: async ({ deps, query }) => {
      const window = kpiWindow(query, deps.clock.now());
      const [sales, served, health] = await Promise.all([
        salesKpis(deps.db, window),
        customersServed(deps.db, window),
        hubHealth(deps),
      ]);
      return {
        from: window.from.toISOString(),
        to: window.to.toISOString(),
        sales,
        loyaltyMembersServed: await loyaltyMembersServed(deps.db, served),
        health,
      };
    },
  }),
];
