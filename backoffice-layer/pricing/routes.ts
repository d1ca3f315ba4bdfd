import { z } from 'zod';
import { DomainError } from '../../shared/index.js';
import { defineRoute, type AdminRoute } from '../admin-api/admin-route.js';
import { CodeSchema, SkuSchema } from '../catalogue/catalogue.schema.js';
import { deletePrice, getPriceHistory, getPriceList, listPrices, setPrice, upsertPriceList } from './pricing.js';
import { PriceBodySchema, PriceListBodySchema } from './pricing.schema.js';

const ListParams = z.strictObject({ id: CodeSchema });
const PriceParams = z.strictObject({ id: CodeSchema, sku: SkuSchema });
const SkuParams = z.strictObject({ sku: SkuSchema });

export const pricingRoutes: readonly AdminRoute[] = [
  defineRoute({
    method: 'put', path: '/price-lists/:id', tag: 'pricing', summary: 'Create or update a price list (currency, priority, validity window)',
    params: ListParams, body: PriceListBodySchema,
    handle: async ({ deps, params, body }) => upsertPriceList(deps, params.id, body),
  }),
  defineRoute({
    method: 'get', path: '/price-lists/:id', tag: 'pricing', summary: 'A price list and a page of its prices',
    params: ListParams, query: z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(200), after: SkuSchema.optional() }),
    handle: async ({ deps, params, query }) => {
      const priceList = await getPriceList(deps.db, params.id);
      if (!priceList) throw new DomainError('NOT_FOUND', `No price list ${params.id}`, { priceListId: params.id });
      return { priceList, ...(await listPrices(deps.db, params.id, query)) };
    },
  }),
  defineRoute({
    method: 'put', path: '/price-lists/:id/prices/:sku', tag: 'pricing', summary: 'Set a price (minor units) with an optional quantity tier and validity window',
    params: PriceParams, body: PriceBodySchema,
    handle: async ({ deps, params, body }) => setPrice(deps, params.id, params.sku, body),
  }),
  defineRoute({
    method: 'delete', path: '/price-lists/:id/prices/:sku', tag: 'pricing', summary: 'Remove a price tier (query minQuantity, default 1)',
    params: PriceParams, query: z.strictObject({ minQuantity: z.coerce.number().int().min(1).max(1_000_000).default(1) }),
    handle: async ({ deps, params, query }) => deletePrice(deps, params.id, params.sku, query.minQuantity),
  }),
  defineRoute({
    method: 'get', path: '/products/:sku/price-history', tag: 'pricing', summary: 'Every price change of a SKU, newest first',
    params: SkuParams, query: z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(100), before: z.coerce.number().int().min(1).optional() }),
    handle: async ({ deps, params, query }) => getPriceHistory(deps.db, params.sku, query),
  }),
];
