import { z } from 'zod';
import { displayName } from '../../shared/index.js';
import { FulfilmentSettingsSchema } from '../orders/fulfilment-settings.schema.js';

/** Product attribute names (`size`, `colour`): 1–40 letters, digits or "_", starting with a letter. */
export const ATTRIBUTE_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;
export const AttributeNameSchema = z
  .string()
  .regex(ATTRIBUTE_NAME_PATTERN, 'attribute names: letters, digits, "_"');

/** A product's life-cycle status: only an ACTIVE product is sold. */
export const ProductStatusSchema = z.enum(['ACTIVE', 'INACTIVE', 'DISCONTINUED']);
/** What a location is: a warehouse, or a store (which may also fulfil online orders). */
export const LocationKindSchema = z.enum(['WAREHOUSE', 'STORE']);

/** VAT rate in percent with at most two decimals (21, 9, 5.5); stored as basis points. */
export const VatRateSchema = z
  .number()
  .min(0)
  .max(100)
  .refine(
    (v) => Number.isInteger(Math.round(v * 100)) && Math.abs(v * 100 - Math.round(v * 100)) < 1e-9,
    'at most two decimals',
  );

export const ProductBodySchema = z.strictObject({
  name: displayName(200),
  category: z.string().trim().min(1).max(100),
  vatRate: VatRateSchema,
  attributes: z
    .record(AttributeNameSchema, z.string().max(200))
    .refine((a) => Object.keys(a).length <= 50, 'at most 50 attributes')
    .default({}),
  status: ProductStatusSchema.default('ACTIVE'),
});
export type ProductBody = z.infer<typeof ProductBodySchema>;

/**
 * `PUT /admin/v1/locations/{id}`. `fulfilment` (issue 12): the location's fulfilment settings
 * (FulfilmentSettingsSchema); absent keeps what is stored, `null` removes them (the location then promises
 * nothing). A warehouse cannot offer `pickup`.
 */
export const LocationBodySchema = z
  .strictObject({
    name: displayName(200),
    kind: LocationKindSchema,
    fulfilsOnline: z.boolean().default(false),
    fulfilment: FulfilmentSettingsSchema.nullable().optional(),
  })
  // Click & collect is a store's counter: a warehouse offering it would never be chosen, silently.
  .refine((b) => b.kind === 'STORE' || !b.fulfilment?.pickup, {
    message: 'only a store offers click & collect (pickup)',
    path: ['fulfilment', 'pickup'],
  });
export type LocationBody = z.infer<typeof LocationBodySchema>;

/** Percent → basis points without float drift (21.5 → 2150). */
export function vatRateToBasisPoints(vatRate: number): number {
  return Math.round(vatRate * 100);
}
