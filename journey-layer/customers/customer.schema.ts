import { z } from 'zod';
import { displayName, LocationIdSchema } from '../../shared/index.js';
import { IdentifierKindSchema } from './identifiers.js';

export const ConsentPurposeSchema = z.enum(['EMAIL_MARKETING', 'PERSONALISATION', 'PROFILING']);

const SegmentSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'segments: lower-case letters, digits and "-", up to 40');

/** Profile facts that promotion rules can use. Every attribute is optional; `null` removes it. */
export const CustomerAttributesSchema = z.strictObject({
  birthday: z.iso.date().nullish(),
  homeStore: LocationIdSchema.nullish(),
  segments: z.array(SegmentSchema).max(50).nullish(),
  preferredLanguage: z
    .string()
    .regex(/^[a-z]{2}(-[A-Z]{2})?$/, 'a language tag such as nl or nl-NL')
    .nullish(),
});
export type CustomerAttributes = z.infer<typeof CustomerAttributesSchema>;

/** A person's name as shown on staff screens: no control or bidirectional formatting characters, 1–200. */
export const DisplayNameSchema = displayName(200);

export const EnrollInputSchema = z.strictObject({
  displayName: DisplayNameSchema.optional(),
  email: z.string().max(320).optional(),
  phone: z.string().max(40).optional(),
  loyaltyCard: z.string().max(40).optional(),
  appAccount: z.string().max(128).optional(),
  consents: z.array(ConsentPurposeSchema).max(3).optional(),
  attributes: CustomerAttributesSchema.optional(),
});
export type EnrollInput = z.infer<typeof EnrollInputSchema>;

export const LinkIdentifierInputSchema = z.strictObject({
  kind: IdentifierKindSchema,
  value: z.string().max(320),
});

export const ProfileUpdateSchema = z.strictObject({
  displayName: DisplayNameSchema.nullish(),
  attributes: CustomerAttributesSchema.optional(),
});
export type ProfileUpdate = z.infer<typeof ProfileUpdateSchema>;

/**
 * Where a consent was given (a form, a till, a call), in words: no control or bidirectional formatting
 * characters, trimmed, 1–200 characters.
 */
export const ConsentSourceSchema = displayName(200);

/**
 * A consent decision's own fields as a caller sends them: `source` (optional, ≤ 200 characters) and
 * `expiresAt` (optional ISO 8601 instant with offset; only with `granted: true`, and in the future — checked
 * against the clock where it is written).
 */
export const ConsentDecisionSchema = z.strictObject({
  purpose: ConsentPurposeSchema,
  granted: z.boolean(),
  source: ConsentSourceSchema.nullish(),
  expiresAt: z.iso.datetime({ offset: true }).nullish(),
});
