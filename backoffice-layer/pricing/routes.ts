import { sql } from 'kysely';
import { z } from 'zod';
import { CurrencyCodeSchema, DomainError, IdSchema, SkuSchema } from '../../shared/index.js';
import type { Executor } from '../tables.js';
import { defineRoute, type AdminRoute } from '../admin-api/admin-route.js';
import { IsoDateTime, limitQuery, Revision, RevisionResponse } from '../admin-api/responses.js';
import {
  deletePrice,
  getPriceHistory,
  getPriceList,
  listPrices,
  setPrice,
  upsertPriceList,
  type PriceListView,
} from './pricing.js';
import { PriceBodySchema, PriceListBodySchema } from './pricing.schema.js';

const ListParams = z.strictObject({ id: IdSchema });
const PriceParams = z.strictObject({ id: IdSchema, sku: SkuSchema });
const SkuParams = z.strictObject({ sku: SkuSchema });

const PriceListViewSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    currency: z.string().length(3),
    priority: z.int().describe('Higher wins where lists overlap'),
    validFrom: IsoDateTime.nullable(),
    validTo: IsoDateTime.nullable(),
    revision: Revision,
  })
  .meta({ id: 'PriceList' });
const PriceSchema = z
  .object({
    priceListId: z.string(),
    sku: z.string(),
    minQuantity: z.int(),
    amount: z.int().describe('Minor units, VAT included'),
    validFrom: IsoDateTime.nullable(),
    validTo: IsoDateTime.nullable(),
  })
  .meta({ id: 'Price' });

/**
 * A price list in the list of them: its terms, whether it is in force now, and how many prices and SKUs it
 * holds.
 */
export interface PriceListSummary extends PriceListView {
  /** SCHEDULED: its window opens later; ENDED: its window closed; ACTIVE otherwise. */
  status: 'ACTIVE' | 'SCHEDULED' | 'ENDED';
  /** Price rows (every quantity tier and window counts). */
  prices: number;
  /** Distinct SKUs priced. */
  skus: number;
}

/**
 * Price lists in id order, `limit` at a time after the id `after`, with their currency, priority, window,
 * status at `now` and counts of prices and SKUs; `next` is the `after` of the following page, null on the
 * last. (Price lists apply to every channel: they have no channel of their own; `priority` decides where they
 * overlap.)
 */
export async function listPriceLists(
  db: Executor,
  opts: { limit: number; after?: string; currency?: string },
  now: Date,
): Promise<{ priceLists: PriceListSummary[]; next: string | null }> {
  let q = db
    .selectFrom('priceLists as l')
    .select(['l.id', 'l.name', 'l.currency', 'l.priority', 'l.validFrom', 'l.validTo', 'l.revision'])
    .select([
      sql<number>`(SELECT count(*)::int FROM prices p WHERE p.price_list_id = l.id)`.as('prices'),
      sql<number>`(SELECT count(DISTINCT p.sku)::int FROM prices p WHERE p.price_list_id = l.id)`.as('skus'),
    ])
    .orderBy('l.id')
    .limit(opts.limit + 1);
  if (opts.after) q = q.where('l.id', '>', opts.after);
  if (opts.currency) q = q.where('l.currency', '=', opts.currency);
  const rows = await q.execute();
  const page = rows.slice(0, opts.limit);
  return {
    priceLists: page.map((r) => ({
      id: r.id,
      name: r.name,
      currency: r.currency,
      priority: r.priority,
      validFrom: r.validFrom?.toISOString() ?? null,
      validTo: r.validTo?.toISOString() ?? null,
      revision: r.revision,
      status:
        r.validFrom && r.validFrom > now ? 'SCHEDULED' : r.validTo && r.validTo <= now ? 'ENDED' : 'ACTIVE',
      prices: r.prices,
      skus: r.skus,
    })),
    next: rows.length > opts.limit ? page.at(-1)!.id : null,
  };
}

export const pricingRoutes: readonly AdminRoute[] = [
  defineRoute({
    method: 'get',
    path: '/price-lists',
    tag: 'pricing',
    operationId: 'listPriceLists',
    summary:
      'Price lists in id order, paginated with `after`: currency, priority, window, status now, ' +
      'and counts of prices and SKUs',
    query: z.strictObject({
      limit: limitQuery(500, 100),
      after: IdSchema.optional().describe('The `next` of the previous page'),
      currency: CurrencyCodeSchema.optional(),
    }),
    response: z.object({
      priceLists: z.array(
        PriceListViewSchema.extend({
          status: z.enum(['ACTIVE', 'SCHEDULED', 'ENDED']),
          prices: z.int(),
          skus: z.int(),
        }),
      ),
      next: z.string().nullable().describe('Pass as `after` for the next page; null on the last'),
    }),
    handle: async ({ deps, query }) => listPriceLists(deps.db, query, deps.clock.now()),
  }),
  defineRoute({
    method: 'put',
    path: '/price-lists/:id',
    tag: 'pricing',
    operationId: 'putPriceList',
    summary: 'Create or update a price list (currency, priority, validity window)',
    params: ListParams,
    body: PriceListBodySchema,
    response: z.object({ priceList: PriceListViewSchema, revision: Revision, changed: z.boolean() }),
    handle: async ({ deps, params, body }) => upsertPriceList(deps, params.id, body),
  }),
  defineRoute({
    method: 'get',
    path: '/price-lists/:id',
    tag: 'pricing',
    operationId: 'getPriceList',
    summary: 'A price list and a page of its prices',
    params: ListParams,
    query: z.strictObject({ limit: limitQuery(1000, 200), after: SkuSchema.optional() }),
    response: z.object({
      priceList: PriceListViewSchema,
      prices: z.array(PriceSchema.extend({ revision: Revision })),
      next: z.string().nullable(),
    }),
    handle: async ({ deps, params, query }) => {
      const priceList = await getPriceList(deps.db, params.id);
      if (!priceList)
        throw new DomainError('NOT_FOUND', `No price list ${params.id}`, { priceListId: params.id });
      return { priceList, ...(await listPrices(deps.db, params.id, query)) };
    },
  }),
  defineRoute({
    method: 'put',
    path: '/price-lists/:id/prices/:sku',
    tag: 'pricing',
    operationId: 'putPrice',
    summary: 'Set a price (minor units) with an optional quantity tier and validity window',
    params: PriceParams,
    body: PriceBodySchema,
    response: z.object({ price: PriceSchema, revision: Revision, changed: z.boolean() }),
    handle: async ({ deps, params, body }) => setPrice(deps, params.id, params.sku, body),
  }),
  defineRoute({
    method: 'delete',
    path: '/price-lists/:id/prices/:sku',
    tag: 'pricing',
    operationId: 'deletePrice',
    summary: 'Remove a price tier (query minQuantity, default 1)',
    params: PriceParams,
    query: z.strictObject({ minQuantity: z.coerce.number().int().min(1).max(1_000_000).default(1) }),
    response: RevisionResponse,
    handle: async ({ deps, params, query }) => deletePrice(deps, params.id, params.sku, query.minQuantity),
  }),
  defineRoute({
    method: 'get',
    path: '/products/:sku/price-history',
    tag: 'pricing',
    operationId: 'getPriceHistory',
    summary: 'Every price change of a SKU, newest first',
    params: SkuParams,
    query: z.strictObject({
      limit: limitQuery(1000, 100),
      before: z.coerce.number().int().min(1).optional(),
    }),
    response: z.object({
      changes: z.array(
        z.object({
          id: z.int(),
          priceListId: z.string(),
          minQuantity: z.int(),
          amount: z.int().nullable().describe('null: the price was removed'),
          validFrom: IsoDateTime.nullable(),
          validTo: IsoDateTime.nullable(),
          revision: Revision,
          changedAt: IsoDateTime,
          source: z.string(),
        }),
      ),
      next: z.int().nullable(),
    }),
    handle: async ({ deps, params, query }) => getPriceHistory(deps.db, params.sku, query),
  }),
];
