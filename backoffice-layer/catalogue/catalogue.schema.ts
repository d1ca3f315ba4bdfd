import { z } from 'zod';
import { displayName } from '../../shared/index.js';

/** SKUs and location ids: 1–64 characters, letters, digits, `.`, `_`, `-`, starting with a letter or digit. */
export const CodeSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    'must be 1–64 characters: letters, digits, ".", "_" or "-", starting with a letter or digit',
  );
export const SkuSchema = CodeSchema;
export const LocationIdSchema = CodeSchema;

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
    .record(
      z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,39}$/, 'attribute names: letters, digits, "_"'),
      z.string().max(200),
    )
    .refine((a) => Object.keys(a).length <= 50, 'at most 50 attributes')
    .default({}),
  status: z.enum(['ACTIVE', 'INACTIVE', 'DISCONTINUED']).default('ACTIVE'),
});
export type ProductBody = z.infer<typeof ProductBodySchema>;

export const LocationBodySchema = z.strictObject({
  name: displayName(200),
  kind: z.enum(['WAREHOUSE', 'STORE']),
  fulfilsOnline: z.boolean().default(false),
});
export type LocationBody = z.infer<typeof LocationBodySchema>;

/** Percent → basis points without float drift (21.5 → 2150). */
export function vatRateToBasisPoints(vatRate: number): number {
  return Math.round(vatRate * 100);
}
