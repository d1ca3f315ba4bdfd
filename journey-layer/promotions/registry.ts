import { z } from 'zod';
import { amountOffAction } from './actions/amount-off.js';
import { bundlePriceAction } from './actions/bundle-price.js';
import { buyXGetYAction } from './actions/buy-x-get-y.js';
import { extraPointsAction } from './actions/extra-points.js';
import { fixedPriceAction } from './actions/fixed-price.js';
import { percentOffAction } from './actions/percent-off.js';
import { tieredSpendAction } from './actions/tiered-spend.js';
import { attributeCondition } from './conditions/attribute.js';
import { cartSubtotalCondition } from './conditions/cart-subtotal.js';
import { categoryCondition } from './conditions/category.js';
import { customerTierCondition } from './conditions/customer-tier.js';
import { dateWindowCondition } from './conditions/date-window.js';
import { firstOrderCondition } from './conditions/first-order.js';
import { quantityCondition } from './conditions/quantity.js';
import { scheduleCondition } from './conditions/schedule.js';
import { segmentCondition } from './conditions/segment.js';
import { skuCondition } from './conditions/sku.js';
import type { ActionKind, ConditionKind } from './types.js';

/** Every condition kind. A new kind is one small file added here. */
export const CONDITIONS: readonly ConditionKind[] = [
  skuCondition,
  categoryCondition,
  attributeCondition,
  cartSubtotalCondition,
  quantityCondition,
  customerTierCondition,
  segmentCondition,
  firstOrderCondition,
  dateWindowCondition,
  scheduleCondition,
];

/** Every action kind. A new kind is one small file added here. */
export const ACTIONS: readonly ActionKind[] = [
  percentOffAction,
  amountOffAction,
  fixedPriceAction,
  buyXGetYAction,
  bundlePriceAction,
  tieredSpendAction,
  extraPointsAction,
];

const byKind = <T extends { kind: string }>(items: readonly T[]) => new Map(items.map((i) => [i.kind, i]));
export const CONDITION_BY_KIND = byKind(CONDITIONS);
export const ACTION_BY_KIND = byKind(ACTIONS);

/**
 * One schema for every kind, chosen by its `kind` member (a discriminated union): an unknown kind is refused
 * at `kind`, and a wrong value names its field (`action.percentBp`), never "matches none of the kinds". Named
 * `id` in the OpenAPI document, where it is a oneOf of the kinds.
 */
function kindUnion(schemas: readonly z.ZodType[], what: string, id: string): z.ZodType {
  const [first, second, ...rest] = schemas as unknown as z.ZodObject[];
  if (!first || !second) throw new Error(`${what}: the registry needs at least two kinds`);
  return z.discriminatedUnion('kind', [first, second, ...rest]).meta({ id });
}

/** A condition as data: any registered kind, validated by its own schema. */
export const ConditionSchema = kindUnion(
  CONDITIONS.map((c) => c.schema),
  'conditions',
  'Condition',
);
/** An action as data: any registered kind. */
export const ActionSchema = kindUnion(
  ACTIONS.map((a) => a.schema),
  'actions',
  'Action',
);
