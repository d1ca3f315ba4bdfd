import { z } from 'zod';
import { DomainError, IdSchema, SkuSchema } from '../../shared/index.js';
import { defineRoute, type AdminRoute } from '../admin-api/admin-route.js';
import { IsoDateTime, Revision } from '../admin-api/responses.js';
import { FulfilmentSettingsSchema } from '../orders/fulfilment-settings.schema.js';
import {
  getLocation,
  getProduct,
  listLocations,
  listProducts,
  upsertLocation,
  upsertProduct,
} from './catalogue.js';
import {
  LocationBodySchema,
  LocationKindSchema,
  ProductBodySchema,
  ProductStatusSchema,
} from './catalogue.schema.js';

const SkuParams = z.strictObject({ sku: SkuSchema });
const LocationParams = z.strictObject({ id: IdSchema });
const ProductListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  after: SkuSchema.optional(),
  category: z.string().min(1).max(100).optional(),
  search: z.string().min(1).max(100).optional(),
});

/** A product as the admin API answers it (VAT both as basis points and in percent). */
const ProductView = z
  .object({
    sku: z.string(),
    name: z.string(),
    category: z.string(),
    attributes: z.record(z.string(), z.string()),
    vatRateBp: z.int(),
    vatRate: z.number(),
    status: ProductStatusSchema,
    revision: Revision,
    updatedAt: IsoDateTime,
  })
  .meta({ id: 'Product' });
const LocationView = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: LocationKindSchema,
    fulfilsOnline: z.boolean(),
    fulfilment: FulfilmentSettingsSchema.optional(),
    revision: Revision,
    updatedAt: IsoDateTime,
  })
  .meta({ id: 'Location' });

export const catalogueRoutes: readonly AdminRoute[] = [
  defineRoute({
    method: 'put',
    path: '/products/:sku',
    tag: 'catalogue',
    operationId: 'putProduct',
    response: z.object({ product: ProductView, revision: Revision, changed: z.boolean() }),
    summary: 'Create or update a product (name, category, attributes, VAT rate, status)',
    params: SkuParams,
    body: ProductBodySchema,
    handle: async ({ deps, params, body }) => upsertProduct(deps, params.sku, body),
  }),
  defineRoute({
    method: 'get',
    path: '/products/:sku',
    tag: 'catalogue',
    operationId: 'getProduct',
    response: z.object({ product: ProductView }),
    summary: 'One product',
    params: SkuParams,
    handle: async ({ deps, params }) => {
      const product = await getProduct(deps.db, params.sku);
      if (!product) throw new DomainError('NOT_FOUND', `No product ${params.sku}`, { sku: params.sku });
      return { product };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/products',
    tag: 'catalogue',
    operationId: 'listProducts',
    response: z.object({ products: z.array(ProductView), next: z.string().nullable() }),
    summary: 'Products in SKU order, paginated with `after`; filter by category or search text',
    query: ProductListQuery,
    handle: async ({ deps, query }) => listProducts(deps.db, query),
  }),
  defineRoute({
    method: 'put',
    path: '/locations/:id',
    tag: 'catalogue',
    operationId: 'putLocation',
    response: z.object({ location: LocationView, revision: Revision, changed: z.boolean() }),
    summary: 'Create or update a location (warehouse or store, ships online?) and its fulfilment settings',
    params: LocationParams,
    body: LocationBodySchema,
    handle: async ({ deps, params, body }) => upsertLocation(deps, params.id, body),
  }),
  defineRoute({
    method: 'get',
    path: '/locations/:id',
    tag: 'catalogue',
    operationId: 'getLocation',
    response: z.object({ location: LocationView }),
    summary: 'One location',
    params: LocationParams,
    handle: async ({ deps, params }) => {
      const location = await getLocation(deps.db, params.id);
      if (!location)
        throw new DomainError('NOT_FOUND', `No location ${params.id}`, { locationId: params.id });
      return { location };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/locations',
    tag: 'catalogue',
    operationId: 'listLocations',
    response: z.object({ locations: z.array(LocationView) }),
    summary: 'All locations',
    handle: async ({ deps }) => ({ locations: await listLocations(deps.db) }),
  }),
];
