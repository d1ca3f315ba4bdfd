import { z } from 'zod';
import { UuidSchema } from '../../shared/index.js';
import { ConsentPurposeSchema } from './customer.schema.js';
import { IdentifierKindSchema } from './identifiers.js';
import { ContactChannelSchema, ContactTopicSchema } from './preferences.js';

/*
 * The journal a merge keeps (`customer_merges.journal`): exactly what it moved from the merged profile to the
 * survivor and what of the survivor it overwrote, so that staff can undo it (unmerge.ts). Instants are ISO
 * 8601 text; ids as stored. It holds identifiers and facts of both profiles: personal data, deleted with
 * either person's erasure.
 */

const Instant = z.iso.datetime({ offset: true });
const RowId = z.number().int().positive();

/** One attribute row: `value` as stored (JSON). */
export const JournalAttributeSchema = z.strictObject({
  name: z.string(),
  value: z.json(),
  channel: z.string(),
  changedAt: Instant,
});
export type JournalAttribute = z.infer<typeof JournalAttributeSchema>;

/** One consent row. */
export const JournalConsentSchema = z.strictObject({
  purpose: ConsentPurposeSchema,
  granted: z.boolean(),
  channel: z.string(),
  changedAt: Instant,
  source: z.string().nullable(),
  expiresAt: Instant.nullable(),
});
export type JournalConsent = z.infer<typeof JournalConsentSchema>;

/** One contact preference row. */
export const JournalPreferenceSchema = z.strictObject({
  channel: ContactChannelSchema,
  topics: z.array(ContactTopicSchema),
  maxPerWeek: z.number().int().nullable(),
  source: z.string(),
  changedAt: Instant,
});
export type JournalPreference = z.infer<typeof JournalPreferenceSchema>;

/** One segment membership row of the merged profile (deleted by the merge: memberships are recomputed). */
export const JournalMembershipSchema = z.strictObject({
  segmentId: z.string(),
  since: Instant,
  reason: z.string(),
  computedAt: Instant,
  revision: z.number().int(),
});
export type JournalMembership = z.infer<typeof JournalMembershipSchema>;

/** A loyalty account as it stood before the merge (balance in points); null: there was none. */
const JournalAccountSchema = z.strictObject({ balance: z.number().int(), tier: z.string() }).nullable();

/** A profile's own facts: display name and the first order's instant. */
export const JournalProfileSchema = z.strictObject({
  displayName: z.string().nullable(),
  firstOrderAt: Instant.nullable(),
});
export type JournalProfile = z.infer<typeof JournalProfileSchema>;

/**
 * Per kind of row that both profiles may hold under one key (attributes by name, consents by purpose): the
 * merged profile's rows, and for each key the merge wrote on the survivor its row before (absent: it had
 * none) and after (what the merge wrote, so an undo can tell a later correction from it).
 */
const overwritten = <T extends z.ZodType>(row: T) =>
  z.strictObject({ merged: z.array(row), survivorBefore: z.array(row), survivorAfter: z.array(row) });

/** The journal of one merge, version 1. */
export const MergeJournalSchema = z.strictObject({
  version: z.literal(1),
  /** Identifiers moved from the merged profile to the survivor. */
  identifiers: z.array(z.strictObject({ kind: IdentifierKindSchema, value: z.string() })),
  attributes: overwritten(JournalAttributeSchema),
  consents: overwritten(JournalConsentSchema),
  /** consent_history rows moved. */
  consentHistoryIds: z.array(RowId),
  /** The merged profile's preference rows (all), and the channels moved (those the survivor had none on). */
  preferences: z.strictObject({
    merged: z.array(JournalPreferenceSchema),
    moved: z.array(ContactChannelSchema),
  }),
  loyalty: z.strictObject({
    survivorBefore: JournalAccountSchema,
    mergedBefore: JournalAccountSchema,
    /** The survivor's tier right after the merge (null: no account). */
    survivorTierAfter: z.string().nullable(),
    /** loyalty_ledger rows moved. */
    ledgerIds: z.array(RowId),
  }),
  orderIds: z.array(UuidSchema),
  reservationIds: z.array(UuidSchema),
  couponRedemptionIds: z.array(RowId),
  interactionIds: z.array(UuidSchema),
  profileChangeIds: z.array(RowId),
  dataUseIds: z.array(RowId),
  /** The merged profile's segment memberships, deleted by the merge. */
  segmentMemberships: z.array(JournalMembershipSchema),
  survivorBefore: JournalProfileSchema,
  survivorAfter: JournalProfileSchema,
  mergedBefore: JournalProfileSchema,
  /** Profiles merged into the merged one earlier, whose pointer the merge redirected to the survivor. */
  redirected: z.array(UuidSchema),
});
export type MergeJournal = z.infer<typeof MergeJournalSchema>;

/** An instant as journal text (null stays null). */
export const journalInstant = (d: Date | null): string | null => (d ? d.toISOString() : null);
