import { z } from 'zod';
import {
  backofficeQualityChecks,
  defineRoute,
  QualityCheckResultSchema,
  type AdminRoute,
  type QualityCheckResult,
} from '../../backoffice-layer/index.js';
import type { Executor } from '../tables.js';
import { journeyQualityChecks } from './journey-checks.js';

const DataQualityQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20).describe('Items per check (1–100)'),
  staleDays: z.coerce
    .number()
    .int()
    .min(1)
    .max(3650)
    .default(30)
    .describe('A stock row with no count in this many days is stale (1–3650)'),
});

/**
 * The data-quality report: when it was computed (the clock's instant, ISO 8601) and every check, in a fixed
 * order (backoffice checks first, then the journey's).
 */
export interface DataQualityReport {
  at: string;
  checks: QualityCheckResult[];
}

const DataQualityReportSchema = z
  .object({
    at: z.iso.datetime({ offset: true }).describe('The instant the checks judged by'),
    checks: z.array(QualityCheckResultSchema),
  })
  .meta({ id: 'DataQualityReport' });

/**
 * Computes every data-quality check at the clock's instant: product-without-price, price-without-stock,
 * negative-stock, stale-stock-count, reserved-above-on-hand, price-schedule-gap (backoffice), then
 * duplicate-profile-candidates, invalid-identifier and conflicting-promotions (journey). One SQL statement
 * per check (invalid-identifier: one per page of identifiers); at most `limit` items each.
 */
export async function dataQualityReport(
  deps: { db: Executor; clock: { now(): Date }; config: { defaultCurrency: string } },
  opts: { limit: number; staleDays: number },
): Promise<DataQualityReport> {
  const now = deps.clock.now();
  const backoffice = await backofficeQualityChecks(deps.db, {
    now,
    currency: deps.config.defaultCurrency,
    staleDays: opts.staleDays,
    limit: opts.limit,
  });
  const journey = await journeyQualityChecks(deps.db, { now, limit: opts.limit });
  return { at: now.toISOString(), checks: [...backoffice, ...journey] };
}

/** `GET /admin/v1/data-quality`: the checks that break consistency, each with count, score and items. */
export const qualityRoutes: readonly AdminRoute[] = [
  defineRoute({
    method: 'get',
    path: '/data-quality',
    tag: 'quality',
    operationId: 'getDataQuality',
    summary: 'Data-quality checks: each with a count, a score (0–100) and the first items to fix',
    query: DataQualityQuery,
    response: DataQualityReportSchema,
    handle: async ({ deps, query }) => DataQualityReportSchema.parse(await dataQualityReport(deps, query)),
  }),
];
