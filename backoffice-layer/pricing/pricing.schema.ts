import { z } from 'zod';
import { KnownCurrencySchema, displayName, MAX_AMOUNT } from '../../shared/index.js';

/** ISO 8601 instant with an offset (e.g. 2026-12-01T00:00:00Z); parsed to a Date. */
export const InstantSchema = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

const windowOk = (v: { validFrom?: Date | null | undefined; validTo?: Date | null | undefined }) =>
  !v.validFrom || !v.validTo || v.validFrom < v.validTo;

export const PriceListBodySchema = z
  .strictObject({
    name: displayName(200),
    currency: KnownCurrencySchema,
    priority: z.number().int().min(-1_000_000).max(1_000_000).default(0),
    validFrom: InstantSchema.nullish(),
    validTo: InstantSchema.nullish(),
  })
  .refine(windowOk, { message: 'validFrom must be before validTo', path: ['validTo'] });
export type PriceListBody = z.infer<typeof PriceListBodySchema>;

export const PriceBodySchema = z
  .strictObject({
    amount: z.number().int('amount is in minor units (cents): an integer').min(0).max(MAX_AMOUNT),
    minQuantity: z.number().int().min(1).max(1_000_000).default(1),
    validFrom: InstantSchema.nullish(),
    validTo: InstantSchema.nullish(),
  })
  .refine(windowOk, { message: 'validFrom must be before validTo', path: ['validTo'] });
export type PriceBody = z.infer<typeof PriceBodySchema>;
