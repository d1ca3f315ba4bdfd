import { z } from 'zod';
import { LocationIdSchema } from '../../shared/index.js';

/**
 * The sourcing rules a retailer can declare, in the order they weigh (issue 12: "locations that fulfil
 * online, in the retailer's priority order, fewest shipments first, a store only if it ships from store").
 * - `FEWEST_SHIPMENTS`: one location that has everything beats any split; a split uses as few locations as
 *   it can.
 * - `LOCATION_PRIORITY`: the retailer's order of locations (`locationPriority`); listed before
 *   `FEWEST_SHIPMENTS` it fills the order from the first location down instead.
 * - `SHIP_FROM_STORE_LAST`: warehouses before stores, whatever their place in `locationPriority`.
 */
export const SOURCING_RULES = ['FEWEST_SHIPMENTS', 'LOCATION_PRIORITY', 'SHIP_FROM_STORE_LAST'] as const;
export type SourcingRule = (typeof SOURCING_RULES)[number];

/**
 * `PUT /admin/v1/sourcing`: the ordered rules, e.g.
 * `{ "rules": ["FEWEST_SHIPMENTS", "LOCATION_PRIORITY"], "allowSplit": true,
 *   "locationPriority": ["wh-tilburg", "ams-01"] }`.
 * `rules`: 1–3 distinct rule names, most important first. `allowSplit`: may one order ship from several
 * locations. `locationPriority`: location ids, first preferred (unlisted locations come after, by id).
 */
export const SourcingRulesSchema = z.strictObject({
  rules: z
    .array(z.enum(SOURCING_RULES))
    .min(1)
    .max(SOURCING_RULES.length)
    .refine((rules) => new Set(rules).size === rules.length, 'each rule at most once'),
  allowSplit: z.boolean(),
  locationPriority: z
    .array(LocationIdSchema)
    .max(1000)
    .refine((ids) => new Set(ids).size === ids.length, 'each location at most once')
    .default([]),
});

/** The validated sourcing rules ({@link SourcingRulesSchema}). */
export type SourcingRules = z.infer<typeof SourcingRulesSchema>;
