import {
  fulfilmentSection,
  nextPromiseBoundary,
  PROMISE_SCHEDULE_EVENT_TYPES,
  scheduleSection,
  type BoundarySource,
  type SharedSection,
} from '../../backoffice-layer/index.js';
import { getLoyaltyProgram } from '../loyalty/ledger.js';
import type { LoyaltyProgram } from '../loyalty/program.js';
import { activePromotionRules, nextPromotionBoundary, type ActivePromotion } from '../promotions/store.js';

export const PROMOTIONS_SECTION = 'journey.promotions';
export const LOYALTY_PROGRAM_SECTION = 'journey.loyalty-program';

/**
 * The journey layer's scheduled instants, next to the price windows: promotion and coupon windows,
 * time-based conditions, and the delivery promise's edges (cut-offs, local midnights, pickup steps), so an
 * offer's or a quote's promise switches at one revision in every channel, as a price does.
 */
export const journeyScheduleSources: readonly BoundarySource[] = [nextPromotionBoundary, nextPromiseBoundary];
/** Events after which the next of those instants may have moved. */
export const journeyScheduleEventTypes: readonly string[] = [
  'promotion.changed',
  ...PROMISE_SCHEDULE_EVENT_TYPES,
];

/**
 * What every price needs whoever asks — the promotions in force, the loyalty programme and the fulfilment
 * configuration the delivery promise is made from — kept in the read model next to the SKUs, so a price (and
 * a promise) for an anonymous shopper costs no PostgreSQL query, and an answer's revision covers them
 * exactly. Worker and API nodes must be given the same list.
 */
export const journeyReadModelSections: readonly SharedSection[] = [
  // Where the switch schedule stands (price and promotion windows alike), so every answer is evaluated at an
  // instant its revision determines: a window opens for readers when its switch revision commits.
  scheduleSection(journeyScheduleSources, journeyScheduleEventTypes),
  // A promotion's budget moving (each order that spends it, and its running out) is a promotion.changed too:
  // what is left of it is part of the rules in force, so a quote caps a discount exactly as the order will.
  { name: PROMOTIONS_SECTION, types: ['promotion.changed'], load: activePromotionRules },
  { name: LOYALTY_PROGRAM_SECTION, types: ['loyalty-program.changed'], load: getLoyaltyProgram },
  // Location fulfilment settings, shipping zones and sourcing rules: what the delivery promise is made from.
  fulfilmentSection,
];

/** The promotions and programme of a snapshot, when it carries them. */
export function journeyGlobals(
  globals: ReadonlyMap<string, unknown> | undefined,
): { rules: ActivePromotion[]; program: LoyaltyProgram } | null {
  const rules = globals?.get(PROMOTIONS_SECTION);
  const program = globals?.get(LOYALTY_PROGRAM_SECTION);
  return rules !== undefined && program !== undefined
    ? { rules: rules as ActivePromotion[], program: program as LoyaltyProgram }
    : null;
}
