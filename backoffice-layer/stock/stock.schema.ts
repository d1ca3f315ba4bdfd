import { z } from 'zod';
import {
  AmountSchema,
  KnownCurrencySchema,
  LocationIdSchema,
  MAX_LINE_QUANTITY,
  SkuSchema,
  UuidSchema,
  WriteOriginSchema,
} from '../../shared/index.js';

/** Largest unit count for one stock level or movement; far above any real shelf, far below int4 overflow. */
export const MAX_UNITS = 100_000_000;

export const UnitsSchema = z.number().int('a whole number of units').min(0).max(MAX_UNITS);
export const PositiveUnitsSchema = z.number().int('a whole number of units').min(1).max(MAX_UNITS);

/** `PUT /admin/v1/stock/{sku}/{locationId}`: a stock count sets on-hand (and optionally safety stock). */
export const StockCountBodySchema = z.strictObject({
  onHand: UnitsSchema,
  safetyStock: UnitsSchema.optional(),
  /** Optimistic concurrency: refuse with CONFLICT unless the level is still at this revision. */
  expectedRevision: z
    .union([
      z.number().int().min(0),
      z
        .string()
        .regex(/^\d{1,15}$/)
        .transform(Number),
    ])
    .optional(),
});
export type StockCountBody = z.infer<typeof StockCountBodySchema>;

/** Idempotency keys: 1–200 printable characters (a UUID is typical). */
export const IdempotencyKeySchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

/** Most lines one request may carry (a cart, a batch of movements). */
export const MAX_LINES = 500;

export const StockMovementSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('RECEIPT'),
    sku: SkuSchema,
    locationId: LocationIdSchema,
    quantity: PositiveUnitsSchema,
    reference: z.string().max(200).optional(),
  }),
  z.strictObject({
    kind: z.literal('ADJUSTMENT'),
    sku: SkuSchema,
    locationId: LocationIdSchema,
    delta: z
      .number()
      .int()
      .min(-MAX_UNITS)
      .max(MAX_UNITS)
      .refine((d) => d !== 0, 'a non-zero delta'),
    reason: z.string().trim().min(1).max(200),
  }),
  z
    .strictObject({
      kind: z.literal('TRANSFER'),
      sku: SkuSchema,
      from: LocationIdSchema,
      to: LocationIdSchema,
      quantity: PositiveUnitsSchema,
      reference: z.string().max(200).optional(),
    })
    .refine((t) => t.from !== t.to, { message: 'from and to must differ', path: ['to'] }),
]);
export type StockMovement = z.infer<typeof StockMovementSchema>;

export const StockMovementsBodySchema = z.strictObject({
  movements: z.array(StockMovementSchema).min(1).max(MAX_LINES),
});
export type StockMovementsBody = z.infer<typeof StockMovementsBodySchema>;

export const ReserveLineSchema = z.strictObject({
  sku: SkuSchema,
  locationId: LocationIdSchema,
  quantity: PositiveUnitsSchema.max(MAX_LINE_QUANTITY),
});
/** Default and longest reservation lifetimes. */
export const DEFAULT_RESERVATION_TTL_SECONDS = 900;
export const MAX_RESERVATION_TTL_SECONDS = 86_400;

export const ReserveBodySchema = z.strictObject({
  lines: z.array(ReserveLineSchema).min(1).max(MAX_LINES),
  ttlSeconds: z.number().int().min(1).max(MAX_RESERVATION_TTL_SECONDS).optional(),
  /** Who reserves: a channel, or the admin API (`ADMIN`, its default); an import reserves nothing. */
  channel: WriteOriginSchema.exclude(['IMPORT']).optional(),
  /**
   * The customer the units are held for, if any (stored with the reservation; the channel API decides who may
   * name her).
   */
  customerId: UuidSchema.optional(),
});
export type ReserveBody = z.infer<typeof ReserveBodySchema>;
/**
 * A reservation request as the domain takes it: the body, and the channel client that makes it (stored as its
 * owner; none through the admin API). Never read from a request body: the channel layer sets it from the
 * caller's key.
 */
export type ReserveRequest = ReserveBody & { clientId?: string };

export const CommitReservationSchema = z.strictObject({
  reservationId: UuidSchema,
  orderId: UuidSchema.optional(),
  currency: KnownCurrencySchema,
  customerRef: z.string().min(1).max(100).nullish(),
  channel: z.string().min(1).max(40).optional(),
  /** The price of every reserved line, as the journey layer quoted it. */
  lines: z
    .array(
      z.strictObject({
        sku: SkuSchema,
        locationId: LocationIdSchema,
        quantity: PositiveUnitsSchema,
        unitAmount: AmountSchema,
        lineAmount: AmountSchema,
      }),
    )
    .min(1)
    .max(MAX_LINES),
});
export type CommitReservationInput = z.infer<typeof CommitReservationSchema>;

export const StoreSaleSchema = z.strictObject({
  locationId: LocationIdSchema,
  orderId: UuidSchema.optional(),
  currency: KnownCurrencySchema,
  customerRef: z.string().min(1).max(100).nullish(),
  channel: z.string().min(1).max(40).optional(),
  lines: z
    .array(
      z.strictObject({
        sku: SkuSchema,
        quantity: PositiveUnitsSchema.max(MAX_LINE_QUANTITY),
        unitAmount: AmountSchema,
        lineAmount: AmountSchema.optional(),
      }),
    )
    .min(1)
    .max(MAX_LINES),
});
export type StoreSaleInput = z.infer<typeof StoreSaleSchema>;

export const ReturnSchema = z.strictObject({
  orderId: UuidSchema,
  locationId: LocationIdSchema,
  lines: z
    .array(
      z.strictObject({
        sku: SkuSchema,
        quantity: PositiveUnitsSchema.max(MAX_LINE_QUANTITY),
        sellable: z.boolean(),
      }),
    )
    .min(1)
    .max(MAX_LINES),
});
export type ReturnInput = z.infer<typeof ReturnSchema>;
