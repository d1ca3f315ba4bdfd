import { z } from 'zod';
import { LocationIdSchema } from '../../shared/index.js';
import { FulfilmentMethodSchema } from './fulfilment-lifecycle.js';

/**
 * How the customer wants an order or a quote fulfilled (API.md `input FulfilmentInput`):
 * - `method`: `DELIVERY` or `PICKUP` (click & collect).
 * - `pickupLocationId`: PICKUP, the store she collects at; a DELIVERY naming one is refused.
 * - `postcode`: DELIVERY, 1–16 letters, digits, spaces or hyphens, trimmed ("1012 AB"); matched against the
 *   shipping zones' prefixes with spaces removed, upper case.
 * - `countryCode`: DELIVERY, ISO 3166-1 alpha-2 in any case, stored upper case ("nl" → "NL").
 * Whether the request can be served (a zone for the postcode, a store offering click & collect) is decided
 * with the hub's configuration by promiseCart, not here.
 */
export const FulfilmentInputSchema = z
  .strictObject({
    method: FulfilmentMethodSchema,
    pickupLocationId: LocationIdSchema.nullish(),
    postcode: z
      .string()
      .trim()
      .min(1)
      .max(16)
      .regex(/^[0-9A-Za-z][0-9A-Za-z -]*$/, 'letters, digits, spaces and hyphens')
      .nullish(),
    countryCode: z
      .string()
      .regex(/^[A-Za-z]{2}$/, 'a country code of two letters (ISO 3166-1 alpha-2)')
      .transform((c) => c.toUpperCase())
      .nullish(),
  })
  .refine((f) => f.method === 'PICKUP' || !f.pickupLocationId, {
    message: 'a DELIVERY is collected nowhere: give no pickupLocationId',
    path: ['pickupLocationId'],
  });

/** A fulfilment request, parsed (see FulfilmentInputSchema). */
export type FulfilmentInput = z.infer<typeof FulfilmentInputSchema>;
