import { z } from 'zod';
import { DomainError, LocationIdSchema, SkuSchema, UuidSchema } from '../../shared/index.js';
import { defineRoute, type AdminRoute } from '../admin-api/admin-route.js';
import { idempotencyKey } from '../admin-api/idempotency-header.js';
import { IsoDateTime, Revision } from '../admin-api/responses.js';
import { reserveStock } from './reservation-queue.js';
import { getReservation, releaseReservation } from './reservations.js';
import { applyStockMovements, setStockCount } from './stock.js';
import { getStockLevels } from './levels.js';
import { ReserveBodySchema, StockCountBodySchema, StockMovementsBodySchema } from './stock.schema.js';

const StockLevel = z
  .object({
    sku: z.string(),
    locationId: z.string(),
    onHand: z.int(),
    reserved: z.int(),
    safetyStock: z.int(),
    available: z.int().describe('On hand − reserved − safety stock, never below 0'),
    revision: Revision,
  })
  .meta({ id: 'StockLevel' });
const Reservation = z
  .object({
    id: UuidSchema,
    status: z.enum(['ACTIVE', 'COMMITTED', 'RELEASED', 'EXPIRED']),
    channel: z.string().nullable(),
    clientId: z.string().nullable(),
    customerId: z.string().nullable(),
    lines: z.array(z.object({ sku: z.string(), locationId: z.string(), quantity: z.int() })),
    expiresAt: IsoDateTime,
    revision: Revision,
  })
  .meta({ id: 'Reservation' });

export const stockRoutes: readonly AdminRoute[] = [
  defineRoute({
    method: 'put',
    path: '/stock/:sku/:locationId',
    tag: 'stock',
    operationId: 'putStockCount',
    errors: ['CONFLICT'],
    response: z.object({ level: StockLevel, revision: Revision, changed: z.boolean() }),
    summary: 'Stock count: set on-hand (and safety stock) of a SKU at a location; optional expectedRevision',
    params: z.strictObject({ sku: SkuSchema, locationId: LocationIdSchema }),
    body: StockCountBodySchema,
    handle: async ({ deps, params, body }) => setStockCount(deps, params.sku, params.locationId, body),
  }),
  defineRoute({
    method: 'get',
    path: '/stock/:sku',
    tag: 'stock',
    operationId: 'getStockLevels',
    response: z.object({ sku: z.string(), levels: z.array(StockLevel) }),
    summary: 'Stock levels of a SKU at every location, with what is available',
    params: z.strictObject({ sku: SkuSchema }),
    handle: async ({ deps, params }) => ({
      sku: params.sku,
      levels: (await getStockLevels(deps.db, [params.sku])).get(params.sku) ?? [],
    }),
  }),
  defineRoute({
    method: 'post',
    path: '/stock/movements',
    tag: 'stock',
    operationId: 'applyStockMovements',
    idempotencyKey: 'required',
    errors: ['NOT_FOUND', 'CONFLICT'],
    response: z.object({
      levels: z.array(StockLevel),
      revision: Revision,
      replayed: z.boolean().describe('true: the answer to an earlier request with this Idempotency-Key'),
    }),
    summary: 'Receipts, adjustments and transfers as one all-or-nothing batch (Idempotency-Key header)',
    body: StockMovementsBodySchema,
    handle: async ({ deps, body, raw }) => applyStockMovements(deps, body, idempotencyKey(raw)),
  }),
  defineRoute({
    method: 'post',
    path: '/reservations',
    tag: 'stock',
    operationId: 'reserveStock',
    idempotencyKey: 'required',
    errors: ['NOT_FOUND', 'CONFLICT', 'INSUFFICIENT_STOCK'],
    response: z.object({ reservation: Reservation, revision: Revision, replayed: z.boolean() }),
    summary: 'Reserve stock, all lines or none (Idempotency-Key header); expires after ttlSeconds',
    status: 201,
    body: ReserveBodySchema,
    handle: async ({ deps, body, raw }) =>
      reserveStock(deps, { ...body, channel: body.channel ?? 'ADMIN' }, idempotencyKey(raw)),
  }),
  defineRoute({
    method: 'get',
    path: '/reservations/:id',
    tag: 'stock',
    operationId: 'getReservation',
    response: z.object({ reservation: Reservation }),
    summary: 'One reservation',
    params: z.strictObject({ id: UuidSchema }),
    handle: async ({ deps, params }) => {
      const reservation = await getReservation(deps.db, params.id);
      if (!reservation)
        throw new DomainError('NOT_FOUND', `No reservation ${params.id}`, { reservationId: params.id });
      return { reservation };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/reservations/:id/release',
    tag: 'stock',
    operationId: 'releaseReservation',
    response: z.object({ reservation: Reservation, revision: Revision }),
    summary: 'Release a reservation\u2019s units (idempotent)',
    params: z.strictObject({ id: UuidSchema }),
    handle: async ({ deps, params }) => releaseReservation(deps, params.id),
  }),
];
