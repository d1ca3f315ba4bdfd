import { z } from 'zod';
import { DomainError, LocationIdSchema, SkuSchema, UuidSchema } from '../../shared/index.js';
import { defineRoute, type AdminRoute } from '../admin-api/admin-route.js';
import { idempotencyKey } from '../admin-api/idempotency-header.js';
import { IsoDateTime, limitQuery, Revision } from '../admin-api/responses.js';
import { listStockMovements } from './ledger.js';
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
const StockMovement = z
  .object({
    id: z.int().min(1).describe('The entry\u2019s id, ascending in the order entries were written'),
    at: IsoDateTime,
    locationId: z.string(),
    kind: z.enum([
      'RECEIPT',
      'ADJUSTMENT',
      'TRANSFER_OUT',
      'TRANSFER_IN',
      'RESERVATION',
      'RELEASE',
      'SALE',
      'RETURN',
      'COUNT',
      'DISCREPANCY',
    ]),
    reason: z
      .string()
      .nullable()
      .describe('An adjustment\u2019s reason, `import`, a discrepancy\u2019s cause'),
    onHandDelta: z.int(),
    reservedDelta: z.int(),
    safetyStockDelta: z.int(),
    onHandAfter: z.int().describe('On hand at the location right after this entry'),
    reservedAfter: z.int(),
    safetyStockAfter: z.int(),
    reference: z
      .string()
      .nullable()
      .describe(
        'Order id, reservation id, a receipt\u2019s or transfer\u2019s reference or Idempotency-Key, `count`',
      ),
    actor: z
      .string()
      .nullable()
      .describe(
        'Who, when the admin API\u2019s audit trail recorded the write (`admin:<name>`, `client:<id>`)',
      ),
    revision: Revision,
  })
  .meta({ id: 'StockMovement' });
const StockMovementQuery = z.strictObject({
  locationId: LocationIdSchema.optional().describe('One location; absent: every location'),
  after: z.string().min(1).max(200).optional().describe('The `next` cursor of the previous page'),
  limit: limitQuery(200, 50),
});

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
    method: 'get',
    path: '/stock/:sku/movements',
    tag: 'stock',
    operationId: 'listStockMovements',
    response: z.object({
      sku: z.string(),
      movements: z.array(StockMovement),
      next: z.string().nullable().describe('Pass as `after` for the next page; null on the last'),
    }),
    summary:
      'The movement ledger of a SKU newest first, at one location or all, paginated with `after`: each ' +
      'receipt, adjustment, transfer end, count, reservation, release, sale, return with the level after it',
    params: z.strictObject({ sku: SkuSchema }),
    query: StockMovementQuery,
    handle: async ({ deps, params, query }) => {
      const page = await listStockMovements(deps.db, params.sku, query);
      return {
        sku: params.sku,
        movements: page.movements.map((m) => ({ ...m, at: m.at.toISOString() })),
        next: page.next,
      };
    },
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
