import { z } from 'zod';
import { displayName, IdSchema, UuidSchema } from '../../shared/index.js';
import { ActionSchema, ConditionSchema } from './registry.js';

/**
 * A promotion rule as data. See RULES.md for how rules combine.
 * - `stacking`: STACKABLE (applies on top of earlier rules), EXCLUSIVE (alone on the lines it touches: skips
 *   lines an earlier rule discounted, and later rules skip its lines), EXCLUSIVE_ALL (when it applies, no
 * later rule does).
 * - `target`: a personal offer, for these segments or customers only, and only with the personalisation
 *   consent.
 * - `couponRequired`: applies only when one of its coupon codes is given.
 */
/** How a rule combines with the others (above). */
export const StackingSchema = z.enum(['STACKABLE', 'EXCLUSIVE', 'EXCLUSIVE_ALL']);
const ruleFields = {
  label: displayName(120),
  priority: z.number().int().min(-1000).max(1000).default(0),
  stacking: StackingSchema.default('STACKABLE'),
  validFrom: z.iso.datetime({ offset: true }).nullish(),
  validTo: z.iso.datetime({ offset: true }).nullish(),
  conditions: z.array(ConditionSchema).max(20).default([]),
  action: ActionSchema,
  target: z
    .strictObject({
      segments: z.array(z.string().min(1).max(40)).max(50).default([]),
      customerIds: z.array(UuidSchema).max(1000).default([]),
    })
    .refine(
      (t) => t.segments.length + t.customerIds.length > 0,
      'a target names at least one segment or customer',
    )
    .optional(),
  couponRequired: z.boolean().default(false),
  /** Overrides the generated explanation read out to the customer. */
  reason: z.string().trim().min(1).max(300).optional(),
};
const windowInOrder = (r: { validFrom?: string | null; validTo?: string | null }) =>
  !r.validFrom || !r.validTo || Date.parse(r.validFrom) < Date.parse(r.validTo);
const windowOrderIssue = { message: 'validFrom must be before validTo', path: ['validTo'] };

export const PromotionRuleSchema = z
  .strictObject({ id: IdSchema, ...ruleFields })
  .refine(windowInOrder, windowOrderIssue)
  .meta({ id: 'PromotionRule' });

/** A rule as `PUT /admin/v1/promotions/{id}` takes it: the path names it, so an `id` here is ignored. */
export const PromotionRuleBodySchema = z
  .strictObject({ id: IdSchema.optional().describe('Ignored: the path names the promotion'), ...ruleFields })
  .refine(windowInOrder, windowOrderIssue)
  .meta({ id: 'PromotionRuleBody' });

export type PromotionRule = z.infer<typeof PromotionRuleSchema>;
export type PromotionRuleInput = z.input<typeof PromotionRuleSchema>;
