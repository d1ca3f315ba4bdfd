import { z } from 'zod';

/** Largest unit count for one stock level or movement; far above any real shelf, far below int4 overflow. */
export const MAX_UNITS = 100_000_000;

export const UnitsSchema = z.number().int('a whole number of units').min(0).max(MAX_UNITS);
export const PositiveUnitsSchema = z.number().int('a whole number of units').min(1).max(MAX_UNITS);

/** `PUT /admin/v1/stock/{sku}/{locationId}`: a stock count sets on-hand (and optionally safety stock). */
export const StockCountBodySchema = z.strictObject({
  onHand: UnitsSchema,
  safetyStock: UnitsSchema.optional(),
  /** Optimistic concurrency: refuse with CONFLICT unless the level is still at this revision. */
  expectedRevision: z.union([z.number().int().min(0), z.string().regex(/^\d{1,15}$/).transform(Number)]).optional(),
});
export type StockCountBody = z.infer<typeof StockCountBodySchema>;
